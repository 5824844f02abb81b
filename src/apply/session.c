/*
 * A session on the database: two connections (work and lock), the
 * session-level advisory lock taken by polling, the version and history
 * tables created on first use, and the current heads read back.
 *
 * Why poll: a session blocked in pg_advisory_lock() is a waiter that a
 * CREATE INDEX CONCURRENTLY on the holder's side waits for in turn (it
 * waits out every transaction that might see the table), which deadlocks.
 * pg_try_advisory_lock() in autocommit returns at once and holds no
 * snapshot in between, so the holder's concurrent build never waits for us.
 */
#include "apply/internal.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The lock's two keys: 'revg' and a hash of the version table's name, so
 * two histories in one database (two version tables) do not block each
 * other. */
#define LOCK_CLASS "1919252071"

/*
 * The schema of the version and history tables, resolved once per run and
 * never from the search_path alone: a revision that ran ALTER DATABASE ...
 * SET search_path must not make the next run look elsewhere, call the
 * database empty and start again from the first revision. The configured
 * schema, else the one schema where either table exists, else where they
 * will be created (current_schema()). Tables in two schemas are refused,
 * naming both: which one holds the truth is the operator's call.
 * revgate's own SQL then always names the tables schema-qualified, and the
 * lock's second key hashes the resolved name, never its spelling:
 * `public.revgate_version` and `revgate_version` are one table, so one lock.
 */
