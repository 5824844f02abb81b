#!/usr/bin/env bats
# Faults during a run on a real PostgreSQL 15 (one throwaway cluster for
# this file): the server crashing or shutting down mid-revision, a full
# disk under revgate's own tables, statement_timeout, signals during the
# commands that read, stamp or resolve, and the server ending the session
# of one that writes. Each must end with one clear message and an exit
# code from DESIGN.md, nothing half applied, the version and history
# tables consistent, and a next run that goes on.

load helpers
load db_helpers

setup() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	new_db f
	# the test cluster runs with synchronous_commit off, which a crash
	# (pg_ctl -m immediate) may undo: here a commit must survive one
	psql_ -c "ALTER DATABASE $DB SET synchronous_commit = on"
}

teardown() {
	# a test that stopped the server brings it back for the next one
	if [ -n "${PG_TEST_DATA:-}" ] && [ ! -f "$PG_TEST_DATA/postmaster.pid" ]; then
		pg_server_start || true
	fi
	drop_small_tablespace
	cd /
	rm -rf "$PROJ"
}

# mkrev ID DOWN UPGRADE_SQL STAMP [HEADER...]: downgrade "SELECT 1;"
mkrev() {
	local id=$1 down=$2 up=$3 stamp=$4
	shift 4
	sql_rev "$id" "$down" "$up" "SELECT 1;" "$stamp" "$@"
}

rows() { psql_ -c "SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '') FROM revgate_version"; }

# outcomes REV: the history rows of REV, oldest first, "outcome[/segment]"
outcomes() {
	psql_ -c "SELECT coalesce(string_agg(outcome || coalesce('/' || segment, ''), ' ' ORDER BY id), '') FROM revgate_history WHERE revision = '$1'"
}

