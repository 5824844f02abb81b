#!/usr/bin/env bats
# The brake before a downgrade destroys data, on a real PostgreSQL 15:
# tables and columns it drops are counted first, and a downgrade that would
# destroy rows is refused unless --allow-data-loss, or confirmed on a
# terminal; --plan names what it drops, --dry-run with the rows.

load helpers
load db_helpers

setup() {
	new_db br
	sql_rev aaaa0001 none "CREATE TABLE big (id int);
CREATE TABLE bigger (id int, note text);
CREATE TABLE empty (id int);" "DROP TABLE empty;
DROP TABLE bigger;
DROP TABLE big;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "ALTER TABLE bigger ADD COLUMN extra int;" "ALTER TABLE bigger DROP COLUMN extra;" 20250101_0002
	rg upgrade >/dev/null 2>&1
	psql_ -c "INSERT INTO big SELECT generate_series(1, 5000)" \
		-c "INSERT INTO bigger (id) SELECT generate_series(1, 10000)"
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

rows() { psql_ -c "SELECT coalesce(string_agg(version_num, ','), '') FROM revgate_version"; }

@test "downgrade base over tables holding rows: refused, exit 1, naming each with its rows; nothing dropped" {
	run rg downgrade base
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"this downgrade destroys data:"* ]]
	[[ "$output" == *"drops table bigger: 10000 rows (revision aaaa0001)"* ]]
	[[ "$output" == *"drops table big: 5000 rows (revision aaaa0001)"* ]]
	[[ "$output" != *"drops table empty"* ]]
	# the column bbbb0002 drops holds no value yet
	[[ "$output" != *"drops column"* ]]
	[[ "$output" == *"destroy data in 2 places (above); back it up first, then run again with --allow-data-loss"* ]]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT count(*) FROM big")" -eq 5000 ]
}

@test "a dropped column with values counts; --allow-data-loss goes on" {
	psql_ -c "UPDATE bigger SET extra = 1 WHERE id <= 7"
	run rg downgrade -1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"drops column bigger.extra: 7 rows with a value (revision bbbb0002)"* ]]
	run rg downgrade base --allow-data-loss
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"going on (--allow-data-loss)"* ]]
	[ "$(rows)" = "" ]
	[ -z "$(psql_ -c "SELECT to_regclass('big')")" ]
}

@test "nothing that holds rows: the downgrade runs without asking" {
	psql_ -c "TRUNCATE big, bigger"
	run rg downgrade base
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "" ]
}

@test "--plan names what a downgrade drops; --dry-run counts the rows" {
	run rg downgrade --plan bbbb0002:base
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"drops column bigger.extra"* ]]
	[[ "$output" == *"drops table big"* ]]
	run rg downgrade --plan bbbb0002:base --format json
	echo "$output"
	[[ "$output" == *'"drops": ['* ]]
	[[ "$output" == *'"what": "drops table big"'* ]]
	run rg downgrade --dry-run base
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"drops table big: 5000 rows"* ]]
	[[ "$output" == *"drops table empty: 0 rows (empty)"* ]]
	[ "$(rows)" = "bbbb0002" ]
}

@test "on a terminal the downgrade asks, naming the tables; only 'yes' goes on" {
	command -v script >/dev/null || skip "needs script(1) for a terminal"
	run script -qec "$REVGATE downgrade base" /dev/null <<<"no"
	echo "$output"
	[[ "$output" == *"drops table big: 5000 rows"* ]]
	[[ "$output" == *"Type 'yes' to destroy it"* ]]
	[[ "$output" == *"not confirmed; nothing was changed"* ]]
	[ "$(rows)" = "bbbb0002" ]
	run script -qec "$REVGATE downgrade base" /dev/null <<<"yes"
	echo "$output"
	[ "$(rows)" = "" ]
}

@test "a schema dropped with what is in it: its tables that hold rows are named" {
	sql_rev cccc0003 bbbb0002 "CREATE SCHEMA side; CREATE TABLE side.t (id int);" "DROP SCHEMA side CASCADE;" 20250101_0003
	rg upgrade >/dev/null 2>&1
	psql_ -c "INSERT INTO side.t VALUES (1), (2)"
	run rg downgrade bbbb0002
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"drops table side.t (with schema side): 2 rows (revision cccc0003)"* ]]
}