static int resolve_tables(struct apply_session *ss, struct db *db)
{
	/* the schemas found, then the one new tables would go to */
	static const char q[] =
		"SELECT DISTINCT 0, n.nspname FROM pg_class c JOIN pg_namespace n "
		"ON n.oid = c.relnamespace WHERE c.relname IN ($1, $2) AND c.relkind IN ('r', 'p') "
		"AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%' "
		"UNION ALL SELECT 1, coalesce(current_schema(), 'public') ORDER BY 1, 2";
	static const char both_q[] =
		"SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.relname), ' and ' "
		"ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = "
		"c.relnamespace WHERE c.relname IN ($1, $2) AND c.relkind IN ('r', 'p') "
		"AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'";
	int ret = 0;
	if (ss->s->version_schema) {
		ss->schema = xstrdup(ss->s->version_schema);
	} else {
		const char *params[] = {ss->s->version_table, ss->s->history_table};
		struct db_res *r = NULL;
		if ((ret = db_query(db, q, 2, params, &r)) < 0)
			return ret;
		size_t found = db_res_nrows(r) - 1;
		if (found > 1) {
			struct db_res *both = NULL;
			if ((ret = db_query(db, both_q, 2, params, &both)) == 0)
				ret = err_set(ERR_CONFIG,
					      "revgate's tables exist in %zu schemas: %s; say which is "
					      "this database's history with 'version_table_schema' in "
					      "[database] (or --version-table SCHEMA.NAME)",
					      found, db_res_value(both, 0, 0));
			db_res_free(both);
		} else {
			ss->schema = xstrdup(db_res_value(r, 0, 1));
		}
		db_res_free(r);
		if (ret < 0)
			return ret;
	}
	ss->vtable = db_quote_ident(db, ss->schema, ss->s->version_table);
	ss->htable = db_quote_ident(db, ss->schema, ss->s->history_table);
	uint32_t h = 2166136261u;
	for (const char *p = ss->vtable; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	ss->lock_key = xstrfmt("%u", h & 0x7fffffffu);
	return 0;
}

static char *lock_key(const struct apply_session *ss)
{
	return xstrdup(ss->lock_key);
}

/* ---- signals ---- */

/* The signal caught during a session. Global by necessity: the handler
 * can reach nothing else. */
static volatile sig_atomic_t caught_signal;
static struct sigaction old_int, old_term;
static bool handlers_installed;

static void on_signal(int sig)
{
	caught_signal = sig;
	/* libpq retries its waits on EINTR: only a cancel request makes a
	 * running statement (and the COMMIT queued behind it) stop */
	db_cancel_from_signal();
}

/* No SA_RESTART: the lock poll's sleep must wake on the signal. */
static void signals_install(void)
{
	if (handlers_installed)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	handlers_installed = true;
}

static void signals_restore(void)
{
	if (!handlers_installed)
		return;
	db_cancel_disarm();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	handlers_installed = false;
}

int apply_interrupted(void)
{
	return (int)caught_signal;
}

static int interrupted_error(void)
{
	return err_set(ERR_INTERRUPTED, "interrupted by %s",
		       caught_signal == SIGINT ? "SIGINT" : "SIGTERM");
}

int interrupted_or(int ret)
{
	if (!caught_signal || ret == ERR_INTERRUPTED)
		return ret;
	return interrupted_error();
}

int atoi_safe(const char *s)
{
	return s ? (int)strtol(s, NULL, 10) : 0;
}

double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *iso_now(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xstrfmt("%.*s.%06ldZ", (int)n, buf, ts.tv_nsec / 1000);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void emit(struct apply_session *ss, enum apply_event_kind kind, const char *text)
{
	if (!ss->on_event)
		return;
	struct apply_event ev = {.kind = kind, .text = text};
	ss->on_event(ss->event_ctx, &ev);
}

/*
 * "pid 123 ('revgate upgrade', user app, from 10.0.0.5, connected since
 * ...)". A role without pg_read_all_stats sees another role's session
 * without its address and start: then it says so, rather than "(null)".
 */
static char *lock_holder(struct apply_session *ss, const char *key, int *pid)
{
	static const char q[] =
		"SELECT a.pid, a.application_name, a.usename::text, "
		"CASE WHEN a.backend_start IS NULL THEN NULL "
		"ELSE coalesce(host(a.client_addr), 'local socket') END, "
		"to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' "
		"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
		"AND l.classid::bigint = $1::bigint AND l.objid::bigint = $2::bigint LIMIT 1";
	const char *params[] = {LOCK_CLASS, key};
	struct db_res *r = NULL;
	char *who;
	*pid = 0;
	if (db_query(ss->lock, q, 2, params, &r) < 0 || db_res_nrows(r) == 0) {
		err_clear();
		who = xstrdup("another session (it may just have released it)");
	} else {
		const char *app = db_res_value(r, 0, 1), *user = db_res_value(r, 0, 2);
		const char *from = db_res_value(r, 0, 3), *since = db_res_value(r, 0, 4);
		*pid = atoi_safe(db_res_value(r, 0, 0));
		if (since)
			who = xstrfmt("pid %s ('%s', user %s, from %s, connected since %s)",
				      db_res_value(r, 0, 0), app ? app : "", user ? user : "?",
				      from ? from : "?", since);
		else
			who = xstrfmt("pid %s ('%s', user %s; where from and since when are hidden "
				      "from this role, which lacks pg_read_all_stats)",
				      db_res_value(r, 0, 0), app ? app : "", user ? user : "?");
	}
	db_res_free(r);
	return who;
}

static int take_lock(struct apply_session *ss)
{
	char *key = lock_key(ss);
	const char *params[] = {LOCK_CLASS, key};
	double start = mono_ms(), last_report = -1e9;
	long backoff = 25;
	int last_pid = -1, ret = 0;
	for (;;) {
		struct db_res *r = NULL;
		ret = db_query(ss->lock, "SELECT pg_try_advisory_lock($1::int, $2::int)", 2, params,
			       &r);
		if (ret < 0)
			break;
		bool got = !strcmp(db_res_value(r, 0, 0), "t");
		db_res_free(r);
		if (got) {
			ss->locked = true;
			if (last_pid != -1 && ss->on_event) {
				struct apply_event ev = {.kind = APPLY_EV_LOCKED,
							 .ms = mono_ms() - start};
				ss->on_event(ss->event_ctx, &ev);
			}
			break;
		}
		double waited = mono_ms() - start;
		int pid;
		char *who = lock_holder(ss, key, &pid);
		if (waited >= (double)ss->s->lock_wait_ms) {
			ret = err_set(ERR_RUNTIME, "another run holds the migration lock on %s: %s; "
						   "gave up after %.0f s (raise --lock-wait, or "
						   "wait for it to finish)",
				      ss->vtable, who, waited / 1000.0);
			free(who);
			break;
		}
		if (pid != last_pid || mono_ms() - last_report > 10000) {
			char *text = xstrfmt("waiting for the migration lock on %s, held by %s",
					     ss->vtable, who);
			emit(ss, APPLY_EV_LOCK_WAIT, text);
			free(text);
			last_pid = pid;
			last_report = mono_ms();
		}
		free(who);
		long left = ss->s->lock_wait_ms - (long)waited;
		if (caught_signal) {
			ret = interrupted_error();
			break;
		}
		sleep_ms(backoff < left ? backoff : (left > 0 ? left : 1));
		if (caught_signal) {
			ret = interrupted_error();
			break;
		}
		backoff = backoff * 3 / 2;
		if (backoff > 1000)
			backoff = 1000;
	}
	free(key);
	return ret;
}

/*
 * The lock connection sits idle for the whole run, and the work connection
 * while revgate verifies, plans and lints before the first revision: a
 * server or role setting that ends idle sessions would end the run.
 */
/* Only the ones the server knows: idle_session_timeout is new in
 * PostgreSQL 14. As SQL, to ride along in another query. */
#define NO_IDLE_TIMEOUTS                                                                     \
	"set_config('idle_in_transaction_session_timeout', '0', false), "                    \
	"CASE WHEN current_setting('idle_session_timeout', true) IS NOT NULL "               \
	"THEN set_config('idle_session_timeout', '0', false) END"

static void no_idle_timeouts(struct db *db)
{
	if (db_exec(db, "SELECT " NO_IDLE_TIMEOUTS) < 0)
		err_clear();
}

/* The work connection: a server that finds its client gone (revgate
 * killed with SIGKILL) aborts the running statement within a second
 * instead of finishing it and committing what was queued behind it. */
static void check_client_setting(struct apply_session *ss)
{
	if (db_exec(ss->db, "SELECT set_config('client_connection_check_interval', '1s', "
			    "false)") < 0)
		err_clear();
}

static int work_conn_settings(struct apply_session *ss)
{
	check_client_setting(ss);
	db_cancel_arm(ss->db);
	/* revgate's own reads until the first revision: its own short lock
	 * timeout, no statement timeout (session_reset goes back to the
	 * revision's, given when the connection started) */
	char lt[32];
	snprintf(lt, sizeof(lt), "%ldms", ss->s->own_lock_timeout_ms);
	const char *params[] = {lt};
	struct db_res *r = NULL;
	int ret = db_query(ss->db,
			   "SELECT current_setting('search_path'), "
			   "current_setting('session_replication_role'), session_user, "
			   "set_config('lock_timeout', $1, false), "
			   "set_config('statement_timeout', '0', false), " NO_IDLE_TIMEOUTS,
			   1, params, &r);
	if (ret == 0) {
		free(ss->search_path);
		free(ss->replication_role);
		free(ss->login_user);
		ss->search_path = xstrdup(db_res_value(r, 0, 0));
		ss->replication_role = xstrdup(db_res_value(r, 0, 1));
		ss->login_user = db_quote_ident(ss->db, NULL, db_res_value(r, 0, 2));
	}
	db_res_free(r);
	return ret;
}

/*
 * The work connection starts with the revisions' timeouts as its own
 * defaults: a RESET ALL (or RESET lock_timeout) in a revision then goes
 * back to them, not to none.
 */
static int connect_work(struct apply_session *ss, const char *app)
{
	char *opts = xstrfmt("-c lock_timeout=%ldms -c statement_timeout=%ldms",
			     ss->s->lock_timeout_ms, ss->s->statement_timeout_ms);
	int ret = db_connect_opts(&ss->db, ss->s->url, ss->s->dbname, app, opts);
	free(opts);
	return ret;
}

/*
 * Not RESET ALL: it would also undo what revgate set for the session after
 * connecting, and on servers that share one session between connections
 * (PGlite's socket server) everyone's settings. What a revision can change
 * and revgate relies on goes back one by one: the user (SET SESSION
 * AUTHORIZATION, SET ROLE), the search_path, the timeouts (to the values
 * given when the connection started), read-only and the other transaction
 * defaults, the application name and session_replication_role (which
 * switches triggers off, the history's too). One round trip.
 */
int session_reset(struct apply_session *ss)
{
	const char *path[] = {ss->search_path};
	const char *repl[] = {ss->replication_role};
	struct db_batch b = DB_BATCH_INIT;
	/* by name: on a server whose sessions are shared (PGlite), RESET and
	 * DEFAULT go back to the user a revision switched to */
	char *auth = xstrfmt("SET SESSION AUTHORIZATION %s", ss->login_user);
	db_batch_add(&b, auth, 0, NULL);
	free(auth);
	db_batch_add(&b, "RESET ROLE", 0, NULL);
	db_batch_add(&b, "SELECT set_config('search_path', $1, false)", 1, path);
	db_batch_add(&b, "RESET lock_timeout", 0, NULL);
	db_batch_add(&b, "RESET statement_timeout", 0, NULL);
	db_batch_add(&b, "RESET default_transaction_read_only", 0, NULL);
	db_batch_add(&b, "RESET default_transaction_isolation", 0, NULL);
	db_batch_add(&b, "RESET default_transaction_deferrable", 0, NULL);
	db_batch_add(&b, "RESET application_name", 0, NULL);
	/* only a superuser may set it: set only when a revision changed it */
	db_batch_add(&b,
		     "SELECT set_config('session_replication_role', $1, false) "
		     "WHERE current_setting('session_replication_role') <> $1",
		     1, repl);
	int ret = db_batch_run(ss->db, &b);
	db_batch_release(&b);
	return ret;
}

/* "pid 123 ('psql', user app, ShareLock, idle in transaction since
 * 2025-01-01 10:00:00 UTC: LOCK TABLE ...)" for each session that holds
 * or awaits a lock on `qtable` strong enough to block revgate's reads or
 * writes; NULL when none can be seen (fresh string). */
char *own_lock_holders(struct apply_session *ss, const char *qtable)
{
	static const char q[] =
		"SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, '?'), "
		"l.mode || CASE WHEN l.granted THEN '' ELSE ' (waiting)' END, "
		"coalesce(a.state, 'state unknown') || coalesce(' since ' || to_char(a.state_change "
		"AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', ''), "
		"coalesce(left(regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), 60), '') "
		"FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		"WHERE l.locktype = 'relation' AND l.relation = to_regclass($1) "
		"AND l.pid <> pg_backend_pid() AND (NOT l.granted OR l.mode NOT IN "
		"('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')) ORDER BY l.granted DESC, "
		"a.pid LIMIT 3";
	const char *params[] = {qtable};
	struct db *db = db_alive(ss->lock) ? ss->lock : ss->db;
	struct db_res *r = NULL;
	char *who = NULL;
	struct err_saved keep;
	err_save(&keep);
	if (db_alive(db) && db_query(db, q, 1, params, &r) == 0 && db_res_nrows(r)) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < db_res_nrows(r); i++)
			strbuf_addf(&sb, "%spid %s ('%s', user %s, %s, %s%s%s)", i ? ", " : "",
				    db_res_value(r, i, 0), db_res_value(r, i, 1), db_res_value(r, i, 2),
				    db_res_value(r, i, 3), db_res_value(r, i, 4),
				    *db_res_value(r, i, 5) ? ": " : "", db_res_value(r, i, 5));
		who = strbuf_detach(&sb, NULL);
	}
	db_res_free(r);
	err_restore(&keep);
	return who;
}

