#!/usr/bin/env bats
# upgrade/downgrade --plan walk the graph exactly as Alembic does: every
# run recorded in tests/fixtures/graphs/*/expected.json (computed by
# Alembic 1.8.1) is replayed offline and compared step by step, with the
# version-table change of each step and the rows after it.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	FIXTURES="$BATS_TEST_DIRNAME/../fixtures/graphs"
}

check_fixtures() {
	python3 - "$REVGATE" "$FIXTURES" <<'PY'
import json, os, subprocess, sys

revgate, root = sys.argv[1], sys.argv[2]
failures, runs = [], 0
for case in sorted(os.listdir(root)):
    path = os.path.join(root, case, "expected.json")
    if not os.path.isfile(path) or case.startswith("invalid_"):
        continue
    exp = json.load(open(path))
    for direction in ("upgrade", "downgrade"):
        for run in exp.get(direction, []):
            runs += 1
            rng = ",".join(run["from"]) + ":" + run["to"]
            p = subprocess.run(
                [revgate, "-C", os.path.join(root, case), direction, "--plan",
                 "--format", "json", "--", rng],
                capture_output=True, text=True)
            where = f"{case}: {direction} {rng}"
            if "error" in run:
                if p.returncode == 0:
                    failures.append(f"{where}: expected error {run['error']}, got a plan")
                elif p.returncode not in (1, 2):
                    failures.append(f"{where}: exit {p.returncode}: {p.stderr.strip()}")
                continue
            if p.returncode != 0:
                failures.append(f"{where}: exit {p.returncode}: {p.stderr.strip()}")
                continue
            plan = json.loads(p.stdout)
            steps = [s["revision"] for s in plan]
            if steps != run["steps"]:
                failures.append(f"{where}: steps {steps} != {run['steps']}")
                continue
            kinds = [s["kind"] for s in plan]
            if kinds != run["step_kinds"]:
                failures.append(f"{where}: kinds {kinds} != {run['step_kinds']}")
            after = [sorted(s["heads_after"]) for s in plan]
            if after != run["heads_after_each"]:
                failures.append(f"{where}: rows {after} != {run['heads_after_each']}")
            if any(s["direction"] != direction for s in plan):
                failures.append(f"{where}: wrong direction")
for f in failures:
    print(f)
print(f"{runs} runs, {len(failures)} differ")
sys.exit(1 if failures or runs < 50 else 0)
PY
}

@test "plans match Alembic's steps, version-table changes and rows on every fixture" {
	run check_fixtures
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "plan without FROM starts from the empty database" {
	run rg -C "$FIXTURES/linear" upgrade --plan --format json
	[ "$status" -eq 0 ]
	n=$(echo "$output" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$n" -eq 6 ]
}

@test "offline downgrade needs FROM:TO" {
	run rg -C "$FIXTURES/linear" downgrade --plan base
	[ "$status" -eq 2 ]
	[[ "$output" == *"FROM:TO"* ]]
}

@test "--sql writes the version-table DDL, transactions and Alembic's row changes" {
	run rg -C "$FIXTURES/branch_merge" upgrade --sql :head
	[ "$status" -eq 0 ]
	[[ "$output" == *'CREATE TABLE IF NOT EXISTS "revgate_version"'* ]]
	[[ "$output" == *"BEGIN;"* ]]
	[[ "$output" == *"DELETE FROM \"revgate_version\" WHERE version_num = "* ]]
	[ "$(grep -c '^COMMIT;' <<<"$output")" -eq 8 ]
}

@test "--sql --version-table alembic_version names Alembic's table" {
	run rg -C "$FIXTURES/linear" upgrade --sql --version-table alembic_version :head
	[ "$status" -eq 0 ]
	[[ "$output" == *'"alembic_version_pkc" PRIMARY KEY (version_num)'* ]]
}

@test "ambiguous prefix is a usage error naming the candidates" {
	run rg -C "$FIXTURES/linear" upgrade --plan :ae10
	[ "$status" -eq 2 ]
	[[ "$output" == *"ae10"* ]]
}

@test "--sql keeps a statement whose last line is a comment apart from the next" {
	new_project
	unset DATABASE_URL
	printf -- '-- revision: aaaa0001\n-- down_revision: none\n-- message: one\n\n-- +upgrade\nCREATE TABLE t (id int) -- trailing note;\n\n-- +downgrade\nDROP TABLE t -- bye\n' \
		>migrations/20250101_0000_aaaa0001_one.sql
	printf -- '-- revision: bbbb0002\n-- down_revision: aaaa0001\n-- message: two\n\n-- +upgrade\nCREATE TABLE u (id int); /* note */\n\n-- +downgrade\nDROP TABLE u;\n' \
		>migrations/20250101_0001_bbbb0002_two.sql
	run rg upgrade --sql :bbbb0002
	echo "$output"
	[ "$status" -eq 0 ]
	# the terminator is on a line of its own, after the comment
	[[ "$output" == *$'CREATE TABLE t (id int) -- trailing note\n;\nINSERT INTO "revgate_version"'* ]]
	# and the script runs on a real server
	. "$BATS_TEST_DIRNAME/../lib/pg.bash"
	pg_start "$BATS_TEST_TMPDIR/pg" >/dev/null 2>&1
	printf '%s\n' "$output" >script.sql
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f script.sql >psql.out 2>&1
	rc=$?
	got=$("$PG_BIN/psql" -X -qAt -c "SELECT version_num FROM revgate_version" -c "SELECT count(*) FROM pg_tables WHERE tablename IN ('t', 'u')")
	run rg downgrade --sql bbbb0002:base
	down=$output
	pg_stop
	cat psql.out
	[ "$rc" -eq 0 ]
	[ "$got" = $'bbbb0002\n2' ]
	[[ "$down" == *$'DROP TABLE t -- bye\n;\n'* ]]
	rm -rf "$PROJ"
}
