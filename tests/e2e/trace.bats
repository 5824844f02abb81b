#!/usr/bin/env bats
# revgate trace on a real PostgreSQL 15: what each statement really took
# (pg_locks, relfilenode, scan counters, the catalog), held against lint's
# lock table. One cluster for the file; each trace runs in a scratch
# database of it (--url). The cases the PostgreSQL documentation states are
# traced once, in setup_file, and read back by several tests.

load helpers
load db_helpers
bats_require_minimum_version 1.5.0

setup_file() {
	# shellcheck source=tests/lib/pg.bash
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_FILE_TMPDIR/pg" >&3 2>&1 || return 1
	export PGHOST PGPORT PGUSER PGDATABASE PG_BIN
	export TRACE_URL="postgresql:///postgres?host=$PGHOST&port=$PGPORT&user=postgres"
	export CASES="$BATS_FILE_TMPDIR/cases"
	mkdir -p "$CASES"
	cd "$CASES" || return 1
	rg init >/dev/null
	sql_rev schema none "CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status varchar(20), qty int,
  note text, CONSTRAINT orders_qty_not_null CHECK (qty IS NOT NULL));
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint);
CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 (id bigint, at timestamptz NOT NULL);" "" 20250101_0000
	# each statement of a revision without a transaction runs in its own
	sql_rev cases schema "ALTER TABLE orders ALTER COLUMN qty SET NOT NULL;
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE orders ADD COLUMN touched_at timestamptz DEFAULT clock_timestamp();
ALTER TABLE orders ALTER COLUMN status TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE invoices ADD CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE invoices VALIDATE CONSTRAINT invoices_customer_fk;
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;
CREATE STATISTICS orders_stats (dependencies) ON status, qty FROM orders;
ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;" "" 20250101_0001 \
		"-- transaction: false"
	"$REVGATE" trace schema: --url "$TRACE_URL" --format json >"$BATS_FILE_TMPDIR/cases.json" \
		2>"$BATS_FILE_TMPDIR/cases.err"
	echo $? >"$BATS_FILE_TMPDIR/cases.rc"
}

# stmt TEXT: the traced statement of the cases whose SQL starts with TEXT
stmt() {
	jq -c --arg s "$1" '[.statements[] | select(.sql | startswith($s))][0]' \
		"$BATS_FILE_TMPDIR/cases.json"
}

# locks TEXT: "relation:Mode" of each lock it took, sorted, one line
locks() {
	stmt "$1" | jq -r '[.locks[] | "\(.relation):\(.mode)"] | sort | join(" ")'
}

@test "the documented cases: trace agrees with lint and the run exits 0" {
	cat "$BATS_FILE_TMPDIR/cases.err"
	[ "$(cat "$BATS_FILE_TMPDIR/cases.rc")" -eq 0 ]
	run jq -r '.summary | "\(.revisions) \(.statements) \(.failed) \(.mismatches) \(.unpredicted_locks)"' \
		"$BATS_FILE_TMPDIR/cases.json"
	[ "$output" = "1 15 0 0 0" ]
	# every prediction of a statement run in a transaction was confirmed
	run jq -r '[.statements[] | select(.transactional) | .predicted[] |
		select(.contradicted or (.observed | not))] | length' "$BATS_FILE_TMPDIR/cases.json"
	[ "$output" = 0 ]
}

@test "a volatile default rewrites the table, a stable one does not; both take ACCESS EXCLUSIVE" {
	[ "$(locks "ALTER TABLE orders ADD COLUMN created_at")" = "orders:AccessExclusiveLock" ]
	[ "$(stmt "ALTER TABLE orders ADD COLUMN created_at" | jq -c .rewrites)" = "[]" ]
	# the rewrite copies the table and rebuilds its index under the same lock
	[ "$(locks "ALTER TABLE orders ADD COLUMN touched_at")" = \
		"orders:AccessExclusiveLock orders:ShareLock orders_pkey:AccessExclusiveLock" ]
	[ "$(stmt "ALTER TABLE orders ADD COLUMN touched_at" | jq -c .rewrites)" = '["orders","orders_pkey"]' ]
	stmt "ALTER TABLE orders ADD COLUMN touched_at" |
		jq -e '.effects | index("+ column orders.touched_at timestamp with time zone DEFAULT clock_timestamp()")'
}