int own_lock_error(struct apply_session *ss, const char *sqlstate, int ret, const char *qtable)
{
	if (!sqlstate || strcmp(sqlstate, "55P03"))
		return ret;
	char *who = own_lock_holders(ss, qtable);
	ret = err_set(ERR_DB, "waited longer than own_lock_timeout (%ld ms) for a lock on %s, "
			      "held by %s; revgate does not wait silently on its own tables: finish "
			      "or end that session and run again",
		      ss->s->own_lock_timeout_ms, qtable, who ? who : "another session");
	free(who);
	return ret;
}

int own_query(struct apply_session *ss, const char *sql, int n, const char *const *params,
	      struct db_res **out, const char *qtable)
{
	int ret = db_query(ss->db, sql, n, params, out);
	if (ret < 0)
		ret = own_lock_error(ss, db_last_error(ss->db)->sqlstate, ret, qtable);
	return ret;
}

/* ---- watching a statement while it runs ---- */

struct watch {
	struct apply_session *ss;
	const struct apply_step *s;
	size_t k;
	char pid[16];
	double last_event;
};

/*
 * What the work connection's statement is doing, asked on the lock
 * connection: what it waits for and who holds it (kept for the failure's
 * hint: a statement_timeout that fires during a lock wait names the
 * lock), and an index build's progress (an event, once a second, after
 * the first second).
 */
