#!/usr/bin/env bats
# revgate test: up, down and up again with catalog snapshots, and both
# orders of merged branches, on a throwaway cluster it starts itself or on
# a given server (a scratch database it creates and drops).

load helpers

setup() {
	new_project
	unset DATABASE_URL
	mkrev aaaa0001 none "CREATE TABLE a (id bigint PRIMARY KEY, v int);" "DROP TABLE a;"
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "ALTER TABLE a ADD COLUMN b text;
CREATE INDEX CONCURRENTLY a_b ON a (b);" "DROP INDEX CONCURRENTLY a_b;
ALTER TABLE a DROP COLUMN b;"
	STAMP=20250101_0002 mkrev cccc0003 aaaa0001 "CREATE TABLE c (id bigint, a_id bigint REFERENCES a);" \
		"DROP TABLE c;"
	STAMP=20250101_0003 mkrev dddd0004 "bbbb0002, cccc0003" "" ""
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

@test "a sound history passes on a throwaway cluster, which is removed after" {
	# a temporary directory of its own: other suites start clusters too
	tmp=$(mktemp -d /tmp/revgate-tmpdir.XXXXXX)
	chmod 755 "$tmp"
	TMPDIR=$tmp run rg test
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "revgate test: on a throwaway PostgreSQL cluster it starts and removes (no --url given)" ]
	[[ "$output" == *"4 revisions, 20 steps"* ]]
	[ -z "$(ls -A "$tmp")" ]
	rmdir "$tmp"
}

@test "a downgrade that leaves something behind is named" {
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "ALTER TABLE a ADD COLUMN b text;
CREATE INDEX CONCURRENTLY a_b ON a (b);" "ALTER TABLE a DROP COLUMN b;
CREATE TABLE leftover (x int);"
	run rg test -q
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_bbbb0002_rev.sql: error[test-downgrade-differs]: downgrading 'bbbb0002' does not restore the schema before it: left over: "*"leftover"* ]]
}

@test "merged branches that give another schema in the other order are named" {
	# each downgrade restores what it found, but whichever branch runs
	# first decides the column's type
	STAMP=20250101_0001 mkrev bbbb0002 aaaa0001 "CREATE TABLE IF NOT EXISTS shared (x int);" "SELECT 1;"
	STAMP=20250101_0002 mkrev cccc0003 aaaa0001 "CREATE TABLE IF NOT EXISTS shared (x text);" \
		"DROP TABLE IF EXISTS shared;"
	run rg test -q
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[test-merge-order-differs]: with the merged branches in the other order, the schema at 'dddd0004' differs: "*"public.shared.x"* ]]
}

@test "a failing statement is reported with its position, and the test fails" {
	STAMP=20250101_0002 mkrev cccc0003 aaaa0001 "CREATE TABLE c (id bigint, a_id bigint REFERENCES nope);" \
		"DROP TABLE c;"
	run rg test -q
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"_cccc0003_rev.sql:6:"*"relation \"nope\" does not exist (SQLSTATE 42P01)"* ]]
	[[ "$output" == *"error[test-upgrade-failed]: upgrading 'cccc0003' failed"* ]]
}

