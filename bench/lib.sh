# What the benchmarks that need a server share. Sourced by bench/*.sh after
# they set `root` (the project directory), `here` (bench/) and `revgate`.
# shellcheck shell=bash disable=SC2154  # root, here and revgate: the sourcing script's

# shellcheck source=tests/lib/pg.bash
. "$root/tests/lib/pg.bash"

# bench_need NAME [hyperfine]: refuses to run without a built revgate (and
# hyperfine, when named).
bench_need() {
	[ -x "$revgate" ] || { echo "$1.sh: build revgate first (make)" >&2; exit 2; }
	if [ "${2:-}" = hyperfine ] && ! command -v hyperfine >/dev/null; then
		echo "$1.sh: needs hyperfine (apt-get install hyperfine)" >&2
		exit 2
	fi
}

# bench_server NAME: a work directory ($WORKDIR, kept, or a fresh one
# removed at exit) holding a PostgreSQL 15 started as the tests start it;
# sets `work` and `keep`.
bench_server() {
	work=${WORKDIR:-$(mktemp -d "/tmp/revgate-bench-$1.XXXXXX")}
	keep=${WORKDIR:+1}
	trap bench_cleanup EXIT
	pg_start "$work/pg" >/dev/null || exit 3
}

bench_cleanup() {
	pg_stop || true
	[ -n "$keep" ] || rm -rf "$work"
}

# bench_dbmate: dbmate's native binary, which ships inside an npm package,
# installed locally in bench/apply-tools; sets `dbmate`.
bench_dbmate() {
	local tools=$here/apply-tools
	dbmate=$tools/node_modules/@dbmate/linux-x64/bin/dbmate
	if [ ! -x "$dbmate" ]; then
		# shellcheck disable=SC2015  # install when ci cannot
		(cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
			npm install --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}
