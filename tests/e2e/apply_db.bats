#!/usr/bin/env bats
# upgrade, downgrade, current and stamp on a real PostgreSQL 15 (one
# throwaway cluster for this file): Alembic's version-table rows across
# branch and merge points, failures that leave nothing behind, segments
# outside a transaction, and edited revisions.

load helpers
load db_helpers

setup() {
	new_db t
}

teardown() {
	rm -rf "$PROJ"
}

# mkrev ID DOWN UPGRADE_SQL [DOWNGRADE_SQL [HEADER...]], dated $STAMP
mkrev() {
	local id=$1 down=$2 up=$3 dn=${4-}
	shift 4 2>/dev/null || shift $#
	sql_rev "$id" "$down" "$up" "$dn" "${STAMP:-20250101_0000}" "$@"
}

rows() { psql_ -c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM revgate_version"; }

@test "upgrade and downgrade across branch and merge points keep Alembic's rows" {
	cp "$ROOT"/tests/fixtures/graphs/branch_merge/migrations/*.sql migrations/
	run rg upgrade a47e
	[ "$status" -eq 0 ]
	[ "$(rows)" = "a47e2c6b1d05" ]
	run rg upgrade
	[ "$status" -eq 0 ]
	[ "$(rows)" = "f1e2d3c4b5a6" ]
	run rg downgrade e5f6a7b8c9d0
	[ "$status" -eq 0 ]
	[ "$(rows)" = "e5f6a7b8c9d0" ]
	# the downgrade of a merge gives its parents back their rows
	run rg downgrade a47e2c6b1d05
	[ "$status" -eq 0 ]
	[ "$(rows)" = "a47e2c6b1d05,b7d2e8f1a9c3" ]
	run rg current
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run rg current --check-heads
	[ "$status" -eq 1 ]
	run rg downgrade -1
	[ "$status" -eq 0 ]
	run rg downgrade base
	[ "$status" -eq 0 ]
	[ "$(rows)" = "" ]
	# every step is in the history, in order
	n=$(psql_ -c "SELECT count(*) FROM revgate_history WHERE outcome IN ('applied', 'reverted')")
	[ "$n" -eq 16 ]
}

@test "each revision runs in one transaction with its row: a failure leaves nothing" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);
INSERT INTO b VALUES (1);
  INSERT INTO missing_table VALUES (1);" "DROP TABLE b;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"20250101_0001_bbbb0002_rev.sql:8:15: error: relation \"missing_table\" does not exist (SQLSTATE 42P01)"* ]]
	[[ "$output" == *"revision 'bbbb0002' failed"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT to_regclass('b') IS NULL")" = "t" ]
	[ "$(psql_ -c "SELECT outcome || ' ' || sqlstate FROM revgate_history WHERE revision = 'bbbb0002'")" = "failed 42P01" ]
}

@test "the server's detail and hint are shown" {
	mkrev aaaa0001 none "CREATE TABLE a (id int PRIMARY KEY);
INSERT INTO a VALUES (1), (1);" "DROP TABLE a;"
	run rg upgrade
	[ "$status" -eq 3 ]
	[[ "$output" == *"SQLSTATE 23505"* ]]
	[[ "$output" == *"detail: Key (id)=(1) already exists."* ]]
}

@test "CREATE INDEX CONCURRENTLY runs alone, outside the transaction" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "ALTER TABLE a ADD b int;
CREATE INDEX CONCURRENTLY a_b ON a (b);
COMMENT ON INDEX a_b IS 'x';" "DROP INDEX CONCURRENTLY a_b;
ALTER TABLE a DROP b;"
	run rg upgrade --plan
	[[ "$output" == *"3 segments, 1 outside a transaction"* ]]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_b'::regclass")" = "t" ]
	[ "$(psql_ -c "SELECT string_agg(outcome, ',' ORDER BY id) FROM revgate_history WHERE revision = 'bbbb0002'")" = "segment,started,segment,applied" ]
	run rg downgrade base
	[ "$status" -eq 0 ]
	[ "$(rows)" = "" ]
}

@test "a failed concurrent build stops the run; the next one refuses until resolved" {
	mkrev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a VALUES (1), (1);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE UNIQUE INDEX CONCURRENTLY a_id ON a (id);" \
		"DROP INDEX CONCURRENTLY a_id;" "-- transaction: false"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"SQLSTATE 23505"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "f" ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bbbb0002' is half-done"* ]]
	[[ "$output" == *"revgate resolve"* ]]
	# resolve diagnoses from the catalog
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"revision bbbb0002: upgrade stopped"*"SQLSTATE 23505"* ]]
	[[ "$output" == *"index public.a_id on public.a is INVALID"*"DROP INDEX CONCURRENTLY public.a_id;"* ]]
	# the operator undoes it, fixes the data, records it; the next upgrade runs
	psql_ -c "DROP INDEX CONCURRENTLY a_id" -c "DELETE FROM a WHERE ctid <> (SELECT min(ctid) FROM a)"
	run rg resolve --rolled-back bbbb0002
	[ "$status" -eq 0 ]
	[ "$(rows)" = "aaaa0001" ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	[ "$(psql_ -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id'::regclass")" = "t" ]
}

@test "resolve --done records a revision finished by hand" {
	mkrev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a VALUES (1), (1);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE UNIQUE INDEX CONCURRENTLY a_id ON a (id);" \
		"DROP INDEX CONCURRENTLY a_id;" "-- transaction: false"
	run rg upgrade
	[ "$status" -eq 3 ]
	psql_ -c "DELETE FROM a WHERE ctid <> (SELECT min(ctid) FROM a)" -c "REINDEX INDEX CONCURRENTLY a_id"
	run rg resolve --done bbbb0002
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	run rg resolve
	[ "$status" -eq 0 ]
	run rg verify
	[ "$status" -eq 0 ]
}

@test "an applied revision edited on disk: upgrade refuses and names the statement" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);
CREATE TABLE b (id int);" "DROP TABLE b; DROP TABLE a;"
	run rg upgrade
	[ "$status" -eq 0 ]
	# a comment only: a warning, the run goes on
	sed -i 's/^CREATE TABLE a (id int);/CREATE TABLE a (id int); -- the first table/' migrations/*aaaa0001*
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT 1;" "SELECT 1;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"only in comments or whitespace"* ]]
	sed -i 's/^CREATE TABLE b (id int);/CREATE TABLE b (id bigint);/' migrations/*aaaa0001*
	STAMP=20250101_0002 mkrev cccc0003 bbbb0002 "SELECT 1;" "SELECT 1;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_aaaa0001_rev.sql:7:1: error[applied-checksum-mismatch]: statement 2 of revision 'aaaa0001' changed since it was applied"* ]]
	[ "$(rows)" = "bbbb0002" ]
	run rg verify
	[ "$status" -eq 1 ]
	[[ "$output" == *"statement 2 of revision 'aaaa0001' changed"* ]]
	run rg upgrade --force
	[ "$status" -eq 0 ]
	[ "$(rows)" = "cccc0003" ]
}

@test "stamp moves the rows without running SQL, and --purge clears unknown ones" {
	cp "$ROOT"/tests/fixtures/graphs/branch_merge/migrations/*.sql migrations/
	run rg stamp a47e2c6b1d05
	[ "$status" -eq 0 ]
	[ "$(rows)" = "a47e2c6b1d05" ]
	run rg stamp b7d2e8f1a9c3
	[ "$status" -eq 0 ]
	[ "$(rows)" = "a47e2c6b1d05,b7d2e8f1a9c3" ]
	psql_ -c "INSERT INTO revgate_version VALUES ('feedbeef0000')"
	run rg upgrade
	[ "$status" -eq 2 ]
	[[ "$output" == *"'feedbeef0000', which is not in the migrations directory"* ]]
	run rg stamp --purge head
	[ "$status" -eq 0 ]
	[ "$(rows)" = "f1e2d3c4b5a6" ]
	run rg stamp base
	[ "$(rows)" = "" ]
}

@test "--dry-run shows the steps from the database's state and changes nothing" {
	cp "$ROOT"/tests/fixtures/graphs/linear/migrations/*.sql migrations/
	run rg upgrade +2
	[ "$status" -eq 0 ]
	run rg upgrade --dry-run --format json
	[ "$status" -eq 0 ]
	n=$(echo "$output" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$n" -eq 4 ]
	run rg current --format json
	[ "$(echo "$output" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 1 ]
}

@test "--single-transaction runs the batch in one transaction" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT 1/0;" "SELECT 1;"
	run rg upgrade --single-transaction
	[ "$status" -eq 3 ]
	[[ "$output" == *"whole run was rolled back"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_version")" = "0" ]
	[ "$(psql_ -c "SELECT to_regclass('a') IS NULL")" = "t" ]
}

@test "the password never appears in output or in the tables" {
	mkrev aaaa0001 none "SELECT 1;" "SELECT 1;"
	run rg upgrade --url "postgresql://postgres:Sup3r-s3cret-pw@/$DB?host=$PGHOST&port=$PGPORT"
	[ "$status" -eq 0 ]
	run rg current --url "postgresql://postgres:Sup3r-s3cret-pw@/nodb_here?host=$PGHOST&port=$PGPORT"
	[ "$status" -eq 3 ]
	[[ "$output" != *"Sup3r-s3cret-pw"* ]]
	[ -z "$(psql_ -c "SELECT 1 FROM revgate_history h WHERE h::text LIKE '%Sup3r%'")" ]
}

@test "the gate: upgrade lints what it is about to run and refuses on an error unless --force" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE INDEX a_id ON a (id);" "DROP INDEX a_id;"
	run rg upgrade aaaa0001
	[ "$status" -eq 0 ]
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_bbbb0002_rev.sql:6:"*"error[require-concurrent-index-creation]"* ]]
	[ "$(rows)" = "aaaa0001" ]
	run rg upgrade --force
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "a version-table UPDATE that touches other than one row aborts the revision" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	# a revision that tampers with the version table itself
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);
DELETE FROM revgate_version;" "DROP TABLE b;"
	run rg upgrade aaaa0001
	[ "$status" -eq 0 ]
	run rg upgrade --force
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"the version table changed under this run: updating aaaa0001 to bbbb0002 touched 0 rows, not 1"* ]]
	[ "$(rows)" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT to_regclass('b') IS NULL")" = "t" ]
}

@test "--version-table SCHEMA.NAME keeps both tables in that schema" {
	psql_ -c "CREATE SCHEMA ops"
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	run rg upgrade --version-table ops.versions
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT version_num FROM ops.versions")" = "aaaa0001" ]
	[ "$(psql_ -c "SELECT count(*) FROM ops.revgate_history")" = "1" ]
	[ "$(psql_ -c "SELECT to_regclass('public.revgate_version') IS NULL")" = "t" ]
	run rg current --version-table ops.versions
	[[ "$output" == "aaaa0001"* ]]
}

@test "the history table is append-only" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	run rg upgrade
	[ "$status" -eq 0 ]
	run psql_ -c "DELETE FROM revgate_history"
	[ "$status" -ne 0 ]
	[[ "$output" == *"revgate_history is append-only"* ]]
	run psql_ -c "UPDATE revgate_history SET outcome = 'x'"
	[ "$status" -ne 0 ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history")" = "1" ]
}

@test "the --sql script runs with psql and leaves the rows an online run leaves" {
	cp "$ROOT"/tests/fixtures/graphs/branch_merge/migrations/*.sql migrations/
	rg upgrade --sql :a47e2c6b1d05 >up1.sql
	psql_ -f up1.sql >/dev/null
	[ "$(rows)" = "a47e2c6b1d05" ]
	# the DDL is idempotent: a second script starts from the rows the first left
	rg upgrade --sql a47e2c6b1d05:head >up2.sql
	psql_ -f up2.sql >/dev/null
	[ "$(rows)" = "f1e2d3c4b5a6" ]
	run rg current --check-heads
	[ "$status" -eq 0 ]
	# the script recorded checksums: verify works on what it applied
	run rg verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"verified 8 applied revisions"* ]]
	rg downgrade --sql f1e2d3c4b5a6:base >down.sql
	psql_ -f down.sql >/dev/null
	[ "$(rows)" = "" ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history WHERE outcome IN ('applied', 'reverted')")" = "16" ]
}

@test "a revision file with an error is never skipped silently" {
	mkrev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" "DROP TABLE b;" "-- down_revison: typo"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown-header-key"* ]]
	[ "$(psql_ -c "SELECT to_regclass('revgate_version') IS NULL")" = "t" ]
}

@test "a revision that commits on its own is refused before anything runs" {
	mkrev aaaa0001 none "BEGIN;
CREATE TABLE a (id int);
COMMIT;" "DROP TABLE a;"
	run rg upgrade --force
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_aaaa0001_rev.sql:6:1: a revision must not begin or end transactions"* ]]
	[ "$(psql_ -c "SELECT to_regclass('a') IS NULL")" = "t" ]
	run rg upgrade --plan
	[ "$status" -eq 1 ]
	# a savepoint stays inside revgate's transaction
	mkrev aaaa0001 none "CREATE TABLE a (id int);
SAVEPOINT s;
INSERT INTO a VALUES (1);
RELEASE SAVEPOINT s;" "DROP TABLE a;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a revision's SET search_path and SET ROLE end with it" {
	psql_ -c "CREATE ROLE app NOLOGIN"
	mkrev aaaa0001 none "CREATE SCHEMA other;
SET search_path = other;
CREATE TABLE in_other (id int);
SET ROLE app;" "SELECT 1;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE t2 (id int);" "DROP TABLE t2;"
	run rg upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
	# the next revision ran in the default schema, as the connecting role
	[ "$(psql_ -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 't2'")" = "postgres" ]
	[ -n "$(psql_ -c "SELECT to_regclass('other.in_other')")" ]
	# revgate's tables stayed where they were, and nothing went to 'other'
	[ -z "$(psql_ -c "SELECT to_regclass('other.revgate_version')")" ]
	[ "$(psql_ -c "SELECT count(*) FROM public.revgate_history WHERE outcome = 'applied'")" -eq 2 ]
}

@test "stamp refuses targets on one line of history, and writes nothing" {
	mkrev aaaa0001 none "SELECT 1;" "SELECT 1;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "SELECT 1;" "SELECT 1;"
	run rg stamp aaaa0001 bbbb0002
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"Requested revision aaaa0001 overlaps with other requested revisions bbbb0002"* ]]
	[ -z "$(psql_ -c "SELECT version_num FROM revgate_version")" ]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_history")" -eq 0 ]
	run rg stamp bbbb0002
	[ "$status" -eq 0 ]
	[ "$(rows)" = "bbbb0002" ]
}

@test "resolve names the segment that failed and needs an exact id or a unique prefix" {
	mkrev aaaa0001 none "CREATE TABLE a (id int); INSERT INTO a VALUES (1), (1);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE x (id int);
CREATE UNIQUE INDEX CONCURRENTLY a_id ON a (id);
CREATE TABLE y (id int);" "SELECT 1;" "-- transaction: false"
	run rg upgrade
	[ "$status" -eq 3 ]
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"revision bbbb0002: upgrade stopped in segment 2 of 4 (failed): "*"SQLSTATE 23505"* ]]
	run rg upgrade
	[[ "$output" == *"'bbbb0002' is half-done: its upgrade stopped in segment 2 of 4 (failed)"* ]]
	# a second half-done revision with the same first characters
	psql_ -c "INSERT INTO revgate_history (revision, direction, outcome, segment, segments, tool_version) VALUES ('bbbb0003', 'upgrade', 'segment', 1, 2, 'test')"
	for rev in "" b bbb; do
		run rg resolve --rolled-back "$rev"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"too short to name a revision"* ]]
	done
	run rg resolve --done bbbb
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bbbb' names several half-done revisions: bbbb0002, bbbb0003"* ]]
	run rg resolve --rolled-back cccc
	[ "$status" -eq 2 ]
	[[ "$output" == *"revision 'cccc' is not half-done"* ]]
	[ "$(rows)" = "aaaa0001" ]
	# what ran is still there: the claim is refused, naming it
	run rg resolve --rolled-back bbbb0002
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment 1 ("*":7) ran and is still there: table x exists"* ]]
	[[ "$output" == *"left index public.a_id INVALID: drop it first with 'DROP INDEX CONCURRENTLY public.a_id;'"* ]]
	psql_ -c "DROP TABLE x" -c "DROP INDEX a_id"
	run rg resolve --rolled-back bbbb0002
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resolved bbbb0002 as rolled back"* ]]
}

@test "upgrade and resolve agree on whether a revision is half-done" {
	sql_rev aaaa0001 none "CREATE TABLE t (id int);" "DROP TABLE t;" 20250101_0000
	run rg upgrade
	[ "$status" -eq 0 ]
	# a mixed revision whose first transaction fails: nothing of it stayed
	sql_rev bbbb0002 aaaa0001 "INSERT INTO nosuch VALUES (1);
CREATE INDEX CONCURRENTLY t_id ON t (id);" "DROP INDEX t_id;" 20250101_0001
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"revision 'bbbb0002' failed and was rolled back"* ]]
	[[ "$output" != *"resolve"* ]]
	run rg resolve
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to resolve"* ]]
	# its statement outside a transaction fails after the first one ran
	sql_rev bbbb0002 aaaa0001 "INSERT INTO t VALUES (1);
CREATE UNIQUE INDEX CONCURRENTLY t_id ON t ((1));
INSERT INTO t VALUES (2);" "DROP INDEX t_id;" 20250101_0001
	psql_ -c "INSERT INTO t VALUES (1)"
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"revision 'bbbb0002' stopped part-way"*"run 'revgate resolve'"* ]]
	run rg resolve
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"revision bbbb0002: upgrade stopped"* ]]
	# what resolve prints comes before its verdict, also through a pipe
	[[ "${lines[-1]}" == "revgate resolve: 1 revision is half-done" ]]
}

@test "history --indicate-current marks the revisions the database is at" {
	sql_rev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;" 20250101_0000
	sql_rev bbbb0002 aaaa0001 "CREATE TABLE b (id int);" "DROP TABLE b;" 20250101_0001
	sql_rev cccc0003 aaaa0001 "CREATE TABLE c (id int);" "DROP TABLE c;" 20250101_0002 "-- branch_labels: other"
	run rg history --indicate-current
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"(current)"* ]]
	run rg upgrade bbbb0002
	[ "$status" -eq 0 ]
	run rg history --indicate-current
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "aaaa0001 -> bbbb0002 (head) (current), revision bbbb0002" ]
	[ "${lines[1]}" = "aaaa0001 -> cccc0003 (other) (head), revision cccc0003" ]
	[ "${lines[2]}" = "<base> -> aaaa0001 (branchpoint), revision aaaa0001" ]
	run rg upgrade other@head
	run rg history -i -v
	[[ "$output" == *"Rev: bbbb0002 (head) (current)"* ]]
	[[ "$output" == *"Rev: cccc0003 (head) (current)"* ]]
	[[ "$output" == *"Rev: aaaa0001 (branchpoint)"$'\n'* ]]
	run rg history --indicate-current --format json
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert {r["revision"]: r["is_current"] for r in d} == {"bbbb0002": True, "cccc0003": True, "aaaa0001": False}, d
' "$output"
	# without the option nothing connects, and JSON has no is_current
	run rg history --format json --url "postgresql:///nosuch?host=/nonexistent"
	[ "$status" -eq 0 ]
	[[ "$output" != *"is_current"* ]]
	run rg history --indicate-current --url "postgresql:///nosuch?host=/nonexistent"
	[ "$status" -eq 3 ]
}
