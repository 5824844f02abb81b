#!/usr/bin/env bats
# The applier tells the truth after a fault, on a real PostgreSQL 15: a
# statement outside a transaction is recorded as started before it runs,
# so a fault between the statement and its record leaves an unknown
# outcome that resolve settles from the catalog (or refuses to guess);
# resume goes on from there; what an operator says is checked against the
# catalog; verify reports INVALID indexes and a history that was tampered
# with; revgate's own tables stay in one schema whatever a revision did to
# the search_path.

load helpers
load db_helpers

setup() {
	new_db tr
	# a crash must not undo a commit here (the test cluster runs with
	# synchronous_commit off)
	psql_ -c "ALTER DATABASE $DB SET synchronous_commit = on"
	psql_ -c "CREATE TABLE ledger (step text)"
}

teardown() {
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
outcomes() {
	psql_ -c "SELECT coalesce(string_agg(outcome || coalesce('/' || segment, ''), ' ' ORDER BY id), '') FROM revgate_history WHERE revision = '$1'"
}
ledger() { psql_ -c "SELECT coalesce(string_agg(step, ',' ORDER BY step), '') FROM ledger"; }

# The history makes the row that says segment SEG completed wait: the
# statement has run and committed, its record has not.
hold_segment_row() {
	psql_ -c "CREATE FUNCTION hold_row() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.outcome = 'segment' AND NEW.segment = $1 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END \$\$" \
		-c "CREATE TRIGGER hold_row BEFORE INSERT ON revgate_history FOR EACH ROW EXECUTE FUNCTION hold_row()"
}

# kill -9 revgate while it waits to record the segment, then wait until the
# server has ended its sessions.
kill_while_recording() {
	$REVGATE_WRAPPER "$REVGATE" upgrade >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	for _ in $(seq 200); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%INSERT INTO%revgate_history%' AND wait_event = 'PgSleep'")" ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	for _ in $(seq 100); do
		[ -z "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'revgate%'")" ] && break
		sleep 0.1
	done
	psql_ -c "DROP TRIGGER hold_row ON revgate_history"
}

@test "kill -9 after a concurrent build finished but before its record: resolve settles it from the catalog, resume goes on, nothing runs twice" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "INSERT INTO ledger VALUES ('b1');
CREATE INDEX CONCURRENTLY a_id ON a (id);
INSERT INTO ledger VALUES ('b3');" 20250101_0002 "-- transaction: false"
	hold_segment_row 2
	kill_while_recording
	[ "$(outcomes bbbb0002)" = "started/1 segment/1 started/2" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "t" ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bbbb0002' is half-done: its upgrade stopped in segment 2 of 4 (outcome unknown"* ]]
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 1 (line 7, outside a transaction): completed"* ]]
	[[ "$output" == *"segment 2 (line 8, outside a transaction): outcome was unknown; settled from the catalog; the catalog shows: index public.a_id is present and valid -> completed"* ]]
	[[ "$output" == *"segment 3 (line 9, outside a transaction): never started"* ]]
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resumed bbbb0002: it is applied; the database is at bbbb0002"* ]]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(ledger)" = "b1,b3" ]
	run rg upgrade
	[ "$status" -eq 0 ]
	run rg verify
	[ "$status" -eq 0 ]
}

@test "kill -9 after an INSERT outside a transaction ran: the catalog cannot tell, so revgate never runs it again on a guess" {
	mkrev aaaa0001 none "INSERT INTO ledger VALUES ('a1');
INSERT INTO ledger VALUES ('a2');" 20250101_0001 "-- transaction: false"
	rg stamp base >/dev/null 2>&1
	hold_segment_row 1
	kill_while_recording
	[ "$(ledger)" = "a1" ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stopped in segment 1 of 3 (outcome unknown"* ]]
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 1 of revision 'aaaa0001' ("*":7: INSERT INTO ledger VALUES ('a1')) started, and whether it completed is unknown"* ]]
	[ "$(ledger)" = "a1" ]
	# the operator checks, runs the rest by hand and says so
	psql_ -c "INSERT INTO ledger VALUES ('a2')"
	run rg resolve --done aaaa0001
	echo "$output"
	[ "$status" -eq 0 ]
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(ledger)" = "a1,a2" ]
	[ "$(rows)" = "aaaa0001" ]
}

@test "a segment ran but its record waited on a lock of the history table: the message names the holder, resolve then says it ran" {
	printf '[revgate]\nmigrations = migrations\n[database]\nown_lock_timeout = 500ms\n' >revgate.ini
	mkrev aaaa0001 none "CREATE TABLE s1 AS SELECT g FROM generate_series(1, 3) g, pg_sleep(1) s;
CREATE TABLE s2 (id int);" 20250101_0001 "-- transaction: false"
	rg stamp base >/dev/null 2>&1
	$REVGATE_WRAPPER "$REVGATE" upgrade >out 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE TABLE s1%' AND state = 'active'")" ] && break
		sleep 0.05
	done
	psql_ -c "BEGIN; LOCK TABLE revgate_history IN SHARE MODE; SELECT pg_sleep(5); COMMIT" >/dev/null 2>&1 3>&- &
	holder=$!
	rc=0
	wait "$pid" || rc=$?
	cat out
	[ "$rc" -eq 3 ]
	grep -q "segment 1 of 3 of revision 'aaaa0001' ran, but the history table \"public\".\"revgate_history\" could not record it: waited longer than own_lock_timeout (500 ms) for a lock on \"public\".\"revgate_history\", held by pid [0-9]* ('psql', user postgres, ShareLock" out
	wait "$holder" || true
	[ -n "$(psql_ -c "SELECT to_regclass('s1')")" ]
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 1 (line 7, outside a transaction): outcome was unknown; settled from the catalog; the catalog shows: table s1 exists -> completed"* ]]
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT count(*) FROM s1")" -eq 3 ]
}

@test "a failed unique concurrent build: --done and --rolled-back are checked against the catalog, resume drops the INVALID index and builds again" {
	mkrev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a VALUES (1), (1);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS a_id ON a (id);" 20250101_0002 "-- transaction: false"
	run rg upgrade
	[ "$status" -eq 3 ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "f" ]
	run rg resolve --done bbbb0002
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the catalog contradicts '--done bbbb0002': segment 1 ("*":7) has not taken effect: index public.a_id is INVALID (its build did not finish)"* ]]
	run rg resolve --rolled-back bbbb0002
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"left index public.a_id INVALID: drop it first with 'DROP INDEX CONCURRENTLY public.a_id;'"* ]]
	# resume drops what the failed build left and builds again: the same
	# duplicates fail it the same way
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"dropped the INVALID index public.a_id its interrupted build left"* ]]
	[[ "$output" == *"SQLSTATE 23505"* ]]
	psql_ -c "DELETE FROM a WHERE ctid <> (SELECT min(ctid) FROM a)"
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "t" ]
	run rg verify
	[ "$status" -eq 0 ]
}

