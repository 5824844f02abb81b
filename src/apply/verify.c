/*
 * verify: the revisions the database has applied, checked against the
 * files. The byte checksum recorded when a revision ran settles most cases
 * at the cost of one hash; only a revision whose bytes differ is split and
 * compared statement by statement (token streams, so a comment or
 * whitespace edit is told apart from a change of meaning).
 */
#include "apply/internal.h"
#include "core/err.h"
#include "core/finding.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

#define RULE_APPLIED_CHANGED "applied-checksum-mismatch"
#define RULE_APPLIED_COSMETIC "applied-checksum-cosmetic"

/* Parses '{a,b,c}' into `out`. */
static void parse_array(const char *s, struct strlist *out)
{
	if (!s || *s != '{')
		return;
	char *body = xstrdup(s + 1);
	size_t n = strlen(body);
	if (n && body[n - 1] == '}')
		body[n - 1] = '\0';
	strlist_split(out, body, ',');
	free(body);
}

static void compare_statements(const struct revision *rev, const char *stored,
			       struct findings *out)
{
	struct sql_script stmts = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	struct strlist now = STRLIST_INIT, then = STRLIST_INIT;
	char whole[65];
	if (!stored || sql_split(rev->text, rev->upgrade.start, rev->upgrade.end, &stmts, &err) < 0) {
		err_clear();
		struct finding *f = findings_add(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, 0, 0,
						 "revision '%s' changed since it was applied",
						 rev->id);
		finding_set_hint(f, "an applied revision must not be edited: restore it and put "
				    "the change in a new revision");
		goto out;
	}
	apply_section_checksums(rev, &stmts, whole, &now);
	parse_array(stored, &then);
	size_t k = 0;
	while (k < now.n && k < then.n && !strcmp(now.v[k], then.v[k]))
		k++;
	if (k == now.n && k == then.n) {
		struct finding *f = findings_add(out, RULE_APPLIED_COSMETIC, SEV_WARNING, rev->path,
						 0, 0,
						 "revision '%s' was edited since it was applied, "
						 "but only in comments or whitespace",
						 rev->id);
		finding_set_hint(f, "harmless for the database; restore the file to silence this");
		goto out;
	}
	struct finding *f;
	if (k < now.n) {
		f = findings_add_at(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, rev->text,
				    rev->len, stmts.v[k].start,
				    "statement %zu of revision '%s' %s since it was applied", k + 1,
				    rev->id, k < then.n ? "changed" : "was added");
	} else {
		f = findings_add_at(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, rev->text,
				    rev->len, rev->upgrade.end,
				    "revision '%s' lost statement %zu since it was applied", rev->id,
				    k + 1);
	}
	finding_set_hint(f, "an applied revision must not be edited: restore it and put the "
			    "change in a new revision");
out:
	strlist_release(&now);
	strlist_release(&then);
	sql_script_release(&stmts);
	sql_error_release(&err);
}

int apply_verify(struct apply_session *ss, struct findings *out, size_t *checked)
{
	const struct graph *g = ss->g;
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	struct bitset applied = BITSET_INIT;
	struct idxvec heads = IDXVEC_INIT;
	int ret = 0;
	*checked = 0;
	if (!ss->have_history)
		return 0;
	for (size_t i = 0; i < ss->heads.n; i++) {
		size_t idx;
		if (graph_find(g, ss->heads.v[i], &idx))
			idxvec_push(&heads, idx);
	}
	bitset_init(&applied, g->n);
	if (heads.n)
		graph_ancestors(g, heads.v, heads.n, true, &applied);
	strbuf_addf(&sql,
		    "SELECT DISTINCT ON (revision) revision, checksum, statement_checksums "
		    "FROM %s WHERE outcome IN ('applied', 'stamped') "
		    "ORDER BY revision, id DESC",
		    ss->htable);
	if ((ret = db_query(ss->db, sql.buf, 0, NULL, &r)) < 0)
		goto out;
	for (size_t i = 0; i < db_res_nrows(r); i++) {
		size_t idx;
		const char *sum = db_res_value(r, i, 1);
		if (!sum || !graph_find(g, db_res_value(r, i, 0), &idx) || !bitset_test(&applied, idx))
			continue;
		const struct revision *rev = g->nodes[idx].rev;
		char now[65];
		hash_sha256_hex(rev->text, rev->len, now);
		(*checked)++;
		if (strcmp(now, sum))
			compare_statements(rev, db_res_value(r, i, 2), out);
	}
out:
	db_res_free(r);
	bitset_release(&applied);
	idxvec_release(&heads);
	strbuf_release(&sql);
	return ret;
}
