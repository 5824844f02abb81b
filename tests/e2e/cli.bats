#!/usr/bin/env bats
# The foundation commands: init, revision, heads, branches, history, show,
# merge, help — and the clear errors revgate gives on bad input.

load helpers

setup() {
	new_project
	export REVGATE_NOW=1735689600
}

teardown() {
	rm -rf "$PROJ"
}

@test "init writes revgate.ini and migrations/, and refuses to overwrite" {
	[ -f revgate.ini ]
	[ -d migrations ]
	run rg init
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists"* ]]
}

@test "revision chains on the head, with timestamped file names and 12-hex ids" {
	run rg revision -m "create clients"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^migrations/20250101_0000_[0-9a-f]{12}_create_clients\.sql$ ]]
	first=$(basename "$output" | cut -d_ -f3)
	REVGATE_NOW=1735689660 run rg revision -m "Add sessions!"
	[ "$status" -eq 0 ]
	[[ "$output" == *"_add_sessions.sql" ]]
	grep -q "^-- down_revision: $first\$" "$output"
	run rg heads
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"(head)" ]]
}

@test "revision refuses with several heads unless --head names one" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	STAMP=20250101_0002 write_rev cccc3333 aaaa1111
	run rg revision -m next
	[ "$status" -eq 2 ]
	[[ "$output" == *"several heads"*"bbbb2222"*"cccc3333"* ]]
	run rg revision -m next --head bbbb
	[ "$status" -eq 0 ]
	grep -q "^-- down_revision: bbbb2222\$" "$output"
}

@test "merge joins the heads; history shows the merge point first" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	STAMP=20250101_0002 write_rev cccc3333 aaaa1111
	path=$(rg merge -m "join" 2>/dev/null)
	merge=$(basename "$path" | cut -d_ -f3)
	grep -q "^-- down_revision: bbbb2222, cccc3333\$" "$path"
	run rg heads
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "$merge (head)" ]]
	run rg history
	[[ "${lines[0]}" == "bbbb2222, cccc3333 -> $merge (head) (mergepoint), join" ]]
	[[ "${lines[3]}" == "<base> -> aaaa1111 (branchpoint), revision aaaa1111" ]]
	run rg merge
	[ "$status" -eq 2 ]
	[[ "$output" == *"nothing to merge"* ]]
}

@test "heads, history and show print documented JSON" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	run rg history --format json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
assert [r["revision"] for r in doc] == ["bbbb2222", "aaaa1111"], doc
for r in doc:
    for key in ("revision", "down_revisions", "message", "file"):
        assert key in r, key
assert doc[0]["down_revisions"] == ["aaaa1111"]
assert doc[1]["down_revisions"] == []
PY
	run rg heads --format json
	[[ "$output" == *'"revision": "bbbb2222"'* ]]
	run rg show aaaa --format json
	[[ "$output" == *'"file": "migrations/20250101_0000_aaaa1111_rev.sql"'* ]]
	run rg heads --format sarif
	[ "$status" -eq 2 ]
}

@test "show resolves prefixes, relative targets and reports ambiguity with candidates" {
	write_rev ae1027a6acf0 none
	STAMP=20250101_0001 write_rev ae10f3b2c4d1 ae1027a6acf0
	run rg show ae10f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Rev: ae10f3b2c4d1 (head)"* ]]
	run rg show ae10
	[ "$status" -eq 2 ]
	[[ "$output" == *"ae1027a6acf0"*"ae10f3b2c4d1"* ]]
	run rg show nope
	[ "$status" -eq 2 ]
	[[ "$output" == *"no such revision"* ]]
}

@test "a typo in a header key is an error with a suggestion, never a new root" {
	write_rev aaaa1111 none
	cat >migrations/20250101_0001_bbbb2222_typo.sql <<'SQL'
-- revision: bbbb2222
-- down_revison: aaaa1111

-- +upgrade
SELECT 1;
SQL
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"20250101_0001_bbbb2222_typo.sql:2:4: error[unknown-header-key]"* ]]
	[[ "$output" == *"did you mean 'down_revision'"* ]]
	[[ "$output" == *"error[missing-header-key]"* ]]
}