# wait_for_query TEXT: until a backend other than ours runs a query with TEXT
wait_for_query() {
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%$1%' AND pid <> pg_backend_pid()")" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- the server goes away ----

# crash_mid_run MODE: an upgrade whose second revision sleeps; the server
# stops (pg_ctl -m MODE) while it runs and stays down until the run ended.
# The server ends the lock connection an instant after the work one: the
# failure row it then tries to write may or may not make it, and both are
# consistent states.
crash_mid_run() {
	rg upgrade >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$! rc=0
	wait_for_query 'pg_sleep(30)'
	pg_server_stop "$1"
	local t0=$SECONDS
	wait "$pid" || rc=$?
	echo "$rc" >"$BATS_TEST_TMPDIR/rc"
	cat "$BATS_TEST_TMPDIR/out"
	# it gave up at once instead of waiting for the server
	[ $((SECONDS - t0)) -le 5 ]
	pg_server_start
}

@test "the server crashes mid-revision: connection lost, rolled back by the server, the next run applies it once" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE k (id int);
SELECT pg_sleep(30);" 20250101_0002
	crash_mid_run immediate
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 3 ]
	out=$(cat "$BATS_TEST_TMPDIR/out")
	[[ "$out" == *"lost the connection"* ]]
	[[ "$out" == *"revision 'bbbb0002'"*"rolled back"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('k')")" ]
	[[ "$(outcomes bbbb0002)" =~ ^(failed)?$ ]]
	sed -i 's/pg_sleep(30)/pg_sleep(0)/' migrations/*bbbb0002*
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[[ "$(outcomes bbbb0002)" =~ ^(failed\ )?applied$ ]]
}

@test "the server shuts down (fast) mid-revision: the same, and the message names the shutdown" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE k (id int);
SELECT pg_sleep(30);" 20250101_0002
	mkrev cccc0003 bbbb0002 "CREATE TABLE c (id int);" 20250101_0003
	crash_mid_run fast
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 3 ]
	out=$(cat "$BATS_TEST_TMPDIR/out")
	[[ "$out" == *"lost the connection"*"terminating connection due to administrator command"*"rolled back the revision's transaction"* ]]
	[[ "$out" == *"revgate upgrade: revision 'bbbb0002' failed and was rolled back"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('k')")" ]
	[ -z "$(psql_ -c "SELECT to_regclass('c')")" ]
	sed -i 's/pg_sleep(30)/pg_sleep(0)/' migrations/*bbbb0002*
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "cccc0003" ]
	[[ "$(outcomes bbbb0002)" =~ ^(failed\ )?applied$ ]]
	[ "$(outcomes cccc0003)" = "applied" ]
}

@test "the server crashes in a revision outside a transaction: half-done, the next run refuses until resolved" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE s1 (id int);
SELECT pg_sleep(30);
CREATE TABLE s2 (id int);" 20250101_0002 "-- transaction: false"
	crash_mid_run immediate
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 3 ]
	out=$(cat "$BATS_TEST_TMPDIR/out")
	[[ "$out" == *"lost the connection"*"outside a transaction, so it may have done part or all of its work ('revgate resolve' asks the catalog what it did)"* ]]
	[[ "$out" == *"revision 'bbbb0002' stopped part-way"*"run 'revgate resolve'"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -n "$(psql_ -c "SELECT to_regclass('s1')")" ]
	[ -z "$(psql_ -c "SELECT to_regclass('s2')")" ]
	# segment 2 started and its end was never recorded: its outcome is unknown
	[ "$(outcomes bbbb0002)" = "started/1 segment/1 started/2" ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"revision 'bbbb0002' is half-done: its upgrade stopped in segment 2 of 4 (outcome unknown: its end was never recorded)"* ]]
	[[ "$output" == *"run 'revgate resolve'"* ]]
	[ "$(rows)" = "aaaa0001" ]
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 1 (line 7, outside a transaction): completed"* ]]
	[[ "$output" == *"segment 2 (line 8, outside a transaction): started, outcome unknown"* ]]
	[[ "$output" == *"segment 3 (line 9, outside a transaction): never started"* ]]
	# the catalog cannot tell what a SELECT did: resume refuses to guess
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 2 of revision 'bbbb0002' ("*":8: SELECT pg_sleep(30)) started, and whether it completed is unknown"* ]]
	# the operator finishes it by hand and says so
	sed -i 's/pg_sleep(30)/pg_sleep(0)/' migrations/*bbbb0002*
	psql_ -c "CREATE TABLE s2 (id int)"
	run rg resolve --done bbbb0002
	echo "$output"
	[ "$status" -eq 0 ]
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE revision = 'bbbb0002' AND outcome = 'applied'")" -eq 1 ]
}

@test "the server shuts down during CREATE INDEX CONCURRENTLY: resolve names the INVALID index it left" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);
INSERT INTO a SELECT generate_series(1, 200);
CREATE FUNCTION slow_key(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(0.05); RETURN \$1; END \$\$;" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY a_slow ON a (slow_key(id));" 20250101_0002 "-- transaction: false"
	rg upgrade aaaa0001 >/dev/null 2>&1
	rg upgrade >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	wait_for_query 'CREATE INDEX CONCURRENTLY'
	sleep 0.3
	pg_server_stop fast
	rc=0
	wait "$pid" || rc=$?
	pg_server_start
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 3 ]
	grep -q "stopped part-way" "$BATS_TEST_TMPDIR/out"
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_slow'::regclass")" = "f" ]
	run rg upgrade
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bbbb0002' is half-done"* ]]
	run rg resolve
	echo "$output"
	[[ "$output" == *"a_slow"*"INVALID"* ]]
	psql_ -c "DROP INDEX a_slow"
	run rg resolve --rolled-back bbbb0002
	[ "$status" -eq 0 ]
	sed -i 's/slow_key(id)/id/' migrations/*bbbb0002*
	run rg upgrade --force
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_slow'::regclass")" = "t" ]
}

@test "the server crashes while a revision commits: the message says the version table tells, the next run goes on" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	# a deferred trigger makes the COMMIT itself slow
	mkrev bbbb0002 aaaa0001 "CREATE TABLE d (id int);
CREATE FUNCTION slow_check() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END \$\$;
CREATE CONSTRAINT TRIGGER d_slow AFTER INSERT ON d DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_check();
INSERT INTO d VALUES (1);" 20250101_0002
	rg upgrade >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate upgrade bbbb0002' AND query = 'COMMIT'")" ] && break
		sleep 0.05
	done
	pg_server_stop immediate
	rc=0
	wait "$pid" || rc=$?
	pg_server_start
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 3 ]
	grep -q "lost the connection to .*; it ended while the revision was committing: whether the server kept it shows in the version table once the server is back" "$BATS_TEST_TMPDIR/out"
	# the closing line does not claim a rollback nobody saw
	grep -q "revision 'bbbb0002': the connection ended during COMMIT; run 'revgate current'" "$BATS_TEST_TMPDIR/out"
	! grep -q "was rolled back" "$BATS_TEST_TMPDIR/out"
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('d')")" ]
	sed -i 's/pg_sleep(30)/pg_sleep(0)/' migrations/*bbbb0002*
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "the server is down before the run: cannot reach it, exit 3, no password shown, nothing else tried" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	pg_server_stop fast
	run rg upgrade --url "postgresql://postgres:sekret-pw-4242@/$DB?host=$PGHOST&port=$PGPORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot reach the PostgreSQL server at"*"is the server running"* ]]
	[[ "$output" != *"sekret-pw-4242"* ]]
	[ "$(grep -c . <<<"$output")" -eq 1 ]
	for cmd in current verify "stamp aaaa0001"; do
		# shellcheck disable=SC2086
		run rg $cmd
		echo "$output"
		[ "$status" -eq 3 ]
		[[ "$output" == *"cannot reach the PostgreSQL server"* ]]
	done
	pg_server_start
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "aaaa0001" ]
}

# ---- a full disk under revgate's own tables ----

# small_tablespace: tablespace $TS on a small filesystem of its own at
# $TS_DIR, owned by the server's user. Needs root (mount); skips otherwise.
small_tablespace() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small filesystem for a tablespace"
	[ -n "${PG_TEST_OWNER:-}" ] || skip "the cluster's owner is unknown"
	TS_DIR=$BATS_TEST_TMPDIR/ts
	TS=ts_$BATS_TEST_NUMBER
	mkdir -p "$TS_DIR"
	_pg_make_reachable "$TS_DIR"
	mount -t tmpfs -o "size=1m,uid=$(id -u "$PG_TEST_OWNER"),mode=0700" tmpfs "$TS_DIR" ||
		skip "cannot mount a tmpfs here"
	TS_MOUNTED=1
	psql_ -c "CREATE TABLESPACE $TS LOCATION '$TS_DIR'"
}

# The tablespace goes with the test's database; the filesystem is always
# unmounted, even after a failure.
drop_small_tablespace() {
	[ -n "${TS_MOUNTED:-}" ] || return 0
	rm -f "$TS_DIR/filler"
	"$PG_BIN/psql" -X -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	"$PG_BIN/psql" -X -qAt -d postgres -c "DROP TABLESPACE IF EXISTS $TS" >/dev/null 2>&1 || true
	umount "$TS_DIR" 2>/dev/null || umount -l "$TS_DIR"
	TS_MOUNTED=
}

fill_disk() { dd if=/dev/zero of="$TS_DIR/filler" bs=4k >/dev/null 2>&1 || true; }
free_disk() { rm -f "$TS_DIR/filler"; }

# fill_pages TABLE VALUES: rows into TABLE, one transaction each, until the
# full disk refuses a new page: its pages are then full.
fill_pages() {
	seq 1 1000 | sed "s/.*/INSERT INTO $1 $2;/" |
		"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=0 -d "$DB" >/dev/null 2>&1 || true
}

