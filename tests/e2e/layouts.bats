#!/usr/bin/env bats
# Other tools' migration directories read in place ([revgate] layout): the
# graph commands, lint with findings at the right file and line, and the
# quirks of each tool's files.

load helpers

setup() {
	export NO_COLOR=1
	PROJ=$(mktemp -d "${BATS_TMPDIR:-/tmp}/revgate-layout.XXXXXX")
	cd "$PROJ" || return 1
	export XDG_CACHE_HOME="$PROJ/.cache"
}

teardown() {
	rm -rf "$PROJ"
}

use_layout() {
	printf '[revgate]\nlayout = %s\nmigrations = %s\n' "$1" "$2" >revgate.ini
}

# history_ids: the ids of 'revgate history', newest first, one per line
history_ids() {
	rg history --format json 2>/dev/null | /usr/bin/python3 -c \
		'import json,sys; [print(r["revision"]) for r in json.load(sys.stdin)]'
}

@test "an unknown layout is a configuration error naming the layouts" {
	use_layout flyaway db
	mkdir db
	run rg heads
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown layout 'flyaway'"*"dbmate"*"sqitch"* ]]
}

@test "dbmate: versions in file-name order, markers, transaction:false, findings at the file's line" {
	use_layout dbmate db/migrations
	mkdir -p db/migrations
	printf -- '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n\n-- migrate:down\nDROP TABLE users;\n' \
		>db/migrations/20240101120000_create_users.sql
	printf -- '-- a comment before the block\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n-- migrate:down\nDROP INDEX CONCURRENTLY users_email;\n' \
		>db/migrations/20240102120000_users_email.sql
	printf -- '-- migrate:up\nALTER TABLE users ADD COLUMN name text NOT NULL;\n-- migrate:down\nALTER TABLE users DROP COLUMN name;\n' \
		>db/migrations/20240103120000_add_name.sql
	printf 'notes\n' >db/migrations/README.md
	run history_ids
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 20240103120000 ]
	[ "${lines[2]}" = 20240101120000 ]
	run rg heads
	[ "$output" = "20240103120000 (head)" ]
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/migrations/20240103120000_add_name.sql:2:19: error[adding-required-field]"* ]]
	# the concurrent build runs outside a transaction, as transaction:false says
	[[ "$output" != *"ban-concurrent-index-creation-in-transaction"* ]]
	[[ "$output" == *"20240102120000_users_email.sql:3:1: warning[prefer-robust-stmts]"* ]]
}

@test "dbmate: SQL before the up marker, a missing up block and a file without a version are findings" {
	use_layout dbmate db
	mkdir db
	printf 'CREATE TABLE early (id bigint);\n-- migrate:up\nSELECT 1;\n' >db/1_early.sql
	printf 'SELECT 1;\n' >db/2_nomarker.sql
	printf -- '-- migrate:up\nSELECT 1;\n' >db/add_things.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/1_early.sql:1:1: error[text-outside-section]"* ]]
	[[ "$output" == *"db/2_nomarker.sql:1:1: error[missing-upgrade-section]: the file has no '-- migrate:up' marker"* ]]
	[[ "$output" == *"db/add_things.sql: warning[file-name]"*"dbmate ignores it"* ]]
}

@test "golang-migrate: numeric order, the down file's findings name the down file" {
	use_layout golang-migrate migrations
	mkdir migrations
	printf 'CREATE TABLE a (id bigint);\n' >migrations/1_a.up.sql
	printf 'DROP TABLE a;\n' >migrations/1_a.down.sql
	printf 'CREATE TABLE b (id bigint);\n' >migrations/2_b.up.sql
	printf '\n\nDROP TABLE b CASCADE;\nUPDATE a SET id = 1;\n' >migrations/2_b.down.sql
	printf 'ALTER TABLE a ADD COLUMN x bigint;\n' >migrations/10_x.up.sql
	run history_ids
	[ "${lines[0]}" = 10 ]
	[ "${lines[1]}" = 2 ]
	[ "${lines[2]}" = 1 ]
	run rg lint
	[[ "$output" == *"migrations/2_b.down.sql:4:"*"[update-without-where]"* ]]
	[[ "$output" == *"migrations/10_x.up.sql:1:1: warning[missing-downgrade]"* ]]
	[[ "$output" != *"2_b.up.sql:4"* ]]
}

@test "golang-migrate: a down file without its up file is an error" {
	use_layout golang-migrate m
	mkdir m
	printf 'SELECT 1;\n' >m/1_a.up.sql
	printf 'SELECT 1;\n' >m/2_b.down.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"m/2_b.down.sql: error[missing-upgrade-section]: a down migration without its up file '2_b.up.sql'"* ]]
}