static void watch_tick(void *ctx, double elapsed)
{
	static const char q[] =
		"SELECT (SELECT CASE WHEN l.relation IS NOT NULL THEN 'a lock on ' || "
		"l.relation::regclass::text || ' (' || l.mode || ')' WHEN l.locktype = 'virtualxid' "
		"THEN 'older transactions to end' ELSE 'a lock (' || l.locktype || ')' END "
		"FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1), "
		"(SELECT string_agg(format('pid %s (''%s'', user %s, %s %s)', b.pid, "
		"coalesce(b.application_name, ''), coalesce(b.usename::text, '?'), "
		"CASE WHEN b.xact_start IS NOT NULL THEN 'in its transaction for' "
		"WHEN b.backend_start IS NOT NULL THEN 'connected for' ELSE 'for' END, "
		"coalesce(to_char(date_trunc('second', now() - coalesce(b.xact_start, "
		"b.backend_start)), 'HH24:MI:SS'), 'a time hidden from this role')), ', ' "
		"ORDER BY b.pid) FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))), "
		"p.phase, p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total "
		"FROM pg_stat_activity a LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid "
		"WHERE a.pid = $1::int";
	struct watch *w = ctx;
	struct apply_session *ss = w->ss;
	struct db_res *r = NULL;
	const char *params[] = {w->pid};
	struct err_saved keep;
	if (!db_alive(ss->lock))
		return;
	err_save(&keep);
	if (db_query(ss->lock, q, 1, params, &r) < 0 || !db_res_nrows(r))
		goto out;
	const char *waiting = db_res_value(r, 0, 0), *blockers = db_res_value(r, 0, 1);
	free(ss->waited_for);
	ss->waited_for = !waiting ? NULL
			 : blockers ? xstrfmt("%s, held by %s", waiting, blockers)
				    : xstrdup(waiting);
	if (!ss->on_event || elapsed < 1000 || mono_ms() - w->last_event < 1000)
		goto out;
	const char *v[4];
	for (int i = 0; i < 4; i++)
		v[i] = db_res_value(r, 0, 3 + i);
	struct apply_progress pr = {
		.phase = db_res_value(r, 0, 2),
		.blocks_done = v[0] ? strtol(v[0], NULL, 10) : -1,
		.blocks_total = v[1] ? strtol(v[1], NULL, 10) : -1,
		.tuples_done = v[2] ? strtol(v[2], NULL, 10) : -1,
		.tuples_total = v[3] ? strtol(v[3], NULL, 10) : -1,
		.waiting = waiting,
		.blockers = blockers,
	};
	struct apply_event ev = {.kind = APPLY_EV_PROGRESS, .step = w->s, .segment = w->k,
				 .ms = elapsed, .progress = &pr};
	ss->on_event(ss->event_ctx, &ev);
	w->last_event = mono_ms();
out:
	db_res_free(r);
	err_restore(&keep);
}