@test "verify reports an INVALID index an applied revision created" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY a_id ON a (id);" 20250101_0002
	run rg upgrade
	[ "$status" -eq 0 ]
	run rg verify
	[ "$status" -eq 0 ]
	# what a build that failed after being recorded as done leaves
	psql_ -c "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'a_id'::regclass"
	run rg verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_bbbb0002_rev.sql:6:1: error[applied-index-invalid]: index public.a_id, created by applied revision 'bbbb0002', is INVALID"* ]]
	[[ "$output" == *"REINDEX INDEX CONCURRENTLY public.a_id;"* ]]
}

@test "a revision that moves the database's search_path does not move revgate's tables" {
	mkrev aaaa0001 none "CREATE SCHEMA app;
CREATE TABLE app.t (id int);
DO \$\$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app', current_database()); END \$\$;" 20250101_0001
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SHOW search_path")" = "app" ]
	mkrev bbbb0002 aaaa0001 "CREATE TABLE t2 (id int);" 20250101_0002
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"Running upgrade  -> aaaa0001"* ]]
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM public.revgate_version")" = "bbbb0002" ]
	[ -z "$(psql_ -c "SELECT to_regclass('app.revgate_version')")" ]
	# the revision's own statements still follow the database's search_path
	[ -n "$(psql_ -c "SELECT to_regclass('app.t2')")" ]
	run rg current
	[ "$status" -eq 0 ]
	[[ "$output" == *bbbb0002* ]]
}

@test "revgate's tables in two schemas: refused, naming both" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	run rg upgrade
	[ "$status" -eq 0 ]
	psql_ -c "CREATE SCHEMA app" -c "CREATE TABLE app.revgate_version (version_num varchar(32))"
	for cmd in current upgrade verify; do
		run rg $cmd
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"revgate's tables exist in 2 schemas: app.revgate_version and public.revgate_history and public.revgate_version; say which"* ]]
	done
	run rg current --version-table public.revgate_version
	[ "$status" -eq 0 ]
	[[ "$output" == *aaaa0001* ]]
}