@test "a binary-coercible type change keeps the table's file, int to bigint rewrites it" {
	[ "$(stmt "ALTER TABLE orders ALTER COLUMN status TYPE" | jq -c .rewrites)" = "[]" ]
	[ "$(locks "ALTER TABLE orders ALTER COLUMN status TYPE")" = "orders:AccessExclusiveLock" ]
	[ "$(stmt "ALTER TABLE orders ALTER COLUMN qty TYPE" | jq -c .rewrites)" = '["orders","orders_pkey"]' ]
	stmt "ALTER TABLE orders ALTER COLUMN qty TYPE" |
		jq -e '.effects | index("+ column orders.qty bigint NOT NULL")'
}

@test "CREATE INDEX takes SHARE; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, seen from outside" {
	[ "$(locks "CREATE INDEX orders_status_idx")" = "orders:ShareLock orders_status_idx:AccessExclusiveLock" ]
	[ "$(stmt "CREATE INDEX orders_status_idx" | jq .transactional)" = true ]
	stmt "CREATE INDEX CONCURRENTLY" | jq -e '.transactional == false'
	[[ "$(locks "CREATE INDEX CONCURRENTLY")" == *"orders:ShareUpdateExclusiveLock"* ]]
	[[ "$(locks "CREATE INDEX CONCURRENTLY")" != *"orders:ShareLock"* ]]
	stmt "CREATE INDEX CONCURRENTLY" | jq -e '.effects | index("+ index orders_note_idx on orders")'
}

@test "a foreign key locks both tables SHARE ROW EXCLUSIVE; VALIDATE takes SHARE UPDATE EXCLUSIVE and ROW SHARE" {
	# the validating query reads both tables (ACCESS SHARE, ROW SHARE) too
	[ "$(locks "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk" | tr ' ' '\n' | grep -c ShareRowExclusive)" -eq 2 ]
	[[ "$(locks "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk")" == *"customers:ShareRowExclusiveLock"*"orders:ShareRowExclusiveLock"* ]]
	stmt "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk" | jq -e '.scans == ["orders"]'
	# NOT VALID: the same locks, no scan of the rows
	[[ "$(locks "ALTER TABLE invoices ADD CONSTRAINT")" == *"customers:ShareRowExclusiveLock"*"invoices:ShareRowExclusiveLock"* ]]
	stmt "ALTER TABLE invoices ADD CONSTRAINT" | jq -e '.scans == []'
	stmt "ALTER TABLE invoices ADD CONSTRAINT" | jq -e '.effects[] | select(test("invoices_customer_fk.*NOT VALID"))'
	[[ "$(locks "ALTER TABLE invoices VALIDATE")" == *"customers:RowShareLock"*"invoices:ShareUpdateExclusiveLock"* ]]
	[[ "$(locks "ALTER TABLE invoices VALIDATE")" != *"ShareRowExclusive"* ]]
	stmt "ALTER TABLE invoices VALIDATE" | jq -e '.scans == ["invoices"]'
	stmt "ALTER TABLE invoices VALIDATE" | jq -e '.effects[] | select(test("^\\+ constraint invoices.invoices_customer_fk FOREIGN KEY"))'
}

