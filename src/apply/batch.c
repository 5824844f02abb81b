/*
 * A batched backfill ('-- revgate: batch size=N by=COLUMN'): the statement
 * runs once per key range (lo, hi], where hi is the N-th next key, each
 * range in a transaction of its own that also commits a history row with
 * hi. A run killed at any point leaves every committed batch recorded and
 * nothing of the one that did not commit, so continuing after the last
 * recorded key changes each row exactly once.
 */
#include "apply/internal.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef REVGATE_VERSION
#define REVGATE_VERSION "0.0.0"
#endif

struct batch_sql {
	char *bounds_first, *bounds_next; /* the next batch's last key */
	char *stmt_first, *stmt_next;     /* the statement over (, $1] and ($1, $2] */
	char *range;                      /* SELECT min, max of the key */
};

static void batch_sql_release(struct batch_sql *b)
{
	free(b->bounds_first);
	free(b->bounds_next);
	free(b->stmt_first);
	free(b->stmt_next);
	free(b->range);
}

/* The statement with `cond` added to its WHERE clause (or as one). */
static char *with_range(const char *text, size_t start, const struct sql_batch_target *t,
			const char *cond)
{
	struct strbuf sb = STRBUF_INIT;
	if (t->has_where) {
		strbuf_add(&sb, text + start, t->where_at - start);
		strbuf_addstr(&sb, " (");
		strbuf_add(&sb, text + t->where_at, t->end - t->where_at);
		strbuf_addf(&sb, ") AND %s", cond);
	} else {
		strbuf_add(&sb, text + start, t->end - start);
		strbuf_addf(&sb, " WHERE %s", cond);
	}
	return strbuf_detach(&sb, NULL);
}

static int batch_sql_build(const struct apply_step *s, const struct apply_segment *seg,
			   struct batch_sql *out)
{
	const struct sql_stmt *st = &s->stmts.v[seg->first];
	struct sql_batch_target t;
	int ret = sql_batch_target(s->rev->text, st->start, st->len, &t);
	if (ret < 0)
		return ret;
	char *rel = sqltext_ident(t.schema, t.table);
	char *by = sqltext_ident(NULL, seg->batch.by);
	char *qual = t.alias ? sqltext_ident(NULL, t.alias) : xstrdup(rel);
	out->bounds_first = xstrfmt("SELECT max(k)::text, count(*) FROM (SELECT %s AS k FROM %s "
				    "WHERE %s IS NOT NULL ORDER BY %s LIMIT %ld) s",
				    by, rel, by, by, seg->batch.size);
	out->bounds_next = xstrfmt("SELECT max(k)::text, count(*) FROM (SELECT %s AS k FROM %s "
				   "WHERE %s > $1 ORDER BY %s LIMIT %ld) s",
				   by, rel, by, by, seg->batch.size);
	out->range = xstrfmt("SELECT min(%s)::text, max(%s)::text FROM %s", by, by, rel);
	char *c1 = xstrfmt("%s.%s <= $1", qual, by);
	char *c2 = xstrfmt("%s.%s > $1 AND %s.%s <= $2", qual, by, qual, by);
	out->stmt_first = with_range(s->rev->text, st->start, &t, c1);
	out->stmt_next = with_range(s->rev->text, st->start, &t, c2);
	free(c1);
	free(c2);
	free(qual);
	free(by);
	free(rel);
	sql_batch_target_release(&t);
	return 0;
}

int history_step_columns(struct apply_session *ss)
{
	static const char q[] = "SELECT count(*) FROM pg_attribute WHERE attrelid = "
				"to_regclass($1) AND attname IN (" SQLTEXT_STEP_COLUMNS ") "
				"AND NOT attisdropped";
	const char *params[] = {ss->htable};
	struct db_res *r = NULL;
	int ret = db_query(ss->db, q, 1, params, &r);
	if (ret < 0)
		return ret;
	bool have = atoi_safe(db_res_value(r, 0, 0)) == SQLTEXT_STEP_NCOLUMNS;
	db_res_free(r);
	if (have)
		return 0;
	struct strbuf sql = STRBUF_INIT;
	sqltext_history_step_columns(&sql, ss->htable);
	ret = db_exec(ss->db, sql.buf);
	strbuf_release(&sql);
	if (ret < 0)
		ret = err_wrap(ret, "cannot add the batch and backup columns to the history "
				    "table %s",
			       ss->htable);
	return ret;
}

/* The last key a batch of this segment committed since the revision last
 * settled, or NULL (fresh string). */
static int last_key(struct apply_session *ss, const struct apply_step *s, size_t k, char **out)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	char seg[32];
	snprintf(seg, sizeof(seg), "%zu", k + 1);
	*out = NULL;
	strbuf_addf(&sql,
		    "SELECT h.batch_key FROM %s h WHERE h.revision = $1 AND h.direction = $2 "
		    "AND h.segment = $3::int AND h.batch_key IS NOT NULL AND h.id > "
		    "coalesce((SELECT max(m.id) FROM %s m WHERE m.revision = $1 AND NOT "
		    "(m.outcome IN ('started', 'segment') OR (m.outcome = 'interrupted' AND "
		    "m.segment IS NOT NULL))), 0) ORDER BY h.id DESC LIMIT 1",
		    ss->htable, ss->htable);
	const char *params[] = {s->rev->id, s->dir == APPLY_UP ? "upgrade" : "downgrade", seg};
	int ret = own_query(ss, sql.buf, 3, params, &r, ss->htable);
	if (ret == 0 && db_res_nrows(r) && db_res_value(r, 0, 0))
		*out = xstrdup(db_res_value(r, 0, 0));
	db_res_free(r);
	strbuf_release(&sql);
	return ret;
}