@test "a cycle is printed and makes history fail" {
	write_rev aaaa1111 cccc3333
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	STAMP=20250101_0002 write_rev cccc3333 bbbb2222
	run rg history
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[revision-cycle]"* ]]
	[[ "$output" == *"aaaa1111 -> cccc3333 -> bbbb2222 -> aaaa1111"* ]]
}

@test "missing parents, duplicate ids and id/file-name mismatches are findings" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 zzzz9999
	cp migrations/20250101_0000_aaaa1111_rev.sql migrations/20250101_0002_aaaa1111_copy.sql
	sed 's/^-- revision: aaaa1111/-- revision: dddd4444/' migrations/20250101_0000_aaaa1111_rev.sql \
		>migrations/20250101_0003_eeee5555_wrong.sql
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[missing-parent]: revision 'bbbb2222' names parent 'zzzz9999'"* ]]
	[[ "$output" == *"error[duplicate-revision]"* ]]
	[[ "$output" == *"error[revision-id-mismatch]"* ]]
}

@test "binary, invalid UTF-8, empty and oversized files are findings, not crashes" {
	write_rev aaaa1111 none
	printf -- '-- revision: bbbb2222\n\0\0\0' >migrations/20250101_0001_bbbb2222_bin.sql
	printf -- '-- revision: cccc3333\n-- message: caf\xe9\n' >migrations/20250101_0002_cccc3333_latin1.sql
	: >migrations/20250101_0003_dddd4444_empty.sql
	mkdir migrations/20250101_0004_eeee5555_dir.sql
	head -c 2000000 /dev/zero | tr '\0' 'x' >migrations/20250101_0005_ffff6666_big.sql
	printf '[revgate]\nmigrations = migrations\nmax_file_size = 1000000\n' >revgate.ini
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"_bin.sql:2:1: error[invalid-file]: the file contains a NUL byte"* ]]
	[[ "$output" == *"_latin1.sql:2:16: error[invalid-file]: invalid UTF-8"* ]]
	[[ "$output" == *"_empty.sql:1:1: error[invalid-file]: the file is empty"* ]]
	[[ "$output" == *"_dir.sql: error[invalid-file]"*"is a directory"* ]]
	[[ "$output" == *"_big.sql: error[invalid-file]"*"over the limit"* ]]
	[[ "$output" == *"aaaa1111 (head)"* ]]
}

@test "CRLF line endings and a UTF-8 BOM are accepted" {
	printf '\xef\xbb\xbf-- revision: aaaa1111\r\n-- down_revision: none\r\n\r\n-- +upgrade\r\nSELECT 1;\r\n' \
		>migrations/20250101_0000_aaaa1111_crlf.sql
	run rg heads
	[ "$status" -eq 0 ]
	[ "$output" = "aaaa1111 (head)" ]
}

@test "a symbolic link out of the migrations directory is refused" {
	write_rev aaaa1111 none
	echo "-- revision: x" >"$PROJ/outside.sql"
	ln -s "$PROJ/outside.sql" migrations/20250101_0001_bbbb2222_link.sql
	run rg heads
	[ "$status" -eq 1 ]
	[[ "$output" == *"symbolic link that leads outside"* ]]
}

@test "configuration errors exit 2 with the file and key named" {
	printf '[revgate]\nmigratons = x\n' >revgate.ini
	run rg heads
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key 'migratons' in [revgate]"* ]]
	printf '[revgate]\nmigrations = nowhere\n' >revgate.ini
	run rg heads
	[ "$status" -eq 2 ]
	[[ "$output" == *"'nowhere' does not exist"* ]]
	run rg --config missing.ini heads
	[ "$status" -eq 2 ]
	printf '[revgate]\nfile_name_pattern = ([\n' >revgate.ini
	run rg heads
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid file_name_pattern"* ]]
	# a line longer than the INI reader takes is named, not misread
	printf '[revgate]\nmigrations = %0300d\n' 0 >revgate.ini
	run rg heads
	[ "$status" -eq 2 ]
	[[ "$output" == *"revgate.ini:2: the line is 313 characters long, more than the 198"* ]]
	printf '[revgate]\r\nmigrations = migrations\r\n' >revgate.ini
	run rg heads
	[ "$status" -eq 0 ]
}