@test "SET NOT NULL scans the table unless a valid CHECK (col IS NOT NULL) proves it" {
	[ "$(locks "ALTER TABLE orders ALTER COLUMN qty SET NOT NULL")" = "orders:AccessExclusiveLock" ]
	[ "$(stmt "ALTER TABLE orders ALTER COLUMN qty SET NOT NULL" | jq -c .scans)" = "[]" ]
	[ "$(locks "ALTER TABLE orders ALTER COLUMN note SET NOT NULL")" = "orders:AccessExclusiveLock" ]
	[ "$(stmt "ALTER TABLE orders ALTER COLUMN note SET NOT NULL" | jq -c .scans)" = '["orders"]' ]
}

@test "VALIDATE of a foreign key reads, and DROP CONSTRAINT of one locks, the referenced table too; CREATE STATISTICS takes SHARE UPDATE EXCLUSIVE" {
	stmt "ALTER TABLE invoices VALIDATE" |
		jq -e '[.predicted[] | "\(.relation):\(.mode):\(.contradicted)"] | sort == ["customers:RowShareLock:false", "invoices:ShareUpdateExclusiveLock:false"]'
	[ "$(locks "ALTER TABLE orders DROP CONSTRAINT")" = "customers:AccessExclusiveLock orders:AccessExclusiveLock" ]
	stmt "ALTER TABLE orders DROP CONSTRAINT" |
		jq -e '[.predicted[] | select(.contradicted | not) | .relation] | sort == ["customers", "orders"]'
	[ "$(locks "CREATE STATISTICS")" = "orders:ShareUpdateExclusiveLock" ]
	stmt "CREATE STATISTICS" | jq -e '.predicted == [{"relation": "orders", "mode": "ShareUpdateExclusiveLock", "contradicted": false, "observed": true, "entry": "CREATE STATISTICS"}]'
}

@test "ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition" {
	[ "$(locks "ALTER TABLE events ATTACH")" = \
		"events:ShareUpdateExclusiveLock events_2025:AccessExclusiveLock" ]
	[ "$(locks "ALTER TABLE events ATTACH" | wc -w)" -eq 2 ]
}

@test "DETACH PARTITION CONCURRENTLY: SHARE UPDATE EXCLUSIVE on the parent, seen from outside" {
	stmt "ALTER TABLE events DETACH" | jq -e '.transactional == false and .error == null'
	[[ "$(locks "ALTER TABLE events DETACH")" == *"events:ShareUpdateExclusiveLock"* ]]
	[[ "$(locks "ALTER TABLE events DETACH")" != *"events:AccessExclusiveLock"* ]]
	stmt "ALTER TABLE events DETACH" |
		jq -e '[.predicted[] | select(.contradicted)] | length == 0'
}

@test "every lock says how long it was held and whether its table existed; durations are measured" {
	stmt "ALTER TABLE orders ADD COLUMN touched_at" |
		jq -e '.locks[0].existed == true and .locks[0].held_ms > 0 and .duration_ms > 0 and .locks[0].blocks == "reads and writes"'
	stmt "CREATE INDEX orders_status_idx" |
		jq -e '[.locks[] | select(.relation == "orders_status_idx")][0].existed == false'
}

@test "text: the SQL line, each lock with what it blocks, rewrites, effects and the summary" {
	cd "$CASES"
	run rg trace cases --url "$TRACE_URL" --no-color
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"revision cases"* ]]
	[[ "$output" == *"migrations/20250101_0001_cases_rev.sql:10  ALTER TABLE orders ADD COLUMN touched_at timestamptz DEFAULT clock_timestamp()"* ]]
	[[ "$output" == *"AccessExclusiveLock      orders                       reads and writes, held "* ]]
	[[ "$output" == *"rewrites orders (new file)"* ]]
	[[ "$output" == *"lint predicts ACCESS EXCLUSIVE on orders: confirmed"* ]]
	[[ "$output" == *"alone, outside a transaction (watched from another connection)"* ]]
	[[ "$output" == *"revgate trace: 1 revision, 15 statements on PostgreSQL 15."*": 0 failed, 0 lock predictions contradicted, 0 locks held too long"* ]]
}

