/*
 * Running a plan. A transactional step is one pipelined batch — BEGIN, the
 * timeouts, the statements, the version-table change, the history row —
 * then COMMIT once every version-table UPDATE and DELETE is seen to have
 * touched exactly one row: two round trips per revision whatever its size.
 * Other steps run segment by segment, each recorded as it completes, so
 * that a failure part-way leaves a history that says where it stopped and
 * the next run refuses until `revgate resolve`.
 */
#include "apply/internal.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REVGATE_VERSION
#define REVGATE_VERSION "0.0.0"
#endif

void apply_failure_release(struct apply_failure *f)
{
	free(f->revision);
	free(f->file);
	free(f->excerpt);
	db_error_release(&f->err);
	memset(f, 0, sizeof(*f));
}

/* One "key: value" line; lists sorted, as the graph reads them as sets. */
static void header_line(struct strbuf *out, const char *key, const struct strlist *l)
{
	struct strlist sorted = STRLIST_INIT;
	strlist_sorted_copy(&sorted, l);
	char *v = strlist_join(&sorted, ", ");
	strbuf_addf(out, "%s: %s\n", key, v);
	free(v);
	strlist_release(&sorted);
}

void apply_revision_keys(const struct revision *rev, char downgrade[65], struct strbuf *header)
{
	struct strbuf toks = STRBUF_INIT;
	if (!rev->downgrade.present) {
		strbuf_addstr(&toks, "absent");
	} else {
		struct sql_error err = {0};
		size_t len = rev->downgrade.end - rev->downgrade.start;
		if (sql_token_stream(rev->text, rev->downgrade.start, len, &toks, &err) < 0) {
			/* unscannable text: its bytes are its meaning */
			err_clear();
			strbuf_reset(&toks);
			strbuf_add(&toks, rev->text + rev->downgrade.start, len);
		}
		sql_error_release(&err);
	}
	hash_sha256_hex(toks.buf, toks.len, downgrade);
	strbuf_release(&toks);
	header_line(header, "down_revision", &rev->down_revisions);
	header_line(header, "depends_on", &rev->depends_on);
	header_line(header, "branch_labels", &rev->branch_labels);
	strbuf_addf(header, "transaction: %s\n", rev->transactional ? "true" : "false");
	strbuf_addf(header, "irreversible: %s\n", rev->irreversible ? rev->irreversible : "no");
}

int apply_section_checksums(const struct revision *rev, const struct sql_script *stmts,
			    char whole[65], struct strlist *each)
{
	struct strbuf all = STRBUF_INIT, one = STRBUF_INIT;
	for (size_t i = 0; i < stmts->n; i++) {
		struct sql_error err = {0};
		strbuf_reset(&one);
		if (sql_token_stream(rev->text, stmts->v[i].start, stmts->v[i].len, &one, &err) < 0) {
			/* unscannable text: its bytes are its meaning */
			err_clear();
			strbuf_reset(&one);
			strbuf_add(&one, rev->text + stmts->v[i].start, stmts->v[i].len);
		}
		sql_error_release(&err);
		char h[65];
		hash_sha256_hex(one.buf, one.len, h);
		h[16] = '\0';
		if (each)
			strlist_push(each, h);
		strbuf_add(&all, one.buf, one.len);
		strbuf_addstr(&all, ";\n");
	}
	hash_sha256_hex(all.buf, all.len, whole);
	strbuf_release(&all);
	strbuf_release(&one);
	return 0;
}

/* ---- history rows ---- */

static void fill_client(struct apply_session *ss, struct sqltext_history *h)
{
	h->os_user = ss->os_user;
	h->client_host = ss->host;
	h->tool_version = "revgate " REVGATE_VERSION;
}

static int history_nparams(const struct apply_session *ss)
{
	return ss->history_ext ? SQLTEXT_HISTORY_NPARAMS : SQLTEXT_HISTORY_NPARAMS_V1;
}

void history_batch(struct apply_session *ss, struct db_batch *b, struct sqltext_history *h)
{
	struct strbuf sql = STRBUF_INIT;
	const char *params[SQLTEXT_HISTORY_NPARAMS];
	char *arrays[2];
	fill_client(ss, h);
	sqltext_history_insert(&sql, ss->htable, ss->history_ext);
	sqltext_history_params(h, params, arrays);
	db_batch_add(b, sql.buf, history_nparams(ss), params);
	free(arrays[0]);
	free(arrays[1]);
	strbuf_release(&sql);
}

/* ---- one step ---- */

struct step_run {
	struct apply_session *ss;
	const struct apply_step *s;
	char checksum[65], stmt_checksum[65], down_checksum[65];
	char *stmt_checksums; /* '{..}' */
	struct strbuf header_keys;
	char *started_at;
	char *segments;
	double t0;
	bool concurrent; /* the statement that runs is a CONCURRENTLY one */
};

static void step_history(struct step_run *sr, struct sqltext_history *h, const char *outcome)
{
	const struct apply_step *s = sr->s;
	memset(h, 0, sizeof(*h));
	h->revision = s->rev->id;
	h->direction = s->dir == APPLY_UP ? "upgrade" : "downgrade";
	h->outcome = outcome;
	h->from = &s->heads_before;
	h->to = &s->heads_after;
	h->checksum = sr->checksum;
	h->statement_checksum = sr->stmt_checksum;
	h->statement_checksums = sr->stmt_checksums;
	h->downgrade_checksum = sr->down_checksum;
	h->header_keys = sr->header_keys.buf;
	h->segments = sr->segments;
	h->git_commit = sr->ss->git_commit;
}

