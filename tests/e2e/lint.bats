#!/usr/bin/env bats
# revgate lint, rules and explain: the command, its formats and exit codes,
# the history-aware checks, configuration, and bad input that must never
# crash.

load helpers

setup() {
	new_project
}

teardown() {
	cd / && rm -rf "$PROJ"
}

rev() { # rev ID DOWN UPGRADE [DOWNGRADE] [STAMP]
	{
		echo "-- revision: $1"
		echo "-- down_revision: $2"
		echo "-- message: revision $1"
		echo
		echo "-- +upgrade"
		printf '%s\n' "$3"
		if [ -n "${4:-}" ]; then
			echo
			echo "-- +downgrade"
			printf '%s\n' "$4"
		fi
	} >"migrations/${5:-20250101_0000}_$1_rev.sql"
}

@test "the example project lints without errors" {
	cd "$ROOT"
	run rg lint
	[ "$status" -eq 0 ]
	! grep -q 'error\[' <<<"$output"
}

@test "an index on an existing table needs CONCURRENTLY; on a new one it does not" {
	rev aaa none 'CREATE TABLE t (id bigint, a text);' 'DROP TABLE t;' 20250101_0000
	rev bbb aaa 'CREATE INDEX t_a_idx ON t (a);
CREATE TABLE u (id bigint);
CREATE INDEX u_id_idx ON u (id);' 'DROP INDEX t_a_idx;
DROP TABLE u;' 20250102_0000
	run rg lint
	[ "$status" -eq 1 ]
	grep -q "20250102_0000_bbb_rev.sql:6:25: error\[require-concurrent-index-creation\]" <<<"$output"
	! grep -q "u_id_idx" <<<"$output"
}

@test "a type change is judged by the old type from the history" {
	rev aaa none 'CREATE TABLE t (id integer, name varchar(50));' 'DROP TABLE t;' 20250101_0000
	rev bbb aaa 'ALTER TABLE t ALTER COLUMN name TYPE varchar(100);
ALTER TABLE t ALTER COLUMN name TYPE text;' 'SELECT 1;' 20250102_0000
	rev ccc bbb 'ALTER TABLE t ALTER COLUMN id TYPE bigint;' 'SELECT 1;' 20250103_0000
	run rg lint --format json
	[ "$status" -eq 1 ]
	[ "$(grep -c '"rule": "changing-column-type"' <<<"$output")" -eq 1 ]
	grep -q 'from int4 to int8\|from integer to bigint' <<<"$output"
}

@test "json output has the documented fields and summary" {
	printf 'DROP TABLE IF EXISTS x;\n' >plain.sql
	run rg lint plain.sql --format json
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f = d["findings"][0]
for k in ("rule", "severity", "file", "line", "column", "message", "hint"):
    assert k in f, k
assert f["rule"] == "ban-drop-table" and f["line"] == 1
assert d["summary"]["warning"] == 1
' "$output"
}

@test "--strict and --fail-level warning fail on warnings" {
	printf 'DROP TABLE IF EXISTS x;\n' >plain.sql
	run rg lint plain.sql --strict
	[ "$status" -eq 1 ]
	run rg lint plain.sql --fail-level warning
	[ "$status" -eq 1 ]
	run rg lint plain.sql --fail-level nonsense
	[ "$status" -eq 2 ]
}

@test "github and sarif formats" {
	printf 'CREATE INDEX IF NOT EXISTS i ON t (a);\n' >plain.sql
	run rg lint plain.sql --format github
	[ "$status" -eq 1 ]
	grep -q '^::error file=plain.sql,line=1,col=33,title=revgate require-concurrent-index-creation::' <<<"$output"
	out=$(rg lint plain.sql --format sarif 2>/dev/null || true)
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["version"] == "2.1.0"
r = d["runs"][0]["results"][0]
assert r["ruleId"] == "require-concurrent-index-creation"
assert r["partialFingerprints"]
' "$out"
}