@test "with a URL it works in a scratch database and drops it" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	run rg test --url "$DATABASE_URL"
	status_=$status
	dbs=$("$PG_BIN/psql" -X -qAt -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'revgate_test_%'")
	tables=$("$PG_BIN/psql" -X -qAt -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
	pg_stop
	echo "$output"
	[ "$status_" -eq 0 ]
	[ "$dbs" -eq 0 ]
	[ "$tables" -eq 0 ]
}

@test "without CREATEDB it refuses instead of running downgrades in the given database" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
	psql_ -c "CREATE ROLE app LOGIN NOCREATEDB" -c "CREATE DATABASE appdb OWNER app"
	psql_ -d appdb -U app -c "CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY, v int)" \
		-c "INSERT INTO a VALUES (1, 42)"
	mkrev aaaa0001 none "CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY, v int);" "DROP TABLE a;"
	app_url="postgresql:///appdb?host=$PGHOST&port=$PGPORT&user=app"
	# the URL given: the scratch database cannot be made
	run rg test --url "$app_url"
	status1=$status out1=$output
	# --in-place must be asked for with --url
	DATABASE_URL=$app_url run rg test --in-place
	status2=$status out2=$output
	# --in-place on a database with objects
	run rg test --in-place --url "$app_url"
	status3=$status out3=$output
	rows=$(psql_ -d appdb -c "SELECT v FROM a")
	left=$(psql_ -d appdb -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'revgate%'")
	pg_stop
	echo "$out1"; echo "$out2"; echo "$out3"
	[ "$status1" -eq 3 ]
	[[ "$out1" == *"cannot create a scratch database"*"(the URL from --url)"*"permission denied to create database"*"refusing to run the downgrades"*"--in-place --url URL"* ]]
	[ "$status2" -eq 2 ]
	[[ "$out2" == *"--in-place needs --url"* ]]
	[ "$status3" -eq 1 ]
	[[ "$out3" == *"needs a database without objects"*"public.a"* ]]
	[ "$rows" = 42 ]
	[ "$left" -eq 0 ]
}

@test "--in-place --url tests an empty database and drops revgate's tables after" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
	psql_ -c "CREATE ROLE app LOGIN NOCREATEDB" -c "CREATE DATABASE appdb OWNER app"
	psql_ -d appdb -c "ALTER SCHEMA public OWNER TO app"
	run rg test --in-place --url "postgresql:///appdb?host=$PGHOST&port=$PGPORT&user=app"
	status_=$status
	left=$(psql_ -d appdb -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'revgate%'")
	fns=$(psql_ -d appdb -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'revgate%'")
	pg_stop
	echo "$output"
	[ "$status_" -eq 0 ]
	[[ "$output" == *"4 revisions, 20 steps"* ]]
	[ "$left" -eq 0 ]
	[ "$fns" -eq 0 ]
}

@test "DATABASE_URL or .env without --url: the test runs on a throwaway cluster and never touches that server" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
	psql_ -c "CREATE ROLE keepme_$BATS_TEST_NUMBER LOGIN"
	STAMP=20250101_0004 mkrev eeee0005 dddd0004 "CREATE ROLE keepme_$BATS_TEST_NUMBER;" "DROP ROLE keepme_$BATS_TEST_NUMBER;"
	url=$DATABASE_URL
	run rg test
	status1=$status out1=$output
	unset DATABASE_URL
	echo "DATABASE_URL=$url" >.env
	run rg test
	status2=$status out2=$output
	roles=$(psql_ -c "SELECT count(*) FROM pg_roles WHERE rolname = 'keepme_$BATS_TEST_NUMBER'")
	dbs=$(psql_ -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'revgate_test_%'")
	pg_stop
	echo "$out1"; echo "$out2"
	[ "$status1" -eq 0 ]
	[ "$status2" -eq 0 ]
	[[ "$out1" == "revgate test: on a throwaway PostgreSQL cluster it starts and removes (no --url given)"* ]]
	[[ "$out2" == "revgate test: on a throwaway PostgreSQL cluster it starts and removes (no --url given)"* ]]
	[ "$roles" -eq 1 ]
	[ "$dbs" -eq 0 ]
}

@test "--url: statements that change the whole server are refused before anything runs, unless --allow-cluster-changes" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
	psql_ -c "CREATE ROLE keepme LOGIN"
	STAMP=20250101_0004 mkrev eeee0005 dddd0004 "CREATE TABLE e (id int);
ALTER SYSTEM SET work_mem = '8MB';" "DROP ROLE keepme;
DROP TABLE e;"
	run rg test --url "$DATABASE_URL"
	status1=$status out1=$output
	dbs=$(psql_ -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'revgate_test_%'")
	roles=$(psql_ -c "SELECT count(*) FROM pg_roles WHERE rolname = 'keepme'")
	STAMP=20250101_0004 mkrev eeee0005 dddd0004 "CREATE ROLE tmp_role;" "DROP ROLE tmp_role;"
	run rg test --url "$DATABASE_URL" --allow-cluster-changes
	status2=$status out2=$output
	pg_stop
	echo "$out1"; echo "$out2"
	[ "$status1" -eq 1 ]
	[[ "$out1" == *"_eeee0005_rev.sql:7: ALTER SYSTEM (upgrade)"* ]]
	[[ "$out1" == *"_eeee0005_rev.sql:10: DROP ROLE (downgrade)"* ]]
	[[ "$out1" == *"2 statements above change the whole server"*"--allow-cluster-changes"* ]]
	[ "$dbs" -eq 0 ]
	[ "$roles" -eq 1 ]
	[ "$status2" -eq 0 ]
	[[ "$out2" == "revgate test: on the server at postgresql:///postgres?host="*"(--url), in a scratch database it creates and drops"* ]]
}

@test "--in-place refuses a database holding any kind of object" {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
	out=
	for obj in "SELECT lo_create(0)" \
		"CREATE AGGREGATE my_sum (int) (sfunc = int4pl, stype = int)" \
		"CREATE OPERATOR === (leftarg = int, rightarg = int, function = int4eq)" \
		"CREATE TEXT SEARCH CONFIGURATION my_ts (COPY = simple)" \
		"CREATE PUBLICATION my_pub" \
		"CREATE COLLATION my_coll (locale = 'C')" \
		"CREATE SCHEMA empty_schema"; do
		psql_ -c "DROP DATABASE IF EXISTS inplace" -c "CREATE DATABASE inplace"
		psql_ -d inplace -c "$obj" >/dev/null
		run rg test --in-place --url "postgresql:///inplace?host=$PGHOST&port=$PGPORT&user=postgres"
		out+="$status $output"$'\n'
	done
	pg_stop
	echo "$out"
	[ "$(grep -c "needs a database without objects" <<<"$out")" -eq 7 ]
	[ "$(grep -c "^1 revgate test: on the server" <<<"$out")" -eq 7 ]
	for what in "(large object " "(aggregate public.my_sum(integer))" "(operator public.===(integer,integer))" \
		"(text search configuration public.my_ts)" "(publication my_pub)" "(collation public.my_coll)" "(schema empty_schema)"; do
		grep -qF "$what" <<<"$out"
	done
}
