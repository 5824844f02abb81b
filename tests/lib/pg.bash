# shellcheck shell=bash
#
# tests/lib/pg.bash - throwaway PostgreSQL 15 clusters for tests, the demo
# and the benchmarks.
#
# Source this file, then:
#
#   pg_start [DIR]     initdb into DIR (default: a fresh mktemp -d), start the
#                      server on a unix socket only, export the connection env
#   pg_stop            stop the server (immediate) and remove DIR
#   pg_restart         restart the server (fast), same env
#   pg_server_stop [MODE]  stop the server (pg_ctl -m MODE: immediate, the
#                      default, is a crash; fast or smart), keep DIR and env
#   pg_server_start    start a server stopped by pg_server_stop again, on the
#                      same socket and port
#   pg_psql ARGS...    the real psql with the env, without ~/.psqlrc (-X)
#   pg_createdb NAME   create database NAME
#   pg_url [DBNAME]    print the libpq URI of DBNAME (default: $PGDATABASE)
#
# After pg_start these are exported: PGHOST (the socket directory), PGPORT,
# PGUSER (the superuser "postgres", trust authentication), PGDATABASE
# ("postgres"), DATABASE_URL (postgresql:///postgres?host=...&port=...&user=...),
# PG_TEST_DIR (the cluster directory) and PG_BIN (the server's bin directory).
# pg_stop restores whatever PG* and DATABASE_URL values were set before.
#
# The cluster's state is kept in exported PG_TEST_* variables, so pg_restart
# and pg_stop also work in the child processes of the shell that started it
# (bats tests after setup_file). One cluster per process: pg_start refuses a
# second one in the same shell, but a child process (pg-run inside a test,
# a benchmark) may start its own; its pg_stop restores the parent's env.
# Several clusters run at once without clashing: each has its own directory
# and socket.
#
# PostgreSQL refuses to run as root. As root the server runs as the system
# user "revgate-test" (created on first use; "nobody" if that fails) through
# runuser; otherwise as the current user. Clients (psql, revgate) may run as
# anyone: the role is always "postgres" and authentication is trust.
#
# In bats: pg_start "$BATS_FILE_TMPDIR/pg" in setup_file, pg_stop in
# teardown_file, and `load` this file in setup as well (functions are not
# inherited by the tests; the exported variables are). A DIR too deep for a
# unix socket path gets its socket in a short directory under /tmp. The
# server log is $PG_TEST_DIR/server.log.
#
# Every function returns non-zero on failure instead of exiting, so the
# library is safe under `set -e` and in bats setup_file/teardown_file. A
# failed start prints the server log to stderr. REVGATE_PG_KEEP=1 keeps the
# directory after pg_stop for a post-mortem.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Run a server-side binary as the cluster's owner. The cwd is moved to / so
# that an unreadable caller cwd does not upset initdb or pg_ctl.
_pg_as_owner() {
	if [ -n "${PG_TEST_OWNER:-}" ]; then
		(cd / && runuser -u "$PG_TEST_OWNER" -- "$@")
	else
		"$@"
	fi
}

# Pick the unprivileged user that owns the cluster when we are root.
_pg_pick_owner() {
	local u=revgate-test try
	if [ "$(id -u)" -ne 0 ]; then
		PG_TEST_OWNER=
		return 0
	fi
	# Parallel test files may race on useradd (it locks /etc/passwd):
	# re-check after a failure before falling back.
	for try in 1 2 3 4 5; do
		if id -u "$u" >/dev/null 2>&1; then
			PG_TEST_OWNER=$u
			return 0
		fi
		useradd --system --no-create-home --shell /usr/sbin/nologin "$u" \
			>/dev/null 2>&1 || sleep 0.$try
	done
	if id -u "$u" >/dev/null 2>&1; then
		PG_TEST_OWNER=$u
	else
		PG_TEST_OWNER=nobody
	fi
}

# Make sure the owner can reach PATH: give search (x) permission to "other"
# on each ancestor we own that the owner cannot traverse (bats and mktemp
# create 0700 directories). Nothing is made readable.
_pg_make_reachable() {
	local path=$1 p=""
	local -a parts
	[ -n "${PG_TEST_OWNER:-}" ] || return 0
	IFS=/ read -r -a parts <<<"${path#/}"
	local part
	for part in "${parts[@]}"; do
		[ -n "$part" ] || continue
		p="$p/$part"
		if ! runuser -u "$PG_TEST_OWNER" -- test -x "$p" 2>/dev/null; then
			if [ -O "$p" ]; then
				chmod o+x "$p" || return 1
			else
				echo "pg_start: user '$PG_TEST_OWNER' cannot reach '$p'" >&2
				return 1
			fi
		fi
	done
}

