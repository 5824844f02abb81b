#!/usr/bin/env bats
# revgate import and adopt on a real PostgreSQL 15: other tools' histories
# become revgate revisions that apply up, down and up again, and a database
# another tool migrated (dbmate and Alembic run here for real; the others'
# records are written as those tools write them) is stamped at the right
# revision, or refused with the versions named.

load helpers
load db_helpers

DBMATE="$ROOT/node_modules/@dbmate/linux-x64/bin/dbmate"
ALEMBIC="/usr/bin/python3 -m alembic"

setup() {
	export NO_COLOR=1
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	export REVGATE_NOW=1767225600
}

# round_trip: upgrade head, downgrade base, upgrade head, each succeeding
round_trip() {
	rg upgrade head -q
	rg downgrade base -q
	rg upgrade head -q
}

# dbmate_dir DIR: three dbmate migrations, the second outside a transaction
dbmate_dir() {
	mkdir -p "$1"
	printf -- '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n\n-- migrate:down\nDROP TABLE users;\n' \
		>"$1/20240101120000_create_users.sql"
	printf -- '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n-- migrate:down\nDROP INDEX IF EXISTS users_email;\n' \
		>"$1/20240102120000_users_email.sql"
	printf -- '-- migrate:up\nALTER TABLE users ADD COLUMN name text;\n-- migrate:down\nALTER TABLE users DROP COLUMN name;\n' \
		>"$1/20240103120000_add_name.sql"
}

# section FILE upgrade|downgrade: a revgate file's section text
section() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
text = open(sys.argv[1]).read()
up = text.index("-- +upgrade\n") + len("-- +upgrade\n")
down = text.index("-- +downgrade\n")
sys.stdout.write(text[up:down] if sys.argv[2] == "upgrade" else text[down + len("-- +downgrade\n"):])
EOF
}

@test "dbmate: dbmate migrates part of the history, revgate imports it, adopts the database and goes on" {
	new_db dbm
	dbmate_dir src
	mkdir later && mv src/20240103120000_add_name.sql later/
	DATABASE_URL="postgres://postgres@/$DB?host=$PGHOST&port=$PGPORT&sslmode=disable" \
		"$DBMATE" --no-dump-schema --migrations-dir src up
	mv later/20240103120000_add_name.sql src/
	run rg import dbmate src
	[ "$status" -eq 0 ]
	f=migrations/20240102_1200_20240102120000_users_email.sql
	[ -f "$f" ]
	grep -q '^-- imported_from: dbmate 20240102120000$' "$f"
	grep -q '^-- transaction: false$' "$f"
	grep -q '^-- created: 2024-01-02T12:00:00Z$' "$f"
	# the SQL byte for byte
	[ "$(section "$f" upgrade)" = "$(printf 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n')" ]
	[ "$(section "$f" downgrade)" = "$(printf 'DROP INDEX IF EXISTS users_email;\n')" ]
	run rg adopt dbmate --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would stamp 20240102120000"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM pg_tables WHERE tablename = 'revgate_version'")" = 0 ]
	run rg adopt dbmate
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped 20240102120000"* ]]
	run rg current
	[[ "$output" == "20240102120000, users email" ]]
	rg upgrade head -q
	[ "$(psql_ -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'")" = 1 ]
	round_trip
	run rg adopt dbmate
	[ "$status" -eq 1 ]
	[[ "$output" == *"revgate's version table already records 20240103120000, and dbmate says 20240102120000"* ]]
}

