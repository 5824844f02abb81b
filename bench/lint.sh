#!/usr/bin/env bash
# Lint benchmark: `revgate lint` against squawk's native binary (npm
# squawk-cli ships it as @squawk-cli/linux-x64; the npm wrapper around it
# adds ~80 ms and 27 MB to every run, so it is never timed) on the same
# generated corpus of 100, 1,000 and 10,000
# realistic migration files and on one 50 MB file, side by side in one run:
# wall time and peak memory (/usr/bin/time, two passes each, alternating,
# the median of two is their mean), then a table of where the two disagree
# on the checks they share, each disagreement explained (bench/lint/compare.py).
#
#   bench/lint.sh            everything; writes bench/results/lint-<date>.md
#
# Environment:
#   REVGATE=path     revgate binary (default: ./revgate at the repo root)
#   SIZES="100 1000" corpus sizes (default: 100 1000 10000)
#   BIG_MB=n         size of the single large file (default: 50; 0 skips it)
#   PASSES=n         passes per tool and corpus (default: 2)
#   WORKDIR=dir      where corpora are generated (default: a temp dir, removed)
#
# Goal: at least 2x less CPU time than squawk's native binary at 10,000
# files, memory flat in the number of files; figures for 100 and 1,000 too.
# Run it on a quiet machine: the report records the load average before and
# after.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
sizes=${SIZES:-100 1000 10000}
big_mb=${BIG_MB:-50}
passes=${PASSES:-2}

die() {
	echo "lint.sh: $*" >&2
	exit 2
}

[ -x "$revgate" ] || die "revgate binary not found at $revgate (run make first)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
squawk=$here/lint/node_modules/@squawk-cli/linux-x64/bin/squawk
if [ ! -x "$squawk" ]; then
	echo "installing squawk-cli into bench/lint/node_modules" >&2
	(cd "$here/lint" && npm install --no-audit --no-fund --loglevel=error >/dev/null) ||
		die "npm install of squawk-cli failed"
fi

if [ -n "${WORKDIR:-}" ]; then
	work=$WORKDIR
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi

# measure NAME OUT -- CMD...: appends "seconds kilobytes" of one run to $work/NAME.times
measure() {
	local name=$1 out=$2
	shift 3
	/usr/bin/time -o "$work/t.tmp" -f "%e %M %U %S" "$@" >"$out" 2>/dev/null || true
	[ -s "$out" ] || die "$name printed nothing: $*"
	tail -n 1 "$work/t.tmp" >>"$work/$name.times"
}

# mean of the passes (the median of two) as "seconds megabytes cpu-seconds"
summary() {
	awk '{ s += $1; c += $3 + $4; if ($2 > m) m = $2; n++ }
	     END { printf "%.2f %.0f %.2f", s / n, m / 1024, c / n }' "$1"
}

# a private copy: a rebuild while the benchmark runs must not change the binary
cp "$revgate" "$work/revgate"
revgate=$work/revgate

cores=$(nproc)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
corpora=()
for n in $sizes; do
	python3 "$here/lint/gen_corpus.py" "$work/c$n" "$n"
	corpora+=("c$n")
done
if [ "$big_mb" != 0 ]; then
	mkdir -p "$work/big"
	python3 "$here/lint/gen_corpus.py" "$work/big/big.sql" --big "$big_mb"
	corpora+=("big")
fi

for c in "${corpora[@]}"; do
	for ((p = 1; p <= passes; p++)); do
		measure "revgate-$c" "$work/revgate-$c.json" -- "$revgate" lint --format json "$work/$c"
		measure "squawk-$c" "$work/squawk-$c.json" -- "$squawk" --reporter json "$work/$c/*.sql"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report() {
	echo "# revgate lint vs squawk $("$squawk" --version | awk '{print $2}')"
	echo
	echo "$(date -u +%Y-%m-%d), $cores cores, load average $load_before before and $load_after after;"
	echo "revgate $("$revgate" --version | awk '{print $2}'), $passes passes each, alternating."
	echo
	echo "Wall time is what a user waits; CPU time (user + system) is what the run costs,"
	echo "and is the steadier figure when other work shares the machine."
	echo
	echo "| corpus | size | revgate s | squawk s | speed-up | revgate CPU s | squawk CPU s | revgate MB | squawk MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for c in "${corpora[@]}"; do
		read -r rs rm rc <<<"$(summary "$work/revgate-$c.times")"
		read -r ss sm sc <<<"$(summary "$work/squawk-$c.times")"
		size=$(du -sm --apparent-size "$work/$c" | cut -f1)
		label=${c#c}
		[ "$c" = big ] && label="one file"
		speed=$(awk -v a="$ss" -v b="$rs" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
		echo "| $label | ${size} MB | $rs | $ss | $speed | $rc | $sc | $rm | $sm |"
	done
	echo
	local mid
	mid=$(printf '%s\n' "${corpora[@]}" | grep -v big | sed -n 2p)
	[ -n "$mid" ] || mid=${corpora[0]}
	echo "## Disagreements on shared checks (corpus ${mid#c})"
	echo
	python3 "$here/lint/compare.py" "$work/revgate-$mid.json" "$work/squawk-$mid.json"
}

mkdir -p "$here/results"
out=$here/results/lint-$(date -u +%Y-%m-%d).md
report | tee "$out"
echo "written: $out" >&2
