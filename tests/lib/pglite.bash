# shellcheck shell=bash
#
# tests/lib/pglite.bash - a throwaway PGlite server with pgvector, for the
# tests that apply the example project (Debian's PostgreSQL has no pgvector).
#
# Source this file, then:
#
#   pglite_start [DIR]   start tests/lib/pglite-server.mjs on a unix socket in
#                        DIR (default: a fresh mktemp -d), wait until it is
#                        ready, export the connection env
#   pglite_stop          stop it (SIGTERM, then SIGKILL) and remove DIR
#   pglite_psql ARGS...  the real psql 15 with the env, without ~/.psqlrc
#
# After pglite_start these are exported: PGHOST (the socket directory),
# PGPORT, PGUSER=postgres, PGPASSWORD=postgres (pglite-socket asks for a
# password and accepts any), PGDATABASE=template1 (the name is ignored: there
# is one database), PGSSLMODE=disable, DATABASE_URL
# (postgresql://postgres:postgres@/template1?host=...&port=...&sslmode=disable),
# PGLITE_TEST_DIR and PGLITE_PID. pglite_stop restores the previous values.
#
# Read the header of tests/lib/pglite-server.mjs before writing a test
# against it: all connections share ONE backend session (advisory locks,
# SET, temp tables), and a few protocol paths break the server. Locking and
# concurrency tests belong on tests/lib/pg.bash.
#
# The node packages come from package.json at the repository root; when
# node_modules is missing, pglite_start runs `npm ci` there once.
#
# The state is exported (PGLITE_TEST_DIR, PGLITE_PID), so pglite_stop also
# works in a child of the shell that started the server (a bats test after
# setup_file). One server per process; a child may start its own, and its
# pglite_stop restores the parent's env. In bats: pglite_start in
# setup_file, pglite_stop in teardown_file, `load` this file in setup too.
#
# Every function returns non-zero instead of exiting
# (safe under `set -e` and in bats setup_file/teardown_file). A failed start
# prints the server's output. REVGATE_PG_KEEP=1 keeps DIR after pglite_stop.

PGLITE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pglite_ensure_modules() {
	if [ -f "$PGLITE_ROOT/node_modules/@electric-sql/pglite/package.json" ] &&
		[ -f "$PGLITE_ROOT/node_modules/@electric-sql/pglite-socket/package.json" ]; then
		return 0
	fi
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "pglite_start: node and npm are needed (apt-get install nodejs npm)" >&2
		return 1
	fi
	echo "pglite_start: installing PGlite (npm ci in $PGLITE_ROOT)" >&2
	(cd "$PGLITE_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

_PGLITE_ENV_VARS=(PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSSLMODE
	DATABASE_URL PGSERVICE PGHOSTADDR PGOPTIONS PGLITE_TEST_DIR PGLITE_PID
	PGLITE_STARTED_BY)

# The saved environment lives in shell variables that are not exported: only
# the process that ran pglite_start restores it.
_pglite_save_env() {
	local v
	PGLITE_ENV_SAVED=1
	PGLITE_SAVED_ENV=()
	for v in "${_PGLITE_ENV_VARS[@]}"; do
		if [ -n "${!v+set}" ]; then
			PGLITE_SAVED_ENV+=("$v=${!v}")
		fi
	done
}

_pglite_restore_env() {
	local kv
	unset "${_PGLITE_ENV_VARS[@]}"
	for kv in "${PGLITE_SAVED_ENV[@]}"; do
		export "${kv%%=*}=${kv#*=}"
	done
	PGLITE_SAVED_ENV=()
	PGLITE_ENV_SAVED=0
}

# pglite_start [DIR]
pglite_start() {
	local dir=${1:-} port i

	if [ -n "${PGLITE_TEST_DIR:-}" ] && [ "${PGLITE_STARTED_BY:-}" = "$BASHPID" ]; then
		echo "pglite_start: a server is already running in '$PGLITE_TEST_DIR' (pglite_stop first)" >&2
		return 1
	fi
	_pglite_ensure_modules || return 1

	if [ -z "$dir" ]; then
		dir=$(mktemp -d /tmp/rgpglite.XXXXXX) || return 1
	else
		if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
			echo "pglite_start: '$dir' exists and is not empty" >&2
			return 1
		fi
		mkdir -p "$dir" || return 1
		dir=$(cd "$dir" && pwd -P) || return 1
	fi
	if [ $((${#dir} + 16)) -gt 100 ]; then
		echo "pglite_start: '$dir' is too long for a unix socket path" >&2
		rmdir "$dir" 2>/dev/null
		return 1
	fi
	# A server inherited from a parent process stays the parent's.
	_pglite_save_env
	PGLITE_TEST_DIR=$dir
	PGLITE_STARTED_BY=$BASHPID

	# The socket directory is private to this server, so any port works.
	port=$((20000 + ($$ * 7 + RANDOM) % 30000))
	# fd 3 is closed so that bats does not wait for the server to exit.
	node "$PGLITE_ROOT/tests/lib/pglite-server.mjs" --socket-dir "$dir" \
		--port "$port" </dev/null >"$dir/server.log" 2>&1 3>&- &
	PGLITE_PID=$!

	for ((i = 0; i < 300; i++)); do
		if grep -q '^pglite-server ready' "$dir/server.log" 2>/dev/null; then
			break
		fi
		if ! kill -0 "$PGLITE_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if ! grep -q '^pglite-server ready' "$dir/server.log" 2>/dev/null; then
		echo "pglite_start: server did not start; its output follows:" >&2
		sed 's/^/  | /' "$dir/server.log" >&2
		pglite_stop
		return 1
	fi

	unset PGSERVICE PGHOSTADDR PGOPTIONS
	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGPASSWORD=postgres \
		PGDATABASE=template1 PGSSLMODE=disable PGLITE_TEST_DIR PGLITE_PID \
		PGLITE_STARTED_BY
	export DATABASE_URL="postgresql://postgres:postgres@/template1?host=$dir&port=$port&sslmode=disable"
}

# pglite_stop: stop the server, remove its directory, restore the env. Safe
# to call when nothing runs.
pglite_stop() {
	local i
	if [ -n "${PGLITE_PID:-}" ] && kill -0 "$PGLITE_PID" 2>/dev/null; then
		kill -TERM "$PGLITE_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$PGLITE_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$PGLITE_PID" 2>/dev/null; then
			kill -KILL "$PGLITE_PID" 2>/dev/null
		fi
		wait "$PGLITE_PID" 2>/dev/null
	fi
	if [ -n "${PGLITE_TEST_DIR:-}" ]; then
		if [ -z "${REVGATE_PG_KEEP:-}" ]; then
			rm -rf "$PGLITE_TEST_DIR"
		else
			echo "pglite_stop: kept '$PGLITE_TEST_DIR'" >&2
		fi
	fi
	if [ "${PGLITE_ENV_SAVED:-0}" = 1 ]; then
		_pglite_restore_env
	else
		unset PGLITE_TEST_DIR PGLITE_PID PGLITE_STARTED_BY
	fi
	unset PGLITE_ENV_SAVED PGLITE_SAVED_ENV
	return 0
}

pglite_psql() {
	"$PG_BIN/psql" -X "$@"
}