int watched_run(struct apply_session *ss, const struct apply_step *s, size_t k, const char *sql,
		struct db_batch *b)
{
	struct watch w = {.ss = ss, .s = s, .k = k};
	free(ss->waited_for);
	ss->waited_for = NULL;
	/* a server without pg_stat_activity (PGlite: pid 0) has nothing to tell */
	int pid = db_backend_pid(ss->db);
	bool watch = pid > 0 && ss->lock && db_alive(ss->lock);
	if (watch) {
		snprintf(w.pid, sizeof(w.pid), "%d", pid);
		w.last_event = mono_ms();
		db_set_watch(ss->db, 250, watch_tick, &w);
	}
	int ret = b ? db_batch_run(ss->db, b) : db_exec(ss->db, sql);
	if (watch)
		db_set_watch(ss->db, 0, NULL, NULL);
	return ret;
}

int apply_check_continue(struct apply_session *ss)
{
	if (caught_signal)
		return interrupted_error();
	if (!ss->locked)
		return 0;
	/* a session-level lock lives as long as its session: a live lock
	 * connection holds it (pg_locks would say more, but not every server
	 * speaking the protocol has one, and only this run unlocks it) */
	if (db_alive(ss->lock) && db_exec(ss->lock, "SELECT 1") == 0)
		return 0;
	err_clear();
	ss->locked = false;
	return err_set(ERR_RUNTIME, "lost the migration lock on %s (its connection ended); "
				    "stopped before the next step",
		       ss->vtable);
}

static void release_lock(struct apply_session *ss)
{
	if (!ss->locked || !ss->lock || !db_alive(ss->lock))
		return;
	char *key = lock_key(ss);
	const char *params[] = {LOCK_CLASS, key};
	if (db_query(ss->lock, "SELECT pg_advisory_unlock($1::int, $2::int)", 2, params, NULL) < 0)
		err_clear();
	ss->locked = false;
	free(key);
}

/* Creates what is missing of the two tables, in one transaction. */
static int ensure_tables(struct apply_session *ss, bool have_version, bool have_history)
{
	struct strbuf sql = STRBUF_INIT;
	int ret = 0;
	if (have_version && have_history)
		return 0;
	if ((ret = db_exec(ss->db, "BEGIN READ WRITE")) < 0)
		goto out;
	if (!have_version) {
		sqltext_version_ddl(&sql, ss->vtable, ss->s->version_table);
		ret = db_exec(ss->db, sql.buf);
	}
	if (ret == 0 && !have_history) {
		strbuf_reset(&sql);
		sqltext_history_ddl(&sql, ss->schema, ss->s->history_table);
		/* PQexecParams takes one statement at a time */
		struct sql_script stmts = SQL_SCRIPT_INIT;
		struct sql_error serr = {0};
		if (sql_split(sql.buf, 0, sql.len, &stmts, &serr) < 0)
			BUG("revgate's own DDL does not split: %s", serr.message);
		for (size_t i = 0; ret == 0 && i < stmts.n; i++) {
			char *one = xstrndup(sql.buf + stmts.v[i].start, stmts.v[i].len);
			ret = db_exec(ss->db, one);
			free(one);
		}
		sql_script_release(&stmts);
		sql_error_release(&serr);
	}
	if (ret < 0) {
		const struct db_error *e = db_last_error(ss->db);
		bool denied = e->sqlstate && !strcmp(e->sqlstate, "42501");
		char *msg = xstrdup(err_msg());
		if (db_exec(ss->db, "ROLLBACK") < 0)
			err_clear();
		ret = err_set(ERR_DB, "cannot create the %s tables %s and %s: %s%s",
			      "revgate", ss->vtable, ss->htable, msg,
			      denied ? " (the role needs CREATE on the schema; create the tables "
				       "with 'revgate upgrade --sql' as an owner, or connect as one)"
				     : "");
		free(msg);
		goto out;
	}
	ret = db_exec(ss->db, "COMMIT");
out:
	strbuf_release(&sql);
	return ret;
}

int apply_drop_tables(struct apply_session *ss)
{
	char *fn = xstrfmt("%s_append_only", ss->s->history_table);
	char *qfn = db_quote_ident(ss->db, ss->schema, fn);
	char *sql[] = {
		xstrfmt("DROP TABLE IF EXISTS %s", ss->vtable),
		xstrfmt("DROP TABLE IF EXISTS %s", ss->htable),
		xstrfmt("DROP FUNCTION IF EXISTS %s()", qfn),
	};
	int ret = 0;
	for (size_t i = 0; i < 3; i++) {
		if (ret == 0)
			ret = db_exec(ss->db, sql[i]);
		free(sql[i]);
	}
	free(qfn);
	free(fn);
	return ret;
}

/* Whether the history table has the columns added after it first
 * shipped; adds them when `create` and the role may (else rows are
 * written without them, and verify says they were not recorded). */