@test "sarif fingerprints do not change when lines move" {
	printf 'CREATE INDEX i ON t (a);\n' >a.sql
	printf '\n\n\nCREATE INDEX i ON t (a);\n' >b.sql
	fa=$(rg lint a.sql --format sarif | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["results"][0]["partialFingerprints"])')
	cp b.sql a.sql
	fb=$(rg lint a.sql --format sarif | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["results"][0]["partialFingerprints"])')
	[ "$fa" = "$fb" ]
}

@test "ignore comments silence one statement; unused and unknown ones are reported" {
	printf -- '-- revgate: ignore ban-drop-table\nDROP TABLE a;\nDROP TABLE b;\n-- revgate: ignore ban-drop-column\nSELECT 1;\n-- revgate: ignore no-such-rule\nSELECT 2;\n' >plain.sql
	run rg lint plain.sql
	[ "$status" -eq 1 ]
	! grep -q 'plain.sql:2:1: warning\[ban-drop-table\]' <<<"$output"
	grep -q 'plain.sql:3:1: warning\[ban-drop-table\]' <<<"$output"
	grep -q 'plain.sql:4:1: warning\[unused-ignore\]' <<<"$output"
	grep -q 'plain.sql:6:1: error\[unknown-rule\]' <<<"$output"
}

@test "config turns rules off, changes severities, and refuses unknown ids" {
	printf 'DROP TABLE IF EXISTS x;\n' >plain.sql
	printf '[rules]\nban-drop-table = error\n' >>revgate.ini
	run rg lint plain.sql
	[ "$status" -eq 1 ]
	grep -q 'error\[ban-drop-table\]' <<<"$output"
	sed -i 's/ban-drop-table = error/ban-drop-table = off/' revgate.ini
	run rg lint plain.sql
	[ "$status" -eq 0 ]
	[ "$output" = "1 file checked: 0 errors, 0 warnings, 0 info" ]
	sed -i 's/ban-drop-table = off/ban-drop-tables = off/' revgate.ini
	run rg lint plain.sql
	[ "$status" -eq 2 ]
	grep -q "unknown rule 'ban-drop-tables'" <<<"$output"
}

@test "--pg-version is checked and changes version-dependent rules" {
	printf 'ALTER TABLE p DETACH PARTITION c;\n' >plain.sql
	run rg lint plain.sql --pg-version 15
	grep -q 'require-concurrent-partition-detach' <<<"$output"
	run rg lint plain.sql --pg-version 13
	! grep -q 'require-concurrent-partition-detach' <<<"$output"
	run rg lint plain.sql --pg-version 10
	[ "$status" -eq 2 ]
}

@test "a syntax error is reported at its line and column and does not hide later statements" {
	printf 'SELECT 1;\nSELEC 2;\nCREATE INDEX i ON t (a);\n' >plain.sql
	run rg lint plain.sql
	[ "$status" -eq 1 ]
	grep -q 'plain.sql:2:1: error\[syntax-error\]' <<<"$output"
	grep -q 'plain.sql:3:19: error\[require-concurrent-index-creation\]' <<<"$output"
}

@test "PL/pgSQL bodies are parsed" {
	printf 'DO $$ BEGIN\n  IF true THEN RAISE NOTICE $q$x$q$;\nEND; $$;\n' >plain.sql
	run rg lint plain.sql
	[ "$status" -eq 1 ]
	grep -q 'error\[syntax-error\]: PL/pgSQL' <<<"$output"
}

@test "missing and incomplete downgrades" {
	rev aaa none 'CREATE TABLE t (id bigint);'
	run rg lint
	grep -q 'warning\[missing-downgrade\]' <<<"$output"
	rev aaa none 'CREATE TABLE t (id bigint);
CREATE INDEX t_id_idx ON t (id);
CREATE TABLE u (id bigint);' 'DROP TABLE t;'
	run rg lint
	grep -q "downgrade-incomplete\]: the upgrade creates table 'u'" <<<"$output"
	! grep -q "t_id_idx" <<<"$output"
}

@test "BEGIN/COMMIT and CONCURRENTLY inside them" {
	printf 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n' >plain.sql
	run rg lint plain.sql
	# a plain file runs as written: its own BEGIN is fine, CONCURRENTLY inside it is not
	! grep -q 'transaction-nesting' <<<"$output"
	grep -q 'ban-concurrent-index-creation-in-transaction' <<<"$output"
	run rg lint --assume-in-transaction plain.sql
	grep -q 'plain.sql:1:1: error\[transaction-nesting\]' <<<"$output"
	grep -q 'plain.sql:3:1: error\[transaction-nesting\]' <<<"$output"
}

