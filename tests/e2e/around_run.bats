#!/usr/bin/env bats
# Around a run, on a real PostgreSQL 15: the deploy gate
# (current --check-pending), the run's events as JSON lines (--events)
# and its Prometheus textfile (--metrics).

load helpers
load db_helpers

setup() {
	new_db ar
	STAMP=20250101_0001 write_rev aaaa0001 none
	STAMP=20250101_0002 write_rev bbbb0002 aaaa0001
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

@test "current --check-pending: exit 1 naming what waits, 0 once applied" {
	run rg current --check-pending
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pending: aaaa0001"* ]]
	[[ "$output" == *"pending: bbbb0002"* ]]
	[[ "$output" == *"2 revisions to apply (run 'revgate upgrade heads')"* ]]
	rg upgrade aaaa0001 >/dev/null 2>&1
	run rg current --check-pending
	[ "$status" -eq 1 ]
	[[ "$output" == *"1 revision to apply"* ]]
	[[ "$output" != *"pending: aaaa0001"* ]]
	rg upgrade head >/dev/null 2>&1
	run rg current --check-pending
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bbbb0002"* ]]
	# a revision the files lack is not "pending": it is a runtime problem
	psql_ -c "UPDATE revgate_version SET version_num = 'zzzz9999'"
	run rg current --check-pending
	echo "$output"
	[ "$status" -ne 0 ] && [ "$status" -ne 1 ]
}

@test "current --check-pending: a half-done revision is pending too" {
	sql_rev cccc0003 bbbb0002 "CREATE TABLE c (id int);
CREATE INDEX CONCURRENTLY c_id ON c (id);
CREATE INDEX CONCURRENTLY c_bad ON nosuch (id);" "DROP TABLE c;" 20250101_0003 "-- transaction: false"
	run rg upgrade head
	[ "$status" -ne 0 ]
	run rg current --check-pending
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"half-done"* ]]
}
