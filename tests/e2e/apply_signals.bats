#!/usr/bin/env bats
# Signals during a run on a real PostgreSQL 15: SIGTERM and SIGINT in the
# middle of a revision cancel it on the server, leave nothing of it behind,
# record "interrupted" in the history, release the lock and exit 130;
# SIGKILL leaves a state the next run can go on from; a closed stdout pipe
# does not kill a run.

load helpers
load db_helpers

setup() {
	new_db sig
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE slow (id int);
SELECT pg_sleep(3);" "DROP TABLE slow;"
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

rows() { psql_ -c "SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '') FROM revgate_version"; }

# interrupt SIG: runs the upgrade, sends SIG during bbbb0002's pg_sleep
interrupt() {
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" upgrade >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	# wait until the slow statement runs
	for _ in $(seq 100); do
		[ -n "$(psql_ -c "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()")" ] && break
		sleep 0.05
	done
	kill -"$1" "$pid"
	local t0=$SECONDS rc=0
	wait "$pid" || rc=$?
	echo "$rc" >"$BATS_TEST_TMPDIR/rc"
	cat "$BATS_TEST_TMPDIR/out"
	# exited at once, not after the sleep
	[ $((SECONDS - t0)) -le 1 ]
}

check_interrupted() {
	local sig=$1
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 130 ]
	grep -q "interrupted by $sig: revision 'bbbb0002' was rolled back; the revisions before it stay applied" "$BATS_TEST_TMPDIR/out"
	# nothing of bbbb0002, even after the sleep would have ended
	sleep 2.5
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('slow')")" ]
	[ "$(psql_ -c "SELECT outcome || ' ' || coalesce(error, '') FROM revgate_history WHERE revision = 'bbbb0002' ORDER BY id")" = "interrupted interrupted by $sig" ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE outcome = 'applied' AND revision = 'bbbb0002'")" -eq 0 ]
	# the lock is free and nothing is pending: the next run goes at once
	run timeout 10 "$REVGATE" upgrade --lock-wait 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "SIGTERM mid-revision: rolled back, history says interrupted, lock released, exit 130" {
	interrupt TERM
	check_interrupted SIGTERM
}

@test "SIGINT mid-revision: the same" {
	interrupt INT
	check_interrupted SIGINT
}

@test "SIGKILL mid-revision: the next run finds a consistent state and goes on" {
	interrupt KILL || true
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 137 ]
	sleep 3.5
	# either before or after bbbb0002, never in between
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('slow')")" ]
	run timeout 20 "$REVGATE" upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "a signal during a revision stops the run before the next one" {
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(3);" "SELECT 1;"
	STAMP=20250101_0002 mkrev cccc0003 bbbb0002 "CREATE TABLE c (id int);" "DROP TABLE c;"
	interrupt TERM
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 130 ]
	[ "$(rows)" = "aaaa0001" ]
	[ -z "$(psql_ -c "SELECT to_regclass('c')")" ]
}

@test "a closed stdout pipe does not stop a run between revisions" {
	for i in 3 4 5 6 7 8; do
		STAMP=20250101_000$i mkrev "cccc000$i" "$([ "$i" = 3 ] && echo bbbb0002 || echo "cccc000$((i - 1))")" \
			"CREATE TABLE c$i (id int);" "DROP TABLE c$i;"
	done
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" "DROP TABLE b;"
	set +o pipefail
	rg upgrade 2>&1 | head -1
	[ "$(rows)" = "cccc0008" ]
}

@test "the lock connection is immune to idle_session_timeout" {
	psql_ -c "ALTER DATABASE $DB SET idle_session_timeout = '300ms'"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(1);" "SELECT 1;"
	STAMP=20250101_0002 mkrev cccc0003 bbbb0002 "SELECT pg_sleep(1);" "SELECT 1;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "cccc0003" ]
}

@test "SIGTERM in a revision outside a transaction: exit 130, history says where, resolve needed" {
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE s1 (id int);
SELECT pg_sleep(3);
CREATE TABLE s2 (id int);" "SELECT 1;" "-- transaction: false"
	interrupt TERM
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 130 ]
	grep -q "interrupted by SIGTERM: revision 'bbbb0002' stopped part-way (it runs outside a transaction); run 'revgate resolve'" "$BATS_TEST_TMPDIR/out"
	sleep 2.5
	[ "$(rows)" = "aaaa0001" ]
	[ -n "$(psql_ -c "SELECT to_regclass('s1')")" ]
	[ -z "$(psql_ -c "SELECT to_regclass('s2')")" ]
	[ "$(psql_ -c "SELECT outcome || ' ' || segment FROM revgate_history WHERE revision = 'bbbb0002' ORDER BY id DESC LIMIT 1")" = "interrupted 2" ]
	# the lock is free; the next run stops at once on the half-done revision
	run timeout 10 "$REVGATE" upgrade --lock-wait 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bbbb0002' is half-done: its upgrade stopped in segment 2 of 4 (interrupted)"* ]]
}

@test "SIGINT in the first transaction of a mixed revision: rolled back, and resolve agrees" {
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE slow (id int);
SELECT pg_sleep(3);
CREATE INDEX CONCURRENTLY slow_id ON slow (id);" "DROP TABLE slow;"
	interrupt INT
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 130 ]
	grep -q "interrupted by SIGINT: revision 'bbbb0002' was rolled back" "$BATS_TEST_TMPDIR/out"
	! grep -q "resolve" "$BATS_TEST_TMPDIR/out"
	run rg resolve
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to resolve"* ]]
}
