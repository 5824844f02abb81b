/*
 * The tracer: predicts each statement's locks with lint's model (the
 * schema replayed from the history, sql/ddl's description, ddl_predict),
 * runs the statements on the server in their revision's transaction mode,
 * reads back what PostgreSQL took, and compares.
 *
 * A statement inside a transaction is read from its own backend: pg_locks
 * after it, minus what the transaction held before. A statement that must
 * run alone (CREATE INDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY)
 * commits inside itself, so its locks are gone when it returns: it is
 * watched from another connection while it runs, and a third and fourth
 * connection hold ACCESS SHARE on the relations it names, from a
 * transaction with a snapshot, so that every phase of it that needs a
 * conflicting lock, or waits for older transactions, stops where it can be
 * seen; each time it waits, the holder hands over to a fresh transaction
 * (without the relation whose lock it is waiting for) and lets it go on.
 */
#include "trace/trace.h"
#include "catalog/catalog.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "lint/engine.h"
#include "revision/revision.h"
#include "sql/ddl.h"
#include "sql/sql.h"
#include "trace/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often a holder hands over before the statement is left to finish
 * on its own, and how long it may be held at all. */
#define HOLD_ROTATIONS 6
#define HOLD_MAX_MS 10000.0

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void pause_us(long us)
{
	struct timespec ts = {0, us * 1000L};
	nanosleep(&ts, NULL);
}

const char *trace_blocking(enum lock_mode m)
{
	if (m == LOCK_ACCESS_EXCLUSIVE)
		return "reads and writes";
	if (m >= LOCK_SHARE)
		return "writes";
	return NULL;
}

bool trace_unpredicted(const struct trace_lock *l)
{
	return l->existed && !l->predicted && l->mode >= LOCK_SHARE_UPDATE_EXCLUSIVE &&
	       strchr("rpm", l->relkind);
}

static enum lock_mode mode_of(const char *pg_name)
{
	for (int m = LOCK_ACCESS_SHARE; m <= LOCK_ACCESS_EXCLUSIVE; m++)
		if (!strcmp(lock_mode_pg_name((enum lock_mode)m), pg_name))
			return (enum lock_mode)m;
	return LOCK_NONE;
}

static void stmt_release(struct trace_stmt *s)
{
	free(s->sql);
	for (size_t i = 0; i < s->nlocks; i++)
		free(s->locks[i].relation);
	free(s->locks);
	strlist_release(&s->rewrites);
	strlist_release(&s->scans);
	strlist_release(&s->effects);
	for (size_t i = 0; i < s->npred; i++)
		free(s->pred[i].relation);
	free(s->pred);
	free(s->error);
}

void trace_report_release(struct trace_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		stmt_release(&r->v[i]);
	free(r->v);
	strlist_release(&r->filled);
	strlist_release(&r->notes);
	findings_release(&r->findings);
	memset(r, 0, sizeof(*r));
}

/* ---- predictions: lint's model, asked as lint asks it ---- */

/* The predictions of one statement of `rev`, with the catalog advanced
 * past it. */
static void predict(struct catalog *cat, int pg_version, struct ddl_session *session,
		    const struct revision *rev, size_t start, size_t len, unsigned origin,
		    struct trace_stmt *st)
{
	struct sql_tree *tree = NULL;
	struct sql_error err = {0, NULL};
	if (sql_parse(rev->text, start, len, &tree, &err) < 0) {
		sql_error_release(&err);
		err_clear();
		return;
	}
	struct ddl_env env;
	catalog_ddl_env(cat, pg_version, &env);
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	for (size_t k = 0; k < tree->result->n_stmts; k++) {
		const PgQuery__RawStmt *raw = tree->result->stmts[k];
		struct ddl_src src = {rev->text, start, len, tree->base};
		ddl_describe(raw->stmt, &src, &env, session, &d);
		struct ddl_prediction *p = xcalloc(d.n_locks + 1, sizeof(*p));
		size_t n = ddl_predict(&d, p);
		for (size_t i = 0; i < n; i++) {
			const struct lock_entry *entry = NULL;
			/* the entry of the strongest clause on that relation */
			for (size_t j = 0; j < d.n_locks; j++)
				if (!strcmp(d.locks[j].relation, p[i].relation) &&
				    d.locks[j].mode == p[i].mode)
					entry = d.locks[j].entry;
			st->pred = xrealloc(st->pred, (st->npred + 1) * sizeof(*st->pred));
			st->pred[st->npred++] = (struct trace_pred){xstrdup(p[i].relation),
								    p[i].mode, entry, false, false};
		}
		free(p);
		catalog_apply(cat, &d, origin);
	}
	ddl_stmt_release(&d);
	sql_tree_free(tree);
}