@test "a revision's SET SESSION AUTHORIZATION, RESET ALL and read-only default do not reach revgate or the next revision" {
	psql_ -c "CREATE ROLE low_$BATS_TEST_NUMBER NOLOGIN" -c "GRANT ALL ON SCHEMA public TO low_$BATS_TEST_NUMBER"
	printf '[revgate]\nmigrations = migrations\n[database]\nlock_timeout = 300ms\n' >revgate.ini
	mkrev aaaa0001 none "CREATE TABLE a (id int);
SET SESSION AUTHORIZATION low_$BATS_TEST_NUMBER;
CREATE TABLE by_low (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "SET default_transaction_read_only = on;" 20250101_0002 "-- transaction: false"
	mkrev cccc0003 bbbb0002 "CREATE TABLE c (id int);
RESET ALL;
ALTER TABLE busy ADD COLUMN c int;" 20250101_0003
	psql_ -c "CREATE TABLE busy (id int)"
	psql_ -c "BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE; SELECT pg_sleep(8); COMMIT" >/dev/null 2>&1 3>&- &
	holder=$!
	sleep 0.3
	start=$(date +%s%N)
	run rg upgrade --no-lint
	elapsed=$((($(date +%s%N) - start) / 1000000))
	echo "$output"
	kill "$holder" 2>/dev/null || true
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE busy%' AND pid <> pg_backend_pid()" >/dev/null
	# after RESET ALL the revision's lock_timeout still held
	[ "$status" -eq 3 ]
	[[ "$output" == *"_cccc0003_rev.sql:8:1: error: canceling statement due to lock timeout (SQLSTATE 55P03)"* ]]
	[ "$elapsed" -lt 5000 ]
	# bbbb0002 ran after the read-only default and low_$BATS_TEST_NUMBER; revgate wrote as
	# the role that connected
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT tableowner FROM pg_tables WHERE tablename = 'by_low'")" = "low_$BATS_TEST_NUMBER" ]
	[ "$(psql_ -c "SELECT string_agg(DISTINCT db_user, ',') FROM revgate_history")" = "postgres" ]
	sed -i 's/^ALTER TABLE busy.*/SELECT 1;/' migrations/*cccc0003*
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT tableowner FROM pg_tables WHERE tablename = 'c'")" = "postgres" ]
}

@test "a revision outside a transaction that switches user: revgate's own rows between its segments are still written as the role that connected" {
	psql_ -c "CREATE ROLE low_$BATS_TEST_NUMBER NOLOGIN" -c "GRANT ALL ON SCHEMA public TO low_$BATS_TEST_NUMBER"
	mkrev aaaa0001 none "SET SESSION AUTHORIZATION low_$BATS_TEST_NUMBER;
CREATE TABLE by_low (id int);
SET default_transaction_read_only = on;
SELECT 1;" 20250101_0001 "-- transaction: false"
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT tableowner FROM pg_tables WHERE tablename = 'by_low'")" = "low_$BATS_TEST_NUMBER" ]
	[ "$(psql_ -c "SELECT string_agg(DISTINCT db_user, ',') FROM revgate_history")" = "postgres" ]
	[ "$(outcomes aaaa0001)" = "started/1 segment/1 started/2 segment/2 started/3 segment/3 started/4 segment/4 applied" ]
}

@test "a revision that drops the history table: nothing starts a new history silently, verify says it is gone" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "DROP TABLE revgate_history;
CREATE TABLE b (id int);" 20250101_0002 "-- transaction: false"
	run rg upgrade aaaa0001
	[ "$status" -eq 0 ]
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"segment 1 of 3 of revision 'bbbb0002' ran, but the history table"* ]]
	for cmd in resolve upgrade; do
		run rg $cmd --no-lint
		[ "$cmd" = resolve ] && run rg resolve
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"the history table \"public\".\"revgate_history\" is gone, though revgate kept one for the version table \"public\".\"revgate_version\""* ]]
	done
	[ -z "$(psql_ -c "SELECT to_regclass('revgate_history')")" ]
	[ -z "$(psql_ -c "SELECT to_regclass('b')")" ]
	run rg verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[history-table-missing]"* ]]
	# a new history, from the heads the version table holds
	run rg stamp aaaa0001
	[ "$status" -eq 0 ]
	run rg verify
	[ "$status" -eq 0 ]
}

@test "a disabled history trigger, deleted rows and rows without a file: verify reports each and exits 1" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" 20250101_0002
	run rg upgrade
	[ "$status" -eq 0 ]
	psql_ -c "ALTER TABLE revgate_history DISABLE TRIGGER revgate_history_append_only" \
		-c "DELETE FROM revgate_history WHERE revision = 'aaaa0001'" \
		-c "INSERT INTO revgate_history (revision, direction, outcome, checksum, tool_version) VALUES ('zzzz9999', 'upgrade', 'applied', 'x', 'test')"
	sed -i 's/CREATE TABLE a (id int)/CREATE TABLE a (id bigint)/' migrations/*aaaa0001*
	run rg verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[history-trigger-disabled]: the trigger that keeps the history table \"public\".\"revgate_history\" append-only is disabled"* ]]
	[[ "$output" == *"_aaaa0001_rev.sql: error[applied-without-history]: the version table \"public\".\"revgate_version\" has revision 'aaaa0001' applied, and no row of the history table"* ]]
	[[ "$output" == *"error[history-without-file]: the history table \"public\".\"revgate_history\" records revision 'zzzz9999' as applied"* ]]
	run rg upgrade
	[ "$status" -eq 1 ]
}

@test "revgate's own read waits at most own_lock_timeout on a locked version table, and names the holder" {
	printf '[revgate]\nmigrations = migrations\n[database]\nown_lock_timeout = 300ms\n' >revgate.ini
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	psql_ -c "BEGIN; LOCK TABLE revgate_version IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(10); COMMIT" >/dev/null 2>&1 3>&- &
	holder=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_locks WHERE relation = to_regclass('revgate_version') AND mode = 'AccessExclusiveLock' AND granted")" ] && break
		sleep 0.05
	done
	run rg current
	echo "$output"
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$holder" || true
	[ "$status" -eq 3 ]
	[[ "$output" == *"waited longer than own_lock_timeout (300 ms) for a lock on \"public\".\"revgate_version\", held by pid "*"('psql', user postgres, AccessExclusiveLock, "* ]]
}
