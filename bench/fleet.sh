#!/usr/bin/env bash
# Fleet benchmark: DBS databases (default 100) each taken from empty to head
# through REVS revisions (default 50, one CREATE TABLE each), on one local
# PostgreSQL 15 running with fsync, synchronous_commit and full_page_writes
# on, as a real server does (tests/lib/pg.bash turns them off for tests; this
# script turns them back on). Side by side:
#
#   a shell loop of `revgate upgrade head`   what users write today
#   a shell loop of `dbmate up`              the peer, one database at a time
#   xargs -P 8 of `revgate upgrade head`     a hand-made parallel loop
#   revgate upgrade --targets --jobs 1, 4, 8 the fleet run
#
# Every trial starts from the databases made again and a checkpoint (not
# timed), so no trial pays for the one before.
# Reports wall time (hyperfine), the CPU time of revgate and its children
# (user + system), the server's CPU time, and the WAL flushes the server
# waited for, with the ratio to the serial loop. Writes
# bench/results/fleet-<date>.md.
#
# Environment: REVGATE (binary, default ./revgate), DBS, REVS, RUNS
# (hyperfine runs per command, default 3), JOBS (default "1 4 8"), WORKDIR
# (keep the generated files there).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
dbs=${DBS:-100}
revs=${REVS:-50}
runs=${RUNS:-3}
jobs=${JOBS:-1 4 8}
python=${PYTHON:-/usr/bin/python3}

. "$here/lib.sh"
bench_need fleet hyperfine
bench_dbmate

bench_server fleet
# durability as in production: the last line of a setting wins
cat >>"$PG_TEST_DATA/postgresql.conf" <<EOF
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
max_connections = 60
EOF
pg_restart || exit 3
psql() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 "$@"; }
[ "$(psql -d postgres -c 'SHOW fsync')" = on ] || { echo "fleet.sh: fsync is not on" >&2; exit 1; }

"$python" "$here/gen_apply.py" "$revs" "$work/gen" >/dev/null
g=$work/gen

# the databases' names; targets.txt names them
names=()
for ((i = 1; i <= dbs; i++)); do
	printf -v db 'fl_%03d' "$i"
	names+=("$db")
done
: >"$work/targets.txt"
for db in "${names[@]}"; do
	printf '%s = %s\n' "$db" "$(pg_url "$db")" >>"$work/targets.txt"
done

# reset: every database dropped and made again, four psql at once, then a
# checkpoint, so each trial starts from the same state: no catalog bloat
# left by the one before, no checkpoint of its writes to pay for
for ((s = 0; s < 4; s++)); do
	for ((i = s; i < dbs; i += 4)); do
		printf 'DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n' "${names[i]}" "${names[i]}"
	done >"$work/reset-$s.sql"
done
cat >"$work/reset.sh" <<EOF
for s in 0 1 2 3; do
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -f "$work/reset-\$s.sql" &
done
wait
"$PG_BIN/psql" -X -q -d postgres -c CHECKPOINT
EOF
reset="bash $work/reset.sh"

# the loops, as a user writes them
cat >"$work/loop-revgate.sh" <<EOF
while read -r name eq url; do
	"$revgate" -C "$g/revgate" upgrade head -q --url "\$url" || exit 1
done <"$work/targets.txt"
EOF
cat >"$work/loop-dbmate.sh" <<EOF
cd "$g/dbmate"
while read -r name eq url; do
	"$dbmate" --url "\$url&sslmode=disable" --no-dump-schema up >/dev/null || exit 1
done <"$work/targets.txt"
EOF
cat >"$work/xargs-revgate.sh" <<EOF
cut -d' ' -f3 "$work/targets.txt" |
	xargs -P 8 -I URL "$revgate" -C "$g/revgate" upgrade head -q --url URL
EOF

