#!/usr/bin/env bats
# The build's first promise: `make`, `make demo` and `make test` work as the
# very first command on a fresh machine, also with -j2, because
# scripts/deps.sh has installed the libraries before anything compiles.
# Checked on a copy of the tree whose scripts/deps.sh is a stand-in that
# takes a second and leaves a mark, built by a compiler that refuses to run
# before the mark is there: a compile that races ahead of the
# dependencies fails here as it would on a fresh machine.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	# the Makefile's order does not depend on the sanitizers: checked once,
	# in the plain run
	[ -z "${REVGATE_SANITIZE:-}" ] || skip "checked in the plain run"
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/tree"
	tar -C "$ROOT" --exclude=./build --exclude=./node_modules --exclude=./.git \
		--exclude=./revgate -cf - . | tar -C "$T/tree" -xf -
	export MARK=$T/deps-done LOG=$T/log
	cat >"$T/tree/scripts/deps.sh" <<'SH'
#!/bin/sh
sleep 1
echo "deps $1" >>"$LOG"
: >"$MARK"
SH
	# the demo and the suites themselves are not what is checked here
	printf '#!/bin/sh\necho "ran $0" >>"$LOG"\n' >"$T/tree/scripts/demo.sh"
	printf '#!/bin/sh\necho "ran $0" >>"$LOG"\n' >"$T/tree/tests/run.sh"
	cat >"$T/cc" <<'SH'
#!/bin/sh
[ -e "$MARK" ] || { echo "compiled before scripts/deps.sh finished: $*" >>"$LOG"; exit 1; }
out= prev=
for a; do
	[ "$prev" = -o ] && out=$a
	prev=$a
done
[ -z "$out" ] || : >"$out"
SH
	chmod +x "$T/tree/scripts/deps.sh" "$T/tree/scripts/demo.sh" "$T/tree/tests/run.sh" "$T/cc"
}

# first_command GOAL PURPOSE: `make -j2 GOAL` on the fresh copy runs
# scripts/deps.sh PURPOSE once, before any compile, and finishes.
first_command() {
	# a fresh make, not one that inherits the suite's own (SANITIZE=...)
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$T/tree" -j2 CC="$T/cc" SANITIZE= "$1"
	cat "$LOG"
	[ "$status" -eq 0 ]
	! grep -q "compiled before" "$LOG"
	[ "$(grep -c '^deps ' "$LOG")" -eq 1 ]
	grep -qx "deps $2" "$LOG"
}

@test "make -j2 as the first command installs the dependencies before compiling" {
	first_command all build
	[ -e "$T/tree/revgate" ]
}

@test "make -j2 demo as the first command installs the dependencies before compiling" {
	first_command demo demo
	grep -q "ran .*scripts/demo.sh" "$LOG"
}

@test "make -j2 test as the first command installs the dependencies before compiling" {
	first_command test test
	grep -q "ran .*tests/run.sh" "$LOG"
}

@test "make -n -B: the first command of make, demo and test is scripts/deps.sh" {
	cd "$ROOT"
	for goal in all demo test; do
		for jobs in 1 2; do
			first=$(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -n -B -j"$jobs" "$goal" 2>/dev/null | grep -nE 'deps\.sh|(^|[ /])(cc|gcc|clang) ' | head -n 1)
			echo "make -j$jobs $goal: $first"
			[[ "$first" == *"scripts/deps.sh"* ]]
		done
	done
}