@test "rules lists every rule; explain prints a page" {
	run rg rules --format json
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
ids = {r["id"] for r in d}
assert len(d) >= 60
for r in d:
    assert set(("id", "severity", "summary")) <= set(r)
for i in ("require-concurrent-index-creation", "vector-index-without-opclass", "multiple-heads", "applied-revision-edited"):
    assert i in ids, i
' "$output"
	run rg explain adding-field-with-default
	[ "$status" -eq 0 ]
	grep -q '^# adding-field-with-default' <<<"$output"
	grep -q '```sql fail' <<<"$output"
	run rg explain no-such-rule
	[ "$status" -eq 2 ]
}

@test "bad input never crashes: binary, truncated, deep nesting, huge statement" {
	head -c 4096 /dev/urandom >bin.sql
	run rg lint bin.sql
	[ "$status" -le 1 ]
	printf "CREATE TABLE t (a text DEFAULT 'unterminated" >trunc.sql
	run rg lint trunc.sql
	[ "$status" -eq 1 ]
	grep -q 'syntax-error' <<<"$output"
	python3 -c 'print("SELECT " + "(" * 5000 + "1" + ")" * 5000 + ";")' >deep.sql
	run rg lint deep.sql
	[ "$status" -le 1 ]
	python3 -c 'print("INSERT INTO t VALUES " + ",".join("(%d, %s)" % (i, repr("x" * 20)) for i in range(40000)) + ";")' >big.sql
	[ "$(stat -c %s big.sql)" -gt 1000000 ]
	run rg lint big.sql
	[ "$status" -eq 0 ]
	printf '' >empty.sql
	run rg lint empty.sql
	[ "$status" -le 1 ]
}

