#!/usr/bin/env bats
# Batched backfills on a real PostgreSQL 15 ('-- revgate: batch size=N
# by=COLUMN'): key-ordered batches each committed with a history row, a
# run killed with SIGKILL mid-way resumed with every row changed exactly
# once, and lint that knows the marker.

load helpers
load db_helpers

setup() {
	new_db bf
	sql_rev aaaa0001 none "CREATE TABLE acct (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0, note text);
INSERT INTO acct (id) SELECT generate_series(1, 200000);" "DROP TABLE acct;" 20250101_0001
	rg upgrade >/dev/null 2>&1
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

@test "batch: key-ordered batches, each committed and recorded; every row once" {
	sql_rev bbbb0002 aaaa0001 "ALTER TABLE acct ADD COLUMN done boolean;
-- revgate: batch size=30000 by=id
UPDATE acct SET n = n + 1, done = true;" "ALTER TABLE acct DROP COLUMN done;" 20250101_0002
	run rg upgrade --events events.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"segment 2 of 3: batch 1: 30000 rows"*"rows/s, 15% of the keys, about "*" s left"* ]]
	[ "$(psql_ -c "SELECT count(*), min(n), max(n) FROM acct WHERE done")" = "200000|1|1" ]
	# one history row per batch, each with its last key and its rows
	[ "$(psql_ -c "SELECT string_agg(batch_key || ':' || batch_rows, ' ' ORDER BY id) FROM revgate_history WHERE batch_key IS NOT NULL")" = \
		"30000:30000 60000:30000 90000:30000 120000:30000 150000:30000 180000:30000 200000:20000" ]
	[ "$(grep -c '"event":"batch_done"' events.jsonl)" -eq 7 ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "bbbb0002" ]
}

@test "batch: SIGKILL mid-way, then resolve --resume continues after the last committed batch; every row once" {
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=2000 by=id sleep=10ms
UPDATE acct SET n = n + 1 WHERE note IS NULL;" "SELECT 1;" 20250101_0002
	# revgate itself, not a shell around it, receives the SIGKILL
	$REVGATE_WRAPPER "$REVGATE" upgrade >run.out 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE batch_key IS NOT NULL")" -ge 5 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	cat run.out
	done_rows=$(psql_ -c "SELECT count(*) FROM acct WHERE n = 1")
	last=$(psql_ -c "SELECT batch_key FROM revgate_history WHERE batch_key IS NOT NULL ORDER BY id DESC LIMIT 1")
	echo "killed after $done_rows rows, last key $last"
	# what committed is exactly what the history records: no part of a batch
	[ "$done_rows" -gt 0 ] && [ "$done_rows" -lt 200000 ]
	[ "$(psql_ -c "SELECT count(*) FROM acct WHERE n = 1 AND id > $last")" -eq 0 ]
	[ "$(psql_ -c "SELECT count(*) FROM acct WHERE n = 0 AND id <= $last")" -eq 0 ]
	# the revision is half-done: the deploy gate and the next upgrade say so
	run rg current --check-pending
	[ "$status" -eq 1 ]
	run rg resolve
	echo "$output"
	[[ "$output" == *"batched backfill"* ]]
	run rg resolve --resume
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(resumed)"* ]]
	[ "$(psql_ -c "SELECT count(*), min(n), max(n) FROM acct")" = "200000|1|1" ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "bbbb0002" ]
	# the batches before and after the kill cover the keys once
	[ "$(psql_ -c "SELECT sum(batch_rows) FROM revgate_history WHERE batch_key IS NOT NULL")" -eq 200000 ]
	run rg current --check-pending
	[ "$status" -eq 0 ]
}

@test "batch: lint knows the marker; a whole-table UPDATE without it suggests it" {
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=5000 by=id
UPDATE acct SET n = 1;
UPDATE acct SET n = 2;
-- revgate: batch size=5000 by=id
DELETE FROM acct;" "SELECT 1;" 20250101_0002
	run rg lint
	echo "$output"
	[[ "$output" == *":8:8: info[update-without-where]"* ]]
	[[ "$output" == *"'-- revgate: batch size=10000 by=id'"* ]]
	[[ "$output" != *":7:8: info[update-without-where]"* ]]
	[[ "$output" != *"delete-without-where"* ]]
}

