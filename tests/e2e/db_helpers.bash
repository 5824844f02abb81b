# Shared by the bats files that need a real PostgreSQL 15: one throwaway
# cluster per file (started in setup_file, removed in teardown_file) and a
# fresh database per test. Load it after helpers.bash.

setup_file() {
	# shellcheck source=tests/lib/pg.bash
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_FILE_TMPDIR/pg" >&3 2>&1 || return 1
	export PGHOST PGPORT PGUSER PGDATABASE PG_BIN
}

teardown_file() {
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	PG_TEST_DIR="$BATS_FILE_TMPDIR/pg" PG_TEST_DATA="$BATS_FILE_TMPDIR/pg/data" pg_stop
}

psql_() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# new_db PREFIX: a scratch project and database PREFIX_<test number>, with
# DATABASE_URL pointing at it.
new_db() {
	new_project
	DB="$1_${BATS_TEST_NUMBER}"
	"$PG_BIN/createdb" "$DB"
	export DATABASE_URL="postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=postgres"
}
