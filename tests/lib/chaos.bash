# shellcheck shell=bash
#
# tests/lib/chaos.bash - fault trials against the applier, shared by
# tests/e2e/apply_chaos.bats (a few, bounded) and bench/chaos.sh (many).
#
# A trial applies a history of revisions, transactional and not, whose
# every statement writes one row to a ledger table (an INSERT, or a CREATE
# TABLE that an event trigger records), injects one fault at a chosen
# moment, and then checks:
#
#   1. revgate's account right after the fault matches the ledger: a
#      revision the version table calls applied has every statement in the
#      ledger once; one that is neither applied nor half-done has none; of a
#      half-done one, a segment the history calls complete is in the ledger
#      once, one that failed or never started is not, and one whose outcome
#      is unknown (started, no end recorded) is there at most once;
#   2. revgate brings the database to head by itself: upgrade, and for a
#      half-done revision resolve --resume (which settles an unknown
#      outcome from the catalog);
#   3. then every statement of every revision is in the ledger exactly
#      once: nothing applied twice, nothing lost.
#
# Faults: kill9 (revgate killed with SIGKILL), terminate (the server ends
# the work connection: pg_terminate_backend), crash (the server stops
# immediately and starts again).
#
# Needs a cluster from tests/lib/pg.bash (PGHOST, PGPORT, PG_BIN) and
# REVGATE. Functions return non-zero on failure; chaos_trial prints one
# line, "held (<where the fault left the run>)" or "broke: <why>".

CHAOS_REVS=${CHAOS_REVS:-4}

_chaos_psql() { "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -d "$CHAOS_DB" "$@"; }

# chaos_history DIR: a project in DIR with CHAOS_REVS revisions, odd ones
# transactional, even ones 'transaction: false'; three statements each.
chaos_history() {
	local dir=$1 i id down up
	mkdir -p "$dir/migrations"
	printf '[revgate]\nmigrations = migrations\n' >"$dir/revgate.ini"
	down=none
	for ((i = 1; i <= CHAOS_REVS; i++)); do
		id=$(printf 'chaos%03d' "$i")
		if ((i % 2)); then
			up="INSERT INTO ledger SELECT '$id', 1 FROM pg_sleep(0.03);
CREATE TABLE ${id}_2 (id int);
INSERT INTO ledger SELECT '$id', 3 FROM pg_sleep(0.03);"
		else
			up="CREATE TABLE ${id}_1 AS SELECT 1 AS x FROM pg_sleep(0.05);
CREATE TABLE ${id}_2 AS SELECT 1 AS x FROM pg_sleep(0.05);
CREATE TABLE ${id}_3 AS SELECT 1 AS x FROM pg_sleep(0.05);"
		fi
		{
			echo "-- revision: $id"
			echo "-- down_revision: $down"
			((i % 2)) || echo "-- transaction: false"
			echo "-- message: chaos $i"
			echo "-- revgate: ignore prefer-bigint-over-int, require-concurrent-index-creation"
			echo
			echo "-- +upgrade"
			printf '%s\n' "$up"
			echo
			echo "-- +downgrade"
			echo "SELECT 1;"
		} >"$dir/migrations/20250101_$(printf '%04d' "$i")_${id}_chaos.sql"
		down=$id
	done
}

# chaos_db NAME: a fresh database with the ledger and the event trigger that
# records every table a revision creates ("chaosNNN_K" -> row chaosNNN, K).
chaos_db() {
	CHAOS_DB=$1
	"$PG_BIN/dropdb" --if-exists "$CHAOS_DB" >/dev/null 2>&1
	"$PG_BIN/createdb" "$CHAOS_DB" || return 1
	# a commit must survive the crash trials (the test cluster runs with
	# synchronous_commit off): the ledger's own setup too
	_chaos_psql -c "SET synchronous_commit = on" \
		-c "ALTER DATABASE $CHAOS_DB SET synchronous_commit = on" \
		-c "CREATE TABLE ledger (rev text NOT NULL, stmt int NOT NULL)" \
		-c "CREATE FUNCTION ledger_ddl() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
DECLARE o record;
BEGIN
  FOR o IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') LOOP
    IF o.object_identity ~ '^public\\.chaos[0-9]+_[0-9]+\$' THEN
      INSERT INTO ledger VALUES (split_part(split_part(o.object_identity, '.', 2), '_', 1),
                                 split_part(o.object_identity, '_', 2)::int);
    END IF;
  END LOOP;
END \$\$" \
		-c "CREATE EVENT TRIGGER ledger_ddl ON ddl_command_end EXECUTE FUNCTION ledger_ddl()" >/dev/null
}

_chaos_url() { printf 'postgresql:///%s?host=%s&port=%s&user=postgres' "$CHAOS_DB" "$PGHOST" "$PGPORT"; }

# The server is back and takes connections.
_chaos_server_up() {
	local i
	if [ ! -f "$PG_TEST_DATA/postmaster.pid" ]; then
		pg_server_start >/dev/null 2>&1 || return 1
	fi
	for i in $(seq 100); do
		"$PG_BIN/psql" -X -qAt -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# _chaos_fault KIND PID: inject the fault into the run PID.
_chaos_fault() {
	case $1 in
	kill9) kill -9 "$2" 2>/dev/null ;;
	terminate)
		"$PG_BIN/psql" -X -qAt -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$CHAOS_DB' AND application_name LIKE 'revgate %' AND application_name NOT LIKE '%(lock)'" >/dev/null 2>&1 ;;
	crash) pg_server_stop immediate ;;
	esac
}