@test "--max-lock-ms: a blocking lock on an existing table held longer is an error, exit 1; markdown and github show it" {
	cd "$CASES"
	run rg trace cases --url "$TRACE_URL" --max-lock-ms 0 --format github
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"::error file=migrations/20250101_0001_cases_rev.sql,line=10,"*"lock-held-too-long"*"ACCESS EXCLUSIVE on 'orders' (blocks reads and writes) was held for "*" ms, over --max-lock-ms 0"* ]]
	# SHARE UPDATE EXCLUSIVE blocks neither reads nor writes
	[[ "$output" != *"SHARE UPDATE EXCLUSIVE on 'orders'"* ]]
	run rg trace cases --url "$TRACE_URL" --max-lock-ms 0 --format markdown
	[ "$status" -eq 1 ]
	[[ "$output" == *"### revgate trace"* ]]
	[[ "$output" == *"| \`migrations/20250101_0001_cases_rev.sql:10\` | \`ALTER TABLE orders ADD COLUMN touched_at timestamptz DEFAULT\` | "*"AccessExclusiveLock \`orders\` **blocks**"*"| \`orders\`, \`orders_pkey\` | agrees |"* ]]
	[[ "$output" == *"**lock-held-too-long**"* ]]
	[[ "$output" == *"0 lock predictions contradicted, 1"?" locks held too long"* ]]
}

