#!/usr/bin/env bats
# The example project in migrations/ (pgvector) applied for real on PGlite
# with pgvector behind the PostgreSQL protocol: upgrade head, downgrade
# base, upgrade head, and revgate test. Debian's PostgreSQL has no pgvector.

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

q() { /usr/lib/postgresql/15/bin/psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

@test "the example project: upgrade head, downgrade base, upgrade head" {
	cd "$ROOT"
	run rg upgrade head
	echo "$output"
	[ "$status" -eq 0 ]
	head=$(rg heads | cut -d' ' -f1)
	[ "$(q 'SELECT version_num FROM revgate_version')" = "$head" ]
	[ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'vector'")" = 1 ]
	[ "$(q "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'")" -ge 1 ]
	run rg verify
	[ "$status" -eq 0 ]
	run rg downgrade base
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT count(*) FROM revgate_version')" = 0 ]
	[ "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'revgate%'")" = 0 ]
	run rg upgrade head
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT version_num FROM revgate_version')" = "$head" ]
	run rg downgrade base
	[ "$status" -eq 0 ]
}

@test "the example project passes revgate test" {
	cd "$ROOT"
	run rg test --url "$DATABASE_URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"same schema at every step"* ]]
}
