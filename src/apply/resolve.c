/*
 * resolve: a revision stopped part-way outside a transaction leaves the
 * database between two states the version table cannot express. The
 * history says which segments completed, which failed, and which one
 * started without an end (the connection was lost under it); the catalog
 * settles that one where it can (its index present and valid, its column
 * there) and shows what is left over (an INVALID index from a failed
 * concurrent build). Then revgate resumes from the first segment not known
 * to be complete, or records the operator's decision, after checking it
 * against the catalog.
 */
#include "apply/internal.h"
#include "apply/probe.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

int apply_diagnose(struct apply_session *ss, struct strlist *lines)
{
	static const char q[] =
		"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
		"quote_ident(tn.nspname) || '.' || quote_ident(t.relname) "
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_namespace n ON n.oid = c.relnamespace "
		"JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
		"WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
		"ORDER BY 1";
	struct db_res *r = NULL;
	int ret = db_query(ss->db, q, 0, NULL, &r);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++) {
		const char *idx = db_res_value(r, i, 0);
		strlist_push_owned(lines,
				   xstrfmt("index %s on %s is INVALID (a concurrent build failed): "
					   "drop it with 'DROP INDEX CONCURRENTLY %s;' or rebuild it "
					   "with 'REINDEX INDEX CONCURRENTLY %s;'",
					   idx, db_res_value(r, i, 1), idx, idx));
	}
	db_res_free(r);
	return interrupted_or(ret);
}

void apply_inspection_release(struct apply_inspection *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->seg[i].excerpt);
		free(in->seg[i].catalog);
		free(in->seg[i].invalid_index);
	}
	free(in->seg);
	apply_plan_release(&in->plan);
	memset(in, 0, sizeof(*in));
}

/* The one step the half-done revision is, planned from the heads the
 * version table holds (they do not move until its last segment). */
static int pending_step(struct apply_session *ss, const struct apply_pending *p,
			struct apply_plan *plan, const struct revision **rev)
{
	size_t node;
	if (!graph_find(ss->g, p->revision, &node))
		return err_set(ERR_NOTFOUND, "revision '%s' is not in the migrations directory "
					     "(restore its file: resolve needs what ran)",
			       p->revision);
	*rev = ss->g->nodes[node].rev;
	struct strlist heads = STRLIST_INIT;
	for (size_t i = 0; i < ss->heads.n; i++)
		strlist_push(&heads, ss->heads.v[i]);
	plan->g = ss->g;
	plan->dir = strcmp(p->direction, "downgrade") ? APPLY_UP : APPLY_DOWN;
	int ret = apply_plan_add(plan, &heads, node, plan->dir);
	strlist_release(&heads);
	return ret;
}

static char *first_line(const char *text, size_t start, size_t len)
{
	size_t n = 0;
	while (n < len && text[start + n] != '\n' && text[start + n] != '\r')
		n++;
	return n < len ? xstrfmt("%.*s ...", (int)n, text + start) : xstrndup(text + start, n);
}

/* Asks the catalog about statement `i` of the step. */
static int probe_stmt(struct apply_session *ss, const struct apply_step *s, size_t i,
		      struct probe_result *r)
{
	const struct sql_stmt *st = &s->stmts.v[i];
	int ret = probe_statement(ss->db, s->rev->text, st->start, st->len, r);
	return ret < 0 ? interrupted_or(ret) : 0;
}

