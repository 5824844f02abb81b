#!/usr/bin/env bash
# Trace benchmark: what `revgate trace` costs on one local PostgreSQL 15.
#
#   1. overhead per statement: one revision of S statements (ADD COLUMN,
#      CREATE INDEX, SET NOT NULL, ... on a few tables, transactional)
#      applied by `revgate upgrade head --no-lint` and traced by
#      `revgate trace`, each in a fresh database; the difference divided by S.
#      A second revision of C `CREATE INDEX CONCURRENTLY` statements gives
#      the cost of a watched statement.
#   2. the last 20 revisions of a 300-revision history: `revgate trace
#      R280:head` (280 revisions applied untraced, 20 traced) against
#      `revgate upgrade head --no-lint` of all 300.
#
# Side by side with eugene (the one other tool that reads pg_locks while
# it runs migrations) when it is on PATH; it is a Rust program that neither
# Debian nor npm ships, so by default the report says it was not run.
#
# Wall time from hyperfine; CPU time is revgate's own (user + sys, from
# /usr/bin/time over the same runs), the server's is not in it. Writes
# bench/results/trace-<date>.md.
#
# --max-lock-ms is lifted: 200 statements in one transaction hold their
# locks longer than the default second, which trace rightly reports.
#
# Environment: REVGATE (binary, default ./revgate), S (statements, default
# 200), C (concurrent index builds, default 20), RUNS (default 5), WORKDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
s=${S:-200}
c=${C:-20}
runs=${RUNS:-5}

. "$here/lib.sh"
bench_need trace hyperfine
. "$here/lib.sh"
bench_server trace
psql=$PG_BIN/psql
server=$(pg_url postgres)
url() { pg_url "$1"; }
fresh() { echo "$PG_BIN/dropdb --if-exists $1 && $PG_BIN/createdb $1"; }

# rev DIR ID DOWN HEADER BODY: a revision file
rev() {
	local dir=$1 id=$2 down=$3 header=$4 body=$5
	{
		echo "-- revision: $id"
		echo "-- down_revision: $down"
		[ -z "$header" ] || echo "$header"
		echo "-- irreversible: a benchmark"
		echo "-- message: $id"
		echo
		echo "-- +upgrade"
		printf '%s\n' "$body"
	} >"$dir/migrations/20250101_0000_${id}_x.sql"
}

# 1. per statement
p1=$work/stmts
mkdir -p "$p1/migrations"
printf '[revgate]\nmigrations = migrations\n' >"$p1/revgate.ini"
rev "$p1" s0000 none "" "$(for t in 0 1 2 3 4 5 6 7 8 9; do
	echo "CREATE TABLE t$t (id bigint PRIMARY KEY, a int, b text);"
done)"
rev "$p1" s0001 s0000 "" "$(for i in $(seq 1 "$s"); do
	t=$((i % 10))
	case $((i % 4)) in
	0) echo "ALTER TABLE t$t ADD COLUMN c$i int;" ;;
	1) echo "CREATE INDEX i$i ON t$t (a);" ;;
	2) echo "ALTER TABLE t$t ALTER COLUMN a SET DEFAULT $i;" ;;
	3) echo "COMMENT ON TABLE t$t IS 'c$i';" ;;
	esac
done)"
rev "$p1" s0002 s0001 "-- transaction: false" "$(for i in $(seq 1 "$c"); do
	echo "CREATE INDEX CONCURRENTLY ci$i ON t$((i % 10)) (b);"
done)"

# 2. the last 20 of 300
p2=$work/hist
mkdir -p "$p2/migrations"
printf '[revgate]\nmigrations = migrations\n' >"$p2/revgate.ini"
prev=none
for i in $(seq -w 1 300); do
	rev "$p2" "r$i" "$prev" "" "CREATE TABLE h$i (id bigint PRIMARY KEY, v text);
ALTER TABLE h$i ADD COLUMN at timestamptz DEFAULT now();
CREATE INDEX h${i}_v ON h$i (v);"
	prev=r$i
done

# each once, checked
"$revgate" -C "$p1" trace s0000:s0001 --max-lock-ms 86400000 --url "$server" --format json 2>/dev/null |
	python3 -c "import json,sys; d=json.load(sys.stdin)['summary']; assert d['statements']==$s and d['failed']==0 and d['mismatches']==0, d"
"$revgate" -C "$p2" trace r280: --max-lock-ms 86400000 --url "$server" --format json 2>/dev/null |
	python3 -c "import json,sys; d=json.load(sys.stdin)['summary']; assert d['revisions']==20 and d['failed']==0 and d['mismatches']==0, d"