@test "a long history's schema is cached by content and gives the same findings" {
	export XDG_CACHE_HOME="$PROJ/cache"
	prev=none
	for i in $(seq 1 40); do
		id=$(printf 'r%03d' "$i")
		rev "$id" "$prev" "ALTER TABLE t ADD COLUMN c$i varchar(10);" "ALTER TABLE t DROP COLUMN c$i;" \
			"$(printf '20250101_%04d' "$i")"
		prev=$id
	done
	rev r000 none 'CREATE TABLE t (id bigint);' 'DROP TABLE t;' 20250101_0000
	sed -i 's/down_revision: none/down_revision: r000/' migrations/20250101_0001_r001_rev.sql
	rev r041 r040 'ALTER TABLE t ALTER COLUMN c3 TYPE varchar(5);
ALTER TABLE t ALTER COLUMN c4 TYPE text;' 'SELECT 1;' 20250101_0041
	run rg lint migrations/20250101_0041_r041_rev.sql
	[ "$status" -eq 1 ]
	first=$output
	[ "$(ls "$PROJ/cache/revgate" | wc -l)" -eq 1 ]
	grep -q "from varchar(10) to varchar(5)" <<<"$first"
	! grep -q "c4" <<<"$first"
	run rg lint migrations/20250101_0041_r041_rev.sql
	[ "$output" = "$first" ]
	# a damaged snapshot is ignored
	for f in "$PROJ"/cache/revgate/*; do echo garbage >"$f"; done
	run rg lint migrations/20250101_0041_r041_rev.sql
	[ "$output" = "$first" ]
	# an edited ancestor is a different history: a new snapshot
	sed -i 's/varchar(10)/varchar(20)/' migrations/20250101_0003_r003_rev.sql
	run rg lint migrations/20250101_0041_r041_rev.sql
	grep -q "from varchar(20) to varchar(5)" <<<"$output"
	[ "$(ls "$PROJ/cache/revgate" | wc -l)" -eq 2 ]
}

@test "revgate's own tables under their configured names, in a DO block too, and session changes are reported" {
	printf '[revgate]\nmigrations = migrations\n[database]\nversion_table = alembic_version\nhistory_table = mig_log\n' >revgate.ini
	rev aaaa0001 none 'DELETE FROM alembic_version;
DO $$ BEGIN EXECUTE '"'"'TRUNCATE mig_log'"'"'; END $$;
ALTER TABLE "mig_log" DISABLE TRIGGER mig_log_append_only;
SELECT * FROM revgate_history;
SET SESSION AUTHORIZATION nobody;
RESET ALL;
SET LOCAL statement_timeout = 0;
ALTER ROLE app SET search_path = app;' 'SELECT 1;' 20250101_0001
	run rg lint
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *":6:1: error[revgate-table-touched]: this statement touches 'alembic_version'"* ]]
	[[ "$output" == *":7:22: error[revgate-table-touched]: this statement touches 'mig_log'"* ]]
	[[ "$output" == *":8:1: error[revgate-table-touched]: this statement touches 'mig_log'"* ]]
	[[ "$output" != *":9:1: error[revgate-table-touched]"* ]]
	[[ "$output" == *":10:1: warning[session-state-change]: SET session_authorization runs the rest of the revision as another user"* ]]
	[[ "$output" == *":11:1: warning[session-state-change]: RESET ALL"* ]]
	[[ "$output" != *":12:1: warning[session-state-change]"* ]]
	[[ "$output" == *":13:1: warning[database-default-change]: ALTER ROLE ... SET changes search_path"* ]]
}

@test "a directory of revisions named on the command line is linted as a history" {
	mkdir -p other
	rev aaa none 'CREATE TABLE t (id integer, at timestamp);' 'DROP TABLE t;' 20250101_0000
	rev bbb aaa "SET TIME ZONE 'UTC';
ALTER TABLE t ALTER COLUMN at TYPE timestamptz;
ALTER TABLE t ALTER COLUMN id TYPE bigint;" 'SELECT 1;' 20250102_0000
	mv migrations/*.sql other/
	run rg lint other
	[ "$status" -eq 1 ]
	# the old type comes from the first revision, and a UTC session makes timestamptz free
	grep -q "other/20250102_0000_bbb_rev.sql:8:15: error\[changing-column-type\]: changing 't.id' from integer to bigint" <<<"$output"
	[ "$(grep -c 'changing-column-type' <<<"$output")" -eq 1 ]
	grep -qx '2 revisions checked: 1 error, 3 warnings, 0 info' <<<"$output"
	# a directory of plain SQL files is still linted file by file
	mkdir plain && printf 'ALTER TABLE t ALTER COLUMN id TYPE bigint;\n' >plain/a.sql
	run rg lint plain
	grep -q "plain/a.sql:1:15: error\[changing-column-type\]: changing the type of 't.id' to bigint rewrites the table under an ACCESS EXCLUSIVE lock unless" <<<"$output"
}

@test "statements in a DO block are linted at their own line" {
	rev aaa none 'CREATE TABLE docs (id bigint);' 'DROP TABLE docs;' 20250101_0000
	rev bbb aaa 'DO $$ BEGIN ALTER TABLE docs ADD COLUMN n int NOT NULL; CREATE INDEX docs_n ON docs (n); DROP TABLE docs; END $$;' 'SELECT 1;' 20250102_0000
	run rg lint
	[ "$status" -eq 1 ]
	grep -q '_bbb_rev.sql:6:30: error\[adding-required-field\]' <<<"$output"
	grep -q '_bbb_rev.sql:6:80: error\[require-concurrent-index-creation\]' <<<"$output"
	grep -q '_bbb_rev.sql:6:90: warning\[ban-drop-table\]' <<<"$output"
}

@test "syntax PostgreSQL 15's grammar rejects is info for a newer target" {
	printf 'ALTER TABLE t ALTER COLUMN c SET EXPRESSION AS (1);\n' >plain.sql
	run rg lint plain.sql
	[ "$status" -eq 1 ]
	grep -q 'error\[syntax-error\]' <<<"$output"
	run rg lint plain.sql --pg-version 17
	[ "$status" -eq 0 ]
	grep -q "info\[syntax-error\]: PostgreSQL 15's grammar rejects this" <<<"$output"
	grep -q 'your target version 17 may accept it' <<<"$output"
}

@test "explain shows the lock table rows a rule judges by" {
	run rg explain changing-column-type
	[ "$status" -eq 0 ]
	grep -q '^| ALTER TABLE ... ALTER COLUMN ... TYPE | table | ACCESS EXCLUSIVE | 13-17 |' <<<"$output"
	run rg explain locks
	[ "$status" -eq 0 ]
	grep -q '^| ALTER TABLE ... ADD FOREIGN KEY | referenced table | SHARE ROW EXCLUSIVE | 13-17 |' <<<"$output"
	grep -q '^| ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY | parent table | SHARE UPDATE EXCLUSIVE | 14-17 |' <<<"$output"
}

@test "a clean lint prints one summary line; --quiet keeps it silent" {
	sql_rev aaaa1111 none "CREATE TABLE t (id bigint PRIMARY KEY);" "DROP TABLE t;" 20250101_0000
	sql_rev bbbb2222 aaaa1111 "ALTER TABLE t ADD COLUMN note text;" \
		"ALTER TABLE t DROP COLUMN note;" 20250101_0001
	run rg lint
	[ "$status" -eq 0 ]
	[ "$output" = "2 revisions checked: 0 errors, 0 warnings, 0 info" ]
	run rg lint -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rg --quiet lint
	[ -z "$output" ]
	printf 'SELECT 1;\n' >plain.sql
	run rg lint migrations plain.sql
	[ "$output" = "2 revisions and 1 file checked: 0 errors, 0 warnings, 0 info" ]
	# with findings the line still ends the report, counting them
	printf 'DROP TABLE IF EXISTS x;\n' >plain.sql
	run rg lint plain.sql
	[ "${lines[-1]}" = "1 file checked: 0 errors, 1 warning, 0 info" ]
	# machine formats are unchanged
	run rg lint --format json
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["findings"] == [] and d["summary"] == {"error": 0, "warning": 0, "info": 0}, d' "$output"
}

@test "explain knows every finding id any command can print" {
	# the ids in the sources: RULE_* constants, and literal ids handed to
	# a findings call; then every registered rule
	ids=$(python3 - "$ROOT/src" <<'PY'
import pathlib, re, sys
ids = set()
for f in pathlib.Path(sys.argv[1]).rglob("*.[ch]"):
    text = f.read_text()
    ids |= set(re.findall(r'#define\s+RULE_[A-Z0-9_]+\s+"([a-z0-9-]+)"', text))
    ids |= set(re.findall(r'\b(?:findings_add\w*|\w*report)\(\s*[^,()]+,\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
assert {"applied-checksum-mismatch", "test-downgrade-differs", "syntax-error", "heads-after-merge"} <= ids, ids
print("\n".join(sorted(ids)))
PY
	)
	ids+=$'\n'$(rg rules --format json | python3 -c 'import json, sys; print("\n".join(r["id"] for r in json.load(sys.stdin)))')
	n=0
	while read -r id; do
		run rg explain "$id"
		[ "$status" -eq 0 ] || { echo "revgate explain $id: $output"; return 1; }
		[[ "${lines[0]}" == "# $id" ]]
		n=$((n + 1))
	done <<<"$ids"
	[ "$n" -gt 80 ]
	run rg explain applied-checksum-mismath
	[ "$status" -eq 2 ]
	[[ "$output" == *"did you mean 'applied-checksum-mismatch'?"* ]]
}

@test "a string EXECUTE runs, far into a long revision, is read as its own text" {
	rev aaa none 'CREATE TABLE t (id bigint);' 'DROP TABLE t;' 20240101_0000
	rev bbb aaa "$(printf -- '-- %0400d\n' 0 0 0 0 0)
DO \$\$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN n int NOT NULL'; EXECUTE 'DELETE FROM revgate_version'; END \$\$;" 'SELECT 1;' 20250101_0000
	run rg lint
	[ "$status" -eq 1 ]
	[ "$(grep -c 'error\[revgate-table-touched\]' <<<"$output")" -eq 1 ]
	grep -q "error\[revgate-table-touched\]: this statement touches 'revgate_version'" <<<"$output"
	grep -q "adding-required-field" <<<"$output"
}