# What the history says of each segment of a half-done revision REV:
# "k:state" lines, state done|failed|unknown (absent: never started).
_chaos_segments() {
	_chaos_psql -c "SELECT h.segment || ':' || CASE h.outcome WHEN 'segment' THEN 'done' WHEN 'started' THEN 'unknown' ELSE 'failed' END FROM (SELECT DISTINCT ON (segment) segment, outcome FROM revgate_history WHERE revision = '$1' AND segment IS NOT NULL AND id > coalesce((SELECT max(id) FROM revgate_history WHERE revision = '$1' AND NOT (outcome IN ('started', 'segment') OR (outcome = 'interrupted' AND segment IS NOT NULL))), 0) ORDER BY segment, id DESC) h ORDER BY h.segment"
}

# chaos_account: prints what in revgate's account contradicts the ledger,
# nothing when they agree.
chaos_account() {
	local head i id n applied pending states k st want
	head=$(_chaos_psql -c "SELECT coalesce(max(version_num), '') FROM revgate_version" 2>/dev/null)
	pending=$(_chaos_psql -c "SELECT h.revision FROM revgate_history h WHERE (h.outcome IN ('started', 'segment') OR (h.outcome = 'interrupted' AND h.segment IS NOT NULL)) AND h.id = (SELECT max(id) FROM revgate_history m WHERE m.revision = h.revision)" 2>/dev/null)
	for ((i = 1; i <= CHAOS_REVS; i++)); do
		id=$(printf 'chaos%03d' "$i")
		applied=0
		[[ -n "$head" && ! "$id" > "$head" ]] && applied=1
		dup=$(_chaos_psql -c "SELECT count(*) FROM (SELECT stmt FROM ledger WHERE rev = '$id' GROUP BY stmt HAVING count(*) > 1) d")
		[ "$dup" -eq 0 ] || echo "$id: a statement is in the ledger twice"
		n=$(_chaos_psql -c "SELECT count(*) FROM ledger WHERE rev = '$id'")
		if [ "$applied" = 1 ]; then
			[ "$n" -eq 3 ] || echo "$id: applied by the version table, $n of 3 statements in the ledger"
		elif grep -qx "$id" <<<"$pending"; then
			# statement k of a non-transactional revision is segment k
			states=$(_chaos_segments "$id")
			for k in 1 2 3; do
				st=$(grep "^$k:" <<<"$states" | cut -d: -f2)
				want=$(_chaos_psql -c "SELECT count(*) FROM ledger WHERE rev = '$id' AND stmt = $k")
				case ${st:-never} in
				done) [ "$want" -eq 1 ] || echo "$id: segment $k recorded complete, $want ledger rows" ;;
				unknown) [ "$want" -le 1 ] || echo "$id: segment $k unknown, $want ledger rows" ;;
				*) [ "$want" -eq 0 ] || echo "$id: segment $k recorded ${st:-never started}, $want ledger rows" ;;
				esac
			done
		else
			[ "$n" -eq 0 ] || echo "$id: neither applied nor half-done, $n statements in the ledger"
		fi
	done
}