static int history_columns(struct apply_session *ss, bool create, int have)
{
	if (have < 0) {
		static const char q[] =
			"SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1) "
			"AND attname IN ('downgrade_checksum', 'header_keys') AND NOT attisdropped";
		const char *params[] = {ss->htable};
		struct db_res *r = NULL;
		int ret = db_query(ss->db, q, 1, params, &r);
		if (ret < 0)
			return ret;
		have = atoi_safe(db_res_value(r, 0, 0));
		db_res_free(r);
	}
	ss->history_ext = have == 2;
	if (ss->history_ext || !create)
		return 0;
	struct strbuf sql = STRBUF_INIT;
	sqltext_history_upgrade(&sql, ss->htable);
	strbuf_setlen(&sql, sql.len - 2); /* PQexecParams: no ";\n" */
	if (db_exec(ss->db, sql.buf) == 0)
		ss->history_ext = true;
	else
		err_clear();
	strbuf_release(&sql);
	return 0;
}

/*
 * The mark revgate leaves on a version table whose history it keeps (its
 * comment): a history table that is gone while the mark is there was
 * dropped, and is not silently started anew (which would make every
 * applied revision look unverified, or a half-done one look clean).
 */
#define HISTORY_MARK "revgate: its history is "

static void mark_version_table(struct apply_session *ss)
{
	char *text = xstrfmt(HISTORY_MARK "%s", ss->htable);
	struct strbuf sql = STRBUF_INIT;
	/* COMMENT takes no parameters: the text is revgate's own, quoted as a
	 * literal */
	strbuf_addf(&sql, "COMMENT ON TABLE %s IS ", ss->vtable);
	sqltext_literal(&sql, text);
	/* only the table's owner may; a role that may not leaves no mark */
	if (db_exec(ss->db, sql.buf) < 0)
		err_clear();
	strbuf_release(&sql);
	free(text);
}

/* Rows that say the heads a new history starts from were applied before
 * it: stamps, which vouch for their ancestors too. */
static int adopt_heads(struct apply_session *ss)
{
	int ret = 0;
	struct strlist none = STRLIST_INIT, heads = STRLIST_INIT;
	strlist_sorted_copy(&heads, &ss->heads);
	for (size_t i = 0; ret == 0 && i < ss->heads.n; i++) {
		struct sqltext_history h = {
			.revision = ss->heads.v[i],
			.direction = "stamp",
			.outcome = "stamped",
			.from = &none,
			.to = &heads,
			.error = "applied before revgate kept a history of this version table",
		};
		ret = own_insert(ss, ss->db, &h);
	}
	strlist_release(&heads);
	return ret;
}

static int read_heads(struct apply_session *ss, bool create)
{
	/* with the columns the history table gained after it first shipped */
	static const char q[] =
		"SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL, "
		"coalesce(obj_description(to_regclass($1), 'pg_class'), ''), "
		"(SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($2) "
		"AND attname IN ('downgrade_checksum', 'header_keys') AND NOT attisdropped)";
	const char *params[] = {ss->vtable, ss->htable};
	struct db_res *r = NULL;
	struct strbuf sql = STRBUF_INIT;
	int ret = db_query(ss->db, q, 2, params, &r);
	if (ret < 0)
		goto out;
	bool have_version = !strcmp(db_res_value(r, 0, 0), "t");
	bool have_history = !strcmp(db_res_value(r, 0, 1), "t");
	bool marked = !strncmp(db_res_value(r, 0, 2), HISTORY_MARK, strlen(HISTORY_MARK));
	int columns = atoi_safe(db_res_value(r, 0, 3));
	db_res_free(r);
	r = NULL;
	ss->have_history = have_history;
	ss->history_lost = have_version && !have_history && marked;
	bool created = false;
	if (create) {
		if (ss->history_lost && !(ss->flags & APPLY_OPEN_NEW_HISTORY)) {
			ret = err_set(ERR_CHECK,
				      "the history table %s is gone, though revgate kept one for the "
				      "version table %s (its comment says so): it was dropped, by hand "
				      "or by a revision; revgate does not start a new history "
				      "silently: restore it from a backup, or start a new one from "
				      "the current heads with 'revgate stamp HEADS'",
				      ss->htable, ss->vtable);
			goto out;
		}
		if ((ret = ensure_tables(ss, have_version, have_history)) < 0)
			goto out;
		created = !have_history;
		if (!marked || created)
			mark_version_table(ss);
		have_version = ss->have_history = true;
		ss->history_lost = false;
	}
	/* a history table just made has them; one found is as read above */
	if (ss->have_history && (ret = history_columns(ss, create, created ? 2 : columns)) < 0)
		goto out;
	if (!have_version)
		goto out;
	strbuf_addf(&sql, "SELECT version_num FROM %s", ss->vtable);
	if ((ret = own_query(ss, sql.buf, 0, NULL, &r, ss->vtable)) < 0)
		goto out;
	for (size_t i = 0; i < db_res_nrows(r); i++)
		strlist_push(&ss->heads, db_res_value(r, i, 0));
	/* a version table revgate found with rows and no history: what
	 * another tool (Alembic) or an older history applied */
	if (created && ss->heads.n && !(ss->flags & APPLY_OPEN_NEW_HISTORY))
		ret = adopt_heads(ss);
out:
	db_res_free(r);
	strbuf_release(&sql);
	return ret;
}

