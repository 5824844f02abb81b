/*
 * resolve: a revision stopped part-way outside a transaction leaves the
 * database between two states the version table cannot express. The
 * catalog says what is there (an INVALID index left by a failed
 * concurrent build); the operator finishes or undoes it and says which,
 * and that decision is recorded in the history.
 */
#include "apply/internal.h"
#include "core/err.h"
#include "core/hash.h"
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

int apply_resolve(struct apply_session *ss, const struct apply_pending *pending, bool done)
{
	const struct graph *g = ss->g;
	struct strlist heads = STRLIST_INIT, before = STRLIST_INIT, after = STRLIST_INIT;
	struct vchange change = VCHANGE_INIT;
	struct db_batch b = DB_BATCH_INIT;
	struct strbuf sql = STRBUF_INIT;
	size_t node;
	int ret = 0;
	if (!graph_find(g, pending->revision, &node))
		return err_set(ERR_NOTFOUND, "revision '%s' is not in the migrations directory",
			       pending->revision);
	bool up = strcmp(pending->direction, "downgrade") != 0;
	for (size_t i = 0; i < ss->heads.n; i++)
		strlist_push(&heads, ss->heads.v[i]);
	strlist_sorted_copy(&before, &heads);
	if (done && (ret = heads_step(g, &heads, node, up, &change)) < 0)
		goto out;
	strlist_sorted_copy(&after, &heads);
	db_batch_add(&b, "BEGIN", 0, NULL);
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
		struct err_saved keep;
		err_save(&keep);
		if (db_alive(ss->db))
			(void)db_exec(ss->db, "ROLLBACK");
		err_restore(&keep);
		goto out;
	}
	if ((ret = db_exec(ss->db, "COMMIT")) == 0) {
		strlist_release(&ss->heads);
		for (size_t i = 0; i < heads.n; i++)
			strlist_push(&ss->heads, heads.v[i]);
	}
out:
	strbuf_release(&sql);
	db_batch_release(&b);
	vchange_release(&change);
	strlist_release(&heads);
	strlist_release(&before);
	strlist_release(&after);
	return ret < 0 ? interrupted_or(ret) : 0;
}

char *apply_pending_where(const struct apply_pending *p)
{
	if (!p->segments)
		return xstrdup("");
	if (!strcmp(p->outcome, "interrupted") && p->segment > 0) {
		bool signal = p->error && !strncmp(p->error, "interrupted by", 14);
		return xstrfmt(" in segment %d of %d (%s)", p->segment, p->segments,
			       signal ? "interrupted" : "failed");
	}
	if (p->segment <= 0)
		return xstrfmt(" before segment 1 of %d completed", p->segments);
	return xstrfmt(" after segment %d of %d", p->segment, p->segments);
}

int apply_pending_find(const struct apply_pending *v, size_t n, const char *rev,
		       const struct apply_pending **out)
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
