#!/usr/bin/env bash
# Apply benchmark (issue 5): 1,000 small revisions (one CREATE TABLE each)
# from an empty database to head, side by side on one local PostgreSQL 15:
#
#   revgate upgrade head            (lint gate on, and with --no-lint)
#   dbmate up                       (npm dbmate, its Go binary called directly)
#   alembic upgrade head            (python3-alembic + psycopg2, a transaction
#                                    per revision, and Alembic's default of one
#                                    transaction for the whole run)
#   psql -1 -f all.sql              (the floor: the SQL alone, one transaction)
#
# then the no-op upgrade when everything is applied, which a deploy pays
# every time, side by side with dbmate's native binary and with psql
# reading the version table (the floor: a connection and one query), with
# the CPU time each spends next to its wall time. Writes
# bench/results/apply-<date>.md.
#
# Environment: REVGATE (binary, default ./revgate), N (revisions, default
# 1000), RUNS (hyperfine runs for the full upgrade, default 5), WORKDIR
# (keep the generated files there), NOOP_ONLY=1 (skip the full upgrade's
# timing: each tool still applies the history once, untimed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
n=${N:-1000}
runs=${RUNS:-5}
python=${PYTHON:-/usr/bin/python3}

. "$here/lib.sh"
bench_need apply hyperfine
bench_dbmate

bench_server apply

"$python" "$here/gen_apply.py" "$n" "$work/gen"
g=$work/gen
psql=$PG_BIN/psql
url() { pg_url "$1"; }
fresh() { echo "$PG_BIN/dropdb --if-exists $1 && $PG_BIN/createdb $1"; }

# Each tool once, checked: every table there, the tool at its last revision.
check() {
	local db=$1 tables
	tables=$("$psql" -X -qAt -d "$db" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\_%'")
	[ "$tables" -eq "$n" ] || { echo "apply.sh: $db has $tables tables, not $n" >&2; exit 1; }
}
for db in rg dbm al fl; do "$PG_BIN/dropdb" --if-exists $db; "$PG_BIN/createdb" $db; done
"$revgate" -C "$g/revgate" upgrade head --url "$(url rg)" -q && check rg
(cd "$g/dbmate" && "$dbmate" --url "$(url dbm)&sslmode=disable" --no-dump-schema up >/dev/null) && check dbm
ALEMBIC_URL="postgresql:///al?host=$PGHOST&port=$PGPORT&user=postgres" \
	"$python" -m alembic -c "$g/alembic/alembic.ini" upgrade head 2>/dev/null && check al
"$psql" -X -q -1 -v ON_ERROR_STOP=1 -d fl -f "$g/floor.sql" && check fl

export ALEMBIC_URL="postgresql:///al?host=$PGHOST&port=$PGPORT&user=postgres"
date=$(date -u +%Y-%m-%d)
load=$(cut -d' ' -f1 /proc/loadavg)
out=$root/bench/results/apply-$date.md
mkdir -p "$root/bench/results"

: >"$work/full.md"
[ -n "${NOOP_ONLY:-}" ] || hyperfine --runs "$runs" --export-markdown "$work/full.md" \
	-n "floor: psql -1 -f" --prepare "$(fresh fl)" \
	"$psql -X -q -1 -v ON_ERROR_STOP=1 -d fl -f $g/floor.sql" \
	-n "revgate upgrade head" --prepare "$(fresh rg)" \
	"$revgate -C $g/revgate upgrade head -q --url '$(url rg)'" \
	-n "revgate upgrade head --no-lint" --prepare "$(fresh rg)" \
	"$revgate -C $g/revgate upgrade head -q --no-lint --url '$(url rg)'" \
	-n "dbmate up" --prepare "$(fresh dbm)" \
	"cd $g/dbmate && $dbmate --url '$(url dbm)&sslmode=disable' --no-dump-schema up" \
	-n "alembic upgrade head (transaction per revision)" --prepare "$(fresh al)" \
	"ALEMBIC_PER_MIGRATION=1 $python -m alembic -c $g/alembic/alembic.ini upgrade head" \
	-n "alembic upgrade head (one transaction)" --prepare "$(fresh al)" \
	"ALEMBIC_PER_MIGRATION=0 $python -m alembic -c $g/alembic/alembic.ini upgrade head"

# Everything applied: the no-op a deploy pays every time. revgate's second
# run fills its caches (headers, verified checksums); the warm-up runs are
# what a deploy after the first one sees.
"$revgate" -C "$g/revgate" upgrade head -q --url "$(url rg)"
sleep 3 # files younger than 2 s are not cached ("racily clean")
"$revgate" -C "$g/revgate" upgrade head -q --url "$(url rg)"
(cd "$g/dbmate" && "$dbmate" --url "$(url dbm)&sslmode=disable" --no-dump-schema up >/dev/null)
"$python" -m alembic -c "$g/alembic/alembic.ini" upgrade head 2>/dev/null
hyperfine -N --warmup 5 --min-runs 40 --export-json "$work/noop.json" \
	-n "revgate upgrade head (no-op)" "$revgate -C $g/revgate upgrade head -q --url $(url rg)" \
	-n "dbmate up (no-op, native binary)" \
	"$dbmate --url $(url dbm)&sslmode=disable --migrations-dir $g/dbmate/db/migrations --no-dump-schema up" \
	-n "floor: psql reads the version table" \
	"$PG_BIN/psql -X -qAt -d rg -c 'SELECT version_num FROM revgate_version'" \
	-n "alembic upgrade head (no-op)" "$python -m alembic -c $g/alembic/alembic.ini upgrade head"
# mean and spread of the wall time, the CPU time the process spent
# (user + system), and the ratio to revgate
"$python" - "$work/noop.json" >"$work/noop.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
print("| Command | Wall mean [ms] | ± | Min [ms] | CPU user+sys [ms] | Wall vs revgate |")
print("|:---|---:|---:|---:|---:|---:|")
for x in r:
    print(f"| `{x['command']}` | {x['mean']*1e3:.1f} | {x['stddev']*1e3:.1f} | "
          f"{x['min']*1e3:.1f} | {(x['user']+x['system'])*1e3:.1f} | {x['mean']/base:.2f} |")
PY

{
	echo "# Apply benchmark, $date"
	echo
	echo "$n revisions (one CREATE TABLE each), empty database to head, on a local"
	echo "PostgreSQL 15 (unix socket, fsync off: tests/lib/pg.bash). $(nproc) cores,"
	echo "load average $load when it started (other work on the machine slows every row alike)."
	echo "revgate $("$revgate" --version | cut -d' ' -f2), dbmate $("$dbmate" --version | cut -d' ' -f3),"
	echo "Alembic $("$python" -c 'import alembic; print(alembic.__version__)')."
	echo
	echo "## Empty database to head"
	echo
	if [ -s "$work/full.md" ]; then cat "$work/full.md"; else echo "(not timed: NOOP_ONLY)"; fi
	echo
	echo "## No-op upgrade (everything applied)"
	echo
	cat "$work/noop.md"
} >"$out"
echo "wrote $out"