int apply_inspect(struct apply_session *ss, struct apply_pending *p, bool settle,
		  struct apply_inspection *out)
{
	memset(out, 0, sizeof(*out));
	int ret = pending_step(ss, p, &out->plan, &out->rev);
	if (ret < 0)
		return ret;
	const struct apply_step *s = &out->plan.v[0];
	char sum[65];
	hash_sha256_hex(out->rev->text, out->rev->len, sum);
	out->file_changed = (p->checksum && strcmp(p->checksum, sum)) ||
			    (size_t)p->segments != s->nseg;
	out->n = p->segments > 0 ? (size_t)p->segments : 0;
	out->seg = xcalloc(out->n + 1, sizeof(*out->seg));
	for (size_t k = 0; k < out->n && ret == 0; k++) {
		struct apply_seg_view *v = &out->seg[k];
		struct apply_seg_record *rec = &p->seg[k];
		v->state = rec->state;
		v->error = rec->error;
		if (out->file_changed)
			continue;
		const struct apply_segment *seg = &s->seg[k];
		v->transactional = seg->transactional;
		v->statements = seg->n;
		if (seg->n) {
			const struct sql_stmt *st = &s->stmts.v[seg->first];
			unsigned col;
			text_pos(out->rev->text, out->rev->len, st->start, &v->line, &col);
			v->excerpt = first_line(out->rev->text, st->start, st->len);
		}
		/* a transactional segment is all or nothing, and its row tells
		 * which; a statement alone that did not complete may have left
		 * an INVALID index, and one that started without an end is
		 * asked about */
		if (seg->transactional || !seg->n || rec->state == APPLY_SEG_DONE ||
		    rec->state == APPLY_SEG_NOT_STARTED)
			continue;
		/* a batched backfill's committed batches are in the history:
		 * running it again continues after the last one */
		if (seg->batched) {
			v->repeatable = true;
			v->catalog = xstrdup("a batched backfill: resuming continues after the last "
					     "batch the history records");
			continue;
		}
		struct probe_result pr;
		if ((ret = probe_stmt(ss, s, seg->first, &pr)) < 0)
			break;
		v->catalog = pr.evidence ? xstrdup(pr.evidence) : NULL;
		v->invalid_index = pr.invalid_index ? xstrdup(pr.invalid_index) : NULL;
		if (rec->state == APPLY_SEG_UNKNOWN) {
			v->repeatable = pr.answer == PROBE_REPEATABLE;
			bool done = pr.answer == PROBE_DONE, not_done = pr.answer == PROBE_NOT_DONE;
			if (settle && (done || not_done)) {
				char *note = xstrfmt("outcome settled from the catalog: %s",
						     pr.evidence ? pr.evidence : "");
				ret = record_segment_outcome(ss, s, k, done ? "segment" : "interrupted",
							     note);
				if (ret == 0) {
					rec->state = v->state = done ? APPLY_SEG_DONE : APPLY_SEG_FAILED;
					free(rec->error);
					rec->error = note;
					note = NULL;
					v->error = rec->error;
					v->settled = true;
				}
				free(note);
			}
		}
		probe_result_release(&pr);
	}
	return ret < 0 ? interrupted_or(ret) : 0;
}

/* Checks the operator's claim statement by statement; adds one line per
 * contradiction to `why`. */
static int check_claim(struct apply_session *ss, const struct apply_inspection *in, bool done,
		       struct strbuf *why)
{
	const struct apply_step *s = &in->plan.v[0];
	int ret = 0;
	for (size_t k = 0; k < in->n && ret == 0; k++) {
		const struct apply_seg_view *v = &in->seg[k];
		const struct apply_segment *seg = &s->seg[k];
		for (size_t i = seg->first; i < seg->first + seg->n && ret == 0; i++) {
			struct probe_result pr;
			if ((ret = probe_stmt(ss, s, i, &pr)) < 0)
				break;
			unsigned line, col;
			text_pos(s->rev->text, s->rev->len, s->stmts.v[i].start, &line, &col);
			if (done && v->state != APPLY_SEG_DONE && pr.answer == PROBE_NOT_DONE)
				strbuf_addf(why, "%ssegment %zu (%s:%u) has not taken effect: %s",
					    why->len ? "; " : "", k + 1, s->rev->path, line,
					    pr.evidence ? pr.evidence : "");
			else if (!done && pr.invalid_index)
				strbuf_addf(why, "%ssegment %zu (%s:%u) left index %s INVALID: drop "
						 "it first with 'DROP INDEX CONCURRENTLY %s;'",
					    why->len ? "; " : "", k + 1, s->rev->path, line, pr.invalid_index,
					    pr.invalid_index);
			else if (!done && v->state != APPLY_SEG_NOT_STARTED &&
				 pr.answer == PROBE_DONE)
				strbuf_addf(why, "%ssegment %zu (%s:%u) ran and is still there: %s",
					    why->len ? "; " : "", k + 1, s->rev->path, line,
					    pr.evidence ? pr.evidence : "");
			probe_result_release(&pr);
		}
	}
	return ret;
}

