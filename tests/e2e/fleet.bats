#!/usr/bin/env bats
# One history, many databases: upgrade, downgrade, current, verify and stamp
# over a target set (a targets file, [databases] in revgate.ini, every
# database of a server, every schema of a database), N at a time, on a real
# PostgreSQL 15 (one throwaway cluster for this file). The target set is
# checked before anything runs; each database keeps its own lock, tables
# and outcome; a failure stops new ones unless --keep-going; the report is
# a table or JSON and never shows a password.
#
# The sanitizer run uses 20 databases and schemas instead of 100: each
# target is a revgate process, several times slower to start under ASan.

load helpers
load db_helpers

# The cluster lives in memory when there is room: a CREATE DATABASE writes
# the template's 7 MB, and this file makes some 150 databases, which on a
# shared disk is most of its time (on /dev/shm: 7 ms each instead of
# 50-170). Elsewhere, db_helpers' place.
setup_file() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	local dir="$BATS_FILE_TMPDIR/pg" avail
	avail=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [ "${avail:-0}" -gt $((3 * 1024 * 1024)) ]; then
		dir=$(mktemp -d /dev/shm/revgate-fleet.XXXXXX) || return 1
	fi
	echo "$dir" >"$BATS_FILE_TMPDIR/pg.dir"
	pg_start "$dir" >&3 2>&1 || return 1
	export PGHOST PGPORT PGUSER PGDATABASE PG_BIN
}

teardown_file() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	local dir
	dir=$(cat "$BATS_FILE_TMPDIR/pg.dir")
	PG_TEST_DIR=$dir PG_TEST_DATA=$dir/data pg_stop
}

setup() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	new_project
	N=100
	[ -z "${REVGATE_SANITIZE:-}" ] || N=20
	# every database of a test starts with its number: the server is
	# shared by the whole file
	P="f${BATS_TEST_NUMBER}"
}

teardown() {
	if [ -n "${PG_TEST_DATA:-}" ] && [ ! -f "$PG_TEST_DATA/postmaster.pid" ]; then
		pg_server_start || true
	fi
	cd /
	rm -rf "$PROJ"
}

url() { printf 'postgresql:///%s?host=%s&port=%s&user=postgres' "$1" "$PGHOST" "$PGPORT"; }
sql() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "${2:-postgres}" -c "$1"; }

# mkdbs COUNT: databases ${P}_001.. and targets.txt naming them (names
# t001..). Four psql at once: each CREATE DATABASE waits for a checkpoint,
# and concurrent ones share it. FILE_COPY: a checkpoint instead of the
# template in the WAL, cheaper here where fsync is off.
mkdbs() {
	local i s db pids=() rc=0
	for ((i = 1; i <= $1; i++)); do
		printf -v db '%s_%03d' "$P" "$i"
		printf 't%03d = %s\n' "$i" "$(url "$db")" >>targets.txt
	done
	for ((s = 0; s < 4; s++)); do
		for ((i = 1 + s; i <= $1; i += 4)); do
			printf 'CREATE DATABASE %s_%03d STRATEGY FILE_COPY;\n' "$P" "$i"
		done | "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres &
		pids+=($!)
	done
	for s in "${pids[@]}"; do wait "$s" || rc=1; done
	return $rc
}

# each_db SQL: one line "db|result" per database ${P}_*, in one psql.
each_db() {
	local db
	for db in $(sql "SELECT datname FROM pg_database WHERE datname LIKE '${P}\_%' ORDER BY 1"); do
		echo "\\c $db"
		echo "SELECT '$db', ($1);"
	done | "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d postgres
}

# history: accounts, then orders, then a column.
history() {
	sql_rev aaaa0001 none "CREATE TABLE accounts (id bigint PRIMARY KEY);" "DROP TABLE accounts;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "CREATE TABLE orders (id bigint PRIMARY KEY, account bigint REFERENCES accounts);" \
		"DROP TABLE orders;" 20250101_0002
	sql_rev cccc0003 bbbb0002 "ALTER TABLE accounts ADD COLUMN name text;" \
		"ALTER TABLE accounts DROP COLUMN name;" 20250101_0003
}

