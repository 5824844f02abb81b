#!/usr/bin/env bash
# Other tools' histories: revgate reading them in place and importing them,
# side by side with the tool itself where it does the same job.
#
#   bench/layouts.sh      writes bench/results/layouts-<date>.md
#
#   1. `revgate heads` on a generated 1,000-revision Alembic project
#      (layout = alembic) against `alembic heads` on the same files
#      (goal: at least 50x faster);
#   2. `revgate lint` of a 300-revision Alembic project, cold (no cache: one
#      Alembic offline run for every revision's SQL) and warm (the SQL
#      cached by file hash), and the pre-commit case: `lint --staged` with
#      one new revision staged on the 300 (goal: under 200 ms warm);
#   3. `revgate import dbmate` of 1,000 dbmate migrations.
#
# Environment: REVGATE (binary, default ./revgate), PYTHON (with Alembic,
# default /usr/bin/python3), RUNS (hyperfine --min-runs), WORKDIR (kept).
# Needs hyperfine and Debian's python3-alembic.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
python=${PYTHON:-/usr/bin/python3}
die() {
	echo "layouts.sh: $*" >&2
	exit 2
}
command -v hyperfine >/dev/null || die "hyperfine is not installed (apt-get install hyperfine)"
"$python" -c 'import alembic' 2>/dev/null || die "$python cannot import alembic"
[ -x "$revgate" ] || die "no revgate binary at $revgate: run make first"
case $revgate in /*) ;; *) revgate=$(cd "$(dirname "$revgate")" && pwd)/$(basename "$revgate") ;; esac

if [ -n "${WORKDIR:-}" ]; then
	work=$WORKDIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/revgate-bench-layouts.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
runs_opt=()
[ -n "${RUNS:-}" ] && runs_opt=(--min-runs "$RUNS")
alembic="$python -m alembic"
date=$(date -u +%Y-%m-%d)
out=$here/results/layouts-$date.md
mkdir -p "$here/results"
cut -d' ' -f1-3 /proc/loadavg >"$work/load-start.txt"

# an Alembic project of N revisions, read in place by revgate
alembic_project() {
	local n=$1 dir=$2
	"$python" "$here/gen_history.py" "$n" "$dir/gen" >/dev/null
	mv "$dir/gen/alembic" "$dir/project"
	rm -rf "$dir/gen"
	printf '[revgate]\nlayout = alembic\n\n[lint]\ncache_dir = %s\n\n[alembic]\ncommand = %s\n' \
		"$dir/cache" "$alembic" >"$dir/project/revgate.ini"
}

echo "== heads: 1,000 Alembic revisions"
alembic_project 1000 "$work/a1000"
p=$work/a1000/project
[ "$("$revgate" -C "$p" heads | wc -l)" = "$($alembic -c "$p/alembic.ini" heads | wc -l)" ] ||
	die "revgate and Alembic disagree on the heads of $p"
hyperfine --warmup 3 "${runs_opt[@]}" --shell=none --export-json "$work/heads.json" \
	--command-name "revgate heads" --command-name "alembic heads" \
	"$revgate -C $p heads" "$alembic -c $p/alembic.ini heads"

echo "== lint: 300 Alembic revisions, cold and warm"
alembic_project 300 "$work/a300"
p=$work/a300/project
"$revgate" -C "$p" lint >/dev/null || true # warms the cache, and checks it runs
hyperfine --warmup 1 --min-runs 5 --shell=bash --export-json "$work/lint.json" \
	--command-name "revgate lint, cold (Alembic runs)" \
	--prepare "rm -rf $work/a300/cache" "$revgate -C $p lint >/dev/null || true"
hyperfine --warmup 2 "${runs_opt[@]}" --shell=bash --export-json "$work/lint-warm.json" \
	--command-name "revgate lint, warm" \
	--command-name "alembic upgrade heads --sql (the SQL alone)" \
	"$revgate -C $p lint >/dev/null || true" \
	"$alembic -c $p/alembic.ini upgrade heads --sql >/dev/null 2>&1"

echo "== pre-commit: one new revision staged on the 300"
(
	cd "$p"
	git init -q -b main .
	git -c user.name=b -c user.email=b@b add -A
	git -c user.name=b -c user.email=b@b commit -qm history
	head=$("$revgate" heads | cut -d' ' -f1)
	cat >zz_new.py <<EOF
"""new"""
from alembic import op
revision = "ffff00000001"
down_revision = "$head"
def upgrade():
    op.execute("CREATE INDEX CONCURRENTLY clients_new ON clients (id)")
def downgrade():
    op.execute("DROP INDEX clients_new")
EOF
	mv zz_new.py versions/
	git add -A
	"$revgate" lint --staged >/dev/null 2>&1 || true # the new revision's SQL, once
)
hyperfine --warmup 2 "${runs_opt[@]}" --shell=bash --export-json "$work/staged.json" \
	--command-name "revgate lint --staged (pre-commit, warm)" \
	"cd $p && $revgate lint --staged >/dev/null 2>&1 || true"

echo "== import: 1,000 dbmate migrations"
mkdir -p "$work/dbmate/db"
"$python" - "$work/dbmate/db" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(1000):
    v = "2024%02d%02d%02d%02d00" % (1 + i // 500 % 12, 1 + i // 20 % 28, i // 60 % 24, i % 60)
    with open(os.path.join(d, "%s%04d_step_%d.sql" % (v[:10], i, i)), "w") as f:
        f.write("-- migrate:up\nALTER TABLE t ADD COLUMN c%d bigint;\n\n-- migrate:down\nALTER TABLE t DROP COLUMN c%d;\n" % (i, i))
PY
mkdir -p "$work/dbmate/target"
"$revgate" -C "$work/dbmate/target" init >/dev/null
hyperfine --warmup 1 "${runs_opt[@]}" --shell=bash --export-json "$work/import.json" \
	--prepare "rm -rf $work/dbmate/target/migrations && mkdir $work/dbmate/target/migrations" \
	--command-name "revgate import dbmate (1,000 migrations)" \
	"$revgate -C $work/dbmate/target import dbmate $work/dbmate/db >/dev/null 2>&1"

cut -d' ' -f1-3 /proc/loadavg >"$work/load-end.txt"

"$python" - "$work" "$out" "$date" <<'PY'
import json, os, sys
work, out, date = sys.argv[1:4]
def load(name):
    return json.load(open(os.path.join(work, name)))["results"]
def row(r):
    ms = lambda s: "%.1f" % (s * 1000)
    return "| %s | %s ± %s | %s | %s |" % (r["command"], ms(r["mean"]), ms(r["stddev"]),
                                        ms(r["user"]), ms(r["system"]))
heads = load("heads.json")
lines = ["# Other tools' histories (%s)" % date, "",
         "Machine: %s; load average at start %s, at end %s." % (
             os.uname().machine, open(os.path.join(work, "load-start.txt")).read().strip(),
             open(os.path.join(work, "load-end.txt")).read().strip()), "",
         "| command | wall ms (mean ± σ) | user ms | system ms |", "|---|---|---|---|"]
for name in ["heads.json", "lint.json", "lint-warm.json", "staged.json", "import.json"]:
    for r in load(name):
        lines.append(row(r))
ratio = heads[1]["mean"] / heads[0]["mean"]
cpu = (heads[1]["user"] + heads[1]["system"]) / (heads[0]["user"] + heads[0]["system"])
staged = load("staged.json")[0]["mean"] * 1000
lines += ["", "- `heads` on 1,000 Alembic revisions: revgate is %.0fx faster than `alembic heads` "
          "in wall time, %.0fx in CPU time (goal: 50x): %s." % (ratio, cpu, "met" if ratio >= 50 else "NOT met"),
          "- pre-commit (`lint --staged`, one new revision on 300, warm): %.0f ms (goal: under 200 ms): %s."
          % (staged, "met" if staged < 200 else "NOT met"), ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
echo "wrote $out"
