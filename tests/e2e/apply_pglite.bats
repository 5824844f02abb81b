#!/usr/bin/env bats
# Session state on PGlite, where every connection shares one backend
# session: what a revision sets for its session (another user, read-only
# transactions, RESET ALL) must not reach revgate's own rows, its lock
# connection, or the next revision.

load helpers

setup_file() {
	. "$BATS_TEST_DIRNAME/../lib/pglite.bash"
	pglite_start >&3 2>&1 || return 1
	echo "$PGLITE_PID" >"$BATS_FILE_TMPDIR/pid"
	echo "$PGLITE_TEST_DIR" >"$BATS_FILE_TMPDIR/dir"
	export DATABASE_URL PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE
}

teardown_file() {
	. "$BATS_TEST_DIRNAME/../lib/pglite.bash"
	PGLITE_PID=$(cat "$BATS_FILE_TMPDIR/pid") PGLITE_DIR_OWNED=$(cat "$BATS_FILE_TMPDIR/dir") pglite_stop
}

setup() {
	new_project
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

q() { /usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

@test "PGlite: SET SESSION AUTHORIZATION, a read-only default and RESET ALL in revisions do not reach revgate or the next revision" {
	q "CREATE ROLE lowpriv NOLOGIN; GRANT ALL ON SCHEMA public TO lowpriv"
	sql_rev aaaa0001 none "CREATE TABLE pa (id int);
SET SESSION AUTHORIZATION lowpriv;
CREATE TABLE pa_low (id int);" "DROP TABLE pa_low; DROP TABLE pa;" 20250101_0001
	sql_rev bbbb0002 aaaa0001 "SET default_transaction_read_only = on;
SELECT 1;" "SELECT 1;" 20250101_0002 "-- transaction: false"
	sql_rev cccc0003 bbbb0002 "RESET ALL;
CREATE TABLE pc (id int);" "DROP TABLE pc;" 20250101_0003
	run rg upgrade --no-lint
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT version_num FROM revgate_version')" = "cccc0003" ]
	[ "$(q "SELECT tableowner FROM pg_tables WHERE tablename = 'pa_low'")" = "lowpriv" ]
	[ "$(q "SELECT tableowner FROM pg_tables WHERE tablename = 'pc'")" = "postgres" ]
	[ "$(q "SELECT string_agg(DISTINCT db_user, ',') FROM revgate_history")" = "postgres" ]
	# the shared session is back to what it was for everyone
	[ "$(q 'SELECT current_user')" = "postgres" ]
	[ "$(q 'SHOW default_transaction_read_only')" = "off" ]
	run rg downgrade base --no-lint
	echo "$output"
	[ "$status" -eq 0 ]
	q "DROP TABLE revgate_history; DROP TABLE revgate_version; DROP FUNCTION revgate_history_append_only(); DROP OWNED BY lowpriv; DROP ROLE lowpriv"
}