@test "batch: a malformed marker or a statement that cannot be batched is refused, naming the line; nothing runs" {
	for case in "size=0 by=id|size '0' is not a whole number" \
		"size=10 by=a.b|by 'a.b' is not a plain column name" \
		"size=10|by= is missing" \
		"by=id|size= is missing" \
		"size=10 by=id pause=1s|unknown key 'pause'" \
		"size=10 by=id sleep=soon|sleep 'soon' is not a duration"; do
		marker=${case%%|*} want=${case#*|}
		rm -f migrations/*bbbb0002*
		sql_rev bbbb0002 aaaa0001 "-- revgate: batch $marker
UPDATE acct SET n = 7;" "SELECT 1;" 20250101_0002
		run rg upgrade
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"_bbbb0002_rev.sql:6:1: malformed batch marker: $want"* ]]
	done
	rm -f migrations/*bbbb0002*
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=10 by=id
UPDATE acct SET n = 7 RETURNING id;" "SELECT 1;" 20250101_0002
	run rg upgrade
	[ "$status" -eq 1 ]
	[[ "$output" == *":7:1: a batched statement cannot have RETURNING"* ]]
	rm -f migrations/*bbbb0002*
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=10 by=id
ALTER TABLE acct ADD COLUMN x int;" "SELECT 1;" 20250101_0002
	run rg upgrade
	[ "$status" -eq 1 ]
	[[ "$output" == *":7:1: a batch marker stands before an UPDATE or a DELETE"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM acct WHERE n <> 0")" -eq 0 ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "aaaa0001" ]
}

@test "batch: a DELETE with its own WHERE, under an alias, and a failing batch that names its SQLSTATE" {
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=50000 by=id
DELETE FROM acct a WHERE a.id % 2 = 0 OR a.id > 199990;" "SELECT 1;" 20250101_0002
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT count(*), max(id) FROM acct")" = "99995|199989" ]
	sql_rev cccc0003 bbbb0002 "-- revgate: batch size=50000 by=id
UPDATE acct SET n = 1 + 0 * (1 / (id - 150001));" "SELECT 1;" 20250101_0003
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"division by zero (SQLSTATE 22012)"* ]]
	[[ "$output" == *"stopped part-way"*"run 'revgate resolve'"* ]]
	# the batches before the failing one committed; the failing one did not
	[ "$(psql_ -c "SELECT count(*) FROM acct WHERE n <> 0")" -eq 50000 ]
}

@test "batch: after SIGKILL the next upgrade continues the backfill by itself, then runs the rest" {
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=5000 by=id sleep=30ms
UPDATE acct SET n = n + 1;" "SELECT 1;" 20250101_0002
	sql_rev cccc0003 bbbb0002 "CREATE TABLE after_it (id int);" "DROP TABLE after_it;" 20250101_0003
	$REVGATE_WRAPPER "$REVGATE" upgrade >run.out 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE batch_key IS NOT NULL")" -ge 3 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(psql_ -c "SELECT count(*) FROM acct WHERE n = 1")" -lt 200000 ]
	run rg upgrade --events events.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"revision 'bbbb0002' stopped in a batched backfill; continuing after its last committed batch"* ]]
	[ "$(psql_ -c "SELECT count(*), min(n), max(n) FROM acct")" = "200000|1|1" ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "cccc0003" ]
	grep -q '"event":"batch_done"' events.jsonl
}

@test "batch: --plan and --sql show the batched statement for what it is" {
	sql_rev bbbb0002 aaaa0001 "-- revgate: batch size=500 by=ID sleep=20ms
UPDATE acct SET n = 3;" "SELECT 1;" 20250101_0002
	run rg upgrade --plan --format json aaaa0001:head
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["segments"][0]["batch"])' <<<"$output")" = \
		"{'size': 500, 'by': 'id', 'sleep_ms': 20}" ]
	run rg upgrade --sql aaaa0001:head
	[ "$status" -eq 0 ]
	[[ "$output" == *"-- outside a transaction; revgate runs it in batches of 500 by id, each committed (here: at once):"* ]]
}