# Percent-encode a string for a libpq URI query value.
_pg_uri_escape() {
	local s=$1 out="" c i
	local LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

pg_url() {
	local db=${1:-${PGDATABASE:-postgres}}
	printf 'postgresql:///%s?host=%s&port=%s&user=%s\n' \
		"$(_pg_uri_escape "$db")" "$(_pg_uri_escape "$PGHOST")" \
		"$PGPORT" "$(_pg_uri_escape "$PGUSER")"
}

_PG_ENV_VARS=(PGHOST PGPORT PGUSER PGDATABASE DATABASE_URL PGPASSWORD
	PGSERVICE PGHOSTADDR PGSSLMODE PGOPTIONS PG_TEST_DIR PG_TEST_DATA
	PG_TEST_SOCKDIR PG_TEST_OWN_SOCKDIR PG_TEST_OWNER PG_TEST_STARTED_BY)

# The saved environment lives in shell variables that are not exported: only
# the process that ran pg_start restores it.
_pg_save_env() {
	local v
	PG_TEST_ENV_SAVED=1
	PG_TEST_SAVED_ENV=()
	for v in "${_PG_ENV_VARS[@]}"; do
		if [ -n "${!v+set}" ]; then
			PG_TEST_SAVED_ENV+=("$v=${!v}")
		fi
	done
}

_pg_restore_env() {
	local kv
	unset "${_PG_ENV_VARS[@]}"
	for kv in "${PG_TEST_SAVED_ENV[@]}"; do
		export "${kv%%=*}=${kv#*=}"
	done
	PG_TEST_SAVED_ENV=()
	PG_TEST_ENV_SAVED=0
}

_pg_dump_log() {
	echo "pg_start: server failed to start; log follows ($PG_TEST_DIR/server.log):" >&2
	sed 's/^/  | /' "$PG_TEST_DIR/server.log" >&2 2>/dev/null || true
}

# pg_start [DIR]
pg_start() {
	local dir=${1:-} port attempt

	if [ -n "${PG_TEST_DATA:-}" ] && [ "${PG_TEST_STARTED_BY:-}" = "$BASHPID" ]; then
		echo "pg_start: a cluster is already running in '$PG_TEST_DIR' (pg_stop first)" >&2
		return 1
	fi
	if [ ! -x "$PG_BIN/initdb" ]; then
		echo "pg_start: '$PG_BIN/initdb' not found (apt-get install postgresql-15)" >&2
		return 1
	fi
	# A cluster inherited from a parent process stays the parent's: save
	# its env before any PG_TEST_* variable is overwritten.
	_pg_save_env
	unset PG_TEST_DIR PG_TEST_DATA PG_TEST_SOCKDIR PG_TEST_OWN_SOCKDIR PG_TEST_STARTED_BY
	_pg_pick_owner || { _pg_restore_env; return 1; }

	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/revgate-pg.XXXXXX") || { _pg_restore_env; return 1; }
	else
		if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
			echo "pg_start: '$dir' exists and is not empty" >&2
			_pg_restore_env
			return 1
		fi
		if ! mkdir -p "$dir" || ! dir=$(cd "$dir" && pwd -P); then
			_pg_restore_env
			return 1
		fi
	fi
	# From here on pg_stop cleans up after a failure.
	PG_TEST_DIR=$dir
	PG_TEST_DATA=$dir/data
	PG_TEST_STARTED_BY=$BASHPID
	_pg_make_reachable "$dir" || { pg_stop; return 1; }

	# A unix socket path is limited to 107 bytes: a deep directory (bats
	# tmpdirs) gets a short socket directory of its own under /tmp.
	if [ $((${#dir} + 24)) -gt 100 ]; then
		PG_TEST_OWN_SOCKDIR=1
		PG_TEST_SOCKDIR=$(mktemp -d /tmp/rgpg.XXXXXX) || { pg_stop; return 1; }
	else
		PG_TEST_SOCKDIR=$dir
		PG_TEST_OWN_SOCKDIR=0
	fi
	if [ -n "$PG_TEST_OWNER" ]; then
		chown "$PG_TEST_OWNER:" "$dir" "$PG_TEST_SOCKDIR" || { pg_stop; return 1; }
	fi

	if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_TEST_DATA" -U postgres \
		--auth=trust -E UTF8 --locale=C --no-sync --no-instructions \
		>"$dir/initdb.log" 2>&1; then
		echo "pg_start: initdb failed:" >&2
		sed 's/^/  | /' "$dir/initdb.log" >&2
		pg_stop
		return 1
	fi

	# Only a unix socket, no durability: this data never outlives a test.
	cat >>"$PG_TEST_DATA/postgresql.conf" <<EOF

# revgate test cluster (tests/lib/pg.bash)
listen_addresses = ''
unix_socket_directories = '$PG_TEST_SOCKDIR'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 30min
shared_buffers = 32MB
max_connections = 40
jit = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%a '
EOF

	# Each cluster has its own socket directory, so a port only clashes
	# with a stale lock file; derive one from the pid and move on if busy.
	port=$((20000 + ($$ * 7 + RANDOM) % 30000))
	for attempt in 1 2 3 4 5; do
		while [ -e "$PG_TEST_SOCKDIR/.s.PGSQL.$port.lock" ]; do
			port=$((port + 1))
		done
		if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DATA" -l "$dir/server.log" \
			-o "-p $port" -w -t 60 start >/dev/null 2>&1; then
			break
		fi
		if [ "$attempt" -lt 5 ] && grep -qE 'could not create lock file|already in use|could not bind' \
			"$dir/server.log" 2>/dev/null; then
			port=$((port + 1))
			continue
		fi
		_pg_dump_log
		pg_stop
		return 1
	done

	export PGHOST=$PG_TEST_SOCKDIR PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	export PG_TEST_DIR PG_TEST_DATA PG_TEST_SOCKDIR PG_TEST_OWN_SOCKDIR \
		PG_TEST_OWNER PG_TEST_STARTED_BY PG_BIN
	unset PGPASSWORD PGSERVICE PGHOSTADDR PGSSLMODE PGOPTIONS
	DATABASE_URL=$(pg_url postgres)
	export DATABASE_URL
}

# pg_stop: stop the server, remove its directory, restore the environment
# (in the process that started it; elsewhere drop the PG_TEST_* variables).
# Safe to call when nothing runs (teardown after a failed setup).
pg_stop() {
	local rc=0
	if [ -n "${PG_TEST_DATA:-}" ] && [ -f "$PG_TEST_DATA/postmaster.pid" ]; then
		_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DATA" -m immediate -w \
			stop >/dev/null 2>&1 || rc=1
	fi
	if [ -z "${PG_TEST_DATA:-}" ]; then
		:
	elif [ -z "${REVGATE_PG_KEEP:-}" ]; then
		rm -rf "$PG_TEST_DIR"
		if [ "${PG_TEST_OWN_SOCKDIR:-0}" = 1 ]; then
			rm -rf "$PG_TEST_SOCKDIR"
		fi
	else
		echo "pg_stop: kept '$PG_TEST_DIR'" >&2
	fi
	if [ "${PG_TEST_ENV_SAVED:-0}" = 1 ]; then
		_pg_restore_env
	else
		unset PG_TEST_DIR PG_TEST_DATA PG_TEST_SOCKDIR PG_TEST_OWN_SOCKDIR \
			PG_TEST_OWNER PG_TEST_STARTED_BY
	fi
	unset PG_TEST_SAVED_ENV PG_TEST_ENV_SAVED
	return $rc
}

pg_restart() {
	if [ -z "${PG_TEST_DATA:-}" ]; then
		echo "pg_restart: no cluster started" >&2
		return 1
	fi
	if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DATA" -l "$PG_TEST_DIR/server.log" \
		-o "-p $PGPORT" -m fast -w -t 60 restart >/dev/null 2>&1; then
		_pg_dump_log
		return 1
	fi
}

pg_psql() {
	"$PG_BIN/psql" -X "$@"
}

pg_createdb() {
	if [ $# -ne 1 ] || [ -z "$1" ]; then
		echo "usage: pg_createdb NAME" >&2
		return 2
	fi
	"$PG_BIN/createdb" -- "$1"
}

pg_server_stop() {
	local mode=${1:-immediate}
	if [ -z "${PG_TEST_DATA:-}" ]; then
		echo "pg_server_stop: no cluster started" >&2
		return 1
	fi
	_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DATA" -m "$mode" -w -t 60 stop >/dev/null 2>&1
}

pg_server_start() {
	if [ -z "${PG_TEST_DATA:-}" ]; then
		echo "pg_server_start: no cluster started" >&2
		return 1
	fi
	if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TEST_DATA" -l "$PG_TEST_DIR/server.log" \
		-o "-p $PGPORT" -w -t 60 start >/dev/null 2>&1; then
		_pg_dump_log
		return 1
	fi
}