# The version table on the full disk, its pages full of rows that are
# deleted but still seen by an open snapshot: changing its row needs a new
# page. Every change of a version row writes a new row version.
version_table_on_full_disk() {
	small_tablespace
	psql_ -c "ALTER TABLE revgate_version SET TABLESPACE $TS" \
		-c "ALTER TABLE revgate_version SET (autovacuum_enabled = false)"
	fill_disk
	fill_pages revgate_version "VALUES ('filler&')"
	psql_ -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM revgate_version; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 3>&- &
	wait_for_query 'SELECT pg_sleep(60)'
	psql_ -c "DELETE FROM revgate_version WHERE version_num LIKE 'filler%'"
}

# The history table on the full disk with its pages full.
history_table_on_full_disk() {
	small_tablespace
	psql_ -c "ALTER TABLE revgate_history SET TABLESPACE $TS"
	fill_disk
	fill_pages revgate_history "(revision, direction, outcome, tool_version) VALUES ('filler', 'filler', 'filler', 'filler')"
}

@test "the version table's disk is full: the revision rolls back with its version update, SQLSTATE 53100, the next run goes on" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" 20250101_0002
	version_table_on_full_disk
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"_bbbb0002_rev.sql: error: cannot update the version table \"public\".\"revgate_version\": could not extend file"*"No space left on device (SQLSTATE 53100)"* ]]
	[[ "$output" == *"revision 'bbbb0002' failed and was rolled back"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('b')")" ]
	[ "$(psql_ -c "SELECT outcome || ' ' || sqlstate FROM revgate_history WHERE revision = 'bbbb0002'")" = "failed 53100" ]
	free_disk
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ -n "$(psql_ -c "SELECT to_regclass('b')")" ]
	[ "$(outcomes bbbb0002)" = "failed applied" ]
}

