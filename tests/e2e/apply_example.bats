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

@test "make demo: the happy path first, then the labelled ambiguity; captions match the output" {
	# the script's story, checked once: the commands it runs are tested
	# under the sanitizers elsewhere
	[ -z "${REVGATE_SANITIZE:-}" ] || skip "checked in the plain run"
	run "$ROOT/scripts/demo.sh" "$REVGATE"
	echo "$output"
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import re, sys
lines = sys.argv[1].split("\n")
captions = [i for i, l in enumerate(lines) if l.startswith("== ")]
amb = [i for i, l in enumerate(lines) if "ambiguous" in l]
assert amb, "the ambiguity is shown"
# every revgate error comes after the caption that announces the ambiguity
label = max(i for i in captions if i < amb[0])
assert "ambiguity" in lines[label], lines[label]
errors = [l for l in lines[:label] if re.match(r"revgate [a-z]+: ", l)]
assert not errors, errors
# the happy path went back and forward before it
titles = [lines[i] for i in captions if i < label]
assert any("upgrade head" in lines[i + 1] for i in captions if i < label)
assert any("downgrade" in lines[i + 1] for i in captions if i < label), titles
# the history table's caption names the columns the table has
q = next(l for l in lines if l.startswith("$ psql -c"))
select = re.search(r"SELECT (.*?) FROM", q).group(1)
named = [re.split(r"\s+AS\s+|\.", c.strip())[-1].strip() for c in re.split(r",(?![^(]*\))", select)]
header = lines[lines.index(q) + 1]
assert [c.strip() for c in header.split("|")] == named, (named, header)
# each revgate step's command is the one that ran: history marks the current revision
h = next(i for i in captions if "history" in lines[i + 1])
assert "--indicate-current" in lines[h + 1] and "(current)" in lines[h + 2], lines[h:h + 3]
PY
}