@test "adopt refuses a record that is not the start of the history, naming the versions" {
	new_db gap
	dbmate_dir src
	rg import dbmate src >/dev/null
	psql_ -c "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)"
	psql_ -c "INSERT INTO schema_migrations VALUES ('20240101120000'), ('20240103120000')"
	run rg adopt dbmate
	[ "$status" -eq 1 ]
	[[ "$output" == *"dbmate applied 20240103120000 but not 20240102120000 before it"* ]]
	psql_ -c "DELETE FROM schema_migrations WHERE version = '20240103120000'"
	psql_ -c "INSERT INTO schema_migrations VALUES ('20990101000000')"
	run rg adopt dbmate
	[ "$status" -eq 1 ]
	[[ "$output" == *"dbmate records version 20990101000000, which no imported revision carries"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM revgate_version")" = 0 ]
}

@test "adopt without the tool's table, or without an import, says so" {
	new_db none
	dbmate_dir src
	run rg adopt dbmate
	[ "$status" -eq 2 ]
	[[ "$output" == *"no revision here was imported from dbmate: run 'revgate import dbmate DIR' first"* ]]
	rg import dbmate src >/dev/null
	run rg adopt dbmate
	[ "$status" -eq 2 ]
	[[ "$output" == *"the database has no schema_migrations: is it a database dbmate has migrated"* ]]
}

@test "golang-migrate: import, apply both ways, adopt its one-row record and refuse a dirty one" {
	new_db gm
	mkdir src
	printf 'CREATE TABLE a (id bigint);\n' >src/000001_a.up.sql
	printf 'DROP TABLE a;\n' >src/000001_a.down.sql
	printf 'CREATE TABLE b (id bigint);\n' >src/000002_b.up.sql
	printf 'DROP TABLE b;\n' >src/000002_b.down.sql
	printf 'CREATE TABLE c (id bigint);\n' >src/000010_c.up.sql
	printf 'DROP TABLE c;\n' >src/000010_c.down.sql
	rg import golang-migrate src >/dev/null
	run rg history
	[[ "${lines[0]}" == "000002 -> 000010 (head), c" ]]
	round_trip
	rg downgrade base -q
	psql_ -c "CREATE TABLE a (id bigint); CREATE TABLE b (id bigint)"
	psql_ -c "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
	psql_ -c "INSERT INTO schema_migrations VALUES (2, true)"
	run rg adopt golang-migrate
	[ "$status" -eq 1 ]
	[[ "$output" == *"golang-migrate marked version 2 dirty"* ]]
	psql_ -c "UPDATE schema_migrations SET dirty = false"
	run rg adopt golang-migrate
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped 000002"* ]]
	rg upgrade head -q
	[ "$(psql_ -c "SELECT to_regclass('c') IS NOT NULL")" = t ]
}

@test "goose: import with NO TRANSACTION carried over, adopt from goose_db_version's log" {
	new_db goose
	mkdir src
	printf -- '-- +goose Up\nCREATE TABLE a (id bigint);\n-- +goose Down\nDROP TABLE a;\n' >src/00001_a.sql
	printf -- '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n-- +goose Down\nDROP INDEX CONCURRENTLY a_id;\n' >src/00002_idx.sql
	printf -- '-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n' >src/00003_f.sql
	rg import goose src >/dev/null
	grep -q '^-- transaction: false$' migrations/*_00002_*.sql
	round_trip
	rg downgrade base -q
	psql_ -c "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp DEFAULT now())"
	# goose's log: 0, then 1 and 2 up, 2 down, 2 up again
	psql_ -c "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (2, false), (2, true)"
	psql_ -c "CREATE TABLE a (id bigint); CREATE INDEX a_id ON a (id)"
	run rg adopt goose
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped 00002"* ]]
	rg upgrade head -q
	[ "$(psql_ -c "SELECT f()")" = 1 ]
}

@test "Flyway: import V and U scripts, executeInTransaction, adopt from flyway_schema_history, refuse a failed entry" {
	new_db fw
	mkdir -p src/sub
	printf 'CREATE TABLE a (id bigint);\n' >src/V1__a.sql
	printf 'DROP TABLE a;\n' >src/U1__a.sql
	printf 'CREATE INDEX CONCURRENTLY a_id ON a (id);\n' >src/sub/V1_1__idx.sql
	printf 'DROP INDEX CONCURRENTLY a_id;\n' >src/sub/U1_1__idx.sql
	printf 'executeInTransaction=false\n' >src/sub/V1_1__idx.sql.conf
	printf 'CREATE TABLE b (id bigint);\n' >src/V2__b.sql
	printf 'DROP TABLE b;\n' >src/U2__b.sql
	rg import flyway src >/dev/null
	grep -q '^-- imported_from: flyway 1.1$' migrations/*_V1_1_*.sql
	grep -q '^-- transaction: false$' migrations/*_V1_1_*.sql
	round_trip
	rg downgrade base -q
	psql_ -c "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200), type varchar(20), script varchar(1000), checksum int, installed_by varchar(100), installed_on timestamp DEFAULT now(), execution_time int, success boolean)"
	psql_ -c "INSERT INTO flyway_schema_history VALUES (1, '1', 'a', 'SQL', 'V1__a.sql', 1, 'x', now(), 1, true), (2, '1.1', 'idx', 'SQL', 'sub/V1_1__idx.sql', 1, 'x', now(), 1, false)"
	run rg adopt flyway
	[ "$status" -eq 1 ]
	[[ "$output" == *"flyway_schema_history records version 1.1 (sub/V1_1__idx.sql) as failed"* ]]
	psql_ -c "UPDATE flyway_schema_history SET success = true"
	psql_ -c "CREATE TABLE a (id bigint); CREATE INDEX a_id ON a (id)"
	run rg adopt flyway
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped V1_1"* ]]
	rg upgrade head -q
}

@test "diesel and sqitch: import, apply both ways, adopt" {
	new_db ds
	mkdir -p d/2024-01-01-000000_a d/2024-01-02-000000_idx
	printf 'CREATE TABLE a (id bigint);\n' >d/2024-01-01-000000_a/up.sql
	printf 'DROP TABLE a;\n' >d/2024-01-01-000000_a/down.sql
	printf 'CREATE INDEX CONCURRENTLY a_id ON a (id);\n' >d/2024-01-02-000000_idx/up.sql
	printf 'DROP INDEX CONCURRENTLY a_id;\n' >d/2024-01-02-000000_idx/down.sql
	printf 'run_in_transaction = false\n' >d/2024-01-02-000000_idx/metadata.toml
	rg import diesel d >/dev/null
	round_trip
	psql_ -c "CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp DEFAULT now())"
	psql_ -c "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000'), ('20240102000000')"
	rg stamp base >/dev/null
	run rg adopt diesel
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped 20240102000000"* ]]

	new_db sq
	mkdir -p s/deploy s/revert
	printf '%%project=p\n\nschema 2024-01-01T00:00:00Z A <a@b> # schema\nusers [schema] 2024-01-02T00:00:00Z A <a@b> # users\n' >s/sqitch.plan
	printf 'BEGIN;\nCREATE SCHEMA app;\nCOMMIT;\n' >s/deploy/schema.sql
	printf 'BEGIN;\nDROP SCHEMA app;\nCOMMIT;\n' >s/revert/schema.sql
	printf 'BEGIN;\nCREATE TABLE app.users (id bigint);\nCOMMIT;\n' >s/deploy/users.sql
	printf 'BEGIN;\nDROP TABLE app.users;\nCOMMIT;\n' >s/revert/users.sql
	rg import sqitch s >/dev/null
	# sqitch's own transaction becomes the revision's
	[ "$(section migrations/*_users_users.sql upgrade)" = "$(printf '\nCREATE TABLE app.users (id bigint);\n')" ]
	round_trip
	rg downgrade base -q
	psql_ -c "CREATE SCHEMA sqitch; CREATE TABLE sqitch.changes (change_id text PRIMARY KEY, change text NOT NULL, project text NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())"
	psql_ -c "INSERT INTO sqitch.changes (change_id, change, project) VALUES ('1', 'schema', 'p')"
	psql_ -c "CREATE SCHEMA app"
	run rg adopt sqitch
	[ "$status" -eq 0 ]
	[[ "$output" == *"stamped schema"* ]]
	rg upgrade head -q
}

@test "an import is all or nothing, and the same history imports to the same ids" {
	g="$BATS_TEST_TMPDIR/g"
	mkdir -p "$g"
	printf -- '-- +goose Up\nSELECT 1;\n' >"$g/00001_a.sql"
	printf 'package migrations\n' >"$g/00002_b.go"
	new_project
	run rg import goose "$g"
	[ "$status" -eq 1 ]
	[[ "$output" == *"00002_b.go has no SQL revgate can read"* ]]
	[[ "$output" == *"nothing was written"* ]]
	[ -z "$(ls -A migrations)" ]
	rm "$g/00002_b.go"
	rg import goose "$g" >/dev/null
	first=$(ls migrations)
	run rg import goose "$g"
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists"*"nothing was written"* ]]
	[ "$(ls migrations)" = "$first" ]
	mkdir again && cd again && rg init >/dev/null
	rg import goose "$g" >/dev/null
	[ "$(ls migrations)" = "$first" ]
}

@test "Alembic: Alembic migrates part of the history, revgate imports its SQL, adopts alembic_version and goes on" {
	new_db alem
	mkdir -p proj/alembic/versions
	cd proj
	printf '[alembic]\nscript_location = %%(here)s/alembic\n' >alembic.ini
	cat >alembic/env.py <<'EOF'
import os
from alembic import context
from sqlalchemy import create_engine

url = os.environ["ALEMBIC_URL"]
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with create_engine(url).connect() as conn:
        context.configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
EOF
	cat >alembic/versions/a1_users.py <<'EOF'
"""users"""
from alembic import op
import sqlalchemy as sa
revision = "a1"
down_revision = None
def upgrade():
    op.create_table("users", sa.Column("id", sa.BigInteger(), primary_key=True))
def downgrade():
    op.drop_table("users")
EOF
	cat >alembic/versions/b2_email.py <<'EOF'
"""email"""
from alembic import op
import sqlalchemy as sa
revision = "b2"
down_revision = "a1"
def upgrade():
    op.add_column("users", sa.Column("email", sa.Text()))
    with op.get_context().autocommit_block():
        op.create_index("users_email", "users", ["email"], postgresql_concurrently=True)
def downgrade():
    op.drop_index("users_email", table_name="users")
    op.drop_column("users", "email")
EOF
	cat >alembic/versions/c3_name.py <<'EOF'
"""name"""
from alembic import op
import sqlalchemy as sa
revision = "c3"
down_revision = "b2"
def upgrade():
    op.add_column("users", sa.Column("name", sa.Text()))
def downgrade():
    op.drop_column("users", "name")
EOF
	export ALEMBIC_URL="postgresql://postgres@/$DB?host=$PGHOST&port=$PGPORT"
	$ALEMBIC upgrade b2 >/dev/null 2>&1
	cd ..
	printf '\n[alembic]\ncommand = %s\n' "$ALEMBIC" >>revgate.ini
	run rg import alembic proj
	[ "$status" -eq 0 ]
	f=$(ls migrations/*_b2_email.sql)
	grep -q '^-- imported_from: alembic b2$' "$f"
	grep -q '^-- down_revision: a1$' "$f"
	grep -q 'CREATE INDEX CONCURRENTLY users_email ON users (email);' "$f"
	! grep -q 'alembic_version' "$f"
	run rg adopt alembic --dry-run
	[[ "$output" == *"would stamp b2"* ]]
	rg adopt alembic >/dev/null
	rg upgrade head -q
	[ "$(psql_ -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'name'")" = 1 ]
	round_trip
}

@test "revgate current on an Alembic project reads alembic_version" {
	new_db cur
	mkdir -p alembic/versions
	printf '[revgate]\nlayout = alembic\n' >revgate.ini
	printf '[alembic]\nscript_location = %%(here)s/alembic\n' >alembic.ini
	printf '"""first"""\nrevision = "a1"\ndown_revision = None\n' >alembic/versions/a1.py
	psql_ -c "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('a1')"
	run rg current
	[ "$status" -eq 0 ]
	[[ "$output" == "a1 (head), first" ]]
}