/* Adds one version-table change to a batch. */
static void batch_version_op(struct apply_session *ss, struct db_batch *b, const struct vop *op)
{
	struct strbuf sql = STRBUF_INIT;
	const char *params[2];
	int n;
	if (op->kind == VOP_INSERT) {
		sqltext_version_insert(&sql, ss->vtable);
		params[0] = op->to;
		n = 1;
	} else if (op->kind == VOP_DELETE) {
		sqltext_version_delete(&sql, ss->vtable);
		params[0] = op->from;
		n = 1;
	} else {
		sqltext_version_update(&sql, ss->vtable);
		params[0] = op->from;
		params[1] = op->to;
		n = 2;
	}
	db_batch_add(b, sql.buf, n, params);
	strbuf_release(&sql);
}

void own_prelude(const struct apply_session *ss, struct db_batch *b)
{
	char lt[32];
	snprintf(lt, sizeof(lt), "%ldms", ss->s->own_lock_timeout_ms);
	const char *params[] = {lt};
	char *auth = xstrfmt("SET LOCAL SESSION AUTHORIZATION %s", ss->login_user);
	db_batch_add(b, auth, 0, NULL);
	free(auth);
	db_batch_add(b, "SET LOCAL ROLE NONE", 0, NULL);
	db_batch_add(b,
		     "SELECT set_config('lock_timeout', $1, true), "
		     "set_config('statement_timeout', '0', true)",
		     1, params);
}

/* After a batch of revgate's own statements in its own transaction failed
 * on `db`: rolls back, keeping the error, which names the history table
 * and who holds it when the insert at `insert` waited too long. */
static int own_batch_failed(struct apply_session *ss, struct db *db, const struct db_batch *b,
			    size_t insert, int ret)
{
	const char *state = db_last_error(db)->sqlstate;
	char *sqlstate = state && b->failed == insert ? xstrdup(state) : NULL;
	struct err_saved keep;
	err_save(&keep);
	if (db_alive(db) && b->failed + 1 < b->n)
		(void)db_exec(db, "ROLLBACK");
	err_restore(&keep);
	ret = own_lock_error(ss, sqlstate, ret, ss->htable);
	free(sqlstate);
	return ret;
}

int own_insert(struct apply_session *ss, struct db *db, struct sqltext_history *h)
{
	struct db_batch b = DB_BATCH_INIT;
	db_batch_add(&b, "BEGIN READ WRITE", 0, NULL);
	own_prelude(ss, &b);
	size_t insert = b.n;
	history_batch(ss, &b, h);
	db_batch_add(&b, "COMMIT", 0, NULL);
	int ret = db_batch_run(db, &b);
	if (ret < 0)
		ret = own_batch_failed(ss, db, &b, insert, ret);
	db_batch_release(&b);
	return ret;
}

/* The revision's timeouts and name: for its transaction (`local`), or for
 * the session while its segments run outside one. */
static void add_settings(struct step_run *sr, struct db_batch *b, bool local)
{
	char lt[32], st[32];
	snprintf(lt, sizeof(lt), "%ldms", sr->ss->s->lock_timeout_ms);
	snprintf(st, sizeof(st), "%ldms", sr->ss->s->statement_timeout_ms);
	char *app = xstrfmt("revgate %s %s", sr->s->dir == APPLY_UP ? "upgrade" : "downgrade",
			    sr->s->rev->id);
	const char *params[] = {lt, st, app, local ? "t" : "f"};
	db_batch_add(b,
		     "SELECT set_config('lock_timeout', $1, $4::bool), "
		     "set_config('statement_timeout', $2, $4::bool), "
		     "set_config('application_name', $3, $4::bool)",
		     4, params);
	free(app);
}

/* A duration from the config as the user wrote it: "300ms", "5s". */
static char *duration_text(long ms)
{
	return ms % 1000 ? xstrfmt("%ldms", ms) : xstrfmt("%lds", ms / 1000);
}

/*
 * A statement stopped by one of the timeouts revgate sets for each
 * revision: the server's message says which ran out, the hint says where
 * its value comes from and what to do. A cancel after a signal also
 * carries 57014, and is reported as the interruption instead.
 */
static void timeout_hint(const struct apply_session *ss, bool concurrent, struct apply_failure *fail)
{
	const char *state = fail->err.sqlstate;
	char *value = NULL;
	if (!state || apply_interrupted())
		return;
	if (!strcmp(state, "57014") && ss->s->statement_timeout_ms > 0 &&
	    strstr(fail->err.message, "statement timeout")) {
		value = duration_text(ss->s->statement_timeout_ms);
		free(fail->err.hint);
		if (ss->waited_for)
			fail->err.hint = xstrfmt(
				"the statement waited for %s until statement_timeout (%s, set by "
				"'statement_timeout' in [database] of the config) cancelled it: run "
				"when that session is done, or raise it there",
				ss->waited_for, value);
		else
			fail->err.hint = xstrfmt(
				"the statement ran longer than statement_timeout (%s, set by "
				"'statement_timeout' in [database] of the config): raise it there, "
				"or make the statement faster",
				value);
	} else if (!strcmp(state, "55P03") && strstr(fail->err.message, "lock timeout")) {
		const char *key = concurrent ? "concurrent_lock_timeout" : "lock_timeout";
		value = duration_text(concurrent ? ss->s->concurrent_lock_timeout_ms
						 : ss->s->lock_timeout_ms);
		free(fail->err.hint);
		fail->err.hint = xstrfmt("the statement waited longer than lock_timeout (%s, set by "
					 "'%s' in [database] of the config) for %s: run when the "
					 "database is less busy, or raise it there",
					 value, key,
					 ss->waited_for ? ss->waited_for
							: "a lock another session held");
	}
	free(value);
}

