#!/usr/bin/env bats
# Bad connection input: each a clear error naming the fix, exit 2 (our
# input is wrong) or 3 (the server refused), and nothing changed.

load helpers

setup_file() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_FILE_TMPDIR/pg" >&3 2>&1 || return 1
	export PGHOST PGPORT PGUSER PGDATABASE PG_BIN
	# one role that must give a password, one that may not create tables
	"$PG_BIN/psql" -X -q -d postgres -c "CREATE ROLE pwuser LOGIN PASSWORD 'right-pw-1234'" \
		-c "CREATE ROLE ro LOGIN" -c "CREATE DATABASE app"
	sed -i '1i local all pwuser scram-sha-256' "$BATS_FILE_TMPDIR/pg/data/pg_hba.conf"
	"$PG_BIN/psql" -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
}

teardown_file() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	PG_TEST_DIR="$BATS_FILE_TMPDIR/pg" PG_TEST_DATA="$BATS_FILE_TMPDIR/pg/data" pg_stop
}

setup() {
	new_project
	write_rev aaaa1111 none
	unset DATABASE_URL
}

teardown() {
	rm -rf "$PROJ"
}

url() { echo "postgresql://$1@/$2?host=$PGHOST&port=${3:-$PGPORT}"; }

nothing_changed() {
	[ "$("$PG_BIN/psql" -X -qAt -d app -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'revgate%'")" = 0 ]
}

@test "no URL anywhere: exit 2, naming every place looked at" {
	run rg upgrade
	[ "$status" -eq 2 ]
	[[ "$output" == *"--url"*"DATABASE_URL"*".env"*"revgate.ini"* ]]
}

@test "unreachable server: exit 3, is the server running" {
	run rg upgrade --url "$(url postgres app 1)"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot reach the PostgreSQL server"*"is the server running"* ]]
	nothing_changed
}

@test "wrong password: exit 3, names the role, never the password" {
	run rg upgrade --url "postgresql://pwuser:wrong-pw-9876@/app?host=$PGHOST&port=$PGPORT"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"wrong or missing password for role 'pwuser'"* ]]
	[[ "$output" != *"wrong-pw-9876"* ]]
	nothing_changed
}

@test "the right password from .env connects" {
	echo "DATABASE_URL='postgresql://pwuser:right-pw-1234@/app?host=$PGHOST&port=$PGPORT'" >.env
	run rg current
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"right-pw-1234"* ]]
}

@test "a URL with a typo: exit 2, the URL shown without its password" {
	run rg upgrade --url "postgresql://postgres:typo-pw-5555@/app?hots=$PGHOST"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid database URL"*"hots"* ]]
	[[ "$output" != *"typo-pw-5555"* ]]
}

@test "a missing database: exit 3, create it or fix the name" {
	run rg upgrade --url "$(url postgres no_such_db)"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"database 'no_such_db' does not exist"*"createdb no_such_db"* ]]
}

@test "a role that may not create tables: exit 3, nothing changed" {
	run rg upgrade --url "$(url ro app)"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"permission denied"*"needs CREATE on the schema"* ]]
	nothing_changed
}

@test "a read-only role can still read the state" {
	run rg current --url "$(url ro app)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"empty"* ]]
}
