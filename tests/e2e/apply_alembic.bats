#!/usr/bin/env bats
# Alembic interoperability on a real PostgreSQL 15: a database brought to a
# revision by Alembic (Debian's python3-alembic) is continued by revgate
# with --version-table alembic_version, and the reverse. The two histories
# carry the same ids and the same SQL, across a branch and a merge.

load helpers
load db_helpers

# rev ID DOWN(S) TABLE: the same revision for both tools.
rev() {
	local id=$1 down=$2 table=$3 pydown
	{
		echo "-- revision: $id"
		echo "-- down_revision: ${down:-none}"
		echo "-- message: $table"
		echo
		echo "-- +upgrade"
		echo "CREATE TABLE $table (id bigint);"
		echo
		echo "-- +downgrade"
		echo "DROP TABLE $table;"
	} >"migrations/${STAMP}_${id}_${table}.sql"
	case $down in
	"") pydown=None ;;
	*,*) pydown="(\"${down%%,*}\", \"${down##*,}\")" ;;
	*) pydown="\"$down\"" ;;
	esac
	cat >"alembic/versions/${id}_${table}.py" <<PY
from alembic import op

revision = "$id"
down_revision = $pydown
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE $table (id bigint)")


def downgrade():
    op.execute("DROP TABLE $table")
PY
}

setup() {
	new_project
	DB="a_${BATS_TEST_NUMBER}"
	"$PG_BIN/createdb" "$DB"
	export DATABASE_URL="postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=postgres"
	export ALEMBIC_URL="postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=postgres"
	mkdir -p alembic/versions
	printf '[alembic]\nscript_location = %%(here)s\n' >alembic/alembic.ini
	cat >alembic/env.py <<'PY'
import os
from alembic import context
from sqlalchemy import create_engine

if context.is_offline_mode():
    context.configure(url="postgresql://", literal_binds=True, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with create_engine(os.environ["ALEMBIC_URL"]).connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
PY
	: >alembic/script.py.mako
	STAMP=20250101_0001 rev a1a1a1a1a1a1 "" clients
	STAMP=20250101_0002 rev b2b2b2b2b2b2 a1a1a1a1a1a1 sessions
	STAMP=20250101_0003 rev c3c3c3c3c3c3 a1a1a1a1a1a1 law_sources
	STAMP=20250101_0004 rev d4d4d4d4d4d4 b2b2b2b2b2b2,c3c3c3c3c3c3 merge_point
	STAMP=20250101_0005 rev e5e5e5e5e5e5 d4d4d4d4d4d4 messages
}

teardown() {
	rm -rf "$PROJ"
}

alembic_() { /usr/bin/python3 -m alembic -c alembic/alembic.ini "$@"; }
rows() { psql_ -c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version"; }

@test "Alembic brings the database to a branch, revgate continues through the merge" {
	run alembic_ upgrade b2b2b2b2b2b2
	[ "$status" -eq 0 ]
	run alembic_ upgrade c3c3c3c3c3c3
	[ "$status" -eq 0 ]
	[ "$(rows)" = "b2b2b2b2b2b2,c3c3c3c3c3c3" ]
	run rg current --version-table alembic_version
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run rg upgrade --version-table alembic_version
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "e5e5e5e5e5e5" ]
	[ "$(psql_ -c "SELECT to_regclass('messages') IS NOT NULL")" = "t" ]
	run alembic_ current
	[[ "$output" == *"e5e5e5e5e5e5 (head)"* ]]
	# and Alembic can take it down again
	run alembic_ downgrade b2b2b2b2b2b2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "b2b2b2b2b2b2,c3c3c3c3c3c3" ]
}

@test "revgate brings the database to the merge, Alembic continues and reverts" {
	run rg upgrade d4d4 --version-table alembic_version
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "d4d4d4d4d4d4" ]
	run alembic_ upgrade head
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "e5e5e5e5e5e5" ]
	run alembic_ downgrade c3c3c3c3c3c3
	[ "$status" -eq 0 ]
	[ "$(rows)" = "b2b2b2b2b2b2,c3c3c3c3c3c3" ]
	# revgate reads the rows Alembic left and walks the same way
	run rg downgrade base --version-table alembic_version
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "" ]
	[ "$(psql_ -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%version' AND tablename <> 'revgate_history'")" = "0" ]
}

@test "offline: revgate's --sql gives the rows Alembic's --sql gives" {
	run alembic_ upgrade --sql head
	[ "$status" -eq 0 ]
	alembic_rows=$(grep -E "^(INSERT INTO|UPDATE|DELETE FROM) alembic_version" <<<"$output" |
		sed -E "s/ ?;$//; s/\"//g" | tr -s ' ')
	run rg upgrade --sql --version-table alembic_version :head
	[ "$status" -eq 0 ]
	revgate_rows=$(grep -E "^(INSERT INTO|UPDATE|DELETE FROM) \"alembic_version\"" <<<"$output" |
		sed -E "s/ ?;$//; s/\"//g" | tr -s ' ')
	echo "alembic:"; echo "$alembic_rows"; echo "revgate:"; echo "$revgate_rows"
	[ "$(wc -l <<<"$alembic_rows")" -eq "$(wc -l <<<"$revgate_rows")" ]
	[ "$(grep -c '^DELETE' <<<"$alembic_rows")" -eq "$(grep -c '^DELETE' <<<"$revgate_rows")" ]
}