int apply_resolve(struct apply_session *ss, struct apply_pending *pending, bool done)
{
	const struct graph *g = ss->g;
	struct strlist heads = STRLIST_INIT, before = STRLIST_INIT, after = STRLIST_INIT;
	struct vchange change = VCHANGE_INIT;
	struct db_batch b = DB_BATCH_INIT;
	struct strbuf sql = STRBUF_INIT, why = STRBUF_INIT;
	struct apply_inspection in;
	size_t node;
	int ret = apply_inspect(ss, pending, true, &in);
	if (ret < 0)
		goto out;
	if (!in.file_changed && (ret = check_claim(ss, &in, done, &why)) < 0)
		goto out;
	if (why.len) {
		ret = err_set(ERR_CHECK, "the catalog contradicts '%s %s': %s; %s",
			      done ? "--done" : "--rolled-back", pending->revision, why.buf,
			      done ? "finish it by hand first, or let revgate do it: 'revgate resolve "
				     "--resume'"
				   : "undo it by hand first, or record what ran with '--done', or let "
				     "revgate finish it: 'revgate resolve --resume'");
		goto out;
	}
	graph_find(g, pending->revision, &node);
	bool up = strcmp(pending->direction, "downgrade") != 0;
	for (size_t i = 0; i < ss->heads.n; i++)
		strlist_push(&heads, ss->heads.v[i]);
	strlist_sorted_copy(&before, &heads);
	if (done && (ret = heads_step(g, &heads, node, up, &change)) < 0)
		goto out;
	strlist_sorted_copy(&after, &heads);
	db_batch_add(&b, "BEGIN READ WRITE", 0, NULL);
	own_prelude(ss, &b);
	size_t first = b.n;
	for (size_t i = 0; i < change.n; i++) {
		const struct vop *op = &change.ops[i];
		strbuf_reset(&sql);
		if (op->kind == VOP_INSERT) {
			sqltext_version_insert(&sql, ss->vtable);
			const char *p[] = {op->to};
			db_batch_add(&b, sql.buf, 1, p);
		} else if (op->kind == VOP_DELETE) {
			sqltext_version_delete(&sql, ss->vtable);
			const char *p[] = {op->from};
			db_batch_add(&b, sql.buf, 1, p);
		} else {
			sqltext_version_update(&sql, ss->vtable);
			const char *p[] = {op->from, op->to};
			db_batch_add(&b, sql.buf, 2, p);
		}
	}
	size_t end = b.n;
	const struct revision *rev = g->nodes[node].rev;
	char checksum[65];
	hash_sha256_hex(rev->text, rev->len, checksum);
	struct sqltext_history h = {
		.revision = rev->id,
		.direction = "resolve",
		.outcome = done ? "applied" : "rolled-back",
		.from = &before,
		.to = &after,
		.checksum = done && up ? checksum : NULL,
		.error = done ? "marked done by the operator" : "marked rolled back by the operator",
	};
	history_batch(ss, &b, &h);
	ret = db_batch_run(ss->db, &b);
	for (size_t i = first; ret == 0 && i < end; i++)
		if (b.v[i].affected != 1)
			ret = err_set(ERR_DB, "the version table %s changed under this run; nothing "
					      "was changed",
				      ss->vtable);
	if (ret < 0) {
		/* the failure stays the error reported, whatever the ROLLBACK
		 * (on a connection that just ended) says */
		const char *state = db_last_error(ss->db)->sqlstate;
		char *sqlstate = state && b.failed >= first ? xstrdup(state) : NULL;
		struct err_saved keep;
		err_save(&keep);
		if (db_alive(ss->db))
			(void)db_exec(ss->db, "ROLLBACK");
		err_restore(&keep);
		ret = own_lock_error(ss, sqlstate, ret, b.failed < end ? ss->vtable : ss->htable);
		free(sqlstate);
		goto out;
	}
	if ((ret = db_exec(ss->db, "COMMIT")) == 0)
		session_set_heads(ss, &heads);
out:
	apply_inspection_release(&in);
	strbuf_release(&sql);
	strbuf_release(&why);
	db_batch_release(&b);
	vchange_release(&change);
	strlist_release(&heads);
	strlist_release(&before);
	strlist_release(&after);
	return ret < 0 ? interrupted_or(ret) : 0;
}

int apply_pending_in_batch(struct apply_session *ss, struct apply_pending *p, bool *out)
{
	struct apply_inspection in;
	*out = false;
	int ret = apply_inspect(ss, p, false, &in);
	if (ret < 0)
		return ret;
	size_t k = 0;
	while (k < in.n && in.seg[k].state == APPLY_SEG_DONE)
		k++;
	*out = !in.file_changed && in.plan.n && k < in.plan.v[0].nseg && in.plan.v[0].seg[k].batched;
	apply_inspection_release(&in);
	return 0;
}