/* Where `key` lies between `lo` and `hi`, when all three are numbers. */
static double fraction(const char *lo, const char *hi, const char *key)
{
	if (!lo || !hi || !key)
		return -1;
	char *e1, *e2, *e3;
	double a = strtod(lo, &e1), b = strtod(hi, &e2), x = strtod(key, &e3);
	if (*e1 || *e2 || *e3 || b <= a)
		return -1;
	double f = (x - a) / (b - a);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

static void pause_ms(long ms)
{
	/* in slices, so a signal stops the wait soon */
	while (ms > 0 && !apply_interrupted()) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = {0, slice * 1000000L};
		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

int apply_batch_run(struct apply_session *ss, const struct apply_step *s, size_t k,
		    const struct batch_row *row, bool *in_tx)
{
	const struct apply_segment *seg = &s->seg[k];
	struct batch_sql q = {0};
	struct apply_batch_progress pr = {0};
	struct db_res *r = NULL;
	char *key = NULL, *lo = NULL, *hi = NULL;
	char segno[32], rows[32], ms[32];
	snprintf(segno, sizeof(segno), "%zu", k + 1);
	*in_tx = false;
	int ret = batch_sql_build(s, seg, &q);
	if (ret < 0 || (ret = history_step_columns(ss)) < 0 || (ret = last_key(ss, s, k, &key)) < 0)
		goto out;
	pr.resumed = key != NULL;
	if ((ret = db_query(ss->db, q.range, 0, NULL, &r)) < 0)
		goto out;
	lo = db_res_value(r, 0, 0) ? xstrdup(db_res_value(r, 0, 0)) : NULL;
	hi = db_res_value(r, 0, 1) ? xstrdup(db_res_value(r, 0, 1)) : NULL;
	db_res_free(r);
	r = NULL;
	struct strbuf ins = STRBUF_INIT;
	sqltext_history_batch_insert(&ins, ss->htable);
	double t0 = mono_ms();
	for (;;) {
		if ((ret = apply_check_continue(ss)) < 0)
			break;
		double bt0 = mono_ms();
		if ((ret = db_exec(ss->db, "BEGIN READ WRITE")) < 0)
			break;
		*in_tx = true;
		const char *p1[] = {key};
		ret = db_query(ss->db, key ? q.bounds_next : q.bounds_first, key ? 1 : 0, p1, &r);
		if (ret < 0)
			break;
		const char *next = db_res_value(r, 0, 0);
		if (!next) {
			db_res_free(r);
			r = NULL;
			ret = db_exec(ss->db, "COMMIT");
			*in_tx = false;
			break;
		}
		char *upto = xstrdup(next);
		db_res_free(r);
		r = NULL;
		const char *p2[] = {key ? key : upto, upto};
		ret = db_query(ss->db, key ? q.stmt_next : q.stmt_first, key ? 2 : 1, p2, &r);
		if (ret < 0) {
			free(upto);
			break;
		}
		long changed = db_res_affected(r);
		db_res_free(r);
		r = NULL;
		/* the history row, as revgate's own statement, in the batch's
		 * transaction: it commits exactly when the batch does */
		struct db_batch b = DB_BATCH_INIT;
		own_prelude(ss, &b);
		snprintf(rows, sizeof(rows), "%ld", changed);
		snprintf(ms, sizeof(ms), "%.3f", mono_ms() - bt0);
		const char *params[SQLTEXT_BATCH_NPARAMS] = {
			row->revision, row->direction, segno,      row->segments, row->from,
			row->to,       row->checksum,  row->started_at, ms,     ss->os_user,
			ss->host,      REVGATE_VERSION, upto,      rows,
		};
		db_batch_add(&b, ins.buf, SQLTEXT_BATCH_NPARAMS, params);
		db_batch_add(&b, "COMMIT", 0, NULL);
		ret = db_batch_run(ss->db, &b);
		db_batch_release(&b);
		if (ret < 0) {
			free(upto);
			break;
		}
		*in_tx = false;
		free(key);
		key = upto;
		pr.batches++;
		pr.rows += changed;
		pr.batch_rows = changed;
		pr.last_key = key;
		pr.elapsed_ms = mono_ms() - t0;
		pr.fraction = fraction(lo, hi, key);
		if (ss->on_event) {
			struct apply_event ev = {.kind = APPLY_EV_BATCH, .step = s, .segment = k,
						 .ms = mono_ms() - bt0, .batch = &pr};
			ss->on_event(ss->event_ctx, &ev);
		}
		pause_ms(seg->batch.sleep_ms);
	}
	strbuf_release(&ins);
out:
	db_res_free(r);
	free(key);
	free(lo);
	free(hi);
	batch_sql_release(&q);
	return ret;
}