/* One trace_stmt per statement of every traced step, with its prediction. */
static void predict_all(const struct apply_plan *before, const struct apply_plan *traced,
			int pg_version, struct trace_report *r)
{
	struct catalog cat;
	catalog_init(&cat);
	unsigned origin = 1;
	for (size_t i = 0; i < before->n; i++)
		lint_engine_replay(before->v[i].rev, &cat, origin++);
	for (size_t i = 0; i < traced->n; i++) {
		const struct apply_step *step = &traced->v[i];
		const struct revision *rev = step->rev;
		struct ddl_session session = DDL_SESSION_INIT;
		for (size_t k = 0; k < step->stmts.n; k++) {
			ALLOC_GROW(r->v, r->n + 1, r->alloc);
			struct trace_stmt *st = &r->v[r->n++];
			memset(st, 0, sizeof(*st));
			size_t start = step->stmts.v[k].start, len = step->stmts.v[k].len;
			st->revision = rev->id;
			st->file = rev->path;
			text_pos(rev->text, rev->len, start, &st->line, &st->column);
			st->sql = xstrndup(rev->text + start, len);
			predict(&cat, pg_version, &session, rev, start, len, origin, st);
		}
		origin++;
	}
	catalog_release(&cat);
}

/* ---- what the server took ---- */

/* A lock a backend holds or waits for. */
struct seen {
	unsigned oid;
	enum lock_mode mode;
};

struct seen_set {
	struct seen *v;
	size_t n, alloc;
	bool waiting; /* the backend waits for a lock (any lock type) */
};

static void seen_release(struct seen_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool seen_has(const struct seen_set *s, unsigned oid, enum lock_mode m)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].oid == oid && s->v[i].mode == m)
			return true;
	return false;
}

static void seen_add(struct seen_set *s, unsigned oid, enum lock_mode m)
{
	if (seen_has(s, oid, m))
		return;
	ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n++] = (struct seen){oid, m};
}

static const char locks_sql[] =
    "SELECT l.locktype, coalesce(l.relation::text, ''), l.mode, l.granted::text "
    "FROM pg_locks l WHERE l.pid = $1 AND (l.locktype <> 'relation' OR "
    "(l.relation >= 16384 AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())))";

/* Adds the relation locks backend `pid` holds or waits for to `out`. */
static int read_locks(struct db *db, int pid, struct seen_set *out)
{
	char p[32];
	snprintf(p, sizeof(p), "%d", pid);
	const char *params[1] = {p};
	struct db_res *res = NULL;
	int ret = db_query(db, locks_sql, 1, params, &res);
	if (ret < 0)
		return err_wrap(ret, "cannot read pg_locks");
	out->waiting = false;
	for (size_t i = 0; i < db_res_nrows(res); i++) {
		bool granted = !strcmp(db_res_value(res, i, 3), "true");
		bool rel = !strcmp(db_res_value(res, i, 0), "relation");
		if (!granted)
			out->waiting = true;
		if (!rel)
			continue;
		unsigned oid = (unsigned)strtoul(db_res_value(res, i, 1), NULL, 10);
		enum lock_mode m = mode_of(db_res_value(res, i, 2));
		if (m == LOCK_NONE)
			continue;
		seen_add(out, oid, m);
	}
	db_res_free(res);
	return 0;
}

/* Relation `oid` by the name the statement found it under (a renamed
 * relation is named as the statement names it, as lint does), else by
 * the one it created; NULL for a TOAST table or a relation of the system. */
static const struct trace_rel *rel_of(const struct trace_snap *after,
				      const struct trace_snap *before, unsigned oid)
{
	const struct trace_rel *r = trace_snap_oid(before, oid);
	return r ? r : trace_snap_oid(after, oid);
}

/* ---- the watched statement (outside a transaction) ---- */

