#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 30) from
# the seed corpus, then prints executions and findings per target.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]        (make fuzz FUZZ_SECONDS=N)
# Inputs that grow coverage accumulate in build/fuzz/corpus/<target>/;
# crashes, leaks, timeouts and out-of-memory inputs land in
# build/fuzz/findings/<target>/. Turn each into a regression test, then
# copy it to tests/fuzz/seeds/<target>/ so every later run replays it.
# Exit status: 1 when any target found something.
set -uo pipefail
cd "$(dirname "$0")/../.." && root=$PWD
secs=${1:-30}
shift || true
all=(revision graph target config sql jsonw lint dotenv)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

command -v clang >/dev/null || { echo "fuzz: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
make -s -f tests/fuzz/Makefile -j2 || exit 2
tests/fuzz/build_corpus.sh >/dev/null || exit 2

# SQL keywords and revision-header lines for the targets that read SQL
dict() {
	case $1 in
	revision | sql | lint | graph) echo "-dict=$root/tests/fuzz/sql.dict" ;;
	esac
}

max_len() {
	case $1 in
	target) echo 256 ;;
	dotenv | config | jsonw) echo 4096 ;;
	graph) echo 65536 ;;
	*) echo 16384 ;;
	esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
printf '%-10s %12s %10s %8s %9s\n' target executions exec/s corpus findings >"$summary"
for t in "${targets[@]}"; do
	bin=$root/build/fuzz/fuzz_$t
	corpus=$root/build/fuzz/corpus/$t
	found=$root/build/fuzz/findings/$t
	log=$root/build/fuzz/logs/$t.log
	mkdir -p "$corpus" "$found" "$(dirname "$log")"
	before=$(find "$found" -type f | wc -l)
	echo "# fuzz_$t: ${secs}s" >&2
	# shellcheck disable=SC2046
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 $(dict "$t") \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$found/" \
		"$corpus" "$root/build/fuzz/seeds/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	after=$(find "$found" -type f | wc -l)
	new=$((after - before))
	if [ $rc -ne 0 ] || [ $new -gt 0 ]; then
		status=1
		echo "fuzz_$t: exit $rc, $new new finding(s) in $found (log: $log)" >&2
		grep -m3 -E 'ERROR: |runtime error|invariant broken' "$log" >&2
	fi
	printf '%-10s %12s %10s %8s %9s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"$(find "$corpus" -type f | wc -l)" "$new" >>"$summary"
done
cat "$summary"
exit $status
