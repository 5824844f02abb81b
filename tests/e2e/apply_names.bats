#!/usr/bin/env bats
# Configured names and URLs, on a real PostgreSQL 15: every name revgate
# accepts for its tables is quoted right online and in the --sql script,
# whatever standard_conforming_strings says, or refused before anything
# runs; a malformed port is a usage error; a role that cannot see other
# sessions' details is told so instead of "(null)".

load helpers
load db_helpers

setup() {
	new_db n
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

names_config() {
	cat >revgate.ini <<-EOF
	[revgate]
	migrations = migrations
	[database]
	version_table = $1
	history_table = $2
	EOF
}

@test "names with dollar quotes, quotes and backslashes: upgrade, --sql through psql, and standard_conforming_strings off" {
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	# shellcheck disable=SC2016
	names_config 'v$revgate$x' 'h$revgate$x'
	run rg upgrade aaaa1111
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(psql_ -c 'SELECT version_num FROM "v$revgate$x"')" = aaaa1111 ]
	# the offline script, run by psql on a fresh database
	run rg upgrade --sql :head
	[ "$status" -eq 0 ]
	"$PG_BIN/createdb" "${DB}_sql"
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "${DB}_sql" <<<"$output"
	[ "$("$PG_BIN/psql" -X -qAt -d "${DB}_sql" -c 'SELECT version_num FROM "v$revgate$x"')" = bbbb2222 ]
	"$PG_BIN/dropdb" "${DB}_sql"
	# backslashes and quotes, on databases with standard_conforming_strings off
	for d in "${DB}_b" "${DB}_sql"; do
		"$PG_BIN/createdb" "$d"
		"$PG_BIN/psql" -X -q -d "$d" -c "ALTER DATABASE $d SET standard_conforming_strings = off"
	done
	url="postgresql:///${DB}_b?host=$PGHOST&port=$PGPORT&user=postgres"
	names_config "v\\'x" "h\\'y"
	run rg upgrade --url "$url"
	echo "$output"
	[ "$status" -eq 0 ]
	q() { "$PG_BIN/psql" -X -qAt -d "$1" -c "$2"; }
	[ "$(q "${DB}_b" "SELECT version_num FROM \"v\\'x\"")" = bbbb2222 ]
	[ "$(q "${DB}_b" "SELECT count(*) FROM \"h\\'y\" WHERE outcome = 'applied'")" -eq 2 ]
	run rg verify --url "$url"
	[ "$status" -eq 0 ]
	run rg upgrade --sql :head
	[ "$status" -eq 0 ]
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "${DB}_sql" <<<"$output"
	[ "$(q "${DB}_sql" "SELECT version_num FROM \"v\\'x\"")" = bbbb2222 ]
	"$PG_BIN/dropdb" "${DB}_sql"
	"$PG_BIN/dropdb" "${DB}_b"
}

@test "a name too long for PostgreSQL is refused before anything runs, exit 2" {
	write_rev aaaa1111 none
	names_config revgate_version "h$(printf 'x%.0s' $(seq 60))"
	for cmd in upgrade "upgrade --sql :head" current; do
		# shellcheck disable=SC2086
		run rg $cmd
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"history_table: 'hxxx"*"' is 61 bytes long; revgate's tables take names of at most 50 bytes"* ]]
	done
	[ -z "$(psql_ -c "SELECT to_regclass('revgate_version')")" ]
}

@test "a malformed port in the URL is a usage error, exit 2, without the password" {
	write_rev aaaa1111 none
	for url in "postgresql://u:s3cret-pw@localhost:notaport/db" "postgresql://u:s3cret-pw@localhost:99999999999/db" \
		"host=localhost port=x5432 password=s3cret-pw dbname=db"; do
		run rg upgrade --url "$url"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"invalid database URL"*"invalid"*"port"* ]] || [[ "$output" == *"invalid database URL"*"invalid integer value"* ]]
		[[ "$output" != *"s3cret-pw"* ]]
	done
}

@test "a role that cannot see another's session details is told so, never '(null)'" {
	psql_ -c "DROP ROLE IF EXISTS plain_$BATS_TEST_NUMBER" -c "CREATE ROLE plain_$BATS_TEST_NUMBER LOGIN"
	mkrev() { sql_rev "$1" "$2" "$3" "SELECT 1;" "$4"; }
	mkrev aaaa0001 none "SELECT 1;" 20250101_0001
	rg upgrade >/dev/null 2>&1
	psql_ -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO plain_$BATS_TEST_NUMBER" \
		-c "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO plain_$BATS_TEST_NUMBER"
	mkrev bbbb0002 aaaa0001 "SELECT pg_sleep(4);" 20250101_0002
	rg upgrade >holder.out 2>&1 &
	holder=$!
	for _ in $(seq 50); do
		psql_ -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'revgate upgrade bbbb0002'" | grep -q 1 && break
		sleep 0.1
	done
	run rg upgrade --lock-wait 300ms --url "postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=plain_$BATS_TEST_NUMBER"
	echo "$output"
	wait "$holder"
	[ "$status" -eq 3 ]
	[[ "$output" == *"held by pid "*"('revgate upgrade (lock)', user postgres; where from and since when are hidden from this role, which lacks pg_read_all_stats)"* ]]
	[[ "$output" != *"(null)"* ]]
}