# chaos_recover: revgate brings the database to head by itself.
chaos_recover() {
	local attempt out rc
	for attempt in 1 2 3 4 5 6; do
		out=$($REVGATE -C "$CHAOS_DIR" upgrade --lock-wait 30s --url "$(_chaos_url)" 2>&1) && return 0
		if grep -q "half-done" <<<"$out"; then
			$REVGATE -C "$CHAOS_DIR" resolve --url "$(_chaos_url)" >/dev/null 2>&1
			out=$($REVGATE -C "$CHAOS_DIR" resolve --resume --url "$(_chaos_url)" 2>&1)
			rc=$?
			if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
				echo "resume refused: $(tail -1 <<<"$out")"
				return 1
			fi
		fi
		sleep 0.3
	done
	echo "not at head after 6 runs: $(tail -1 <<<"$out")"
	return 1
}

# chaos_trial DIR DB KIND DELAY_MS: one trial; prints "held (where)" or
# "broke: why".
chaos_trial() {
	CHAOS_DIR=$1
	local db=$2 kind=$3 delay=$4 pid bad final
	rm -rf "$CHAOS_DIR"
	chaos_history "$CHAOS_DIR"
	_chaos_server_up || { echo "broke: the server did not come back"; return 1; }
	chaos_db "$db" || { echo "broke: no database"; return 1; }
	$REVGATE -C "$CHAOS_DIR" upgrade --url "$(_chaos_url)" >"$CHAOS_DIR/run.out" 2>&1 &
	pid=$!
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	_chaos_fault "$kind" "$pid"
	wait "$pid" 2>/dev/null
	_chaos_server_up || { echo "broke: the server did not come back"; return 1; }
	# the server ends a killed client's sessions within a second
	for _ in $(seq 50); do
		[ -z "$("$PG_BIN/psql" -X -qAt -d postgres -c "SELECT 1 FROM pg_stat_activity WHERE datname = '$db' AND application_name LIKE 'revgate %'")" ] && break
		sleep 0.1
	done
	bad=$(chaos_account)
	if [ -n "$bad" ]; then
		echo "broke: after the fault: $(tr '\n' ';' <<<"$bad")"
		return 1
	fi
	# where the fault left the run: "done" (it had finished), or the
	# head and the half-done revision it stopped at
	local at last
	last=$(printf 'chaos%03d' "$CHAOS_REVS")
	at=$(_chaos_psql -c "SELECT coalesce(max(version_num), 'base') FROM revgate_version" 2>/dev/null)
	at="at $at$(_chaos_psql -c "SELECT ', ' || h.revision || ' half-done' FROM revgate_history h WHERE (h.outcome IN ('started', 'segment') OR (h.outcome = 'interrupted' AND h.segment IS NOT NULL)) AND h.id = (SELECT max(id) FROM revgate_history m WHERE m.revision = h.revision)" 2>/dev/null)"
	[ "$at" = "at $last" ] && at=done
	if ! final=$(chaos_recover); then
		echo "broke: $final"
		return 1
	fi
	bad=$(chaos_account)
	local total
	total=$(_chaos_psql -c "SELECT count(*) FROM ledger")
	if [ -n "$bad" ] || [ "$total" -ne $((CHAOS_REVS * 3)) ]; then
		echo "broke: after recovery, $total ledger rows: $(tr '\n' ';' <<<"$bad")"
		return 1
	fi
	echo "held ($at)"
}