/* Fills `fail` for statement `k` of the step (SIZE_MAX: revgate's own SQL). */
static void describe_failure(struct step_run *sr, size_t k, const struct db_error *e,
			     struct apply_failure *fail)
{
	const struct revision *rev = sr->s->rev;
	apply_failure_release(fail);
	fail->set = true;
	fail->revision = xstrdup(rev->id);
	fail->file = xstrdup(rev->path);
	fail->err.sqlstate = e->sqlstate ? xstrdup(e->sqlstate) : NULL;
	fail->err.message = xstrdup(e->message ? e->message : err_msg());
	/* a version-table guard: show its explanation, not the cast it used */
	const char *guard = strstr(fail->err.message, "\"" SQLTEXT_GUARD_PREFIX);
	if (guard && k >= sr->s->stmts.n) {
		char *inner = xstrndup(guard + 1, strcspn(guard + 1, "\""));
		free(fail->err.message);
		fail->err.message = inner;
	}
	fail->err.detail = e->detail ? xstrdup(e->detail) : NULL;
	fail->err.hint = e->hint ? xstrdup(e->hint) : NULL;
	fail->err.context = e->context ? xstrdup(e->context) : NULL;
	if (k < sr->s->stmts.n)
		timeout_hint(sr->ss, sr->concurrent, fail);
	if (k >= sr->s->stmts.n)
		return;
	const struct sql_stmt *st = &sr->s->stmts.v[k];
	size_t off = st->start;
	if (e->position)
		off = text_char_to_byte(rev->text, st->start + st->len, st->start, e->position - 1);
	struct line_index li = LINE_INDEX_INIT;
	line_index_build(&li, rev->text, rev->len);
	line_index_pos(&li, off, &fail->line, &fail->column);
	size_t a, z;
	line_index_line(&li, fail->line, &a, &z);
	fail->excerpt = xstrndup(rev->text + a, z - a);
	line_index_release(&li);
}

/*
 * A failure in the SQL revgate adds to a revision (the version-table
 * change, the history row, the COMMIT): the message says which, naming the
 * table, so that a full disk or a lock on revgate's own tables is not
 * mistaken for the revision's fault. The version-table guard's message
 * already says what happened.
 */
static void own_sql_failure(struct step_run *sr, const char *what, struct apply_failure *fail)
{
	if (!strncmp(fail->err.message, SQLTEXT_GUARD_PREFIX, strlen(SQLTEXT_GUARD_PREFIX)))
		return;
	struct apply_session *ss = sr->ss;
	const char *qtable = strstr(what, "version table")   ? ss->vtable
			     : strstr(what, "history table") ? ss->htable
							     : NULL;
	char *table = qtable ? xstrfmt(" %s", qtable) : xstrdup("");
	char *m;
	char *who = NULL;
	if (qtable && fail->err.sqlstate && !strcmp(fail->err.sqlstate, "55P03"))
		who = own_lock_holders(ss, qtable);
	if (who)
		m = xstrfmt("cannot %s%s: it waited longer than own_lock_timeout (%ld ms) for a "
			    "lock %s holds on it",
			    what, table, ss->s->own_lock_timeout_ms, who);
	else
		m = xstrfmt("cannot %s%s: %s", what, table, fail->err.message);
	free(fail->err.message);
	fail->err.message = m;
	if (who) {
		free(fail->err.hint);
		fail->err.hint = xstrdup("revgate's own tables are locked by another session: "
					 "finish or end that session and run again ('own_lock_timeout' "
					 "in [database] sets how long revgate waits)");
	}
	free(who);
	free(table);
}

enum lost_where {
	LOST_TX,     /* before the transaction's COMMIT was sent or seen */
	LOST_COMMIT, /* waiting for the COMMIT's answer */
	LOST_ALONE,  /* a statement outside a transaction */
};

/*
 * The connection ended under a statement (the server crashed, shut down,
 * or ended the session): say so, and what the server did with the work.
 * A transaction it did not commit, it rolled back. A COMMIT whose answer
 * never came may or may not have been kept; the version table, read by
 * the next run, tells which. A statement outside a transaction may have
 * finished before the connection ended: its history row says it started,
 * and `revgate resolve` asks the catalog.
 */
static void connection_lost(const struct apply_session *ss, enum lost_where where,
			    struct apply_failure *fail)
{
	static const char *const what[] = {
		[LOST_TX] = "the server rolled back the revision's transaction, so nothing of "
			    "it was kept",
		[LOST_COMMIT] = "it ended while the revision was committing: whether the server "
				"kept it shows in the version table once the server is back, and "
				"the next run goes on from there",
		[LOST_ALONE] = "the statement ran outside a transaction, so it may have done part "
			       "or all of its work ('revgate resolve' asks the catalog what it did)",
	};
	fail->commit_unknown = where == LOST_COMMIT;
	fail->outcome_unknown = where != LOST_TX;
	char *m = xstrfmt("lost the connection to %s: %s; %s", db_where(ss->db), fail->err.message,
			  what[where]);
	free(fail->err.message);
	fail->err.message = m;
}