@test "the history table's disk is full: the revision rolls back with its history row, the message says so, the next run goes on" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" 20250101_0002
	history_table_on_full_disk
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"error: cannot record the step in the history table \"public\".\"revgate_history\": could not extend file"*"(SQLSTATE 53100)"* ]]
	[[ "$output" == *"detail: the history table \"public\".\"revgate_history\" has no row for this failure (writing it failed the same way)"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('b')")" ]
	[ "$(outcomes bbbb0002)" = "" ]
	free_disk
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(outcomes bbbb0002)" = "applied" ]
}

@test "a revision fails while the history's disk is full: its own error stays the message, the missing row is said" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);
SELECT 1 / 0;" 20250101_0002
	history_table_on_full_disk
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"_bbbb0002_rev.sql:7:"*": error: division by zero (SQLSTATE 22012)"* ]]
	[[ "$output" == *"detail: the history table \"public\".\"revgate_history\" has no row for this failure: could not extend file"*"No space left on device"* ]]
	[ "$(rows)" = "aaaa0001" ]
	free_disk
	sed -i 's|SELECT 1 / 0;|SELECT 1;|' migrations/*bbbb0002*
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "a revision outside a transaction with the history's disk full: nothing of it runs" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "CREATE TABLE s1 (id int);
CREATE TABLE s2 (id int);" 20250101_0002 "-- transaction: false"
	history_table_on_full_disk
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot record the start of revision 'bbbb0002' in the history table \"public\".\"revgate_history\": could not extend file"*"(SQLSTATE 53100); nothing of it ran"* ]]
	[ -z "$(psql_ -c "SELECT to_regclass('s1')")" ]
	[ "$(rows)" = "aaaa0001" ]
	free_disk
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(outcomes bbbb0002)" = "started/1 segment/1 started/2 segment/2 applied" ]
}

@test "a segment outside a transaction ran but its history row failed: the message says it ran and the revision is half-done" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "CREATE TABLE s1 (id int);
CREATE TABLE s2 (id int);" 20250101_0002 "-- transaction: false"
	# the history refuses segment rows as a full disk would
	psql_ -c "CREATE FUNCTION no_space() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.outcome = 'segment' THEN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END IF; RETURN NEW; END \$\$" \
		-c "CREATE TRIGGER no_space BEFORE INSERT ON revgate_history FOR EACH ROW EXECUTE FUNCTION no_space()"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"segment 1 of 3 of revision 'bbbb0002' ran, but the history table \"public\".\"revgate_history\" could not record it: could not extend file: No space left on device (SQLSTATE 53100); the revision is half-done: run 'revgate resolve'"* ]]
	[ -n "$(psql_ -c "SELECT to_regclass('s1')")" ]
	[ -z "$(psql_ -c "SELECT to_regclass('s2')")" ]
	psql_ -c "DROP TRIGGER no_space ON revgate_history"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bbbb0002' is half-done"* ]]
}

# ---- statement_timeout ----

config_timeout() {
	printf '[revgate]\nmigrations = migrations\n[database]\nstatement_timeout = %s\n' "$1" >revgate.ini
}

@test "statement_timeout from the config: a slow statement fails fast with 57014, the message names the key, nothing kept" {
	config_timeout 300ms
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE slow (id int);
SELECT pg_sleep(5);" 20250101_0002
	start=$(date +%s%N)
	run rg upgrade
	elapsed=$((($(date +%s%N) - start) / 1000000))
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$elapsed" -lt 3000 ]
	[[ "$output" == *"_bbbb0002_rev.sql:7:1: error: canceling statement due to statement timeout (SQLSTATE 57014)"* ]]
	[[ "$output" == *"hint: the statement ran longer than statement_timeout (300ms, set by 'statement_timeout' in [database] of the config)"* ]]
	[[ "$output" == *"revision 'bbbb0002' failed and was rolled back"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('slow')")" ]
	[ "$(psql_ -c "SELECT outcome || ' ' || sqlstate FROM revgate_history WHERE revision = 'bbbb0002'")" = "failed 57014" ]
	# raised, the next run applies it
	config_timeout 10s
	sed -i 's/pg_sleep(5)/pg_sleep(0.5)/' migrations/*bbbb0002*
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(outcomes bbbb0002)" = "failed applied" ]
}

@test "statement_timeout outside a transaction: the segment fails with 57014 and the revision is half-done" {
	config_timeout 300ms
	mkrev aaaa0001 none "CREATE TABLE s1 (id int);
SELECT pg_sleep(5);
CREATE TABLE s2 (id int);" 20250101_0001 "-- transaction: false"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"statement timeout (SQLSTATE 57014)"*"'statement_timeout' in [database]"* ]]
	[[ "$output" == *"stopped part-way"* ]]
	[ "$(outcomes aaaa0001)" = "started/1 segment/1 started/2 interrupted/2" ]
	[ "$(psql_ -c "SELECT sqlstate FROM revgate_history WHERE outcome = 'interrupted'")" = "57014" ]
	run rg upgrade
	[ "$status" -eq 1 ]
	[[ "$output" == *"'aaaa0001' is half-done: its upgrade stopped in segment 2 of 4 (failed)"* ]]
}

@test "statement_timeout counts per statement, and not the lock wait nor revgate's own work" {
	config_timeout 600ms
	mkrev aaaa0001 none "CREATE TABLE a (id int);
SELECT pg_sleep(0.3);
SELECT pg_sleep(0.3);
SELECT pg_sleep(0.3);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(0.3);
SELECT pg_sleep(0.3);
SELECT pg_sleep(0.3);" 20250101_0002 "-- transaction: false"
	rg upgrade >first.out 2>&1 &
	first=$!
	wait_for_query 'pg_sleep(0.3)'
	# the second run waits for the lock longer than statement_timeout
	run rg upgrade --lock-wait 30s
	echo "$output"
	st=0
	wait "$first" || st=$?
	cat first.out
	[ "$st" -eq 0 ]
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to do"* ]] || [[ "$output" == *"database at: bbbb0002"* ]]
	[ "$(rows)" = "bbbb0002" ]
}

@test "idle_session_timeout on the database does not end a run while it lints and plans" {
	psql_ -c "ALTER DATABASE $DB SET idle_session_timeout = '100ms'"
	# a large PL/pgSQL body keeps the lint gate busy for a while after the
	# work connection read the version table
	{
		printf -- '-- revision: aaaa0001\n-- down_revision: none\n-- message: m\n\n-- +upgrade\nDO $$\nBEGIN\n'
		seq 200000 | sed 's/.*/  PERFORM &;/'
		printf 'END\n$$;\n\n-- +downgrade\nSELECT 1;\n'
	} >migrations/20250101_0001_aaaa0001_rev.sql
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "aaaa0001" ]
}