@test "goose: Up/Down annotations, StatementBegin blocks, NO TRANSACTION, Go migrations stay in the chain" {
	use_layout goose db
	mkdir db
	cat >db/00001_func.sql <<'EOF'
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$
BEGIN
  RETURN 1;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION f();
EOF
	printf 'package migrations\n' >db/00002_backfill.go
	printf -- '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n' >db/00003_idx.sql
	printf -- '-- +goose Up\nSELECT 1;\n' >db/10_later.sql
	run history_ids
	[ "${lines[0]}" = 10 ]
	[ "${lines[1]}" = 00003 ]
	[ "${lines[2]}" = 00002 ]
	run rg show 00003
	[[ "$output" == *"00002"* ]]
	run rg lint
	[[ "$output" == *"db/00002_backfill.go: warning[unsupported-migration]: a Go migration"* ]]
	[[ "$output" != *"syntax-error"* ]]
	[[ "$output" != *"ban-concurrent-index-creation-in-transaction"* ]]
}

@test "goose: ENVSUB placeholders are reported, and a zero version is refused" {
	use_layout goose db
	mkdir db
	printf -- '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE ${SCHEMA}.t (id bigint);\n-- +goose ENVSUB OFF\n' >db/00001_t.sql
	printf -- '-- +goose Up\nSELECT 1;\n' >db/0_zero.sql
	run rg lint
	[[ "$output" == *"db/00001_t.sql:3:14: warning[template-placeholder]: goose ENVSUB placeholder '\${SCHEMA}'"* ]]
	[[ "$output" == *"db/0_zero.sql: error[file-name]"* ]]
}

@test "flyway: versions compared part by part, subfolders, undo files, .conf, repeatables and placeholders" {
	use_layout flyway sql
	mkdir -p sql/v1 sql/v2
	printf 'CREATE TABLE a (id bigint);\n' >sql/v1/V1__init.sql
	printf 'DROP TABLE a;\n' >sql/v1/U1__init.sql
	printf 'CREATE INDEX CONCURRENTLY a_id ON a (id);\n' >sql/v2/V1_10__idx.sql
	printf 'executeInTransaction=false\n' >sql/v2/V1_10__idx.sql.conf
	printf 'ALTER TABLE a ADD COLUMN b bigint;\n' >sql/V1.2__b.sql
	printf 'CREATE VIEW v AS SELECT 1;\n' >sql/R__views.sql
	printf 'CREATE TABLE ${schema}.c (id bigint);\n' >sql/V2__c.sql
	run history_ids
	[ "${lines[0]}" = V2 ]
	[ "${lines[1]}" = V1_10 ]
	[ "${lines[2]}" = V1_2 ]
	[ "${lines[3]}" = V1 ]
	run rg lint
	[[ "$output" == *"sql/R__views.sql: warning[unsupported-migration]: a repeatable migration"* ]]
	[[ "$output" == *"sql/V2__c.sql:1:14: warning[template-placeholder]: Flyway placeholder '\${schema}'"* ]]
	[[ "$output" != *"V1_10__idx.sql"*"ban-concurrent-index-creation-in-transaction"* ]]
	[[ "$output" != *"sql/v1/V1__init.sql"*"missing-downgrade"* ]]
}

@test "flyway: two migrations with one version are refused" {
	use_layout flyway sql
	mkdir -p sql/a sql/b
	printf 'SELECT 1;\n' >sql/a/V3__one.sql
	printf 'SELECT 2;\n' >sql/b/V3__two.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"sql/b/V3__two.sql: error[duplicate-version]: version '3' is also 'a/V3__one.sql'"* ]]
}

@test "diesel: one directory per migration, metadata.toml, findings in down.sql" {
	use_layout diesel migrations
	mkdir -p migrations/00000000000000_diesel_initial_setup migrations/2024-01-01-000000_create_users migrations/2024-01-02-000000_idx
	printf 'SELECT 1;\n' >migrations/00000000000000_diesel_initial_setup/up.sql
	printf 'SELECT 1;\n' >migrations/00000000000000_diesel_initial_setup/down.sql
	printf 'CREATE TABLE users (id bigint);\n' >migrations/2024-01-01-000000_create_users/up.sql
	printf -- '-- undo\nUPDATE accounts SET z = 1;\nDROP TABLE users;\n' \
		>migrations/2024-01-01-000000_create_users/down.sql
	printf 'CREATE INDEX CONCURRENTLY ui ON users (id);\n' >migrations/2024-01-02-000000_idx/up.sql
	printf 'run_in_transaction = false\n' >migrations/2024-01-02-000000_idx/metadata.toml
	run history_ids
	[ "${lines[0]}" = 20240102000000 ]
	[ "${lines[2]}" = 00000000000000 ]
	run rg lint
	[[ "$output" == *"migrations/2024-01-01-000000_create_users/down.sql:2:8: info[update-without-where]"* ]]
	[[ "$output" != *"ban-concurrent-index-creation-in-transaction"* ]]
}