# json_of TEXT: the JSON document in a run's output (stderr has its lines
# per event).
json_of() { sed -n '/^{/,/^}/p' <<<"$1"; }

# report: the JSON report as "name outcome connected from to steps" lines,
# then "error name: ..." for each error.
report() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
for t in d["targets"]:
    none = "base" if t["connected"] else "-"
    print(t["name"], t["outcome"], t["connected"], ",".join(t["from"]) or none,
          ",".join(t["to"]) or none, t["steps"])
for t in d["targets"]:
    if t["error"]:
        print("error %s: %s" % (t["name"], t["error"]))
s = d["summary"]
print("summary", s["targets"], s["applied"], s["unchanged"], s["failed"], s["skipped"])
'
}

@test "fleet: 100 databases, one poisoned: 99 reach head, it is named with its error, the rerun touches only it" {
	history
	mkdbs "$N"
	# one poisoned database in the middle of the set
	printf -v K %03d $((N * 2 / 5 + 2))
	sql "CREATE TABLE orders (id int)" "${P}_$K"
	run rg upgrade --targets targets.txt --jobs 8 --keep-going --format json
	echo "$output"
	[ "$status" -eq 1 ]
	r=$(report <<<"$(json_of "$output")")
	echo "$r"
	grep -qx "summary $N $((N - 1)) 0 1 0" <<<"$r"
	grep -qx "t$K failed True base aaaa0001 1" <<<"$r"
	grep -qx 't001 applied True base cccc0003 3' <<<"$r"
	[ "$(grep -c ' applied True base cccc0003 3$' <<<"$r")" -eq $((N - 1)) ]
	grep -qE "^error t$K: migrations/20250101_0002_bbbb0002_rev.sql:[0-9]+:[0-9]+: relation \"orders\" already exists \(SQLSTATE 42P07\); revision 'bbbb0002' failed and was rolled back" <<<"$r"
	[ "$(grep -c '^error ' <<<"$r")" -eq 1 ]
	grep -q "revgate upgrade: 1 of $N databases did not succeed (1 failed, 0 skipped)" <<<"$output"
	# every other database at head, the poisoned one where it stopped
	# (one scan: the heads, then the history's length)
	before=$(each_db "(SELECT string_agg(version_num, ',') FROM revgate_version) || '|' || (SELECT count(*) FROM revgate_history)")
	[ "$(grep -c '|cccc0003|' <<<"$before")" -eq $((N - 1)) ]
	grep -q "^${P}_$K|aaaa0001|" <<<"$before"

	# the fix, then the same command: only the poisoned database moves
	sql "DROP TABLE orders" "${P}_$K"
	run rg upgrade --targets targets.txt --jobs 8 --keep-going --format json
	[ "$status" -eq 0 ]
	r=$(report <<<"$(json_of "$output")")
	grep -qx "summary $N 1 $((N - 1)) 0 0" <<<"$r"
	grep -qx "t$K applied True aaaa0001 cccc0003 2" <<<"$r"
	[ "$(grep -c ' unchanged True cccc0003 cccc0003 0$' <<<"$r")" -eq $((N - 1)) ]
	after=$(each_db "(SELECT string_agg(version_num, ',') FROM revgate_version) || '|' || (SELECT count(*) FROM revgate_history)")
	diff <(grep -v "^${P}_$K|" <<<"$before") <(grep -v "^${P}_$K|" <<<"$after")
	[ "$(grep -c '|cccc0003|' <<<"$after")" -eq "$N" ]
}

