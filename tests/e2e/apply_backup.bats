#!/usr/bin/env bats
# --backup DIR on a real PostgreSQL 15: before a step that destroys data,
# exactly what it destroys is dumped (pg_dump custom format for a table,
# COPY of the primary key and the column for a column), recorded in the
# history with its checksum, and restores; a failed backup stops the step.

load helpers
load db_helpers

setup() {
	new_db bk
	sql_rev aaaa0001 none "CREATE TABLE acct (id bigint PRIMARY KEY, note text, n int);
CREATE TABLE logs (id bigint, line text);
INSERT INTO acct SELECT g, 'note ' || g, g % 7 FROM generate_series(1, 1000) g;
INSERT INTO logs SELECT g, 'line ' || g FROM generate_series(1, 500) g;" "DROP TABLE logs;
DROP TABLE acct;" 20250101_0001
	rg upgrade >/dev/null 2>&1
}

teardown() {
	cd /
	rm -rf "$PROJ"
}

@test "backup: a dropped column is dumped with its key, recorded with its checksum, and restores exactly" {
	psql_ -c "CREATE TABLE before_drop AS SELECT id, note FROM acct"
	sql_rev bbbb0002 aaaa0001 "ALTER TABLE acct DROP COLUMN note;
DROP TABLE logs;
CREATE TABLE scratch (id int);
DROP TABLE scratch;" "SELECT 1;" 20250101_0002
	run rg upgrade --backup bk --events events.jsonl
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"backed up what revision bbbb0002 destroys: bk/bbbb0002_upgrade_1_public.acct.note_"*".csv"* ]]
	[[ "$output" == *"bk/bbbb0002_upgrade_2_public.logs_"*".dump"* ]]
	# the table created and dropped in the same step held nothing before it
	[ "$(ls bk | wc -l)" -eq 2 ]
	[ -z "$(psql_ -c "SELECT to_regclass('logs')")" ]
	# the history names each file with its checksum
	psql_ -c "SELECT backup_file, backup_sha256, error FROM revgate_history WHERE outcome = 'backup' ORDER BY id" >recorded
	cat recorded
	[ "$(wc -l <recorded)" -eq 2 ]
	while IFS='|' read -r file sum what; do
		[ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sum" ]
	done <recorded
	grep -q "|drops column \"public\".\"acct\".note$" recorded
	grep -q "|drops table \"public\".\"logs\"$" recorded
	[ "$(grep -c '"event":"backup_done"' events.jsonl)" -eq 2 ]
	# the column comes back from its CSV, value for value
	csv=$(ls bk/*.csv)
	psql_ -c "ALTER TABLE acct ADD COLUMN note text" \
		-c "CREATE TEMP TABLE back (id bigint, note text)" \
		-c "\\copy back FROM '$csv' WITH (FORMAT csv, HEADER true)" \
		-c "UPDATE acct SET note = back.note FROM back WHERE acct.id = back.id" \
		-c "SELECT count(*) FROM acct a JOIN before_drop b USING (id) WHERE a.note IS NOT DISTINCT FROM b.note" >same
	[ "$(tail -1 same)" -eq 1000 ]
	# the table comes back from pg_restore, rows and all
	"$PG_BIN/pg_restore" -d "$DB" "$(ls bk/*.dump)"
	[ "$(psql_ -c "SELECT count(*), sum(id), max(line) FROM logs")" = "500|125250|line 99" ]
}

@test "backup: a failed backup stops the step before anything of it runs" {
	sql_rev bbbb0002 aaaa0001 "DELETE FROM logs;" "SELECT 1;" 20250101_0002
	# pg_dump cannot read the table: a role without the right
	psql_ -c "CREATE ROLE deployer LOGIN" -c "GRANT ALL ON SCHEMA public TO deployer" \
		-c "GRANT ALL ON revgate_version, revgate_history, revgate_history_id_seq TO deployer" \
		-c "GRANT DELETE ON logs TO deployer"
	run rg upgrade --backup bk --url "postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=deployer"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"the backup before revision 'bbbb0002' (deletes every row of table \"public\".\"logs\") failed: pg_dump of \"public\".\"logs\" failed"*"permission denied"*"nothing of the revision ran"* ]]
	[ "$(psql_ -c "SELECT count(*) FROM logs")" -eq 500 ]
	[ "$(psql_ -c "SELECT version_num FROM revgate_version")" = "aaaa0001" ]
	[ -z "$(ls bk)" ]
}

@test "backup: refused where nothing runs, with --single-transaction, and into a directory it cannot write" {
	run rg upgrade --plan --backup bk
	[ "$status" -eq 2 ]
	[[ "$output" == *"--backup backs up before a run"* ]]
	run rg upgrade --single-transaction --backup bk
	[ "$status" -eq 2 ]
	[[ "$output" == *"--backup cannot be used with --single-transaction"* ]]
	touch afile
	run rg upgrade --backup afile/sub
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot write backups into 'afile/sub'"* ]]
}

@test "backup: [database] backup_dir, and a downgrade's drop backed up before the brake lets it go" {
	run rg downgrade base
	[ "$status" -eq 1 ]
	[[ "$output" == *"back it up first, then run again with --allow-data-loss (with --backup DIR, revgate dumps each first)"* ]]
	printf '[revgate]\nmigrations = migrations\n[database]\nbackup_dir = from-config\n' >revgate.ini
	run rg downgrade base
	[ "$status" -eq 1 ]
	[[ "$output" == *"run again with --allow-data-loss: each is dumped into 'from-config' first"* ]]
	run rg downgrade base --allow-data-loss
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"going on (--allow-data-loss); each is dumped into 'from-config' first"* ]]
	[ "$(ls from-config | grep -c '^aaaa0001_downgrade_[12]_public\.\(logs\|acct\)_.*\.dump$')" -eq 2 ]
}