cpu() { # cpu LABEL PREPARE CMD: revgate's user+sys seconds, mean over $runs
	local total=0 t
	for _ in $(seq 1 "$runs"); do
		sh -c "$2" >/dev/null 2>&1
		/usr/bin/time -f '%U %S' -o "$work/cpu" sh -c "$3" >/dev/null 2>&1 || true
		t=$(tail -1 "$work/cpu")
		total=$(python3 -c "print($total + sum(map(float, '$t'.split())))")
	done
	python3 -c "print('| $1 | %.3f |' % ($total / $runs))"
}

up1="$revgate -C $p1 upgrade s0001 -q --no-lint --url '$(url b1)'"
tr1="$revgate -C $p1 trace s0000:s0001 -q --max-lock-ms 86400000 --url '$server'"
upc="$revgate -C $p1 upgrade head -q --no-lint --url '$(url b1)'"
trc="$revgate -C $p1 trace s0001:s0002 -q --max-lock-ms 86400000 --url '$server'"
up2="$revgate -C $p2 upgrade head -q --no-lint --url '$(url b2)'"
tr2="$revgate -C $p2 trace r280: -q --max-lock-ms 86400000 --url '$server'"

hyperfine --runs "$runs" --export-json "$work/h.json" --export-markdown "$work/h.md" \
	-n "upgrade: $s statements" --prepare "$(fresh b1)" "$up1" \
	-n "trace: $s statements" --prepare true "$tr1" \
	-n "upgrade: $s statements + $c CONCURRENTLY" --prepare "$(fresh b1)" "$upc" \
	-n "trace: $c CONCURRENTLY (after $s applied)" --prepare true "$trc" \
	-n "upgrade: 300 revisions" --prepare "$(fresh b2)" "$up2" \
	-n "trace: last 20 of 300" --prepare true "$tr2" >/dev/null

date=$(date -u +%Y-%m-%d)
out=$root/bench/results/trace-$date.md
mkdir -p "$root/bench/results"
{
	echo "# trace benchmark, $date"
	echo
	echo "$(nproc) cores, $(uname -m), PostgreSQL $("$psql" -X -qAt -d postgres -c 'SHOW server_version'), $runs runs each; $("$revgate" --version 2>/dev/null | head -1)."
	echo
	python3 - "$work/h.json" "$s" "$c" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, c = int(sys.argv[2]), int(sys.argv[3])
m = lambda k: r[k]["mean"] * 1000
up, tr = m(f"upgrade: {s} statements"), m(f"trace: {s} statements")
upc, trc = m(f"upgrade: {s} statements + {c} CONCURRENTLY"), m(f"trace: {c} CONCURRENTLY (after {s} applied)")
up2, tr2 = m("upgrade: 300 revisions"), m("trace: last 20 of 300")
print("| what | wall, ms (mean) |")
print("|---|--:|")
for k, v in r.items():
    print(f"| {k} | {v['mean']*1000:.0f} ± {(v['stddev'] or 0)*1000:.0f} |")
print()
print(f"- overhead per transactional statement: ({tr:.0f} - {up:.0f}) / {s} = "
      f"**{(tr - up) / s:.2f} ms** (trace also creates and drops its scratch database)")
print(f"- a watched CREATE INDEX CONCURRENTLY: ({trc:.0f} - {up:.0f}) / {c} = "
      f"**{(trc - up) / c:.1f} ms** each when traced (the {s} statements before them applied "
      f"untraced), ({upc:.0f} - {up:.0f}) / {c} = {(upc - up) / c:.1f} ms each when applied")
print(f"- last 20 of a 300-revision history: trace {tr2:.0f} ms, a full upgrade "
      f"{up2:.0f} ms: ratio **{tr2 / up2:.2f}**")
EOF
	echo
	echo "revgate's own CPU time (user + sys, s; the server's is not counted):"
	echo
	echo "| command | CPU s (mean) |"
	echo "|---|--:|"
	cpu "upgrade: $s statements" "$(fresh b1)" "$up1"
	cpu "trace: $s statements" "true" "$tr1"
	cpu "upgrade: 300 revisions" "$(fresh b2)" "$up2"
	cpu "trace: last 20 of 300" "true" "$tr2"
	echo
	if command -v eugene >/dev/null; then
		echo "eugene: $(eugene --version 2>&1 | head -1) is on PATH but not yet driven by this script."
	else
		echo "eugene was not run: it is a Rust program that neither Debian nor npm ships, and"
		echo "this machine reaches no other registry. Its trace runs each statement and reads"
		echo "pg_locks from the same backend, as revgate does inside a transaction; it has no"
		echo "revision history to replay and no lock table of its own to check."
	fi
	echo
	echo "Commands:"
	echo
	printf '    %s\n' "$up1" "$tr1" "$upc" "$trc" "$up2" "$tr2"
	echo
	cat "$work/h.md"
} >"$out"
echo "trace.sh: wrote $out"