@test "fleet: 100 schemas of one database, one poisoned: each its own tables and search_path; the rerun touches only it" {
	history
	sql "CREATE DATABASE $P"
	for ((i = 1; i <= N; i++)); do printf 'CREATE SCHEMA tenant_%03d;\n' "$i"; done |
		"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$P"
	sql "CREATE SCHEMA other; CREATE TABLE tenant_007.orders (id int)" "$P"
	run rg upgrade --url "$(url "$P")" --each-schema 'tenant_*' --jobs 8 --keep-going --format json
	echo "$output"
	[ "$status" -eq 1 ]
	r=$(report <<<"$(json_of "$output")")
	grep -qx "summary $N $((N - 1)) 0 1 0" <<<"$r"
	grep -qx 'tenant_007 failed True base aaaa0001 1' <<<"$r"
	grep -q "error tenant_007: .*relation \"orders\" already exists (SQLSTATE 42P07)" <<<"$r"
	# revgate's tables and the revisions' in each schema, none elsewhere
	[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'revgate_version'" "$P")" -eq "$N" ]
	[ "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'tenant\_%' AND tablename = 'orders'" "$P")" -eq "$N" ]
	[ "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'other')" "$P")" -eq 0 ]
	[ "$(sql "SELECT version_num FROM tenant_$(printf %03d "$N").revgate_version" "$P")" = cccc0003 ]
	before=$(sql "SELECT schemaname, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.revgate_history', schemaname), false, true, '')))[1]::text FROM pg_tables WHERE tablename = 'revgate_history' AND schemaname <> 'tenant_007' ORDER BY 1" "$P")

	sql "DROP TABLE tenant_007.orders" "$P"
	run rg upgrade --url "$(url "$P")" --each-schema 'tenant_*' --jobs 8 --format json
	[ "$status" -eq 0 ]
	r=$(report <<<"$(json_of "$output")")
	grep -qx "summary $N 1 $((N - 1)) 0 0" <<<"$r"
	grep -qx 'tenant_007 applied True aaaa0001 cccc0003 2' <<<"$r"
	after=$(sql "SELECT schemaname, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.revgate_history', schemaname), false, true, '')))[1]::text FROM pg_tables WHERE tablename = 'revgate_history' AND schemaname <> 'tenant_007' ORDER BY 1" "$P")
	[ "$before" = "$after" ]
}

@test "fleet: two runs started at once apply every revision exactly once per database" {
	sql_rev aaaa0001 none "CREATE TABLE ledger (rev text); INSERT INTO ledger VALUES ('a'); SELECT pg_sleep(0.1);" "SELECT 1;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "INSERT INTO ledger VALUES ('b'); SELECT pg_sleep(0.1);" "SELECT 1;" 20250101_0002
	sql_rev cccc0003 bbbb0002 "INSERT INTO ledger VALUES ('c');" "SELECT 1;" 20250101_0003
	mkdbs 12
	rg upgrade --targets targets.txt --jobs 4 --lock-wait 120s >out.1 2>&1 &
	p1=$!
	rg upgrade --targets targets.txt --jobs 4 --lock-wait 120s >out.2 2>&1 &
	p2=$!
	wait "$p1"
	s1=$?
	wait "$p2"
	s2=$?
	cat out.1 out.2
	[ "$s1" -eq 0 ] && [ "$s2" -eq 0 ]
	# each database applied by one run or the other, never both
	[ "$(cat out.1 out.2 | grep -cE '^t[0-9]{3} +base +cccc0003 +applied ')" -eq 12 ]
	[ "$(cat out.1 out.2 | grep -cE '^t[0-9]{3} +cccc0003 +cccc0003 +unchanged ')" -eq 12 ]
	[ "$(each_db "SELECT string_agg(rev, '' ORDER BY rev) FROM ledger" | grep -c '|abc$')" -eq 12 ]
	[ "$(each_db "SELECT count(*) FROM revgate_history WHERE outcome = 'applied'" | grep -c '|3$')" -eq 12 ]
}

