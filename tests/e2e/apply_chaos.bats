#!/usr/bin/env bats
# A short, bounded run of the fault trials (tests/lib/chaos.bash; the long
# one is bench/chaos.sh N): revgate killed with SIGKILL, its connection
# ended by the server, and the server stopped immediately, each at two
# moments of a run of transactional and non-transactional revisions that
# write a ledger. After each fault revgate's account must match the
# ledger, revgate must reach head by itself, and every statement must have
# run exactly once.

load helpers
load db_helpers

setup() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	. "$BATS_TEST_DIRNAME/../lib/chaos.bash"
	export REVGATE
}

teardown() {
	if [ -n "${PG_TEST_DATA:-}" ] && [ ! -f "$PG_TEST_DATA/postmaster.pid" ]; then
		pg_server_start || true
	fi
}

trial() {
	run chaos_trial "$BATS_TEST_TMPDIR/proj" "chaos_$BATS_TEST_NUMBER" "$1" "$2"
	echo "$output"
	[[ "$output" == "held"* ]]
}

@test "SIGKILL early in a run: the account matches the ledger, revgate finishes it, each statement once" {
	trial kill9 120
}

@test "SIGKILL in the middle of a run" {
	trial kill9 330
}

@test "the server ends the work connection early in a run" {
	trial terminate 150
}

@test "the server ends the work connection in the middle of a run" {
	trial terminate 380
}

@test "the server stops immediately early in a run" {
	trial crash 180
}

@test "the server stops immediately in the middle of a run" {
	trial crash 420
}