int apply_resume(struct apply_session *ss, struct apply_pending *p, struct strlist *dropped,
		 struct apply_failure *fail)
{
	struct apply_inspection in;
	int ret = apply_inspect(ss, p, true, &in);
	if (ret < 0)
		goto out;
	if (in.file_changed) {
		ret = err_set(ERR_CHECK, "%s changed since revision '%s' stopped (its checksum or its "
					 "segments differ): resuming would run another revision's "
					 "rest; restore the file, or settle it by hand with "
					 "'revgate resolve --done' or '--rolled-back'",
			      in.rev->path, p->revision);
		goto out;
	}
	size_t k = 0;
	while (k < in.n && in.seg[k].state == APPLY_SEG_DONE)
		k++;
	const struct apply_step *s = &in.plan.v[0];
	if (k < in.n && in.seg[k].state == APPLY_SEG_UNKNOWN && !in.seg[k].repeatable) {
		ret = err_set(ERR_CHECK, "segment %zu of revision '%s' (%s:%u: %s) started, and "
					 "whether it completed is unknown: the catalog cannot tell for "
					 "this statement; check by hand, then record what you find "
					 "with 'revgate resolve --done %s' (after running the rest by "
					 "hand) or '--rolled-back %s' (after undoing it)",
			      k + 1, p->revision, in.rev->path, in.seg[k].line,
			      in.seg[k].excerpt ? in.seg[k].excerpt : "", p->revision, p->revision);
		goto out;
	}
	if (k < in.n && in.seg[k].invalid_index) {
		/* what the failed build left: CREATE INDEX CONCURRENTLY would
		 * say "already exists", and IF NOT EXISTS would keep it INVALID */
		char *sql = xstrfmt("DROP INDEX CONCURRENTLY IF EXISTS %s", in.seg[k].invalid_index);
		ret = db_exec(ss->db, sql);
		free(sql);
		if (ret < 0) {
			ret = err_wrap(ret, "cannot drop the INVALID index %s left by segment %zu",
				       in.seg[k].invalid_index, k + 1);
			goto out;
		}
		strlist_push(dropped, in.seg[k].invalid_index);
	}
	if ((ret = run_segments(ss, s, k < s->nseg ? k : s->nseg - 1, fail)) < 0)
		goto out;
	if ((ret = session_reset(ss)) < 0)
		goto out;
	session_set_heads(ss, &s->heads_after);
out:
	apply_inspection_release(&in);
	return ret < 0 ? interrupted_or(ret) : 0;
}

char *apply_pending_where(const struct apply_pending *p)
{
	if (!p->segments || !p->seg)
		return xstrdup("");
	int k = 0;
	while (k < p->segments && p->seg[k].state == APPLY_SEG_DONE)
		k++;
	if (k == p->segments)
		return xstrfmt(" after segment %d of %d", k, p->segments);
	const struct apply_seg_record *r = &p->seg[k];
	if (r->state == APPLY_SEG_FAILED) {
		bool signal = r->error && !strncmp(r->error, "interrupted by", 14);
		return xstrfmt(" in segment %d of %d (%s)", k + 1, p->segments,
			       signal ? "interrupted" : "failed");
	}
	if (r->state == APPLY_SEG_UNKNOWN)
		return xstrfmt(" in segment %d of %d (outcome unknown: its end was never recorded)",
			       k + 1, p->segments);
	if (k == 0)
		return xstrfmt(" before segment 1 of %d completed", p->segments);
	return xstrfmt(" after segment %d of %d", k, p->segments);
}

int apply_pending_find(struct apply_pending *v, size_t n, const char *rev,
		       struct apply_pending **out)
{
	size_t len = strlen(rev), hits = 0;
	struct strbuf names = STRBUF_INIT;
	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].revision, rev)) {
			*out = &v[i];
			return 0;
		}
	if (len < 4)
		return err_set(ERR_USAGE, "'%s' is too short to name a revision: give its id or a "
					  "unique prefix of 4 or more characters",
			       rev);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(v[i].revision, rev, len))
			continue;
		strbuf_addf(&names, "%s%s", hits ? ", " : "", v[i].revision);
		*out = &v[i];
		hits++;
	}
	int ret = 0;
	if (!hits)
		ret = err_set(ERR_NOTFOUND, "revision '%s' is not half-done (see 'revgate resolve')",
			      rev);
	else if (hits > 1)
		ret = err_set(ERR_AMBIGUOUS, "'%s' names several half-done revisions: %s; give "
					     "more of the id",
			      rev, names.buf);
	if (ret < 0)
		*out = NULL;
	strbuf_release(&names);
	return ret;
}