@test "a revision's own SET statement_timeout ends with it; a database default does not cut a revision short" {
	mkrev aaaa0001 none "SET statement_timeout = '100ms';
CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "SET statement_timeout = '100ms';" 20250101_0002 "-- transaction: false"
	mkrev cccc0003 bbbb0002 "SELECT pg_sleep(0.4);" 20250101_0003
	mkrev dddd0004 cccc0003 "SELECT pg_sleep(0.4);" 20250101_0004 "-- transaction: false"
	psql_ -c "ALTER DATABASE $DB SET statement_timeout = '200ms'"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "dddd0004" ]
}

# ---- signals during the commands that read or stamp ----

# interrupt_blocked SIG TABLE CMD...: CMD waits on a lock another session
# holds on TABLE; SIG arrives while it waits. Leaves the output in out,
# the exit status in rc.
interrupt_blocked() {
	local sig=$1 table=$2
	shift 2
	psql_ -c "BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT" >/dev/null 2>&1 3>&- &
	local holder=$! pid rc=0
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_locks WHERE relation = to_regclass('$table') AND mode = 'AccessExclusiveLock' AND granted")" ] && break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" "$@" >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate $1' AND wait_event_type = 'Lock'")" ] && break
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait "$pid" || rc=$?
	echo "$rc" >rc
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$holder" || true
	cat out
}

@test "a signal during 'revgate current' exits 130 like an interrupted upgrade" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	interrupt_blocked TERM revgate_version current
	[ "$(cat rc)" -eq 130 ]
	[ "$(cat out)" = "revgate current: interrupted by SIGTERM" ]
}

@test "a signal during 'revgate verify' exits 130" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	interrupt_blocked INT revgate_history verify
	[ "$(cat rc)" -eq 130 ]
	[ "$(cat out)" = "revgate verify: interrupted by SIGINT" ]
}