struct watch {
	struct db *poll;
	struct db *hold[2];
	int cur;      /* the holder holding, or -1 */
	int rotations;
};

/* The strongest mode a watcher can hold on `oid` beside every mode the
 * statement was seen to ask for there (`asked`): the one that makes its
 * next, stronger request on it wait. LOCK_NONE when none is left. */
static enum lock_mode hold_mode(const struct seen_set *asked, unsigned oid)
{
	for (int m = LOCK_ACCESS_EXCLUSIVE; m > LOCK_NONE; m--) {
		bool free_ = true;
		for (size_t i = 0; i < asked->n && free_; i++)
			free_ = asked->v[i].oid != oid ||
				!lock_conflicts((enum lock_mode)m, asked->v[i].mode);
		if (free_)
			return (enum lock_mode)m;
	}
	return LOCK_NONE;
}

/* Opens a transaction on `h` that has a snapshot and holds a lock on each
 * table of `rels`: ACCESS EXCLUSIVE on those the statement has not asked
 * for yet, else the strongest mode beside what it asked (hold_mode), so
 * that whatever lock it asks for next, however briefly it would hold it,
 * it has to wait where pg_locks shows it. A table whose lock would have
 * to wait (NOWAIT) is left out, so a holder never waits for the
 * statement it watches; hold_more() tries those again. */
static int hold_more(struct db *h, const struct trace_snap *snap, const struct strlist *rels,
		     const struct seen_set *asked)
{
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < rels->n; i++) {
		const struct trace_rel *r = trace_snap_key(snap, rels->v[i]);
		enum lock_mode m = r ? hold_mode(asked, r->oid) : LOCK_NONE;
		if (!r || !strchr("rpm", r->kind) || m == LOCK_NONE)
			continue;
		char *q = db_quote_ident(h, r->schema, r->name);
		char *sql = xstrfmt("LOCK TABLE %s IN %s MODE NOWAIT", q, lock_mode_name(m));
		if ((ret = db_exec(h, "SAVEPOINT revgate_hold")) == 0 && db_exec(h, sql) < 0) {
			err_clear();
			ret = db_exec(h, "ROLLBACK TO SAVEPOINT revgate_hold");
		}
		free(sql);
		free(q);
	}
	return ret;
}