@test "sqitch: the plan's order, reworked changes, its own BEGIN/COMMIT as the revision's transaction" {
	use_layout sqitch db
	mkdir -p db/deploy db/revert db/verify
	cat >db/sqitch.plan <<'EOF'
%syntax-version=1.0.0
%project=flipr

appschema 2013-12-30T23:49:00Z Marge <marge@example.com> # Add schema for all flipr objects.
users [appschema] 2013-12-30T23:50:40Z Marge <marge@example.com> # Creates table to track our users.
@v1.0 2013-12-31T00:19:22Z Marge <marge@example.com> # Tag v1.0.
users [users@v1.0] 2014-01-01T00:00:00Z Marge <marge@example.com> # Reworked users.
EOF
	printf -- '-- Deploy flipr:appschema to pg\n\nBEGIN;\nCREATE SCHEMA flipr;\nCOMMIT;\n' >db/deploy/appschema.sql
	printf 'BEGIN;\nDROP SCHEMA flipr;\nCOMMIT;\n' >db/revert/appschema.sql
	printf 'BEGIN;\nCREATE TABLE flipr.users (id bigint);\nCOMMIT;\n' >db/deploy/users@v1.0.sql
	printf 'BEGIN;\nDROP TABLE flipr.users;\nCOMMIT;\n' >db/revert/users@v1.0.sql
	printf 'BEGIN;\nALTER TABLE flipr.users ADD COLUMN n text NOT NULL;\nCOMMIT;\n' >db/deploy/users.sql
	printf 'BEGIN;\nALTER TABLE flipr.users DROP COLUMN n;\nCOMMIT;\n' >db/revert/users.sql
	run rg history
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "users_v1_0 -> users (head), Reworked users." ]]
	[[ "${lines[2]}" == "<base> -> appschema, Add schema for all flipr objects." ]]
	run rg lint
	[[ "$output" != *"transaction-nesting"* ]]
	[[ "$output" == *"db/deploy/users.sql:2:"*"error[adding-required-field]"* ]]
}

@test "sqitch: a change without its deploy script, and no plan at all" {
	use_layout sqitch db
	mkdir -p db/deploy
	printf '%%project=x\n\nalpha 2020-01-01T00:00:00Z A <a@b> # a\n' >db/sqitch.plan
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/sqitch.plan:3:1: error[invalid-file]: the plan's change 'alpha' has no deploy script 'deploy/alpha.sql'"* ]]
	# show, like heads and history, says so and fails
	run rg show alpha
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no deploy script 'deploy/alpha.sql'"* ]]
	rm db/sqitch.plan
	printf 'SELECT 1;\n' >db/deploy/alpha.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"no sqitch.plan in the migrations directory"* ]]
}

@test "binary, empty and oversized migrations are findings, not crashes" {
	use_layout dbmate db
	mkdir db
	printf '\x00\x01binary' >db/1_bin.sql
	: >db/2_empty.sql
	head -c 2000 /dev/zero | tr '\0' 'x' >db/3_big.sql
	printf 'max_file_size = 1000\n' >>revgate.ini
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/1_bin.sql:1:1: error[invalid-file]: the file contains a NUL byte"* ]]
	[[ "$output" == *"db/2_empty.sql:1:1: error[missing-upgrade-section]: the file has no '-- migrate:up' marker"* ]]
	[[ "$output" == *"db/3_big.sql: error[invalid-file]"*"over the limit of 1000 bytes"* ]]
}

@test "upgrade on another tool's layout says how to go on" {
	use_layout dbmate db
	mkdir db
	run rg upgrade --url postgresql:///nothing
	[ "$status" -eq 2 ]
	[[ "$output" == *"'revgate import dbmate DIR'"*"'revgate adopt dbmate'"* ]]
	run rg merge
	[ "$status" -eq 2 ]
	[[ "$output" == *"line of versions without merges"* ]]
}