@test "-C runs in another directory; unknown commands and options exit 2" {
	write_rev aaaa1111 none
	cd /
	run rg -C "$PROJ" heads
	[ "$status" -eq 0 ]
	[ "$output" = "aaaa1111 (head)" ]
	run rg heads -C "$PROJ" --verbose
	[[ "$output" == *"Rev: aaaa1111 (head)"* ]]
	run rg frobnicate
	[ "$status" -eq 2 ]
	run rg -C "$PROJ" heads --frob
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--frob'"* ]]
}

@test "help lists commands; help COMMAND prints options from the option table" {
	run rg help
	[ "$status" -eq 0 ]
	[[ "$output" == *"history"*"merge"*"revision"* ]]
	run rg help revision
	[[ "$output" == *"--message MSG"* ]]
	[[ "$output" == *"--head REV"* ]]
	run rg revision --help
	[[ "$output" == *"usage: revgate revision"* ]]
	run rg help config
	[[ "$output" == *"version_table"* ]]
	run rg --version
	[[ "$output" =~ ^revgate\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "history -r takes Alembic's ranges" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	STAMP=20250101_0002 write_rev cccc3333 bbbb2222
	run rg history -r bbbb2222:
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run rg history -r :bbbb2222
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *"aaaa1111"* ]]
	run rg history -r cccc3333:aaaa1111
	[ "$status" -eq 2 ]
	[[ "$output" == *"not an ancestor"* ]]
	run rg history -r nocolon
	[ "$status" -eq 2 ]
}

@test "every common option works before the command, in each spelling --help shows" {
	write_rev aaaa1111 none
	cd /
	run rg --directory "$PROJ" heads
	[ "$status" -eq 0 ]
	[ "$output" = "aaaa1111 (head)" ]
	run rg --directory="$PROJ" --format json heads
	[ "$status" -eq 0 ]
	[[ "$output" == *'"revision": "aaaa1111"'* ]]
	run rg -C "$PROJ" --config "$PROJ/revgate.ini" --quiet --no-color heads
	[ "$status" -eq 0 ]
	[ "$output" = "aaaa1111 (head)" ]
	run rg "-C$PROJ" heads
	[ "$output" = "aaaa1111 (head)" ]
	# each option 'revgate --help' lists parses before a command
	while read -r opt; do
		case $opt in
		--directory) run rg "$opt" "$PROJ" heads ;;
		--config) run rg -C "$PROJ" "$opt" "$PROJ/revgate.ini" heads ;;
		--format) run rg -C "$PROJ" "$opt" text heads ;;
		*) run rg -C "$PROJ" "$opt" heads ;;
		esac
		[ "$status" -eq 0 ] || { echo "$opt: $output"; return 1; }
	done < <(rg --help | sed -n 's/^  \(-., \)\{0,1\} *\(--[a-z-]*\).*/\2/p')
	run rg --directory
	[ "$status" -eq 2 ]
	[[ "$output" == *"'--directory' needs a value"* ]]
	run rg --version heads
	[[ "$output" =~ ^revgate\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a mistyped command, option or target gets a 'did you mean'" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111 "-- branch_labels: feature"
	run rg histroy
	[ "$status" -eq 2 ]
	[[ "$output" == *"'histroy' is not a command; did you mean 'history'?"* ]]
	run rg lnit
	[[ "$output" == *"did you mean 'init' or 'lint'?"* ]]
	run rg help upgarde
	[ "$status" -eq 2 ]
	[[ "$output" == *"did you mean 'upgrade'?"* ]]
	run rg frobnicate
	[[ "$output" != *"did you mean"* ]]
	run rg lint --formt json
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--formt' for 'lint'; did you mean '--format'?"* ]]
	run rg upgrade haed --plan
	[ "$status" -eq 2 ]
	[[ "$output" == *"no such revision or branch 'haed'; did you mean 'head'?"* ]]
	run rg show featuer
	[[ "$output" == *"did you mean 'feature'?"* ]]
	run rg show aaaa1112
	[[ "$output" == *"did you mean 'aaaa1111'?"* ]]
	run rg show zzzz
	[[ "$output" == *"no such revision or branch 'zzzz'" ]]
}