/* Adds a sentence to the failure's detail line. */
static void add_detail(struct apply_failure *fail, const char *text)
{
	char *d = fail->err.detail ? xstrfmt("%s; %s", fail->err.detail, text) : xstrdup(text);
	free(fail->err.detail);
	fail->err.detail = d;
}

/*
 * Records a failure row, on the work connection when it still works, else
 * on the lock connection (the work backend may have been killed). When
 * neither can write it (the server is gone, the history's disk is full),
 * the failure itself stays what the user sees, and its detail says that
 * the history has no row for it. A failure whose outcome is unknown (the
 * connection ended under a statement outside a transaction, or while a
 * COMMIT was answered) gets no row: the rows before it say what is known.
 * Returns whether the history has the row (or there is no history); false
 * for an unknown outcome, which the history leaves open.
 */
static bool record_failure(struct step_run *sr, const char *outcome, int segment,
			   struct apply_failure *fail)
{
	struct apply_session *ss = sr->ss;
	struct sqltext_history h;
	char seg[32];
	if (fail->outcome_unknown)
		return false;
	step_history(sr, &h, outcome);
	h.to = &sr->s->heads_before;
	if (segment >= 0) {
		snprintf(seg, sizeof(seg), "%d", segment + 1);
		h.segment = seg;
	}
	h.started_at = sr->started_at;
	h.sqlstate = fail->err.sqlstate;
	h.error = fail->err.message;
	struct db *db = db_alive(ss->db) ? ss->db : ss->lock;
	struct err_saved keep;
	err_save(&keep);
	if (!ss->have_history || (db_alive(db) && own_insert(ss, db, &h) == 0)) {
		err_restore(&keep);
		return true;
	}
	/* the failure may be the history's own (its disk is full): then
	 * once is enough */
	char *again = xstrdup(err_msg());
	char *cut = strstr(again, " (SQLSTATE ");
	if (cut)
		*cut = '\0';
	char *why = !db_alive(db) ? xstrdup(": no connection to the server")
		    : *again && strstr(fail->err.message, again)
			    ? xstrdup(" (writing it failed the same way)")
			    : xstrfmt(": %s", err_msg());
	free(again);
	err_restore(&keep);
	char *note = xstrfmt("the history table %s has no row for this failure%s", ss->htable,
			     why);
	add_detail(fail, note);
	free(note);
	free(why);
	return false;
}

/* After a failure: the error that caused it stays the one reported, even
 * when the ROLLBACK fails too (the connection ended just then). */
static void rollback(struct apply_session *ss)
{
	struct err_saved keep;
	err_save(&keep);
	if (db_alive(ss->db))
		(void)db_exec(ss->db, "ROLLBACK");
	err_restore(&keep);
}

/* Checks that every version-table change touched one row. */
static int check_rows(struct step_run *sr, const struct db_batch *b, size_t first)
{
	const struct vchange *c = &sr->s->change;
	for (size_t i = 0; i < c->n; i++) {
		long n = b->v[first + i].affected;
		if (n == 1)
			continue;
		const struct vop *op = &c->ops[i];
		if (op->kind == VOP_UPDATE)
			return err_set(ERR_DB, "the version table %s changed under this run: updating "
					       "'%s' to '%s' touched %ld rows, not 1; nothing of "
					       "'%s' was kept",
				       sr->ss->vtable, op->from, op->to, n, sr->s->rev->id);
		return err_set(ERR_DB, "the version table %s changed under this run: %s '%s' "
				       "touched %ld rows, not 1; nothing of '%s' was kept",
			       sr->ss->vtable, op->kind == VOP_DELETE ? "deleting" : "inserting",
			       op->kind == VOP_DELETE ? op->from : op->to, n, sr->s->rev->id);
	}
	return 0;
}

/* Adds the version-table change and the final history row to `b`;
 * returns the index of the first version statement. */
static size_t add_finish(struct step_run *sr, struct db_batch *b)
{
	size_t first = b->n;
	for (size_t i = 0; i < sr->s->change.n; i++)
		batch_version_op(sr->ss, b, &sr->s->change.ops[i]);
	struct sqltext_history h;
	step_history(sr, &h, sr->s->dir == APPLY_UP ? "applied" : "reverted");
	h.started_at = sr->started_at;
	history_batch(sr->ss, b, &h);
	return first;
}

/* The row that says segment `k` completed; in the segment's transaction
 * when it has one, so the row exists exactly when the segment does. */
static void add_segment_row(struct step_run *sr, struct db_batch *b, size_t k, const char *started,
			    double t0)
{
	struct sqltext_history h;
	char seg[32], ms[32];
	step_history(sr, &h, "segment");
	h.to = &sr->s->heads_before;
	snprintf(seg, sizeof(seg), "%zu", k + 1);
	h.segment = seg;
	char *finished = NULL;
	if (started) {
		/* outside a transaction the server has no start to measure from */
		snprintf(ms, sizeof(ms), "%.3f", mono_ms() - t0);
		finished = iso_now();
		h.started_at = started;
		h.finished_at = finished;
		h.duration_ms = ms;
	}
	history_batch(sr->ss, b, &h);
	free(finished);
}

/*
 * Runs segment `k` of the step, transactional, in one transaction (unless
 * `in_tx`: the caller's), with the version-table change and the final
 * history row when it is the last segment, else with its segment row.
 * Returns ERR_DB with `fail` filled on a statement failure.
 */