@test "empty files are migrations that do nothing (golang-migrate and diesel allow them)" {
	use_layout golang-migrate m
	mkdir m
	printf 'CREATE TABLE a (id bigint);\n' >m/000001_a.up.sql
	printf 'DROP TABLE a;\n' >m/000001_a.down.sql
	: >m/000002_noop.up.sql
	: >m/000002_noop.down.sql
	printf 'SELECT 1;\n' >m/000003_c.up.sql
	: >m/000003_c.down.sql
	run history_ids
	[ "${lines[0]}" = 000003 ]
	[ "${lines[1]}" = 000002 ]
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" != *"invalid-file"* ]]
	[[ "$output" == *"m/000003_c.down.sql:1:1: warning[missing-downgrade]"* ]]
}

@test "versions the tool takes as one are duplicates: 001 and 1, V1 and V1.0" {
	use_layout golang-migrate m
	mkdir m
	printf 'SELECT 1;\n' >m/001_a.up.sql
	printf 'SELECT 2;\n' >m/1_b.up.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"m/1_b.up.sql: error[duplicate-version]: version '1' is also '001_a.up.sql'"* ]]
	use_layout flyway f
	mkdir f
	printf 'SELECT 1;\n' >f/V1__a.sql
	printf 'SELECT 2;\n' >f/V1.0__b.sql
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[duplicate-version]"* ]]
}

@test "sqitch: a reworked change's script is the first of its tags that exists; sqitch.conf's top_dir; a note right after the email" {
	use_layout sqitch proj
	mkdir -p proj/sql/deploy proj/sql/revert
	printf '[core]\n\tengine = pg\n\ttop_dir = ./sql\n' >proj/sqitch.conf
	cat >proj/sql/sqitch.plan <<'EOF'
%project=p

f 2024-01-01T00:00:00Z A <a@b># first f
@v1 2024-01-02T00:00:00Z A <a@b> # v1
g 2024-01-03T00:00:00Z A <a@b> # g
@v2 2024-01-04T00:00:00Z A <a@b> # v2
f [f@v2] 2024-01-05T00:00:00Z A <a@b> # reworked f
EOF
	printf 'SELECT 1;\n' >proj/sql/deploy/f@v2.sql
	printf 'SELECT 2;\n' >proj/sql/deploy/g.sql
	printf 'SELECT 3;\n' >proj/sql/deploy/f.sql
	run rg history
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "g -> f (head), reworked f" ]
	[ "${lines[2]}" = "<base> -> f_v2, first f" ]
}

@test "an import refuses what PostgreSQL cannot parse, and the same history gets the same names, dry run or not" {
	mkdir src
	printf -- '-- migrate:up\n\\set x 1\nSELECT :x;\n-- migrate:down\nSELECT 1;\n' >src/1_a.sql
	rg init >/dev/null
	run rg import dbmate src
	[ "$status" -eq 1 ]
	[[ "$output" == *"src/1_a.sql:2:1: error[unsupported-migration]: PostgreSQL's parser refuses this"* ]]
	[ -z "$(ls -A migrations)" ]
	printf -- '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n' >src/1_a.sql
	printf -- '-- migrate:up\nSELECT 3;\n' >src/2_b.sql
	run rg import dbmate src --dry-run -q
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "would write migrations/20000101_0000_1_a.sql" ]
	rg import dbmate src >/dev/null
	[ "$(ls migrations)" = "$(printf '20000101_0000_1_a.sql\n20000101_0001_2_b.sql')" ]
	! grep -q '^-- created:' migrations/20000101_0000_1_a.sql
	run rg import dbmate src --dry-run
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists"* ]]
}


@test "a missing downgrade is explained in the tool's own terms, at the marker's line" {
	use_layout dbmate db/migrations
	mkdir -p db/migrations
	printf -- '-- migrate:up\nCREATE TABLE a (id bigint);\n\n-- migrate:down' >db/migrations/20240101000000_a.sql
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" == *"20240101000000_a.sql:4:1: warning[missing-downgrade]: the downgrade section is empty"* ]]
	[[ "$output" == *"hint: write the SQL that undoes the upgrade under '-- migrate:down', or set 'missing-downgrade = off' under [rules]"* ]]
	use_layout golang-migrate m
	mkdir m && printf 'CREATE TABLE a (id bigint);\n' >m/1_a.up.sql
	run rg lint
	[[ "$output" == *"m/1_a.up.sql:1:1: warning[missing-downgrade]: the revision has no downgrade section"* ]]
	[[ "$output" == *"in the .down.sql file beside it"* ]]
	printf '[rules]\nmissing-downgrade = off\n' >>revgate.ini
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" != *"missing-downgrade"* ]]
}