@test "a signal during 'revgate stamp' exits 130, changes nothing and releases the lock" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" 20250101_0002
	rg upgrade aaaa0001 >/dev/null 2>&1
	interrupt_blocked TERM revgate_history stamp bbbb0002
	[ "$(cat rc)" -eq 130 ]
	[ "$(cat out)" = "revgate stamp: interrupted by SIGTERM; the version table was not changed" ]
	[ "$(rows)" = "aaaa0001" ]
	[ "$(outcomes bbbb0002)" = "" ]
	run rg stamp bbbb0002 --lock-wait 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "a signal while 'revgate resolve' reads the history exits 130" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	interrupt_blocked INT revgate_history resolve
	[ "$(cat rc)" -eq 130 ]
	[ "$(cat out)" = "revgate resolve: interrupted by SIGINT" ]
}

@test "a signal during 'revgate test' exits 130 without a finding about the revision" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(5);" 20250101_0002
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" test --url "$DATABASE_URL" >out 2>&1 &
	pid=$!
	wait_for_query 'pg_sleep(5)'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat out
	[ "$rc" -eq 130 ]
	grep -q "revgate test: interrupted by SIGTERM" out
	! grep -q "test-upgrade-failed" out
	# the scratch database is gone
	[ -z "$(psql_ -c "SELECT datname FROM pg_database WHERE datname LIKE '%revgate%test%' OR datname LIKE 'revgate%'")" ]
}

# ---- the work connection ends under the commands that write ----

# terminate_blocked CMD...: CMD waits to write the history (another session
# holds it in SHARE mode, which lets reads through); its connection is then
# ended by the server.
terminate_blocked() {
	psql_ -c "BEGIN; LOCK TABLE revgate_history IN SHARE MODE; SELECT pg_sleep(20); COMMIT" >/dev/null 2>&1 3>&- &
	local holder=$! pid rc=0
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_locks WHERE relation = to_regclass('revgate_history') AND mode = 'ShareLock' AND granted")" ] && break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" "$@" >out 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ "$(psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'revgate $1' AND wait_event_type = 'Lock'")" = t ] && break
		sleep 0.05
	done
	wait "$pid" || rc=$?
	echo "$rc" >rc
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$holder" || true
	cat out
}

@test "resolve loses its connection while it writes: exit 3 naming the lost connection, nothing recorded" {
	mkrev aaaa0001 none "CREATE TABLE s1 (id int);
SELECT 1 / 0;" 20250101_0001 "-- transaction: false"
	run rg upgrade
	[ "$status" -eq 3 ]
	psql_ -c "DROP TABLE s1"
	terminate_blocked resolve --rolled-back aaaa0001
	[ "$(cat rc)" -eq 3 ]
	grep -q "^revgate resolve: lost the connection to .*: terminating connection due to administrator command" out
	[ "$(outcomes aaaa0001)" = "started/1 segment/1 started/2 interrupted/2" ]
	run rg resolve --rolled-back aaaa0001
	[ "$status" -eq 0 ]
}

@test "stamp loses its connection while it writes: exit 3 naming the lost connection, nothing changed" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" 20250101_0002
	rg upgrade aaaa0001 >/dev/null 2>&1
	terminate_blocked stamp bbbb0002
	[ "$(cat rc)" -eq 3 ]
	grep -q "^revgate stamp: lost the connection to .*: terminating connection due to administrator command" out
	[ "$(rows)" = "aaaa0001" ]
	run rg stamp bbbb0002 --lock-wait 0
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "a signal while 'revgate test' starts its throwaway cluster: exit 130, no server left behind" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	unset DATABASE_URL
	before=$(find /tmp -maxdepth 1 -name 'revgate-test.*' | sort)
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" test >out 2>&1 &
	pid=$!
	# initdb is at work once its directory appears
	for _ in $(seq 500); do
		[ "$(find /tmp -maxdepth 1 -name 'revgate-test.*' | sort)" != "$before" ] && break
		sleep 0.02
	done
	new=$(comm -13 <(echo "$before") <(find /tmp -maxdepth 1 -name 'revgate-test.*' | sort))
	[ -n "$new" ]
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat out
	[ "$rc" -eq 130 ]
	grep -q "revgate test: interrupted by SIGTERM while the throwaway cluster started; it was stopped and removed" out
	[ ! -e "$new" ]
	! pgrep -f "$new/data" >/dev/null
}
