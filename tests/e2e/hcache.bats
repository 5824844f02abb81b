#!/usr/bin/env bats
# The header cache of the read-only commands: used only while a file's size,
# inode, mtime and ctime are unchanged, never for a file with findings or one
# changed in the last seconds.

load helpers

setup() {
	new_project
	export XDG_CACHE_HOME="$PROJ/cache"
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	STAMP=20250101_0002 write_rev cccc3333 bbbb2222
	# a file changed within the last seconds is never cached (racily clean)
	sleep 3
}

teardown() {
	rm -rf "$PROJ"
}

cache_file() {
	ls "$XDG_CACHE_HOME"/revgate/headers-* 2>/dev/null
}

@test "heads writes the cache once and answers the same from it" {
	run rg heads
	[ "$output" = "cccc3333 (head)" ]
	[ -n "$(cache_file)" ]
	grep -q "cccc3333" "$(cache_file)"
	run rg heads
	[ "$output" = "cccc3333 (head)" ]
	run rg history --format json
	[[ "$output" == *'"file": "migrations/20250101_0002_cccc3333_rev.sql"'* ]]
}

@test "an in-place edit that keeps size and mtime is still seen" {
	rg heads >/dev/null
	f=migrations/20250101_0002_cccc3333_rev.sql
	stamp=$(stat -c %y "$f")
	# same length: the parent changes from bbbb2222 to aaaa1111
	sed -i 's/^-- down_revision: bbbb2222$/-- down_revision: aaaa1111/' "$f"
	touch -d "$stamp" "$f"
	run rg heads
	[[ "$output" == *"bbbb2222 (head)"* ]]
	[[ "$output" == *"cccc3333 (head)"* ]]
}

@test "a file with findings is never cached and is reported every time" {
	printf -- '-- revision: dddd4444\n-- down_revison: cccc3333\n-- +upgrade\nSELECT 1;\n' \
		>migrations/20250101_0003_dddd4444_typo.sql
	touch -d '1 hour ago' migrations/20250101_0003_dddd4444_typo.sql
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown-header-key"* ]]
	! grep -q dddd4444 "$(cache_file)"
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown-header-key"* ]]
}

@test "a deleted revision drops out; cache_dir = off writes nothing" {
	rg heads >/dev/null
	rm migrations/20250101_0002_cccc3333_rev.sql
	run rg heads
	[ "$output" = "bbbb2222 (head)" ]
	rm -rf "$XDG_CACHE_HOME"
	printf '[revgate]\nmigrations = migrations\n[lint]\ncache_dir = off\n' >revgate.ini
	run rg heads
	[ "$output" = "bbbb2222 (head)" ]
	[ -z "$(cache_file)" ]
}

@test "a corrupt or foreign cache file is ignored" {
	rg heads >/dev/null
	f=$(cache_file)
	head -c 300 /dev/urandom >"$f"
	run rg heads
	[ "$output" = "cccc3333 (head)" ]
	printf 'revgate-hcache 1\nx\t1\t2\n\t\t\t\n' >"$f"
	run rg history
	[ "${#lines[@]}" -eq 3 ]
}
