#!/usr/bin/env bats
# The git guard on linear tools' directories: an applied migration is known
# by its files and by its place in the tool's order, so an edit, a
# migration slipped in before an applied one, and two branches that each add
# one are caught before they land.

load helpers
load git_helpers

setup() {
	git_setup
	rm -rf migrations
	mkdir -p db
	printf '[revgate]\nlayout = dbmate\nmigrations = db\n' >revgate.ini
	mig 20240101000000_a "CREATE TABLE a (id bigint);" "DROP TABLE a;"
	mig 20240102000000_b "CREATE TABLE b (id bigint);" "DROP TABLE b;"
	git add -A && git commit -qm base
}

# mig NAME UP DOWN: a dbmate migration db/NAME.sql
mig() {
	printf -- '-- migrate:up\n%s\n\n-- migrate:down\n%s\n' "$2" "$3" >"db/$1.sql"
}

@test "two branches that each add a migration collide: the versions are named" {
	git checkout -qb feature
	mig 20240105000000_x "ALTER TABLE b ADD COLUMN x text;" "ALTER TABLE b DROP COLUMN x;"
	git add -A && git commit -qm x
	git checkout -q main
	mig 20240106000000_y "ALTER TABLE b ADD COLUMN y text;" "ALTER TABLE b DROP COLUMN y;"
	git add -A && git commit -qm y
	git checkout -q feature
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/20240105000000_x.sql: error[heads-after-merge]: this branch and main both add migrations after the same one: '20240105000000' (this branch), '20240106000000' (main)"*"dbmate skips or refuses it"* ]]
	[[ "$output" == *"db/20240105000000_x.sql:2:1: warning[sibling-conflict]"*"both touch table b"* ]]
}

@test "a migration slipped in before an applied one rewrites history" {
	mig 20240101500000_mid "SELECT 1;" "SELECT 2;"
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/20240102000000_b.sql: error[history-rewritten]: applied migration '20240102000000' now follows '20240101500000' instead of '20240101000000' (on main)"* ]]
}

@test "an applied migration's edit is an error; its comments are cosmetic" {
	sed -i 's/^DROP TABLE b;/-- undo\nDROP TABLE b;/' db/20240102000000_b.sql
	git add -A
	run rg lint --staged
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-revision-cosmetic-edit]"* ]]
	mig 20240102000000_b "CREATE TABLE b (id bigint, z bigint);" "DROP TABLE b;"
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/20240102000000_b.sql:2:1: error[applied-revision-edited]: applied revision '20240102000000' changed statement 1 of its upgrade"* ]]
}

@test "golang-migrate: an edit of an applied down file is named in the down file" {
	rm -rf db
	mkdir db
	printf '[revgate]\nlayout = golang-migrate\nmigrations = db\n' >revgate.ini
	printf 'CREATE TABLE a (id bigint);\n' >db/1_a.up.sql
	printf 'DROP TABLE a;\n' >db/1_a.down.sql
	git add -A && git commit -qm gm
	printf '\n\nDROP TABLE a CASCADE;\n' >db/1_a.down.sql
	run rg lint
	[[ "$output" == *"db/1_a.down.sql:3:1: warning[applied-revision-edited]: applied revision '1' changed statement 1 of its downgrade"* ]]
}

@test "pre-commit on a new migration only judges it" {
	mig 20240103000000_c "CREATE INDEX b_id ON b (id);" "DROP INDEX b_id;"
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"db/20240103000000_c.sql:2:22: error[require-concurrent-index-creation]"* ]]
	[[ "$output" != *"20240101000000_a.sql"* ]]
}