static char *os_user(void)
{
	const char *u = getenv("USER");
	if (u && *u)
		return xstrdup(u);
	struct passwd *pw = getpwuid(geteuid());
	return xstrdup(pw ? pw->pw_name : "unknown");
}

static char *host_name(void)
{
	char buf[256];
	if (gethostname(buf, sizeof(buf)) < 0)
		return xstrdup("unknown");
	buf[sizeof(buf) - 1] = '\0';
	return xstrdup(buf);
}

int apply_open(struct apply_session *ss, const struct apply_settings *s, const struct graph *g,
	       const char *command, unsigned flags, apply_event_fn on_event, void *ctx)
{
	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	ss->g = g;
	ss->on_event = on_event;
	ss->event_ctx = ctx;
	ss->command = xstrdup(command);
	ss->flags = flags;
	ss->os_user = os_user();
	ss->host = host_name();
	char *app = xstrfmt("revgate %s", command);
	char *lock_app = xstrfmt("revgate %s (lock)", command);
	/* the lock first, the work connection once it is ours: twenty runs
	 * waiting in line cost twenty connections, not forty */
	bool lock = !(flags & APPLY_OPEN_NO_LOCK);
	int ret = lock ? db_connect(&ss->lock, s->url, s->dbname, lock_app) : connect_work(ss, app);
	if (ret == 0)
		ret = resolve_tables(ss, lock ? ss->lock : ss->db);
	signals_install();
	if (ret == 0 && lock) {
		no_idle_timeouts(ss->lock);
		ret = take_lock(ss);
	}
	if (ret == 0 && lock)
		ret = connect_work(ss, app);
	free(app);
	free(lock_app);
	if (ret == 0)
		ret = work_conn_settings(ss);
	if (ret == 0)
		ret = read_heads(ss, flags & APPLY_OPEN_CREATE);
	/* a signal while connecting or reading ends the command here: the
	 * query it cancelled failed with an error that is not the point */
	return interrupted_or(ret);
}

/* What a prefetch read before the lock was taken is stale after it. */
static void drop_prefetch(struct apply_session *ss)
{
	apply_pending_free(ss->pending, ss->npending);
	ss->pending = NULL;
	ss->npending = 0;
	ss->pending_known = false;
	db_res_free(ss->verify_rows);
	ss->verify_rows = NULL;
}

int apply_lock(struct apply_session *ss, bool create)
{
	if (ss->locked)
		return 0;
	drop_prefetch(ss);
	/* the connection that read the state becomes the lock holder and the
	 * work connection opens once the lock is ours, so runs waiting in
	 * line hold one connection each */
	char *lock_app = xstrfmt("revgate %s (lock)", ss->command);
	const char *params[] = {lock_app};
	ss->lock = ss->db;
	ss->db = NULL;
	int ret = db_query(ss->lock, "SELECT set_config('application_name', $1, false)", 1, params,
			   NULL);
	free(lock_app);
	db_cancel_disarm();
	if (ret == 0) {
		no_idle_timeouts(ss->lock);
		ret = take_lock(ss);
	}
	if (ret == 0) {
		char *app = xstrfmt("revgate %s", ss->command);
		ret = connect_work(ss, app);
		free(app);
	}
	if (ret == 0)
		ret = work_conn_settings(ss);
	if (ret == 0) {
		strlist_release(&ss->heads);
		ret = read_heads(ss, create);
	}
	return interrupted_or(ret);
}

void apply_close(struct apply_session *ss)
{
	/* closing may fail (an unlock on a connection the server dropped)
	 * and must not replace the error that ended the command */
	struct err_saved keep;
	err_save(&keep);
	db_cancel_disarm();
	drop_prefetch(ss);
	/* the work connection first: whatever it still holds ends before
	 * the lock lets the next run in */
	db_close(ss->db);
	release_lock(ss);
	db_close(ss->lock);
	signals_restore();
	strlist_release(&ss->heads);
	free(ss->vtable);
	free(ss->htable);
	free(ss->lock_key);
	free(ss->schema);
	free(ss->search_path);
	free(ss->replication_role);
	free(ss->login_user);
	free(ss->waited_for);
	free(ss->command);
	free(ss->os_user);
	free(ss->host);
	memset(ss, 0, sizeof(*ss));
	err_restore(&keep);
}