@test "a failing statement is shown with the server's error, exit 1; the next revision is still traced" {
	cd "$CASES"
	sql_rev broken cases "ALTER TABLE orders ADD COLUMN nope int REFERENCES missing (id);
ALTER TABLE orders ADD COLUMN never int;" "" 20250101_0002
	sql_rev after broken "ALTER TABLE customers ADD COLUMN name text;" "" 20250101_0003
	run rg trace cases: --url "$TRACE_URL"
	rm migrations/*broken* migrations/*after*
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'failed: relation "missing" does not exist (SQLSTATE 42P01)'* ]]
	[[ "$output" == *"not run: an earlier statement of the revision failed"* ]]
	[[ "$output" == *"revision after"*"AccessExclusiveLock      customers"* ]]
	[[ "$output" == *"1 statement failed on the server"* ]]
}

@test "bad options are usage errors, exit 2; an unknown revision is named" {
	cd "$CASES"
	run rg trace --rows many
	[ "$status" -eq 2 ]
	[[ "$output" == *"--rows needs a whole number from 0 to 100000000, not 'many'"* ]]
	run rg trace --max-lock-ms -5
	[ "$status" -eq 2 ]
	run rg trace nosuchrev --url "$TRACE_URL"
	[ "$status" -ne 0 ]
	[[ "$output" == *"nosuchrev"* ]]
}

@test "--rows N fills the touched tables within their constraints, so a rewrite copies rows" {
	cd "$CASES"
	run --separate-stderr rg trace cases --url "$TRACE_URL" --rows 5000 --format json
	echo "$stderr"
	echo "$output" | jq -e '.summary.rows == 5000'
	echo "$output" | jq -e '.summary.filled == ["orders: 5000 rows", "customers: 5000 rows", "invoices: 5000 rows", "events_2025: 5000 rows"]'
	# a partitioned table without a partition for the rows says so
	echo "$output" | jq -e '.summary.notes[0] | startswith("'"'"'events'"'"' could not be filled: no partition of relation")'
	# the foreign keys validated against the filled rows
	echo "$output" | jq -e '[.statements[] | select(.error)] | length == 1'
	# the rows the table was filled with are outside the bounds it is attached with
	echo "$output" | jq -e '[.statements[] | select(.error)][0].error | startswith("partition constraint of relation \"events_2025\" is violated by some row")'
	[ "$status" -eq 1 ]
	# a table the traced revisions create cannot be filled before them
	run --separate-stderr rg trace schema --url "$TRACE_URL" --rows 10 --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.filled == [] and (.summary.notes | index("'"'"'orders'"'"' does not exist before the traced revisions (they create it): not filled"))'
}

@test "every failing and passing example of every rule page agrees with PostgreSQL 15" {
	new_project
	python3 "$ROOT/tests/lib/rule_examples_history.py" "$ROOT/rules" migrations >examples.txt
	[ "$(wc -l <examples.txt)" -gt 90 ]
	run --separate-stderr rg trace --url "$TRACE_URL" --format json
	echo "$output" | jq -c '.findings[]'
	echo "$output" | jq -e '.summary.mismatches == 0'
	# the statements that fail on a server do so on purpose: the rule's
	# point (CONCURRENTLY on a partitioned table, a syntax error), or what a
	# scratch database of a test server cannot have (another database, a
	# role, revgate's history table, which an earlier example's setup
	# dropped with public, the vector extension)
	run jq -r '.statements[] | select(.error) | .sql | split("\n")[0]' <<<"$output"
	echo "$output"
	[ "$output" = "DROP DATABASE analytics
CREATE INDEX CONCURRENTLY events_at_idx ON events (at)
ALTER DATABASE app SET search_path = app, public
ALTER TABLE revgate_history DISABLE TRIGGER revgate_history_append_only
SET SESSION AUTHORIZATION app_owner
SET LOCAL ROLE app_owner
SELEC 1
CREATE TABLE chunks (id bigint PRIMARY KEY, embedding vector(3))
CREATE TABLE chunks (id bigint PRIMARY KEY, embedding vector(3))" ]
	rm -rf "$PROJ"
}

@test "test --trace: the round trip, then the trace; its findings fail the test" {
	new_project
	sql_rev aaaa none "CREATE TABLE t (id bigint PRIMARY KEY, v text);" "DROP TABLE t;" 20250101_0000
	sql_rev bbbb aaaa "ALTER TABLE t ADD COLUMN w timestamptz DEFAULT clock_timestamp();
CREATE INDEX CONCURRENTLY t_v ON t (v);" "DROP INDEX CONCURRENTLY t_v;
ALTER TABLE t DROP COLUMN w;" 20250101_0001
	run rg test --trace --url "$TRACE_URL" --no-color
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"revgate test: tracing every revision (2)"* ]]
	[[ "$output" == *"rewrites t (new file)"* ]]
	[[ "$output" == *"ShareUpdateExclusiveLock t "*"held"* ]]
	[[ "$output" == *"revgate test: 2 revisions, "*" steps: up, down and up again"* ]]
	run --separate-stderr rg test --trace --max-lock-ms 0 --url "$TRACE_URL" --format json
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '[.findings[].rule] == ["lock-held-too-long", "lock-held-too-long"]'
	run rg test --rows 3 --url "$TRACE_URL"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-lock-ms and --rows go with --trace"* ]]
	run rg test --trace --in-place --url "$TRACE_URL"
	[ "$status" -eq 2 ]
	rm -rf "$PROJ"
}

@test "without a range it traces the revisions this branch adds to its base" {
	new_project
	git init -q -b main .
	sql_rev aaaa none "CREATE TABLE t (id bigint PRIMARY KEY);" "DROP TABLE t;" 20250101_0000
	git add -A && git -c user.email=t@example.com -c user.name=t commit -qm base
	git checkout -qb feature
	sql_rev bbbb aaaa "ALTER TABLE t ADD COLUMN z int;" "ALTER TABLE t DROP COLUMN z;" 20250101_0001
	git add -A && git -c user.email=t@example.com -c user.name=t commit -qm feature
	run rg trace --url "$TRACE_URL" --no-color
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 revision applied first, then the revisions this branch adds traced (1)"* ]]
	[[ "$output" == *"revision bbbb"* ]]
	[ -z "$(grep -x "revision aaaa" <<<"$output")" ]
	[[ "$output" == *"AccessExclusiveLock      t "*"held"* ]]
	rm -rf "$PROJ"
}