static int run_tx_segment(struct step_run *sr, size_t k, bool in_tx, struct apply_failure *fail)
{
	struct apply_session *ss = sr->ss;
	const struct apply_segment *seg = &sr->s->seg[k];
	bool finish = k + 1 == sr->s->nseg;
	struct db_batch b = DB_BATCH_INIT;
	if (!in_tx)
		db_batch_add(&b, "BEGIN READ WRITE", 0, NULL);
	add_settings(sr, &b, true);
	size_t first_stmt = b.n;
	for (size_t i = seg->first; i < seg->first + seg->n; i++)
		db_batch_add_text(&b, sr->s->rev->text + sr->s->stmts.v[i].start,
				  sr->s->stmts.v[i].len);
	/* revgate's rows are written as the role that connected, whatever
	 * SET SESSION AUTHORIZATION or SET ROLE the revision ran, under
	 * revgate's own lock timeout */
	own_prelude(ss, &b);
	size_t first_version = b.n;
	if (finish)
		add_finish(sr, &b);
	else
		add_segment_row(sr, &b, k, NULL, 0);
	/* the version-table statements check their own row counts on the
	 * server, so the COMMIT rides in the same round trip */
	if (!in_tx)
		db_batch_add(&b, "COMMIT", 0, NULL);
	sr->concurrent = false;
	int ret = watched_run(ss, sr->s, k, NULL, &b);
	if (ret < 0) {
		bool theirs = b.failed >= first_stmt && b.failed < first_stmt + seg->n;
		size_t stmt = theirs ? seg->first + (b.failed - first_stmt) : SIZE_MAX;
		describe_failure(sr, stmt, db_last_error(ss->db), fail);
		bool commit = !in_tx && b.failed + 1 == b.n;
		bool lost = !db_alive(ss->db);
		size_t nversion = finish ? sr->s->change.n : 0;
		/* a COMMIT that lost its connection is said once, below */
		if (!theirs && !(commit && lost)) {
			const char *what = commit ? "commit the revision"
					   : b.failed < first_stmt ? "start the revision's transaction"
					   : b.failed < first_version ? "reset the role after the revision"
					   : b.failed < first_version + nversion
						   ? "update the version table"
						   : "record the step in the history table";
			if (!lost && !in_tx && b.failed + 1 < b.n)
				rollback(ss);
			own_sql_failure(sr, what, fail);
		} else if (!lost && !in_tx && b.failed + 1 < b.n) {
			rollback(ss);
		}
		if (lost)
			connection_lost(ss, commit ? LOST_COMMIT : LOST_TX, fail);
		goto out;
	}
	if (finish && in_tx)
		ret = check_rows(sr, &b, first_version);
out:
	db_batch_release(&b);
	return ret;
}

static int set_lock_timeout(struct apply_session *ss, long ms)
{
	char v[32];
	snprintf(v, sizeof(v), "%ldms", ms);
	const char *params[] = {v};
	return db_query(ss->db, "SELECT set_config('lock_timeout', $1, false)", 1, params, NULL);
}

/* One statement in autocommit. */
static int run_alone(struct step_run *sr, size_t k, struct apply_failure *fail)
{
	struct apply_session *ss = sr->ss;
	const struct apply_segment *seg = &sr->s->seg[k];
	const struct sql_stmt *st = &sr->s->stmts.v[seg->first];
	char *sql = xstrndup(sr->s->rev->text + st->start, st->len);
	/* a concurrent build waits for every older transaction on the
	 * database, however long: its own lock timeout (default: wait) */
	long lt = seg->concurrent ? ss->s->concurrent_lock_timeout_ms : ss->s->lock_timeout_ms;
	bool switched = lt != ss->s->lock_timeout_ms;
	int ret = switched ? set_lock_timeout(ss, lt) : 0;
	sr->concurrent = seg->concurrent;
	if (ret == 0 && (ret = watched_run(ss, sr->s, k, sql, NULL)) < 0) {
		describe_failure(sr, seg->first, db_last_error(ss->db), fail);
		if (!db_alive(ss->db))
			connection_lost(ss, LOST_ALONE, fail);
	}
	free(sql);
	if (switched && db_alive(ss->db)) {
		/* back for the statements after it; the failure, if any, stays
		 * the statement's */
		struct err_saved keep;
		err_save(&keep);
		(void)set_lock_timeout(ss, ss->s->lock_timeout_ms);
		err_restore(&keep);
	}
	return ret;
}

/* A batched backfill alone: its batches commit one by one (apply/batch.c). */
static int run_batched(struct step_run *sr, size_t k, struct apply_failure *fail)
{
	struct apply_session *ss = sr->ss;
	const struct apply_step *s = sr->s;
	char *from = sqltext_array(&s->heads_before);
	struct batch_row row = {
		.revision = s->rev->id,
		.direction = s->dir == APPLY_UP ? "upgrade" : "downgrade",
		.segments = sr->segments,
		.checksum = sr->checksum,
		.started_at = sr->started_at,
		.from = from,
		.to = from,
	};
	bool in_tx = false;
	int ret = apply_batch_run(ss, s, k, &row, &in_tx);
	if (ret < 0) {
		/* the server's error when a batch failed, else revgate's own */
		const struct db_error *e = db_last_error(ss->db);
		struct db_error none = {0};
		describe_failure(sr, s->seg[k].first, e && e->message ? e : &none, fail);
	}
	if (in_tx && db_alive(ss->db)) {
		struct err_saved keep;
		err_save(&keep);
		(void)db_exec(ss->db, "ROLLBACK");
		err_restore(&keep);
	}
	if (ret < 0 && !db_alive(ss->db))
		connection_lost(ss, LOST_ALONE, fail);
	free(from);
	return ret;
}