@test "fleet: the target set is checked before anything runs, every problem named, no password shown" {
	history
	mkdbs 2
	cat >bad.txt <<EOF
# comment lines and blank lines are fine

good = $(url "${P}_001")
postgresql://app:Hunter2Secret@db.example/app
bad name = $(url "${P}_002")
-dash = $(url "${P}_002")
empty =
again = postgresql://app:Hunter2Secret@db.example/app?nosuchparam=1
good = $(url "${P}_002")
same = $(url "${P}_001")
EOF
	run rg upgrade --targets bad.txt
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" != *Hunter2Secret* ]]
	grep -qF "revgate: bad.txt:4: expected 'name = URL', found 'postgresql://app:***@db.example/app'" <<<"$output"
	grep -qF "revgate: bad.txt:5: 'bad name': the name holds a blank or a control character" <<<"$output"
	grep -qF "revgate: bad.txt:6: '-dash': the name starts with '-'" <<<"$output"
	grep -qF "revgate: bad.txt:7: 'empty' has no URL" <<<"$output"
	grep -qF "revgate: bad.txt:8: 'again': invalid database URL 'postgresql://app:***@db.example/app?nosuchparam=1'" <<<"$output"
	grep -qF "revgate: bad.txt:9: the name 'good' is taken (bad.txt:3)" <<<"$output"
	grep -qF "revgate: bad.txt:10: 'same' is the same database as 'good' (bad.txt:3)" <<<"$output"
	grep -qF "revgate upgrade: the target set has 7 problems (above); nothing ran" <<<"$output"
	[ "$(each_db "to_regclass('revgate_version') IS NULL" | grep -c '|t$')" -eq 2 ]

	: >empty.txt
	run rg upgrade --targets empty.txt
	[ "$status" -eq 2 ]
	grep -qF "revgate: 'empty.txt' names no database (lines 'name = URL')" <<<"$output"
	run rg upgrade --targets missing.txt
	[ "$status" -eq 2 ]
	grep -qF "targets file 'missing.txt' does not exist" <<<"$output"
	run rg upgrade --url "$(url postgres)" --each-database 'nothing_*'
	[ "$status" -eq 2 ]
	grep -qF "no database on the server of 'postgresql:///postgres?host=" <<<"$output"
	grep -qF "matches 'nothing_*'" <<<"$output"
	run rg upgrade --url "postgresql://app:Hunter2Secret@127.0.0.1:1/app" --each-database '*'
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" != *Hunter2Secret* ]]
	grep -q "cannot reach the PostgreSQL server at 127.0.0.1:1/app" <<<"$output"
}

@test "fleet: options that need a target set, or one database, are refused" {
	history
	mkdbs 1
	for args in "--jobs 2" "--keep-going" "--canary 1"; do
		# shellcheck disable=SC2086
		run rg upgrade $args
		[ "$status" -eq 2 ]
		grep -q "is for a target set: add --targets FILE" <<<"$output"
	done
	run rg upgrade --targets targets.txt --each-schema 'x*'
	[ "$status" -eq 2 ]
	grep -qF -- "--targets and --each-schema: give one target set" <<<"$output"
	for opt in --plan --sql --dry-run "--backup dir" "--metrics m.prom" "--events e.jsonl"; do
		# shellcheck disable=SC2086
		run rg upgrade --targets targets.txt $opt
		[ "$status" -eq 2 ]
		grep -qF -- "${opt%% *} is for one database: run it with --url" <<<"$output"
	done
	run rg upgrade --targets targets.txt --url "$(url postgres)"
	[ "$status" -eq 2 ]
	grep -qF -- "--url and --targets: the target set names the databases" <<<"$output"
	for j in 0 -1 x 257; do
		run rg upgrade --targets targets.txt --jobs "$j"
		[ "$status" -eq 2 ]
		grep -qF -- "--jobs takes a number from 1 to 256, not '$j'" <<<"$output"
	done
	run rg upgrade --url "$(url postgres)" --each-schema 'x*' --version-table s.v
	[ "$status" -eq 2 ]
	grep -qF -- "--each-schema puts revgate's tables in each schema" <<<"$output"
	# a broken history is refused once, not once per database
	sql_rev dddd0004 nosuch "SELECT 1;" "SELECT 1;" 20250101_0004
	run rg upgrade --targets targets.txt
	[ "$status" -eq 1 ]
	grep -q "the revision graph has errors" <<<"$output"
	[ "$(grep -c 'revision graph has errors' <<<"$output")" -eq 1 ]
}

