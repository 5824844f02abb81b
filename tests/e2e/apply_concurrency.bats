#!/usr/bin/env bats
# Several appliers at once, the lock holder named while waiting, a
# connection killed mid-revision and a server restarted mid-run, on a real
# PostgreSQL 15 (one throwaway cluster for this file).

load helpers
load db_helpers

setup() {
	new_db c
}

teardown() {
	rm -rf "$PROJ"
}

# mkrev ID DOWN UPGRADE_SQL STAMP [HEADER...]: downgrade "SELECT 1;"
mkrev() {
	local id=$1 down=$2 up=$3 stamp=$4
	shift 4
	sql_rev "$id" "$down" "$up" "SELECT 1;" "$stamp" "$@"
}

# A history with a concurrent index build in the middle.
history_with_cic() {
	mkrev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a SELECT generate_series(1, 20000);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int); SELECT pg_sleep(0.2);" 20250101_0002
	mkrev cccc0003 bbbb0002 "CREATE INDEX CONCURRENTLY a_id ON a (id);" 20250101_0003 "-- transaction: false"
	mkrev dddd0004 cccc0003 "CREATE TABLE d (id int); SELECT pg_sleep(0.2);" 20250101_0004
	mkrev eeee0005 dddd0004 "CREATE TABLE e (id int);" 20250101_0005
}

# run_many N: N appliers at once; prints each exit status.
run_many() {
	local n=$1 i
	local -a pids
	for ((i = 0; i < n; i++)); do
		rg upgrade --lock-wait 120s >"out.$i" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		wait "${pids[$i]}"
		echo "exit $?"
	done
}

check_once() {
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM revgate_version")" = "eeee0005" ]
	[ -z "$(psql_ -c "SELECT revision FROM revgate_history WHERE outcome = 'applied' GROUP BY revision HAVING count(*) <> 1")" ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE outcome = 'applied'")" -eq 5 ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "t" ]
}

@test "two appliers at once: each revision applied exactly once" {
	history_with_cic
	run run_many 2
	echo "$output"
	[ "$(grep -c '^exit 0$' <<<"$output")" -eq 2 ]
	check_once
}

@test "twenty appliers at once: each revision applied once, no deadlock with CREATE INDEX CONCURRENTLY" {
	history_with_cic
	run timeout 120 bash -c "$(declare -f rg run_many); REVGATE=$REVGATE REVGATE_WRAPPER='$REVGATE_WRAPPER' run_many 20"
	echo "$output"
	[ "$(grep -c '^exit 0$' <<<"$output")" -eq 20 ]
	check_once
	# the others waited, naming who held the lock
	grep -l "waiting for the migration lock" out.* >/dev/null
}

@test "a run that cannot get the lock names the holder and gives up after --lock-wait" {
	mkrev aaaa0001 none "SELECT 1;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	# a run that holds the lock for a few seconds
	mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(4);" 20250101_0002
	rg upgrade >holder.out 2>&1 &
	holder=$!
	for _ in $(seq 50); do
		psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate upgrade bbbb0002'" | grep -q 1 && break
		sleep 0.1
	done
	run rg upgrade --lock-wait 500ms
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"waiting for the migration lock"*"held by pid "*"'revgate upgrade (lock)'"* ]]
	[[ "$output" == *"gave up after"*"--lock-wait"* ]]
	wait "$holder"
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "bbbb0002" ]
}

@test "the connection killed mid-revision: nothing half applied, the next run continues" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE k (id int);
SELECT pg_sleep(30);" 20250101_0002
	rg upgrade >run.out 2>&1 &
	pid=$!
	killed=
	for _ in $(seq 100); do
		killed=$(psql_ -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'revgate upgrade bbbb0002' AND query LIKE '%pg_sleep%'")
		[ -n "$killed" ] && break
		sleep 0.1
	done
	[ "$killed" = "t" ]
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 3 ]
	cat run.out
	grep -q "connection" run.out
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM revgate_version")" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT to_regclass('k') IS NULL")" = "t" ]
	[ "$(psql_ -c "SELECT outcome FROM revgate_history WHERE revision = 'bbbb0002'")" = "failed" ]
	sed -i 's/pg_sleep(30)/pg_sleep(0)/' migrations/*bbbb0002*
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM revgate_version")" = "bbbb0002" ]
}

@test "the server restarted mid-run: the next run sees a consistent state and continues" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	_pg_pick_owner
	PG_TEST_DIR="$BATS_FILE_TMPDIR/pg" PG_TEST_DATA="$BATS_FILE_TMPDIR/pg/data"
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	mkrev bbbb0002 aaaa0001 "CREATE TABLE r (id int);
SELECT pg_sleep(2);" 20250101_0002
	mkrev cccc0003 bbbb0002 "CREATE TABLE s (id int);" 20250101_0003
	rg upgrade >run.out 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate upgrade bbbb0002'" | grep -q 1 && break
		sleep 0.1
	done
	pg_restart
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 3 ]
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM revgate_version")" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT to_regclass('r') IS NULL")" = "t" ]
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT string_agg(version_num, ',') FROM revgate_version")" = "cccc0003" ]
}

@test "lock_timeout from the config: a revision blocked by a busy table fails fast and leaves nothing" {
	printf '[revgate]\nmigrations = migrations\n[database]\nlock_timeout = 300ms\n' >revgate.ini
	mkrev aaaa0001 none "CREATE TABLE a (id int);" 20250101_0001
	rg upgrade >/dev/null 2>&1
	mkrev bbbb0002 aaaa0001 "ALTER TABLE a ADD b int; -- revgate: ignore adding-field-with-default" 20250101_0002
	psql_ -c "BEGIN; LOCK TABLE a IN ACCESS SHARE MODE; SELECT pg_sleep(5); COMMIT" &
	holder=$!
	sleep 0.5
	start=$(date +%s%N)
	run rg upgrade
	elapsed=$((($(date +%s%N) - start) / 1000000))
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"SQLSTATE 55P03"* ]]
	[ "$elapsed" -lt 3000 ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "aaaa0001" ]
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}

@test "the lock follows the table, not how its name is spelled" {
	mkrev aaaa0001 none "SELECT pg_sleep(2);" 20250101_0001
	rg upgrade --version-table public.revgate_version >out.0 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")" ] && break
		sleep 0.05
	done
	run rg upgrade --lock-wait 0
	wait "$pid"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"another run holds the migration lock"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE outcome = 'applied'")" -eq 1 ]
}