/* Commits the row that says segment `k` (outside a transaction) starts:
 * until the one that says it completed follows, its outcome is unknown. */
static int record_started(struct step_run *sr, size_t k, const char *started)
{
	struct sqltext_history h;
	char seg[32];
	step_history(sr, &h, "started");
	h.to = &sr->s->heads_before;
	snprintf(seg, sizeof(seg), "%zu", k + 1);
	h.segment = seg;
	h.started_at = started;
	h.finished_at = started;
	h.duration_ms = "0";
	return own_insert(sr->ss, sr->ss->db, &h);
}

/* Commits the row that says segment `k` (outside a transaction) completed. */
static int record_done(struct step_run *sr, size_t k, const char *started, double t0)
{
	struct apply_session *ss = sr->ss;
	struct db_batch b = DB_BATCH_INIT;
	db_batch_add(&b, "BEGIN READ WRITE", 0, NULL);
	own_prelude(ss, &b);
	size_t insert = b.n;
	add_segment_row(sr, &b, k, started, t0);
	db_batch_add(&b, "COMMIT", 0, NULL);
	int ret = db_batch_run(ss->db, &b);
	if (ret < 0)
		ret = own_batch_failed(ss, ss->db, &b, insert, ret);
	db_batch_release(&b);
	return ret;
}

static void step_run_init(struct step_run *sr, struct apply_session *ss, const struct apply_step *s)
{
	memset(sr, 0, sizeof(*sr));
	sr->ss = ss;
	sr->s = s;
	sr->t0 = mono_ms();
	hash_sha256_hex(s->rev->text, s->rev->len, sr->checksum);
	struct strlist each = STRLIST_INIT;
	apply_section_checksums(s->rev, &s->stmts, sr->stmt_checksum, &each);
	sr->stmt_checksums = sqltext_array(&each);
	strlist_release(&each);
	strbuf_init(&sr->header_keys, 0);
	apply_revision_keys(s->rev, sr->down_checksum, &sr->header_keys);
	sr->segments = xstrfmt("%zu", s->nseg);
}

static void step_run_release(struct step_run *sr)
{
	free(sr->stmt_checksums);
	strbuf_release(&sr->header_keys);
	free(sr->started_at);
	free(sr->segments);
}

static void interrupt_message(struct apply_failure *fail);

/* The outcome of a failed segment `k`: "failed" when nothing of the step is
 * left (its first segment was a transaction that rolled back), else
 * "interrupted" (the segment did not complete, the step is half-done). */
static void segment_failed(struct step_run *sr, size_t k, size_t from, struct apply_failure *fail)
{
	bool clean = k == 0 && from == 0 && sr->s->seg[k].transactional;
	bool recorded;
	if (apply_interrupted()) {
		interrupt_message(fail);
		recorded = record_failure(sr, "interrupted", clean ? -1 : (int)k, fail);
	} else {
		recorded = record_failure(sr, clean ? "failed" : "interrupted", (int)k, fail);
	}
	/* half-done unless the history closes the revision */
	fail->half_done = !(clean && recorded);
}

/*
 * Runs segments [from, nseg) of a step that is not one transaction. A
 * segment outside a transaction is recorded as started before it runs and
 * as completed after it; a transactional one carries its own row. A
 * failure leaves a history that says which segments completed, which did
 * not, and which one's outcome is unknown.
 */
int run_segments(struct apply_session *ss, const struct apply_step *s, size_t from,
		 struct apply_failure *fail)
{
	struct step_run sr_, *sr = &sr_;
	step_run_init(sr, ss, s);
	sr->started_at = iso_now();
	struct db_batch settings = DB_BATCH_INIT;
	add_settings(sr, &settings, false);
	int ret = db_batch_run(ss->db, &settings);
	db_batch_release(&settings);
	for (size_t k = from; ret == 0 && k < s->nseg; k++) {
		const struct apply_segment *seg = &s->seg[k];
		bool last = k + 1 == s->nseg;
		double k_t0 = mono_ms();
		if (seg->transactional) {
			ret = run_tx_segment(sr, k, false, fail);
			if (ret < 0 && fail->set)
				segment_failed(sr, k, from, fail);
		} else {
			char *seg_start = iso_now();
			double seg_t0 = mono_ms();
			if ((ret = record_started(sr, k, seg_start)) < 0) {
				/* nothing of it ran: no row says so, none is needed */
				fail->half_done = !(k == 0 && from == 0);
				char *why = xstrdup(err_msg());
				if (k == 0 && from == 0)
					ret = err_set(ret, "cannot record the start of revision '%s' "
							   "in the history table %s: %s; nothing of "
							   "it ran",
						      s->rev->id, ss->htable, why);
				else
					ret = err_set(ret, "cannot record the start of segment %zu of "
							   "%zu of revision '%s' in the history table "
							   "%s: %s; it did not run, and the revision "
							   "is half-done: run 'revgate resolve'",
						      k + 1, s->nseg, s->rev->id, ss->htable, why);
				free(why);
			} else if ((ret = seg->batched ? run_batched(sr, k, fail)
						       : run_alone(sr, k, fail)) < 0) {
				if (fail->set)
					segment_failed(sr, k, from, fail);
			} else if ((ret = record_done(sr, k, seg_start, seg_t0)) < 0) {
				fail->half_done = true;
				char *why = xstrdup(err_msg());
				ret = err_set(ret, "segment %zu of %zu of revision '%s' ran, but the "
						   "history table %s could not record it: %s; the "
						   "revision is half-done: run 'revgate resolve', which "
						   "asks the catalog what it did",
					      k + 1, s->nseg, s->rev->id, ss->htable, why);
				free(why);
			}
			free(seg_start);
		}
		if (ret < 0 || last)
			break;
		if ((ret = apply_check_continue(ss)) < 0) {
			fail->half_done = true;
			/* stopped between segments: the next one did not start */
			if (apply_interrupted()) {
				struct apply_failure stop = {0};
				stop.err.message = xstrfmt("%s before it started", err_msg());
				record_failure(sr, "interrupted", (int)k + 1, &stop);
				apply_failure_release(&stop);
			}
			break;
		}
		if (ss->on_event) {
			struct apply_event ev = {.kind = APPLY_EV_SEGMENT, .step = s, .segment = k,
						 .ms = mono_ms() - k_t0};
			ss->on_event(ss->event_ctx, &ev);
		}
	}
	step_run_release(sr);
	return ret;
}

