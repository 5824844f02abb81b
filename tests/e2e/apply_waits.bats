#!/usr/bin/env bats
# What a statement waits for, on a real PostgreSQL 15: a concurrent index
# build waits for every older transaction on the database, under a wait
# policy of its own (default: wait), showing its progress and the sessions
# it waits for; a statement_timeout that fires during a lock wait names
# the lock and its holder.

load helpers
load db_helpers

setup() {
	new_db w
}

teardown() {
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_tx' AND pid <> pg_backend_pid()" >/dev/null 2>&1 || true
	cd /
	rm -rf "$PROJ"
}

# A transaction that holds a snapshot for SECONDS, named 'long_tx'.
long_transaction() {
	PGAPPNAME=long_tx "$PG_BIN/psql" -X -q -d "$DB" -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pg_class; SELECT pg_sleep($1); COMMIT" >/dev/null 2>&1 3>&- &
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'long_tx' AND query LIKE '%pg_sleep%'")" ] && break
		sleep 0.05
	done
}

@test "a concurrent build waits out an old transaction instead of failing after lock_timeout, and says whom it waits for" {
	printf '[revgate]\nmigrations = migrations\n[database]\nlock_timeout = 300ms\n' >revgate.ini
	sql_rev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a SELECT generate_series(1, 1000);" "DROP TABLE a;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	sql_rev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY a_id ON a (id);" "DROP INDEX CONCURRENTLY a_id;" 20250101_0002
	long_transaction 5
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "t" ]
	[[ "$output" == *"segment 1 of 2, "*" s: "*"waiting for older transactions to end, held by pid "*"('long_tx', user postgres, in its transaction for 00:00:0"* ]]
}

@test "the concurrent builds' progress as JSON lines with --format json" {
	sql_rev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a SELECT generate_series(1, 1000);" "DROP TABLE a;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	sql_rev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY a_id ON a (id);" "DROP INDEX CONCURRENTLY a_id;" 20250101_0002
	long_transaction 4
	run rg upgrade --format json
	echo "$output"
	[ "$status" -eq 0 ]
	line=$(grep '"event":"progress"' <<<"$output" | head -1)
	[ -n "$line" ]
	[[ "$line" == *'"revision":"bbbb0002","segment":1,'* ]]
	[[ "$line" == *'"phase":"'* ]]
	[[ "$line" == *'"waiting_for":"older transactions to end","blocked_by":"pid '*"('long_tx'"* ]]
}

@test "concurrent_lock_timeout set: the build gives up after it, and the hint names the key and the session" {
	printf '[revgate]\nmigrations = migrations\n[database]\nconcurrent_lock_timeout = 1s\n' >revgate.ini
	sql_rev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	sql_rev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY a_id ON a (id);" "DROP INDEX CONCURRENTLY a_id;" 20250101_0002
	long_transaction 5
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"SQLSTATE 55P03"* ]]
	[[ "$output" == *"hint: the statement waited longer than lock_timeout (1s, set by 'concurrent_lock_timeout' in [database] of the config) for older transactions to end, held by pid "*"('long_tx'"* ]]
}

@test "a statement_timeout that fires while the statement waits for a lock names the lock and who holds it" {
	printf '[revgate]\nmigrations = migrations\n[database]\nstatement_timeout = 800ms\n' >revgate.ini
	sql_rev aaaa0001 none "CREATE TABLE busy (id int);" "DROP TABLE busy;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	sql_rev bbbb0002 aaaa0001 "ALTER TABLE busy ADD COLUMN c int;" "ALTER TABLE busy DROP COLUMN c;" 20250101_0002
	PGAPPNAME=holder "$PG_BIN/psql" -X -q -d "$DB" -c "BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1 3>&- &
	holder=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_locks WHERE relation = to_regclass('busy') AND granted")" ] && break
		sleep 0.05
	done
	run rg upgrade
	echo "$output"
	kill "$holder" 2>/dev/null || true
	psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"canceling statement due to statement timeout (SQLSTATE 57014)"* ]]
	[[ "$output" == *"hint: the statement waited for a lock on busy (AccessExclusiveLock), held by pid "*"('holder', user postgres, in its transaction for "*") until statement_timeout (800ms, set by 'statement_timeout' in [database] of the config) cancelled it"* ]]
	[[ "$output" != *"make the statement faster"* ]]
}