int apply_check_heads_known(const struct apply_session *ss)
{
	/* the check every database command makes before it acts or reports:
	 * a signal caught since (its cancel may have failed a query whose
	 * error the command set aside) stops it here */
	if (caught_signal)
		return interrupted_error();
	for (size_t i = 0; i < ss->heads.n; i++) {
		size_t idx;
		if (!graph_find(ss->g, ss->heads.v[i], &idx))
			return err_set(ERR_NOTFOUND, "the version table %s holds revision '%s', which "
						     "is not in the migrations directory (a wrong "
						     "directory or database, or a deleted revision "
						     "file: restore it, or fix the table with "
						     "'revgate stamp --purge REV')",
				       ss->vtable, ss->heads.v[i]);
	}
	return 0;
}

void apply_pending_free(struct apply_pending *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].revision);
		free(v[i].direction);
		free(v[i].outcome);
		free(v[i].error);
		free(v[i].sqlstate);
		free(v[i].checksum);
		for (int k = 0; v[i].seg && k < v[i].segments; k++) {
			free(v[i].seg[k].error);
			free(v[i].seg[k].sqlstate);
		}
		free(v[i].seg);
	}
	free(v);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The rows that describe a half-done revision: those after the last row
 * that settled it (applied, reverted, failed, rolled back, stamped), or
 * all of them. The newest row of a segment says its state. */
static int pending_segments(struct apply_session *ss, struct apply_pending *p)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	strbuf_addf(&sql,
		    "SELECT h.outcome, h.segment, h.error, h.sqlstate, h.checksum FROM %s h "
		    "WHERE h.revision = $1 AND h.id > coalesce((SELECT max(m.id) FROM %s m "
		    "WHERE m.revision = $1 AND NOT (m.outcome IN ('started', 'segment') "
		    "OR (m.outcome = 'interrupted' AND m.segment IS NOT NULL))), 0) ORDER BY h.id",
		    ss->htable, ss->htable);
	const char *params[] = {p->revision};
	int ret = own_query(ss, sql.buf, 1, params, &r, ss->htable);
	if (p->segments > 0)
		p->seg = xcalloc((size_t)p->segments, sizeof(*p->seg));
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++) {
		const char *outcome = db_res_value(r, i, 0);
		int k = atoi_safe(db_res_value(r, i, 1)) - 1;
		if (db_res_value(r, i, 4)) {
			free(p->checksum);
			p->checksum = xstrdup(db_res_value(r, i, 4));
		}
		if (k < 0 || k >= p->segments)
			continue;
		struct apply_seg_record *sg = &p->seg[k];
		sg->state = !strcmp(outcome, "segment")   ? APPLY_SEG_DONE
			    : !strcmp(outcome, "started") ? APPLY_SEG_UNKNOWN
							  : APPLY_SEG_FAILED;
		free(sg->error);
		free(sg->sqlstate);
		sg->error = dup_or_null(db_res_value(r, i, 2));
		sg->sqlstate = dup_or_null(db_res_value(r, i, 3));
	}
	db_res_free(r);
	strbuf_release(&sql);
	return ret;
}

int apply_pending_list(struct apply_session *ss, struct apply_pending **out, size_t *n)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	*out = NULL;
	*n = 0;
	if (ss->pending_known) {
		/* read by apply_prefetch: handed over once */
		*out = ss->pending;
		*n = ss->npending;
		ss->pending = NULL;
		ss->npending = 0;
		ss->pending_known = false;
		return 0;
	}
	if (!ss->have_history)
		return 0;
	/* a revision is half-done when its newest history row is one of the
	 * rows a non-transactional run writes before it completes; an
	 * interrupted transactional step was rolled back and has no segment */
	strbuf_addf(&sql,
		    "SELECT h.revision, h.direction, h.outcome, coalesce(h.segment, 0), "
		    "coalesce(h.segments, 0), h.error, h.sqlstate FROM %s h "
		    "WHERE (h.outcome IN ('started', 'segment') "
		    "OR (h.outcome = 'interrupted' AND h.segment IS NOT NULL)) "
		    "AND h.id = (SELECT max(m.id) FROM %s m WHERE m.revision = h.revision) "
		    "ORDER BY h.id",
		    ss->htable, ss->htable);
	int ret = own_query(ss, sql.buf, 0, NULL, &r, ss->htable);
	if (ret == 0 && db_res_nrows(r)) {
		*n = db_res_nrows(r);
		*out = xcalloc(*n, sizeof(**out));
		for (size_t i = 0; i < *n; i++) {
			struct apply_pending *p = &(*out)[i];
			p->revision = xstrdup(db_res_value(r, i, 0));
			p->direction = xstrdup(db_res_value(r, i, 1));
			p->outcome = xstrdup(db_res_value(r, i, 2));
			p->segment = atoi_safe(db_res_value(r, i, 3));
			p->segments = atoi_safe(db_res_value(r, i, 4));
			p->error = dup_or_null(db_res_value(r, i, 5));
			p->sqlstate = dup_or_null(db_res_value(r, i, 6));
		}
		for (size_t i = 0; ret == 0 && i < *n; i++)
			ret = pending_segments(ss, &(*out)[i]);
	}
	db_res_free(r);
	strbuf_release(&sql);
	if (ret < 0) {
		apply_pending_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret < 0 ? interrupted_or(ret) : 0;
}