@test "fleet: after a failure no new database starts; --keep-going runs all; --canary stops before the rest" {
	history
	mkdbs 6
	sql "CREATE TABLE orders (id int)" "${P}_002"
	run rg upgrade --targets targets.txt --jobs 1
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qE '^t001 +base +cccc0003 +applied ' <<<"$output"
	grep -qE '^t002 +base +aaaa0001 +failed .*relation "orders" already exists' <<<"$output"
	for i in 3 4 5 6; do grep -qE "^t00$i +- +- +skipped +-$" <<<"$output"; done
	grep -qF "6 databases: 1 applied, 0 unchanged, 1 failed, 4 skipped (" <<<"$output"
	grep -qF "skipped because 't002' failed" <<<"$output"
	grep -qF "revgate upgrade: no new database starts: 't002' failed (--keep-going runs them all)" <<<"$output"
	grep -qF "revgate upgrade: 5 of 6 databases did not succeed (1 failed, 4 skipped)" <<<"$output"

	run rg upgrade --targets targets.txt --jobs 1 --keep-going
	[ "$status" -eq 1 ]
	grep -qF "6 databases: 4 applied, 1 unchanged, 1 failed, 0 skipped (" <<<"$output"

	# canaries, on six new databases: the first two, then the rest only
	# if both succeeded
	rm targets.txt
	P=${P}c
	mkdbs 6
	sql "CREATE TABLE orders (id int)" "${P}_001"
	run rg upgrade --targets targets.txt --canary 2 --keep-going
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qE '^t001 +base +aaaa0001 +failed ' <<<"$output"
	grep -qE '^t002 +base +cccc0003 +applied ' <<<"$output"
	for i in 3 4 5 6; do grep -qE "^t00$i +- +- +skipped " <<<"$output"; done
	grep -qF "no new database starts: 1 of the 2 canaries failed" <<<"$output"
	sql "DROP TABLE orders" "${P}_001"
	run rg upgrade --targets targets.txt --canary 2
	[ "$status" -eq 0 ]
	grep -qF "6 databases: 5 applied, 1 unchanged, 0 failed, 0 skipped (" <<<"$output"
}

@test "fleet: current, verify, stamp and downgrade over a target set" {
	history
	mkdbs 3
	cat >revgate.ini <<EOF
[revgate]
migrations = migrations

[databases]
eu = $(url "${P}_001")
us = $(url "${P}_002")
staging = $(url "${P}_003")
EOF
	run rg upgrade --databases '*' -q
	[ "$status" -eq 0 ]
	run rg current --databases '[eu]*' --format json
	echo "$output"
	[ "$status" -eq 0 ]
	r=$(report <<<"$(json_of "$output")")
	grep -qx 'eu unchanged True cccc0003 cccc0003 0' <<<"$r"
	grep -qx 'us unchanged True cccc0003 cccc0003 0' <<<"$r"
	! grep -q staging <<<"$r"
	run rg current --databases 'nomatch*'
	[ "$status" -eq 2 ]
	grep -qF "no entry of [databases] in revgate.ini matches 'nomatch*'" <<<"$output"

	run rg downgrade -1 --databases 'staging' -q
	[ "$status" -eq 0 ]
	grep -qE '^staging +cccc0003 +bbbb0002 +applied ' <<<"$output"
	run rg current --databases '*' --check-heads -q
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qE '^staging +bbbb0002 +bbbb0002 +failed .*the database is not at the head revisions' <<<"$output"

	run rg stamp head --databases '*' --keep-going -q
	[ "$status" -eq 0 ]
	grep -qE '^staging +bbbb0002 +cccc0003 +applied ' <<<"$output"
	grep -qE '^eu +cccc0003 +cccc0003 +unchanged ' <<<"$output"

	# a changed applied revision: verify fails on every database
	sed -i 's/name text/name varchar/' migrations/20250101_0003_cccc0003_rev.sql
	run rg verify --databases '*' --keep-going
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -cE '^(eu|us|staging) +cccc0003 +cccc0003 +failed .*changed since it ran' <<<"$output")" -eq 3 ]
	grep -q "applied-checksum-mismatch" <<<"$output"
}

