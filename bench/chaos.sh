#!/usr/bin/env bash
# Fault trials against the applier (issue 11): bench/chaos.sh [N] runs N
# trials (default 30) on a throwaway PostgreSQL 15, each a history of
# transactional and non-transactional revisions that write a ledger, with
# one fault at a random moment of the run: revgate killed with SIGKILL, its
# connection ended by the server (pg_terminate_backend), or the server
# stopped immediately and started again. Each trial checks that revgate's
# account after the fault matches the ledger, that revgate then reaches
# head by itself (upgrade, resolve --resume), and that every statement ran
# exactly once (tests/lib/chaos.bash). Prints the table of held and broke
# per fault, and each broken trial with its seed, fault and delay, so it
# can be run again: SEED=... bench/chaos.sh 1.
#
# Environment: REVGATE (binary, default ./revgate), SEED (default: the
# time), MAX_DELAY_MS (faults land in [0, MAX_DELAY_MS), default 700),
# CHAOS_REVS (revisions per trial, default 4).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
REVGATE=${REVGATE:-$root/revgate}
n=${1:-30}
seed=${SEED:-$(date +%s)}
max_delay=${MAX_DELAY_MS:-700}
[ -x "$REVGATE" ] || { echo "chaos.sh: build revgate first (make)" >&2; exit 2; }
export REVGATE

work=$(mktemp -d /tmp/revgate-chaos.XXXXXX)
. "$root/tests/lib/pg.bash"
. "$root/tests/lib/chaos.bash"
cleanup() {
	pg_stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
pg_start "$work/pg" >/dev/null || exit 3

RANDOM=$seed
kinds=(kill9 terminate crash)
declare -A held broke mid
for k in "${kinds[@]}"; do held[$k]=0 broke[$k]=0 mid[$k]=0; done
failures=()
start=$SECONDS
for ((t = 1; t <= n; t++)); do
	kind=${kinds[RANDOM % 3]}
	delay=$((RANDOM % max_delay))
	result=$(chaos_trial "$work/proj" "chaos_$t" "$kind" "$delay")
	if [[ "$result" == held* ]]; then
		held[$kind]=$((held[$kind] + 1))
		[ "$result" = "held (done)" ] || mid[$kind]=$((mid[$kind] + 1))
	else
		broke[$kind]=$((broke[$kind] + 1))
		failures+=("trial $t (seed $seed): $kind at ${delay} ms: ${result#broke: }")
	fi
	"$PG_BIN/dropdb" --if-exists "chaos_$t" >/dev/null 2>&1
done

printf '%d trials in %d s (seed %d, faults in [0, %d) ms, %d revisions each)\n\n' \
	"$n" $((SECONDS - start)) "$seed" "$max_delay" "${CHAOS_REVS:-4}"
printf '| fault | trials | held | broke | held, fault landed mid-run |\n|:---|---:|---:|---:|---:|\n'
total_broke=0
for k in "${kinds[@]}"; do
	printf '| %s | %d | %d | %d | %d |\n' "$k" $((held[$k] + broke[$k])) "${held[$k]}" \
		"${broke[$k]}" "${mid[$k]}"
	total_broke=$((total_broke + broke[$k]))
done
for f in "${failures[@]}"; do echo "- $f"; done
[ "$total_broke" -eq 0 ]
