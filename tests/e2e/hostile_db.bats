#!/usr/bin/env bats
# Hostile names on a real PostgreSQL 15: version table, schema and history
# table names crafted to inject SQL are created and used as quoted
# identifiers, and the SQL they carry never runs.

load helpers
load db_helpers

setup() {
	new_db h
	psql_ -c "CREATE TABLE victim (id int)" -c "CREATE TABLE u (id int)"
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

@test "version table, schema and history names that carry SQL are identifiers" {
	psql_ -c 'CREATE SCHEMA "s""; DROP SCHEMA public CASCADE; --"'
	cat >revgate.ini <<-'EOF'
	[revgate]
	migrations = migrations
	[database]
	version_table = v"; DROP TABLE victim; --
	version_table_schema = s"; DROP SCHEMA public CASCADE; --
	history_table = h'); DROP TABLE u; --
	EOF
	write_rev aaaa1111 none
	STAMP=20250101_0001 write_rev bbbb2222 aaaa1111
	run rg upgrade
	[ "$status" -eq 0 ]
	run rg current
	[ "$status" -eq 0 ]
	[[ "$output" == *bbbb2222* ]]
	run rg downgrade aaaa1111
	[ "$status" -eq 0 ]
	# nothing the names carried ran: public and its tables are still there
	[ "$(psql_ -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('victim', 'u')")" = 2 ]
	# the tables exist under exactly those names, in that schema
	[ "$(psql_ -c "SELECT string_agg(c.relname, '|' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's\"; DROP SCHEMA public CASCADE; --' AND c.relkind = 'r'")" = "h'); DROP TABLE u; --|v\"; DROP TABLE victim; --" ]
	[ "$(psql_ -c "SELECT version_num FROM \"s\"\"; DROP SCHEMA public CASCADE; --\".\"v\"\"; DROP TABLE victim; --\"")" = aaaa1111 ]
	[ "$(psql_ -c "SELECT count(*) FROM \"s\"\"; DROP SCHEMA public CASCADE; --\".\"h'); DROP TABLE u; --\"")" -ge 3 ]
}

@test "--version-table with quotes, dots and a statement is one identifier" {
	write_rev aaaa1111 none
	run rg upgrade --version-table 'versions"; DROP TABLE victim; --'
	[ "$status" -eq 0 ]
	[ "$(psql_ -c "SELECT to_regclass('victim') IS NOT NULL")" = t ]
	[ "$(psql_ -c "SELECT version_num FROM \"versions\"\"; DROP TABLE victim; --\"")" = aaaa1111 ]
	run rg current --version-table 'versions"; DROP TABLE victim; --'
	[ "$status" -eq 0 ]
	[[ "$output" == *aaaa1111* ]]
	# a schema that does not exist is an error, not a guess
	run rg upgrade --version-table 'nope"; DROP TABLE u; --.versions'
	[ "$status" -ne 0 ]
	[ "$status" -lt 128 ]
	[ "$(psql_ -c "SELECT to_regclass('u') IS NOT NULL")" = t ]
}

@test "a revision id or label in the database that looks like SQL is data" {
	write_rev aaaa1111 none
	run rg upgrade
	[ "$status" -eq 0 ]
	psql_ -c "INSERT INTO revgate_version VALUES ('x''); DROP TABLE victim; --')"
	run rg current
	[ "$status" -lt 128 ]
	run rg upgrade
	[ "$status" -ne 0 ]
	[ "$status" -lt 128 ]
	[ "$(psql_ -c "SELECT to_regclass('victim') IS NOT NULL")" = t ]
}