void session_set_heads(struct apply_session *ss, const struct strlist *heads)
{
	strlist_release(&ss->heads);
	for (size_t i = 0; i < heads->n; i++)
		strlist_push(&ss->heads, heads->v[i]);
}

int record_segment_outcome(struct apply_session *ss, const struct apply_step *s, size_t k,
			   const char *outcome, const char *note)
{
	struct step_run sr;
	struct sqltext_history h;
	char seg[32];
	step_run_init(&sr, ss, s);
	step_history(&sr, &h, outcome);
	h.to = &s->heads_before;
	snprintf(seg, sizeof(seg), "%zu", k + 1);
	h.segment = seg;
	h.error = note;
	int ret = own_insert(ss, ss->db, &h);
	step_run_release(&sr);
	return ret;
}

int apply_check_single_transaction(const struct apply_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct apply_step *s = &p->v[i];
		if (apply_step_transactional(s))
			continue;
		size_t line = 0;
		for (size_t k = 0; k < s->nseg; k++)
			if (!s->seg[k].transactional && s->seg[k].n) {
				unsigned l, c;
				text_pos(s->rev->text, s->rev->len, s->stmts.v[s->seg[k].first].start,
					 &l, &c);
				line = l;
				break;
			}
		return err_set(ERR_USAGE, "--single-transaction cannot run '%s': %s:%zu must run "
					  "outside a transaction",
			       s->rev->id, s->rev->path, line);
	}
	return 0;
}

/* After a signal, the history row says so rather than quoting the
 * cancelled statement's error. */
