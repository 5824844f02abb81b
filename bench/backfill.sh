#!/usr/bin/env bash
# Backfill benchmark: the same UPDATE of every row of an N-row table, run
# by revgate as one statement (one transaction) and as a batched backfill
# ('-- revgate: batch size=B by=id'), side by side on one local
# PostgreSQL 15, while another session keeps updating random single rows
# (each its own transaction, as an application would). For each: wall
# time, revgate's CPU time, the server's CPU time, and the longest time the
# other session waited for one of its row updates (what users of the
# application feel). Writes bench/results/backfill-<date>.md.
#
# Environment: REVGATE (binary, default ./revgate), N (rows, default
# 1000000), B (batch size, default 10000), WORKDIR (keep files there).
# Heavy: run it on a quiet machine, not while others test.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
n=${N:-1000000}
b=${B:-10000}
. "$here/lib.sh"
bench_need backfill
. "$here/lib.sh"
bench_server backfill
psql=("$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1)

# project KIND DIR: a revision that creates and fills the table, and one
# that backfills it, batched or not
project() {
	local kind=$1 dir=$2 marker=
	[ "$kind" = batched ] && marker="-- revgate: batch size=$b by=id"
	mkdir -p "$dir/migrations"
	printf '[revgate]\nmigrations = migrations\n' >"$dir/revgate.ini"
	cat >"$dir/migrations/20250101_0001_aaaa0001_fill.sql" <<SQL
-- revision: aaaa0001
-- down_revision: none
-- message: fill

-- +upgrade
CREATE TABLE acct (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0, touched bigint NOT NULL DEFAULT 0, flag boolean);
INSERT INTO acct (id) SELECT generate_series(1, $n);

-- +downgrade
DROP TABLE acct;
SQL
	cat >"$dir/migrations/20250101_0002_bbbb0002_backfill.sql" <<SQL
-- revision: bbbb0002
-- down_revision: aaaa0001
-- message: backfill

-- +upgrade
$marker
UPDATE acct SET flag = (id % 3 = 0);

-- +downgrade
SELECT 1;
SQL
}

# The other session: single-row updates, each committed, until told to
# stop; the longest one, in ms, lands in probe_max.
probe_setup="CREATE TABLE probe_stop (stop boolean); CREATE TABLE probe_max (ms double precision)"
# a DO block alone (psql -c sends several statements as one transaction,
# where COMMIT is not allowed)
probe_sql="DO \$\$
DECLARE t0 timestamptz; worst double precision := 0; d double precision;
BEGIN
  LOOP
    t0 := clock_timestamp();
    UPDATE acct SET touched = touched + 1 WHERE id = 1 + floor(random() * $n)::bigint;
    COMMIT;
    d := extract(epoch FROM clock_timestamp() - t0) * 1000;
    IF d > worst THEN worst := d; END IF;
    EXIT WHEN EXISTS (SELECT 1 FROM probe_stop);
    PERFORM pg_sleep(0.005);
  END LOOP;
  INSERT INTO probe_max VALUES (worst);
END \$\$;"

# Clock ticks the cluster spent: the postmaster's own and its ended
# children's (cutime, cstime), plus its live children's.
server_cpu() {
	local pm total p
	pm=$(head -1 "$work/pg/data/postmaster.pid")
	total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
	for p in $(pgrep -P "$pm" || true); do
		[ -r "/proc/$p/stat" ] || continue
		total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$total"
}

run() {
	local kind=$1 db=bf_$1 dir=$work/$1
	project "$kind" "$dir"
	"$PG_BIN/createdb" "$db"
	local url
	url=$(pg_url "$db")
	"$revgate" -C "$dir" upgrade aaaa0001 --url "$url" -q
	"${psql[@]}" -d "$db" -c "VACUUM ANALYZE acct" -c "$probe_setup"
	"${psql[@]}" -d "$db" -c "$probe_sql" &
	local probe=$!
	sleep 1
	local c0 t0 t1 c1
	c0=$(server_cpu)
	t0=$(date +%s.%N)
	/usr/bin/time -f "%U %S" -o "$work/$kind.time" \
		"$revgate" -C "$dir" upgrade head --url "$url" -q --no-lint
	t1=$(date +%s.%N)
	c1=$(server_cpu)
	"${psql[@]}" -d "$db" -c "INSERT INTO probe_stop VALUES (true)"
	wait "$probe"
	local worst rows
	worst=$("${psql[@]}" -d "$db" -c "SELECT round(ms::numeric, 1) FROM probe_max")
	rows=$("${psql[@]}" -d "$db" -c "SELECT count(*) FROM acct WHERE flag = (id % 3 = 0)")
	[ "$rows" -eq "$n" ] || { echo "backfill.sh: $kind left $rows of $n rows done" >&2; exit 1; }
	read -r u s <"$work/$kind.time"
	local hz
	hz=$(getconf CLK_TCK)
	printf '%s %.2f %.2f %.2f %s\n' "$kind" "$(echo "$t1 - $t0" | bc)" "$(echo "$u + $s" | bc)" \
		"$(echo "($c1 - $c0) / $hz" | bc -l)" "$worst" >>"$work/results"
}

: >"$work/results"
run single
run batched

date=$(date -u +%Y-%m-%d)
out=$root/bench/results/backfill-$date.md
mkdir -p "$root/bench/results"
{
	echo "# Backfill: one UPDATE against revgate's batched backfill ($date)"
	echo
	echo "N = $n rows, batches of $b, PostgreSQL 15 on a local socket; load before: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Another session updates one random row every ~5 ms, each in its own transaction."
	echo
	echo "| run | wall s | revgate CPU s | server CPU s | longest single-row update, ms |"
	echo "|---|---|---|---|---|"
	while read -r kind wall cpu scpu worst; do
		echo "| $kind | $wall | $cpu | $scpu | $worst |"
	done <"$work/results"
	read -r _ w1 _ _ m1 < <(sed -n 1p "$work/results")
	read -r _ w2 _ _ m2 < <(sed -n 2p "$work/results")
	echo
	echo "batched / single: wall $(echo "scale=2; $w2 / $w1" | bc)x; longest wait $(echo "scale=3; $m2 / $m1" | bc)x."
} >"$out"
cat "$out"