names_cmds=("shell loop: revgate upgrade" "shell loop: dbmate up" "xargs -P 8: revgate upgrade")
cmds=("bash $work/loop-revgate.sh" "bash $work/loop-dbmate.sh" "bash $work/xargs-revgate.sh")
for j in $jobs; do
	names_cmds+=("revgate upgrade --targets --jobs $j")
	cmds+=("$revgate -C $g/revgate upgrade head -q --targets $work/targets.txt --jobs $j")
done

# Each command once, checked: every database at head with every table.
check() {
	local bad=0 db n
	for db in "${names[@]}"; do
		n=$(psql -d "$db" -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\_%'")
		[ "$n" -eq "$revs" ] || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ] || { echo "fleet.sh: $1 left $bad databases short of head" >&2; exit 1; }
}

# Where the time goes: one more run of each, with the server's CPU (what
# the postmaster collected from its backends) and the WAL flushes it
# waited for, from pg_stat_wal.
postmaster=$(head -1 "$PG_TEST_DATA/postmaster.pid")
server_cpu() { awk '{ print $16 + $17 }' "/proc/$postmaster/stat"; }
tick=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'
: >"$work/where.md"
for k in "${!cmds[@]}"; do
	$reset
	psql -d postgres -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
	c0=$(server_cpu)
	t0=$(date +%s.%N)
	{ time bash -c "${cmds[k]}" >/dev/null; } 2>"$work/time.txt"
	t1=$(date +%s.%N)
	c1=$(server_cpu)
	check "${names_cmds[k]}"
	wal=$(psql -d postgres -c "SELECT wal_sync || ' ' || wal_records FROM pg_stat_wal")
	read -r u s <"$work/time.txt"
	echo "${names_cmds[k]}|$t0|$t1|$u|$s|$(((c1 - c0) * 1000 / tick))|$wal" >>"$work/where.md"
done

date=$(date -u +%Y-%m-%d)
load=$(cut -d' ' -f1 /proc/loadavg)
hf=()
for k in "${!cmds[@]}"; do hf+=(-n "${names_cmds[k]}" --prepare "$reset" "${cmds[k]}"); done
hyperfine --runs "$runs" --export-json "$work/runs.json" "${hf[@]}" >&2

out=$root/bench/results/fleet-$date.md
mkdir -p "$root/bench/results"
{
	echo "# Fleet benchmark, $date"
	echo
	echo "$dbs databases, each from empty to head through $revs revisions (one CREATE TABLE"
	echo "each, a transaction and a commit each), on a local PostgreSQL 15 over a unix"
	echo "socket with fsync, synchronous_commit and full_page_writes on. $(nproc) cores,"
	echo "load average $load when the timed runs started (other work on the machine"
	echo "slows every row alike). revgate $("$revgate" --version | cut -d' ' -f2),"
	echo "dbmate $("$dbmate" --version | cut -d' ' -f3). hyperfine, $runs runs each,"
	echo "every run from databases made again and a checkpoint (not timed)."
	echo
	"$python" - "$work/runs.json" "$work/where.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
print("| Command | Wall mean [s] | ± | Min [s] | CPU user+sys [s] | vs serial loop |")
print("|:---|---:|---:|---:|---:|---:|")
for x in r:
    print(f"| `{x['command']}` | {x['mean']:.2f} | {x['stddev'] or 0:.2f} | {x['min']:.2f} | "
          f"{x['user'] + x['system']:.2f} | {base / x['mean']:.2f}x |")
print()
print("## Where the time goes (one more run of each)")
print()
print("| Command | Wall [s] | revgate/dbmate CPU [s] | server CPU [s] | WAL flushes | WAL records |")
print("|:---|---:|---:|---:|---:|---:|")
for line in open(sys.argv[2]):
    name, t0, t1, u, s, srv, wal = line.rstrip("\n").split("|")
    syncs, records = wal.split()
    print(f"| `{name}` | {float(t1) - float(t0):.2f} | {float(u) + float(s):.2f} | "
          f"{int(srv) / 1000:.2f} | {syncs} | {records} |")
PY
} >"$out"
echo "wrote $out"