static int hold_open(struct db *h, const struct trace_snap *snap, const struct strlist *rels,
		     const struct seen_set *asked)
{
	int ret = db_exec(h, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (ret == 0)
		ret = db_exec(h, "SELECT 1 FROM pg_class LIMIT 1");
	return ret == 0 ? hold_more(h, snap, rels, asked) : ret;
}

/* Whether backend `pid` waits for backend `holder`. */
static int blocked_by(struct db *db, int pid, int holder, bool *out)
{
	char p[32], h[32];
	snprintf(p, sizeof(p), "%d", pid);
	snprintf(h, sizeof(h), "%d", holder);
	const char *params[2] = {p, h};
	struct db_res *res = NULL;
	int ret = db_query(db, "SELECT $2::int = ANY(pg_blocking_pids($1::int))::text", 2, params,
			   &res);
	*out = ret == 0 && !strcmp(db_res_value(res, 0, 0), "true");
	db_res_free(res);
	return ret;
}

/*
 * Runs `sql` alone on `work` and collects every relation lock its backend
 * took while it ran into `out`, and into `*waited` how long of its run it
 * waited for the watching connections (not part of its duration). 0 with
 * `*failed` when the statement itself failed (its error in
 * db_last_error(work)); ERR_DB when watching failed.
 */
static int watch_run(struct db *work, struct watch *w, const char *sql,
		     const struct trace_snap *snap, const struct strlist *rels,
		     struct seen_set *out, bool *failed, double *waited)
{
	int pid = db_backend_pid(work);
	w->cur = 0;
	w->rotations = 0;
	*failed = false;
	int ret = hold_open(w->hold[0], snap, rels, out);
	if (ret < 0)
		goto release;
	double held_since = now_ms(), polled = held_since;
	*waited = 0;
	if (db_send(work, sql) < 0) {
		*failed = true;
		goto release;
	}
	for (;;) {
		bool running = true;
		if ((ret = db_running(work, &running)) < 0 || !running)
			break;
		if ((ret = read_locks(w->poll, pid, out)) < 0)
			break;
		bool ours = false;
		if (w->cur >= 0 && out->waiting &&
		    (ret = blocked_by(w->poll, pid, db_backend_pid(w->hold[w->cur]), &ours)) < 0)
			break;
		if (w->cur >= 0 && (ours || now_ms() - held_since > HOLD_MAX_MS)) {
			/* it stopped at a lock or a wait for older transactions:
			 * hold again from a fresh transaction, beside the locks
			 * it asked for, and let this one go */
			int next = 1 - w->cur;
			bool again = ++w->rotations < HOLD_ROTATIONS &&
				     now_ms() - held_since <= HOLD_MAX_MS;
			if (again && (ret = hold_open(w->hold[next], snap, rels, out)) < 0)
				break;
			if ((ret = db_exec(w->hold[w->cur], "COMMIT")) < 0)
				break;
			w->cur = again ? next : -1;
			/* the tables the old holder kept from it: their lock
			 * went to the statement as it committed, the next
			 * stronger one can be held now */
			if (again && (ret = hold_more(w->hold[next], snap, rels, out)) < 0)
				break;
			/* it may have waited since the poll before this one */
			*waited += now_ms() - polled;
		}
		polled = now_ms();
		pause_us(200);
	}
	if (ret == 0 && db_wait(work) < 0)
		*failed = true;
release:
	if (w->cur >= 0) {
		int r2 = db_exec(w->hold[w->cur], "ROLLBACK");
		if (ret == 0)
			ret = r2;
		w->cur = -1;
	}
	return ret;
}

/* ---- one statement ---- */

struct txn {
	struct seen_set held; /* relation locks the transaction holds */
	size_t first;	      /* first statement of the transaction in the report */
	double *started;      /* per statement of the report: when it started */
};

static void add_lock(struct trace_stmt *st, const struct trace_rel *r, enum lock_mode m,
		     bool existed)
{
	ALLOC_GROW(st->locks, st->nlocks + 1, st->locks_alloc);
	st->locks[st->nlocks++] =
	    (struct trace_lock){xstrdup(r->key), m, r->kind, existed, 0, false};
}

static int cmp_lock(const void *a, const void *b)
{
	const struct trace_lock *x = a, *y = b;
	int c = strcmp(x->relation, y->relation);
	return c ? c : (int)y->mode - (int)x->mode;
}

/* The catalog lines that differ, "+ " for new ones and "- " for gone. */
static void diff_lines(const struct strlist *before, const struct strlist *after,
		       struct strlist *out)
{
	size_t i = 0, j = 0;
	while (i < before->n || j < after->n) {
		int c = i >= before->n ? 1 : j >= after->n ? -1 : strcmp(before->v[i], after->v[j]);
		if (c < 0)
			strlist_push_owned(out, xstrfmt("- %s", before->v[i++]));
		else if (c > 0)
			strlist_push_owned(out, xstrfmt("+ %s", after->v[j++]));
		else
			i++, j++;
	}
}

/* What the statement changed between two snapshots: new locks, rewrites,
 * scans, catalog lines. `start` holds the relations before the revision. */
static void record(struct trace_stmt *st, const struct seen_set *taken,
		   const struct seen_set *held_before, const struct trace_snap *start,
		   const struct trace_snap *before, const struct trace_snap *after)
{
	for (size_t i = 0; i < taken->n; i++) {
		if (seen_has(held_before, taken->v[i].oid, taken->v[i].mode))
			continue;
		const struct trace_rel *r = rel_of(after, before, taken->v[i].oid);
		if (!r)
			continue;
		add_lock(st, r, taken->v[i].mode, trace_snap_oid(start, r->oid) != NULL);
	}
	if (st->nlocks > 1)
		qsort(st->locks, st->nlocks, sizeof(*st->locks), cmp_lock);
	for (size_t i = 0; i < before->n; i++) {
		const struct trace_rel *b = &before->v[i];
		const struct trace_rel *a = trace_snap_oid(after, b->oid);
		if (!a)
			continue;
		if (strcmp(a->filenode, b->filenode) && strcmp(b->filenode, "0"))
			strlist_push(&st->rewrites, a->key);
		if (a->scans > b->scans && strchr("rpm", a->kind) && st->transactional)
			strlist_push(&st->scans, a->key);
	}
	strlist_sort(&st->rewrites);
	strlist_sort(&st->scans);
	diff_lines(&before->lines, &after->lines, &st->effects);
}

/* A prediction is contradicted when its mode was neither taken by the
 * statement nor already held, at that mode or a stronger one, by its
 * transaction (DESIGN.md, "Trace"). A statement watched from outside can
 * take and drop a lock between two looks at pg_locks (VACUUM looks a
 * table up under ACCESS SHARE before it locks it for the work): there,
 * only a stronger lock seen on the relation contradicts; without one the
 * prediction is not observed. */
static void judge(struct trace_stmt *st, const struct seen_set *held_before,
		  const struct trace_snap *before)
{
	for (size_t i = 0; i < st->npred; i++) {
		struct trace_pred *p = &st->pred[i];
		bool ok = false, stronger = false;
		for (size_t k = 0; k < st->nlocks && !ok; k++) {
			bool same = !strcmp(st->locks[k].relation, p->relation);
			stronger |= same && st->locks[k].mode > p->mode;
			ok = same && st->locks[k].mode == p->mode;
		}
		const struct trace_rel *r = trace_snap_key(before, p->relation);
		for (size_t k = 0; r && k < held_before->n && !ok; k++)
			ok = held_before->v[k].oid == r->oid && held_before->v[k].mode >= p->mode;
		p->unobserved = !ok && !stronger && !st->transactional;
		p->contradicted = !ok && !p->unobserved;
	}
	for (size_t k = 0; k < st->nlocks; k++)
		for (size_t i = 0; i < st->npred && !st->locks[k].predicted; i++)
			st->locks[k].predicted = !strcmp(st->pred[i].relation, st->locks[k].relation) &&
						 st->pred[i].mode >= st->locks[k].mode;
}

/* ---- the run ---- */

struct run {
	struct apply_session *ss;
	const struct trace_opts *o;
	struct trace_report *r;
	struct watch w;
	struct trace_snap start, cur;
	int pg_major;
};

static void fail_stmt(struct trace_stmt *st, struct db *db)
{
	const struct db_error *e = db_last_error(db);
	if (e->message && e->sqlstate)
		st->error = xstrfmt("%s (SQLSTATE %s)", e->message, e->sqlstate);
	else
		st->error = xstrdup(e->message ? e->message : err_msg());
	err_clear();
}

/* Runs statement `idx` inside the open transaction `t`. 0 with *failed
 * when the statement failed. */
static int run_in_txn(struct run *run, struct txn *t, size_t idx, bool *failed)
{
	struct trace_stmt *st = &run->r->v[idx];
	struct db *db = run->ss->db;
	struct seen_set now = {0};
	struct trace_snap after = TRACE_SNAP_INIT;
	st->transactional = true;
	st->ran = true;
	t->started[idx] = now_ms();
	*failed = false;
	if (db_exec(db, st->sql) < 0) {
		st->duration_ms = now_ms() - t->started[idx];
		fail_stmt(st, db);
		*failed = true;
		return 0;
	}
	st->duration_ms = now_ms() - t->started[idx];
	int ret = read_locks(db, db_backend_pid(db), &now);
	if (ret == 0)
		ret = trace_snap_read(db, &after);
	if (ret == 0) {
		record(st, &now, &t->held, &run->start, &run->cur, &after);
		judge(st, &t->held, &run->cur);
		for (size_t i = 0; i < now.n; i++)
			seen_add(&t->held, now.v[i].oid, now.v[i].mode);
		trace_snap_release(&run->cur);
		run->cur = after;
		memset(&after, 0, sizeof(after));
	}
	trace_snap_release(&after);
	seen_release(&now);
	return ret;
}

/* Runs statement `idx` alone, watched from the other connections. */
static int run_alone(struct run *run, size_t idx, bool *failed)
{
	struct trace_stmt *st = &run->r->v[idx];
	struct db *db = run->ss->db;
	struct seen_set taken = {0}, none = {0};
	struct trace_snap after = TRACE_SNAP_INIT;
	struct strlist rels = STRLIST_INIT;
	for (size_t i = 0; i < st->npred; i++)
		strlist_push(&rels, st->pred[i].relation);
	st->ran = true;
	double t0 = now_ms(), waited = 0;
	int ret = watch_run(db, &run->w, st->sql, &run->cur, &rels, &taken, failed, &waited);
	st->duration_ms = now_ms() - t0 - waited;
	if (st->duration_ms < 0)
		st->duration_ms = 0;
	if (ret < 0)
		goto out;
	if (*failed) {
		fail_stmt(st, db);
		goto out;
	}
	if ((ret = trace_snap_read(db, &after)) < 0)
		goto out;
	record(st, &taken, &none, &run->start, &run->cur, &after);
	judge(st, &none, &run->cur);
	for (size_t i = 0; i < st->nlocks; i++)
		st->locks[i].held_ms = st->duration_ms;
	trace_snap_release(&run->cur);
	run->cur = after;
	memset(&after, 0, sizeof(after));
out:
	strlist_release(&rels);
	trace_snap_release(&after);
	seen_release(&taken);
	return ret;
}

static int run_txn(struct run *run, size_t first, size_t n, double *started, bool *failed)
{
	struct db *db = run->ss->db;
	struct txn t = {{0}, first, started};
	int ret = db_exec(db, "BEGIN");
	size_t i = 0;
	for (; ret == 0 && i < n && !*failed; i++)
		ret = run_in_txn(run, &t, first + i, failed);
	if (ret == 0 && *failed) {
		ret = db_exec(db, "ROLLBACK");
		if (ret == 0)
			ret = trace_snap_read(db, &run->cur);
	} else if (ret == 0) {
		ret = db_exec(db, "COMMIT");
		double end = now_ms();
		for (size_t k = first; k < first + n; k++)
			for (size_t j = 0; j < run->r->v[k].nlocks; j++)
				run->r->v[k].locks[j].held_ms = end - started[k];
	}
	seen_release(&t.held);
	return ret;
}

/* Findings: a contradicted prediction, a blocking lock held too long. */
static void judge_findings(struct run *run, size_t idx)
{
	struct trace_stmt *st = &run->r->v[idx];
	struct findings *fs = &run->r->findings;
	for (size_t i = 0; i < st->npred; i++) {
		const struct trace_pred *p = &st->pred[i];
		if (!p->contradicted)
			continue;
		struct strbuf took = STRBUF_INIT;
		for (size_t k = 0; k < st->nlocks; k++)
			if (!strcmp(st->locks[k].relation, p->relation))
				strbuf_addf(&took, "%s%s", took.len ? ", " : "",
					    lock_mode_name(st->locks[k].mode));
		struct finding *f = findings_add(
		    fs, RULE_LOCK_PREDICTION_MISMATCH, SEV_ERROR, st->file, st->line, st->column,
		    "lint predicts %s on '%s', but PostgreSQL %d took %s", lock_mode_name(p->mode),
		    p->relation, run->pg_major, took.len ? took.buf : "no new lock on it");
		if (p->entry)
			finding_set_hint(f,
					 "the lock table entry \"%s\" (%s, PostgreSQL %d to %d) in "
					 "src/sql/locks.c says %s; 'revgate explain locks' shows it",
					 p->entry->sql, lock_role_name(p->entry->role),
					 p->entry->min_pg, p->entry->max_pg,
					 lock_mode_name(p->entry->mode));
		strbuf_release(&took);
	}
	for (size_t k = 0; k < st->nlocks; k++) {
		const struct trace_lock *l = &st->locks[k];
		const char *blocks = trace_blocking(l->mode);
		if (!blocks || !l->existed || !strchr("rpm", l->relkind) ||
		    l->held_ms <= (double)run->o->max_lock_ms)
			continue;
		struct finding *f = findings_add(
		    fs, RULE_LOCK_HELD_TOO_LONG, SEV_ERROR, st->file, st->line, st->column,
		    "%s on '%s' (blocks %s) was held for %.0f ms, over --max-lock-ms %ld",
		    lock_mode_name(l->mode), l->relation, blocks, l->held_ms, run->o->max_lock_ms);
		finding_set_hint(f, "split the revision, or use the form that takes a weaker lock "
				    "(CONCURRENTLY, NOT VALID then VALIDATE)");
	}
}

static int trace_step(struct run *run, const struct apply_step *step, size_t base)
{
	/* when each statement started, by its position in the report */
	double *by_report = xcalloc(run->r->n + 1, sizeof(double));
	int ret = trace_snap_read(run->ss->db, &run->start);
	if (ret == 0)
		trace_snap_copy(&run->cur, &run->start);
	bool failed = false;
	for (size_t s = 0; ret == 0 && s < step->nseg && !failed; s++) {
		const struct apply_segment *seg = &step->seg[s];
		if (seg->transactional) {
			ret = run_txn(run, base + seg->first, seg->n, by_report, &failed);
			continue;
		}
		for (size_t k = 0; ret == 0 && k < seg->n && !failed; k++) {
			size_t idx = base + seg->first + k;
			const struct apply_step *st = step;
			struct sql_tree *tree = NULL;
			bool alone = false;
			const struct sql_stmt *ss = &st->stmts.v[seg->first + k];
			if (sql_parse(st->rev->text, ss->start, ss->len, &tree, NULL) == 0) {
				for (size_t j = 0; j < tree->result->n_stmts; j++)
					alone |= sql_stmt_needs_autocommit(tree->result->stmts[j]->stmt);
				sql_tree_free(tree);
			}
			err_clear();
			/* a statement that can run in a transaction runs in its own:
			 * the same as autocommit, and its locks can be read back */
			if (alone)
				ret = run_alone(run, idx, &failed);
			else
				ret = run_txn(run, idx, 1, by_report, &failed);
		}
	}
	for (size_t i = base; ret == 0 && i < base + step->stmts.n; i++) {
		if (run->r->v[i].ran && !run->r->v[i].error)
			judge_findings(run, i);
		if (run->r->v[i].error)
			run->r->failed++;
	}
	if (ret == 0 && apply_interrupted())
		ret = err_set(ERR_INTERRUPTED, "interrupted");
	free(by_report);
	return ret;
}

static int server_major(struct db *db, int *num)
{
	struct db_res *res = NULL;
	int ret = db_query(db, "SHOW server_version_num", 0, NULL, &res);
	if (ret < 0)
		return ret;
	*num = (int)strtol(db_res_value(res, 0, 0), NULL, 10);
	db_res_free(res);
	return 0;
}

/* The tables the traced statements name (for --rows). */
static void touched(const struct trace_report *r, struct strlist *out)
{
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].npred; k++)
			if (!strlist_has(out, r->v[i].pred[k].relation))
				strlist_push(out, r->v[i].pred[k].relation);
}

