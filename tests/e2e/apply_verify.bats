#!/usr/bin/env bats
# verify (and the gate before upgrade) on a real PostgreSQL 15: an applied
# revision whose downgrade or header changed is not called a comment or
# whitespace edit; history rows from before these were recorded say so.

load helpers
load db_helpers

setup() {
	new_db v
	mkrev aaaa0001 none "CREATE TABLE t1 (id int);" "DROP TABLE t1;"
	run rg upgrade
	[ "$status" -eq 0 ]
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT 1;" "SELECT 1;"
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

# mkrev ID DOWN UPGRADE_SQL [DOWNGRADE_SQL [HEADER...]], dated $STAMP
mkrev() {
	local id=$1 down=$2 up=$3 dn=${4-}
	shift 4 2>/dev/null || shift $#
	sql_rev "$id" "$down" "$up" "$dn" "${STAMP:-20250101_0000}" "$@"
}

@test "a changed downgrade is named (a warning), not called cosmetic" {
	mkrev aaaa0001 none "CREATE TABLE t1 (id int);" "DROP TABLE t1 CASCADE; DROP SCHEMA public CASCADE;"
	run rg verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-downgrade-changed]: the downgrade of revision 'aaaa0001' changed since it was applied"* ]]
	[[ "$output" != *"only in comments or whitespace"* ]]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"the downgrade of revision 'aaaa0001' changed"* ]]
}

@test "a header change that alters meaning is an error; upgrade refuses" {
	mkrev aaaa0001 none "CREATE TABLE t1 (id int);" "DROP TABLE t1;" "-- transaction: false"
	run rg verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-header-changed]: the header of revision 'aaaa0001' changed since it was applied: transaction ('true' -> 'false')"* ]]
	[[ "$output" != *"only in comments or whitespace"* ]]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "aaaa0001" ]
}

@test "irreversible and branch labels changes are named as warnings" {
	mkrev aaaa0001 none "CREATE TABLE t1 (id int);" "DROP TABLE t1;" "-- branch_labels: core" \
		"-- irreversible: drops data"
	run rg verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-header-changed]: the header of revision 'aaaa0001' changed since it was applied: branch_labels ('' -> 'core'), irreversible ('no' -> 'drops data')"* ]]
}

@test "a comment edit is still cosmetic" {
	mkrev aaaa0001 none "CREATE TABLE t1 (id int); -- why" "DROP TABLE t1; -- and back"
	run rg verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-checksum-cosmetic]: revision 'aaaa0001' was edited since it was applied, but only in comments or whitespace"* ]]
}

@test "history rows from before the downgrade and header were recorded say so" {
	psql_ -c "ALTER TABLE revgate_history DROP COLUMN downgrade_checksum, DROP COLUMN header_keys"
	mkrev aaaa0001 none "CREATE TABLE t1 (id int); -- why" "DROP TABLE t1 CASCADE;"
	run rg verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"its upgrade changed only in comments or whitespace, its downgrade and header were not recorded when it ran, so they could not be checked"* ]]
	# upgrade adds the columns and records both from now on
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE revision = 'bbbb0002' AND downgrade_checksum IS NOT NULL AND header_keys LIKE '%transaction: true%'")" -eq 1 ]
}

@test "a no-op upgrade checks unchanged files by the checksums it verified before, and still catches an edit that keeps size and mtime" {
	export XDG_CACHE_HOME="$PROJ/cache"
	rg upgrade >/dev/null 2>&1
	# files changed in the last 2 s are not cached
	sleep 3
	run rg upgrade
	[ "$status" -eq 0 ]
	ls "$XDG_CACHE_HOME"/revgate/checksums-* >/dev/null
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to do"* ]]
	# same size, same mtime: only the ctime tells
	f=$(ls migrations/*aaaa0001*)
	sed -i 's/CREATE TABLE t1 (id int)/CREATE TABLE t9 (id int)/' "$f"
	touch -d '-10 seconds' "$f"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-checksum-mismatch]: statement 1 of revision 'aaaa0001' changed since it was applied"* ]]
	# a damaged cache is only a cache
	for c in "$XDG_CACHE_HOME"/revgate/*; do printf 'garbage\n' >"$c"; done
	run rg upgrade
	[ "$status" -eq 1 ]
	[[ "$output" == *"applied-checksum-mismatch"* ]]
}

@test "verify says 'verified' only when nothing changed, and after the findings" {
	run rg verify
	[ "$status" -eq 0 ]
	[ "$output" = "verified 1 applied revision" ]
	mkrev aaaa0001 none "CREATE TABLE t1 (id int); -- why" "DROP TABLE t1;"
	run rg verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"warning[applied-checksum-cosmetic]"* ]]
	[ "${lines[-1]}" = "verified 1 applied revision; 1 edited without changing what ran (above)" ]
	mkrev aaaa0001 none "CREATE TABLE t1 (id bigint);" "DROP TABLE t1;"
	run rg verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"error[applied-checksum-mismatch]"* ]]
	[[ "$output" != *"verified"* ]]
	[ "${lines[-1]}" = "revgate verify: 1 of 1 applied revision changed since it ran (above)" ]
}