@test "fleet: a revision left half-done is reported with resolve's advice; the rerun leaves the others alone" {
	sql_rev aaaa0001 none "CREATE TABLE t (v int);" "DROP TABLE t;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "CREATE INDEX CONCURRENTLY t_v ON t (v);
CREATE INDEX CONCURRENTLY t_w ON t (v);" "SELECT 1;" 20250101_0002 "-- transaction: false"
	mkdbs 3
	# in database 2 the second build meets an index of that name
	sql "CREATE TABLE x (v int); CREATE INDEX t_w ON x (v)" "${P}_002"
	run rg upgrade --targets targets.txt --keep-going
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qE "^t002 +base +aaaa0001 +failed .*relation \"t_w\" already exists \(SQLSTATE 42P07\); revision 'bbbb0002' stopped part-way \(it runs outside a transaction\); run 'revgate resolve' before the next upgrade$" <<<"$output"
	grep -qE '^t001 +base +bbbb0002 +applied ' <<<"$output"
	run rg upgrade --targets targets.txt --keep-going
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qE "^t002 +aaaa0001 +aaaa0001 +failed +[0-9.]+ s +revision 'bbbb0002' is half-done: its upgrade stopped .*; a revision is half-done; run 'revgate resolve' to see what the database holds" <<<"$output"
	grep -qE '^t001 +bbbb0002 +bbbb0002 +unchanged ' <<<"$output"
	grep -qE '^t003 +bbbb0002 +bbbb0002 +unchanged ' <<<"$output"
}

@test "fleet: passwords never appear, in the table, the JSON, the event lines or a target's output" {
	history
	mkdbs 2
	# trust authentication ignores a password: the URL still carries it
	cat >pw.txt <<EOF
a = postgresql://postgres:Hunter2Secret@/${P}_001?host=$PGHOST&port=$PGPORT
b = postgresql://postgres:Hunter2Secret@/nosuchdb?host=$PGHOST&port=$PGPORT
c = host=$PGHOST port=$PGPORT dbname=${P}_002 user=postgres password=Hunter2Secret
d = postgresql://postgres:Hunter2Secret@127.0.0.1:1/x
EOF
	sql "CREATE TABLE orders (id int)" "${P}_002"
	for fmt in text json; do
		run rg upgrade --targets pw.txt --keep-going --format "$fmt"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" != *Hunter2Secret* ]]
		grep -q "database 'nosuchdb' does not exist" <<<"$output"
		grep -q 'relation "orders" already exists' <<<"$output"
	done
	grep -qF '"url": "postgresql://postgres:***@/' <<<"$output"
	grep -qF '"url": "host=' <<<"$output"
	grep -qF 'password=***' <<<"$output"
}