static void interrupt_message(struct apply_failure *fail)
{
	int sig = apply_interrupted();
	if (!sig)
		return;
	free(fail->err.message);
	fail->err.message = xstrdup(sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM");
	free(fail->err.sqlstate);
	fail->err.sqlstate = NULL;
}

/*
 * The run stopped before or during step `i` (`ret` from the check or the
 * step): after a signal, ERR_INTERRUPTED saying what was kept; `fail` is
 * cleared so that the command does not report a failed statement.
 */
static int stopped(struct apply_session *ss, const struct apply_plan *p, size_t i,
		   struct apply_failure *fail, bool single, int ret)
{
	(void)ss;
	if (!apply_interrupted())
		return ret;
	char *why = xstrdup(apply_interrupted() == SIGINT ? "interrupted by SIGINT"
							  : "interrupted by SIGTERM");
	bool half_done = fail && fail->half_done;
	if (fail)
		apply_failure_release(fail);
	const struct apply_step *s = i < p->n ? &p->v[i] : NULL;
	if (single)
		ret = err_set(ERR_INTERRUPTED, "%s; the whole run was rolled back", why);
	else if (s && half_done)
		ret = err_set(ERR_INTERRUPTED, "%s: revision '%s' stopped part-way (it runs outside "
					       "a transaction); run 'revgate resolve' before the next "
					       "upgrade",
			      why, s->rev->id);
	else if (s && fail)
		ret = err_set(ERR_INTERRUPTED, "%s: revision '%s' was rolled back; the revisions "
					       "before it stay applied",
			      why, s->rev->id);
	else
		ret = err_set(ERR_INTERRUPTED, "%s before revision '%s'; the revisions before it "
					       "stay applied",
			      why, s ? s->rev->id : "?");
	free(why);
	return ret;
}

int apply_run(struct apply_session *ss, struct apply_plan *p, const struct apply_run_opts *o,
	      struct apply_failure *fail)
{
	bool single = o && o->single_transaction;
	int ret;
	if (single) {
		if ((ret = apply_check_single_transaction(p)) < 0)
			return ret;
		if ((ret = db_exec(ss->db, "BEGIN READ WRITE")) < 0)
			return ret;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct apply_step *s = &p->v[i];
		struct step_run sr;
		/* in one transaction for the whole run, the lock is checked
		 * once: a server that shares one session between connections
		 * (PGlite) would make the lock connection wait for it */
		if ((!single || i == 0 || apply_interrupted()) &&
		    (ret = apply_check_continue(ss)) < 0) {
			if (single)
				rollback(ss);
			return stopped(ss, p, i, NULL, single, ret);
		}
		if (o && o->backup_dir && !single && (ret = apply_backup_step(ss, s, o->backup_dir)) < 0)
			return interrupted_or(ret);
		step_run_init(&sr, ss, s);
		if (ss->on_event) {
			struct apply_event ev = {.kind = APPLY_EV_STEP_BEGIN, .step = s};
			ss->on_event(ss->event_ctx, &ev);
		}
		if (apply_step_transactional(s)) {
			ret = run_tx_segment(&sr, 0, single, fail);
			if (ret < 0 && fail->set && !single) {
				sr.started_at = iso_now();
				interrupt_message(fail);
				record_failure(&sr, apply_interrupted() ? "interrupted" : "failed", -1,
					       fail);
			}
		} else {
			ret = run_segments(ss, s, 0, fail);
		}
		double ms = mono_ms() - sr.t0;
		step_run_release(&sr);
		if (ret < 0 && ss->on_event) {
			struct apply_event ev = {.kind = APPLY_EV_STEP_FAILED, .step = s, .ms = ms,
						 .fail = fail};
			ss->on_event(ss->event_ctx, &ev);
		}
		if (ret < 0) {
			if (single) {
				rollback(ss);
				if (fail->set) {
					step_run_init(&sr, ss, s);
					sr.started_at = iso_now();
					interrupt_message(fail);
					record_failure(&sr,
						       apply_interrupted() ? "interrupted" : "failed",
						       -1, fail);
					step_run_release(&sr);
				}
			}
			if (apply_interrupted())
				return stopped(ss, p, i, fail, single, ret);
			return ret;
		}
		/* a revision's SET search_path or SET ROLE ends with it */
		if ((ret = session_reset(ss)) < 0) {
			if (single)
				rollback(ss);
			return ret;
		}
		if (!single)
			session_set_heads(ss, &s->heads_after);
		if (ss->on_event) {
			struct apply_event ev = {.kind = APPLY_EV_STEP_DONE, .step = s, .ms = ms};
			ss->on_event(ss->event_ctx, &ev);
		}
	}
	if (single) {
		if ((ret = db_exec(ss->db, "COMMIT")) < 0) {
			rollback(ss);
			return ret;
		}
		if (p->n)
			session_set_heads(ss, &p->v[p->n - 1].heads_after);
	}
	return 0;
}

/* ---- stamp ---- */

static int stamp_interrupted(void)
{
	return err_set(ERR_INTERRUPTED, "interrupted by %s; the version table was not changed",
		       apply_interrupted() == SIGINT ? "SIGINT" : "SIGTERM");
}

int apply_stamp(struct apply_session *ss, const struct strlist *heads)
{
	if (apply_interrupted())
		return stamp_interrupted();
	struct db_batch b = DB_BATCH_INIT;
	struct strlist before = STRLIST_INIT, after = STRLIST_INIT;
	strlist_sorted_copy(&before, &ss->heads);
	strlist_sorted_copy(&after, heads);
	db_batch_add(&b, "BEGIN READ WRITE", 0, NULL);
	own_prelude(ss, &b);
	size_t first = b.n;
	for (size_t i = 0; i < ss->heads.n; i++) {
		if (strlist_has(heads, ss->heads.v[i]))
			continue;
		struct vop op = {VOP_DELETE, ss->heads.v[i], NULL};
		batch_version_op(ss, &b, &op);
	}
	for (size_t i = 0; i < heads->n; i++) {
		if (strlist_has(&ss->heads, heads->v[i]))
			continue;
		struct vop op = {VOP_INSERT, NULL, heads->v[i]};
		batch_version_op(ss, &b, &op);
	}
	size_t end = b.n;
	for (size_t i = 0; i < (heads->n ? heads->n : 1); i++) {
		struct sqltext_history h = {0};
		char checksum[65];
		size_t idx;
		h.revision = heads->n ? heads->v[i] : "base";
		h.direction = "stamp";
		h.outcome = "stamped";
		h.from = &before;
		h.to = &after;
		char down[65];
		struct strbuf keys = STRBUF_INIT;
		if (heads->n && graph_find(ss->g, heads->v[i], &idx)) {
			const struct revision *rev = ss->g->nodes[idx].rev;
			hash_sha256_hex(rev->text, rev->len, checksum);
			h.checksum = checksum;
			apply_revision_keys(rev, down, &keys);
			h.downgrade_checksum = down;
			h.header_keys = keys.buf;
		}
		history_batch(ss, &b, &h);
		strbuf_release(&keys);
	}
	int ret = db_batch_run(ss->db, &b);
	if (ret < 0 && b.failed >= first && b.failed < b.n)
		ret = own_lock_error(ss, db_last_error(ss->db)->sqlstate, ret,
				     b.failed < end ? ss->vtable : ss->htable);
	for (size_t i = first; ret == 0 && i < end; i++)
		if (b.v[i].affected != 1)
			ret = err_set(ERR_DB, "the version table %s changed under this run: a stamp "
					      "change touched %ld rows, not 1; nothing was changed",
				      ss->vtable, b.v[i].affected);
	if (ret < 0)
		rollback(ss);
	else
		ret = db_exec(ss->db, "COMMIT");
	if (ret == 0)
		session_set_heads(ss, heads);
	else if (apply_interrupted())
		ret = stamp_interrupted();
	db_batch_release(&b);
	strlist_release(&before);
	strlist_release(&after);
	return ret;
}