int trace_run(struct apply_session *ss, const struct apply_plan *before,
	      const struct apply_plan *traced, const struct trace_opts *o, struct trace_report *r)
{
	struct run run;
	memset(&run, 0, sizeof(run));
	run.ss = ss;
	run.o = o;
	run.r = r;
	run.w.cur = -1;
	r->rows = o->rows;
	double t0 = now_ms();
	int ret = server_major(ss->db, &r->server_version);
	if (ret < 0)
		return ret;
	run.pg_major = r->server_version / 10000;
	predict_all(before, traced, run.pg_major, r);
	const char *app = "revgate trace (watching)";
	if ((ret = db_connect(&run.w.poll, o->url, o->dbname, app)) < 0 ||
	    (ret = db_connect(&run.w.hold[0], o->url, o->dbname, app)) < 0 ||
	    (ret = db_connect(&run.w.hold[1], o->url, o->dbname, app)) < 0)
		goto out;
	if (o->rows > 0) {
		struct strlist tables = STRLIST_INIT;
		touched(r, &tables);
		ret = trace_fill(ss->db, &tables, o->rows, &r->filled, &r->notes);
		strlist_release(&tables);
		if (ret < 0)
			goto out;
	}
	size_t base = 0;
	for (size_t i = 0; ret == 0 && i < traced->n; i++) {
		ret = trace_step(&run, &traced->v[i], base);
		base += traced->v[i].stmts.n;
		r->revisions++;
	}
out:
	r->total_ms = now_ms() - t0;
	trace_snap_release(&run.start);
	trace_snap_release(&run.cur);
	db_close(run.w.hold[1]);
	db_close(run.w.hold[0]);
	db_close(run.w.poll);
	return ret;
}