@test "fleet: every database of a server and every schema of a database, whatever their names" {
	history
	sql 'CREATE DATABASE "'"$P"' we""ird db"'
	sql "CREATE DATABASE ${P}_plain"
	run rg upgrade --url "$(url postgres)" --each-database "${P}[_ ]*" -q
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qE "^$P we\"ird db +base +cccc0003 +applied " <<<"$output"
	grep -qE "^${P}_plain +base +cccc0003 +applied " <<<"$output"
	grep -qF "2 databases: 2 applied" <<<"$output"
	[ "$(sql "SELECT version_num FROM revgate_version" "$P we\"ird db")" = cccc0003 ]

	sql 'CREATE SCHEMA "Tenant ""A"""; CREATE SCHEMA "tenant b"; CREATE SCHEMA "a.b"' "${P}_plain"
	run rg upgrade --url "$(url "${P}_plain")" --each-schema '[Tt]enant*' -q
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qE '^Tenant "A" +base +cccc0003 +applied ' <<<"$output"
	grep -qE '^tenant b +base +cccc0003 +applied ' <<<"$output"
	grep -qF "2 schemas: 2 applied" <<<"$output"
	[ "$(sql 'SELECT version_num FROM "Tenant ""A""".revgate_version' "${P}_plain")" = cccc0003 ]
	[ "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant b'" "${P}_plain")" -eq 4 ]
	run rg upgrade --url "$(url "${P}_plain")" --each-schema '*'
	[ "$status" -eq 2 ]
	grep -qF "schema 'a.b' has a '.' in its name" <<<"$output"
}

@test "fleet: a log gets one line per event; a terminal gets the live view, then the table" {
	history
	mkdbs 3
	run rg upgrade --targets targets.txt --jobs 1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'revgate upgrade: 3 databases, 1 at a time' <<<"$output"
	grep -qx 't001: at base' <<<"$output"
	grep -qx 't001: upgrade aaaa0001 (1/3)' <<<"$output"
	grep -qx 't001: upgrade cccc0003 (3/3)' <<<"$output"
	grep -qE '^t001: applied base -> cccc0003 \([0-9.]+ s\)$' <<<"$output"
	grep -qE '^t003 +base +cccc0003 +applied +[0-9.]+ s$' <<<"$output"

	sql_rev dddd0004 cccc0003 "SELECT pg_sleep(0.4);" "SELECT 1;" 20250101_0004
	TERM=xterm script -qfec "$REVGATE upgrade --targets targets.txt --jobs 2" typescript >/dev/null
	cat -v typescript
	grep -qE 'upgrade \[-+\] 0/3  0 applied, 0 unchanged, 0 failed' typescript
	grep -qE '  t001 +upgrade dddd0004  1/1' typescript
	grep -qE 'upgrade \[#+\] 3/3  3 applied' typescript
	grep -qE '^t002 +cccc0003 +dddd0004 +applied ' typescript
	# the view is erased before the table
	grep -q $'\e\[[0-9]*A\r\e\[J' typescript
}

@test "fleet: SIGTERM stops every database's revision, rolls it back and releases its lock" {
	sql_rev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "CREATE TABLE b (id int); SELECT pg_sleep(30);" "DROP TABLE b;" 20250101_0002
	mkdbs 4
	# revgate itself in the background, not a shell around it: the signal
	# is for revgate
	"$REVGATE" upgrade --targets targets.txt --jobs 2 --format json >out.json 2>err.txt &
	pid=$!
	for _ in $(seq 100); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" -eq 2 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" && s=0 || s=$?
	cat out.json err.txt
	[ "$s" -eq 130 ]
	r=$(report <out.json)
	[ "$(grep -c ' failed True base aaaa0001 1$' <<<"$r")" -eq 2 ]
	[ "$(grep -c ' skipped False - - 0$' <<<"$r")" -eq 2 ]
	grep -q "revgate upgrade: stopped by SIGTERM: 2 databases failed or stopped, 2 never started" err.txt
	# rolled back: b is not there; the next run takes the lock at once
	[ "$(each_db "to_regclass('b') IS NULL" | grep -c '|t$')" -eq 4 ]
	sed -i 's/SELECT pg_sleep(30);//' migrations/20250101_0002_bbbb0002_rev.sql
	run rg upgrade --targets targets.txt --lock-wait 2s
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "fleet: a server that goes away mid-run is reported database by database" {
	sql_rev aaaa0001 none "CREATE TABLE a (id int);" "DROP TABLE a;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "CREATE TABLE b (id int); SELECT pg_sleep(0.6);" "DROP TABLE b;" 20250101_0002
	mkdbs 8
	rg upgrade --targets targets.txt --jobs 2 --keep-going --format json >out.json 2>err.txt &
	pid=$!
	for _ in $(seq 100); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.6)%' AND pid <> pg_backend_pid()")" -ge 1 ] && break
		sleep 0.05
	done
	pg_server_stop immediate
	wait "$pid" && s=0 || s=$?
	cat out.json err.txt
	[ "$s" -eq 1 ] || [ "$s" -eq 3 ]
	r=$(report <out.json)
	# every database has its outcome and, when it failed, its own reason
	[ "$(grep -cE '^t00[1-8] (applied|failed) ' <<<"$r")" -eq 8 ]
	failed=$(grep -c '^t00[1-8] failed ' <<<"$r")
	[ "$failed" -ge 6 ]
	[ "$(grep -cE '^error t00[1-8]: .*(connection|server|reach)' <<<"$r")" -eq "$failed" ]
	grep -qE "^error t00[78]: cannot reach the PostgreSQL server at " <<<"$r"
	grep -q "summary 8 " <<<"$r"
}
