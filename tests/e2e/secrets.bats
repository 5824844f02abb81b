#!/usr/bin/env bats
# Secrets: a password given in a URL (URI or key=value, in the userinfo or
# as a parameter), in DATABASE_URL, in .env, in revgate.ini or in
# PGPASSWORD never appears in any output, error message, history or
# version row, --sql script or --plan, whatever the command and whether it
# succeeds or fails. The cluster trusts every connection, so a password is
# carried everywhere without being needed.

load helpers
load db_helpers

PW=Xq7-s3cr3t-Pa55word

setup() {
	new_db s
	unset DATABASE_URL PGPASSWORD
	OUT="$BATS_TEST_TMPDIR/all-output"
	: >"$OUT"
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	printf -- '-- revision: cccc3333\n-- down_revision: bbbb2222\n-- +upgrade\nSELECT * FROM no_such_table;\n-- +downgrade\nSELECT 1;\n' \
		>migrations/20250101_0002_cccc3333_fails.sql
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

# Runs revgate and keeps what it printed (both streams) for the final grep.
keep() {
	local rc=0
	echo "\$ revgate $1 ..." >>"$OUT"
	rg "$@" >>"$OUT" 2>&1 || rc=$?
	echo "[status $rc]" >>"$OUT"
}

# Every command that connects, on success and on failure.
exercise() {
	keep upgrade bbbb2222 "$@"
	keep current "$@"
	keep current --format json "$@"
	keep verify "$@"
	keep upgrade --dry-run "$@"
	keep upgrade "$@" # fails on cccc3333
	keep upgrade --format json "$@"
	keep resolve "$@"
	keep downgrade aaaa1111 "$@"
	keep stamp bbbb2222 "$@"
	keep downgrade base "$@"
	keep upgrade --sql :bbbb2222 "$@"
	keep upgrade --plan :bbbb2222 "$@"
}

# The password is nowhere: not in what revgate printed, not in the tables.
assert_no_secret() {
	if grep -n -- "$PW" "$OUT"; then
		echo "the password leaked (above)"
		return 1
	fi
	# something did connect and run, and the failing revision failed
	grep -q 'aaaa1111' "$OUT"
	grep -q 'no_such_table' "$OUT"
	local rows
	rows=$(psql_ -c "SELECT count(*) FROM revgate_history")
	[ "$rows" -gt 0 ]
	[ -z "$(psql_ -c "SELECT 1 FROM revgate_history h WHERE h::text LIKE '%$PW%'")" ]
	[ -z "$(psql_ -c "SELECT 1 FROM revgate_version v WHERE v::text LIKE '%$PW%'")" ]
	! grep -q -- "$PW" "$PG_TEST_DIR/server.log" 2>/dev/null
}

uri() { echo "postgresql://postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT"; }

@test "a password in --url (URI userinfo) never shows" {
	exercise --url "$(uri)"
	assert_no_secret
}

@test "a password as a URI parameter never shows" {
	exercise --url "postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=postgres&password=$PW"
	assert_no_secret
}

@test "a password in a key=value connection string never shows" {
	exercise --url "host=$PGHOST port=$PGPORT dbname=$DB user=postgres password='$PW'"
	exercise --url "host=$PGHOST port=$PGPORT dbname=$DB user=postgres password=$PW"
	assert_no_secret
}

@test "a password in DATABASE_URL never shows" {
	export DATABASE_URL
	DATABASE_URL=$(uri)
	exercise
	assert_no_secret
}

@test "a password in .env never shows" {
	printf '# local settings\nexport DATABASE_URL="%s"\n' "$(uri)" >.env
	exercise
	assert_no_secret
}

@test "a password in revgate.ini never shows" {
	printf '[revgate]\nmigrations = migrations\n[database]\nurl = %s\n' "$(uri)" >revgate.ini
	exercise
	assert_no_secret
}

@test "PGPASSWORD never shows" {
	export PGPASSWORD=$PW
	exercise --url "postgresql://postgres@/$DB?host=$PGHOST&port=$PGPORT"
	assert_no_secret
}

@test "connection failures never show the password" {
	for url in \
		"postgresql://postgres:$PW@/nodb_here?host=$PGHOST&port=$PGPORT" \
		"postgresql://postgres:$PW@/$DB?host=/nonexistent&port=1" \
		"postgresql://postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT&sslmode=bogus" \
		"postgresql://postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT&connect_timeout=abc" \
		"postgresql://postgres:$PW@[::1/x" \
		"host=/nonexistent port=1 password=$PW dbname=x" \
		"host=/nonexistent password='$PW' bogus" \
		"postgresql://postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT&password=$PW&bogus=1"; do
		keep current --url "$url"
		keep upgrade --url "$url"
	done
	if grep -n -- "$PW" "$OUT"; then
		echo "the password leaked (above)"
		false
	fi
	grep -q 'status 3\|status 2' "$OUT"
}

@test "a key=value string that contains :// keeps its password hidden" {
	keep current --url "host=/nonexistent password=$PW application_name=http://svc bogus"
	! grep -n -- "$PW" "$OUT"
}

@test "a '#', '&', '?' or quote in a password keeps all of it hidden" {
	for url in \
		"postgresql://postgres:ab?$PW@/$DB?host=$PGHOST&bogus=1" \
		"postgresql://postgres:ab'$PW@/$DB?host=$PGHOST&bogus=1" \
		"host=/nonexistent password=ab#$PW bogus" \
		"host=/nonexistent password=ab&$PW bogus" \
		"postgresql://postgres:ab#$PW@/$DB?host=$PGHOST&bogus=1" \
		"postgresql://postgres@/$DB?host=$PGHOST&password=ab#$PW&bogus=1"; do
		keep current --url "$url"
	done
	! grep -n -- "$PW" "$OUT"
}

@test "a URL libpq cannot parse is not echoed with its password" {
	keep current --url "postgresql://u:${PW}%zz@127.0.0.1/db"
	cat "$OUT"
	grep -q 'invalid database URL.*invalid percent-encoded token' "$OUT"
	grep -q 'status 2' "$OUT"
	! grep -n -- "$PW" "$OUT"
}

@test "a '/' in a URI password does not put the password in the message" {
	keep current --url "postgresql://app:pa/ss$PW@db.example.com/app"
	cat "$OUT"
	# libpq reads "app:pa" as host and port: a port that is no number is
	# a mistake in the URL, said without the password
	grep -q "invalid database URL 'postgresql://app:\*\*\*@db.example.com/app': invalid integer value \"pa\" for connection option \"port\"" "$OUT"
	grep -q 'status 2' "$OUT"
	! grep -n -- "$PW" "$OUT"
}

@test "a URL inside dbname= keeps its password out of every message" {
	keep current --url "dbname=postgresql://postgres:$PW@/nodb_here?host=$PGHOST&port=$PGPORT"
	keep current --url "dbname=postgresql://postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT"
	cat "$OUT"
	grep -q 'does not exist (create it with' "$OUT"
	! grep -n -- "$PW" "$OUT"
}

@test "a space in the URI user name, or a short password before a '#', keeps the password hidden" {
	keep current --url "postgresql://app user:$PW@/$DB?host=$PGHOST&bogus=1"
	keep current --url "postgresql://app user:$PW@/$DB?host=$PGHOST&port=$PGPORT"
	keep current --url "host=/nonexistent password=o%#$PW bogus"
	cat "$OUT"
	grep -q 'invalid database URL' "$OUT"
	! grep -n -- "$PW" "$OUT"
}

@test "a URL without a scheme never shows its password, in any form or source" {
	local forms=(
		"postgres:$PW@/$DB?host=$PGHOST&port=$PGPORT"
		"postgres:$PW@localhost/$DB"
		"//postgres:$PW@localhost/$DB"
		"postgres:ab cd'$PW@localhost/$DB"
		"dbname=postgres:$PW@/$DB host=$PGHOST port=$PGPORT"
	)
	for url in "${forms[@]}"; do
		for cmd in current upgrade verify resolve stamp\ base "history --indicate-current"; do
			# shellcheck disable=SC2086
			keep $cmd --url "$url"
			# shellcheck disable=SC2086
			DATABASE_URL=$url keep $cmd
		done
		printf 'DATABASE_URL="%s"\n' "$url" >.env
		keep upgrade
		rm .env
		printf '[revgate]\nmigrations = migrations\n[database]\nurl = %s\n' "$url" >revgate.ini
		keep current
	done
	cat "$OUT"
	if grep -n -- "$PW" "$OUT"; then
		echo "the password leaked (above)"
		false
	fi
	grep -q "invalid database URL 'postgres:\*\*\*@localhost/$DB': a URL starts with 'postgresql://'" "$OUT"
}
