#!/usr/bin/env bash
# Runs every suite and ends with the line CI counts: "N passed, N failed".
#   unit tests: cmocka binaries in $UNIT_DIR (TAP output)
#   end-to-end: bats files in tests/e2e (TAP output), BATS_JOBS files at a
#   time (default: the number of cores; needs GNU parallel)
# REVGATE is the binary under test; REVGATE_WRAPPER (e.g. valgrind) wraps
# every unit binary and every revgate call of the bats suites.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
unit_only=0
[ "${1:-}" = "--unit-only" ] && unit_only=1
: "${REVGATE:?REVGATE must name the binary under test}"
: "${UNIT_DIR:?UNIT_DIR must name the directory of unit test binaries}"
export REVGATE REVGATE_WRAPPER="${REVGATE_WRAPPER:-}"
log=$(mktemp)
# the suites' header, checksum and SQL caches stay out of the user's own
cache=$(mktemp -d)
export XDG_CACHE_HOME=${XDG_CACHE_HOME_FOR_TESTS:-$cache}
trap 'rm -f "$log"; rm -rf "$cache"' EXIT

passed=0
failed=0
count() {
	local p f
	p=$(grep -cE '^ok ' "$log" || true)
	f=$(grep -cE '^not ok ' "$log" || true)
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: $(basename "$t")"
	# shellcheck disable=SC2086
	CMOCKA_MESSAGE_OUTPUT=TAP $REVGATE_WRAPPER "$t" >"$log" 2>&1
	rc=$?
	grep -vE '^ok ' "$log"
	count
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
		echo "not ok - $(basename "$t") exited with status $rc"
		failed=$((failed + 1))
	fi
done

if [ $unit_only -eq 0 ]; then
	files=$(find "$here/tests/e2e" -name '*.bats' 2>/dev/null | LC_ALL=C sort)
	if [ -n "$files" ]; then
		# Files run side by side (each has its own temporary directories and
		# PostgreSQL socket); the tests of one file stay in order.
		# BATS_JOBS=1 runs them one after another.
		jobs=${BATS_JOBS:-$(nproc 2>/dev/null || echo 1)}
		parallel_args=()
		if [ "$jobs" -gt 1 ] && command -v parallel >/dev/null; then
			parallel_args=(--jobs "$jobs" --no-parallelize-within-files)
		fi
		echo "# end-to-end: bats (${jobs} at a time)"
		# shellcheck disable=SC2086
		bats --tap "${parallel_args[@]}" $files >"$log" 2>&1
		rc=$?
		grep -vE '^ok ' "$log"
		count
		if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$log"; then
			echo "not ok - bats exited with status $rc"
			failed=$((failed + 1))
		fi
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
