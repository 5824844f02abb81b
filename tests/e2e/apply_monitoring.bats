#!/usr/bin/env bats
# Watching a run, on a real PostgreSQL 15: the deploy gate
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

# metric NAME [LABEL=VALUE...]: the value of one sample of metrics.prom, read
# by the Prometheus client's own text parser (which refuses a malformed file)
metric() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
name, want = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
with open("metrics.prom") as f:
    for fam in text_string_to_metric_families(f.read()):
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in want.items()):
                print(repr(s.value) if s.value != int(s.value) else int(s.value))
                sys.exit(0)
sys.exit("no sample " + name)
PY
}

# event NAME [KEY]: the events of a kind in events.jsonl, or one key of each
event() {
	/usr/bin/python3 - "$@" <<'PY'
import json, sys
for line in open("events.jsonl"):
    e = json.loads(line)
    if e["event"] == sys.argv[1]:
        print(e.get(sys.argv[2]) if len(sys.argv) > 2 else line.strip())
PY
}

@test "--events and --metrics: every event of a run with times and durations; the metrics parse" {
	sql_rev cccc0003 bbbb0002 "CREATE TABLE c (id int);
CREATE INDEX CONCURRENTLY c_id ON c (id);
CREATE INDEX CONCURRENTLY c_id2 ON c (id);" "DROP TABLE c;" 20250101_0003 "-- transaction: false"
	run rg upgrade --events events.jsonl --metrics metrics.prom
	echo "$output"
	[ "$status" -eq 0 ]
	cat events.jsonl
	# one object a line, each with its time, in run order
	[ "$(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.loads(l)["event"] for l in open("events.jsonl")))')" = \
		"run_started step_started step_finished step_started step_finished step_started segment_done segment_done segment_done step_finished run_finished" ]
	grep -c '"time":"20[0-9-]*T[0-9:.]*Z"' events.jsonl | grep -qx 11
	[ "$(event step_started revision | tr '\n' ' ')" = "aaaa0001 bbbb0002 cccc0003 " ]
	# the table, each index, then the version-table update ends the step
	[ "$(event segment_done segment | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(event step_started segments | tr '\n' ' ')" = "1 1 4 " ]
	[ "$(event run_finished outcome)" = "applied" ]
	[ "$(event run_finished revisions)" = "3" ]
	[ "$(event run_finished pending)" = "0" ]
	event step_finished duration_ms | grep -Eqx '[0-9]+\.[0-9]{3}'
	# the textfile collector's format, read by Prometheus' own parser
	cat metrics.prom
	[ "$(metric revgate_last_run_success command=upgrade)" = "1" ]
	[ "$(metric revgate_last_run_revisions)" = "3" ]
	[ "$(metric revgate_pending_revisions)" = "0" ]
	metric revgate_revision_duration_seconds revision=cccc0003 direction=upgrade outcome=done
	metric revgate_last_success_timestamp_seconds
	metric revgate_last_run_duration_seconds
	# written through a rename: no temporary file left beside it
	[ "$(ls -A | grep -c metrics)" -eq 1 ]
	# a run with nothing to do appends; the metrics say unchanged, nothing pending
	run rg upgrade --events events.jsonl --metrics metrics.prom
	[ "$status" -eq 0 ]
	[ "$(event run_finished outcome | tr '\n' ' ')" = "applied unchanged " ]
	[ "$(metric revgate_last_run_revisions)" = "0" ]
}

@test "--events: a failed step names its SQLSTATE; --metrics keeps the last success time" {
	rg upgrade aaaa0001 --metrics metrics.prom >/dev/null 2>&1
	before=$(metric revgate_last_success_timestamp_seconds)
	sql_rev cccc0003 bbbb0002 "INSERT INTO nosuch VALUES (1);" "SELECT 1;" 20250101_0003
	run rg upgrade --events events.jsonl --metrics metrics.prom
	echo "$output"
	[ "$status" -eq 3 ]
	cat events.jsonl
	[ "$(event step_failed revision)" = "cccc0003" ]
	[ "$(event step_failed sqlstate)" = "42P01" ]
	[[ "$(event step_failed error)" == *'relation "nosuch" does not exist'* ]]
	[ "$(event step_failed line)" = "6" ]
	[ "$(event run_finished outcome)" = "failed" ]
	[[ "$(event run_finished error)" == *"revision 'cccc0003' failed and was rolled back"* ]]
	[ "$(event run_finished heads)" = "['bbbb0002']" ]
	cat metrics.prom
	[ "$(metric revgate_last_run_success command=upgrade)" = "0" ]
	[ "$(metric revgate_pending_revisions)" = "1" ]
	[ "$(metric revgate_revision_duration_seconds revision=cccc0003 outcome=failed)" != "" ]
	[ "$(metric revgate_last_success_timestamp_seconds)" = "$before" ]
}

@test "--events: a wait for the lock names the holder and how long it took" {
	sql_rev cccc0003 bbbb0002 "SELECT pg_sleep(1.5);" "SELECT 1;" 20250101_0003
	rg upgrade >holder.out 2>&1 &
	holder=$!
	for _ in $(seq 50); do
		psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate upgrade cccc0003'" | grep -q 1 && break
		sleep 0.1
	done
	run rg upgrade --events events.jsonl
	wait "$holder"
	echo "$output"
	cat events.jsonl
	[ "$status" -eq 0 ]
	[[ "$(event lock_wait message)" == *"held by pid "* ]]
	[[ "$(event lock_acquired waited_for)" == *"held by pid "* ]]
	/usr/bin/python3 -c 'import json; w=[json.loads(l) for l in open("events.jsonl") if "lock_acquired" in l][0]["waited_ms"]; assert 100 < w < 10000, w'
	[ "$(event run_finished outcome)" = "unchanged" ]
}

@test "--events and --metrics: refused where nothing runs, or where they cannot be written" {
	run rg upgrade --sql --events events.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"--events and --metrics report a run; --sql, --plan and --dry-run run nothing"* ]]
	run rg upgrade --events nodir/events.jsonl
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot open the events file 'nodir/events.jsonl'"* ]]
	run rg upgrade --metrics nodir/metrics.prom
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot write the metrics file 'nodir/metrics.prom'"* ]]
	# nothing ran
	[ -z "$(psql_ -c "SELECT to_regclass('revgate_version')")" ]
}
