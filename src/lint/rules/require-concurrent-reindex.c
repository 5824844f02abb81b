/* REINDEX without CONCURRENTLY blocks writes (and reads using the index). */
#include "lint/util.h"

#include <stdlib.h>
#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ReindexStmt *rs = node->reindex_stmt;
	if (rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM)
		return; /* the system catalogs cannot be reindexed concurrently */
	for (size_t i = 0; i < rs->n_params; i++) {
		const PgQuery__Node *p = rs->params[i];
		if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    !strcmp(p->def_elem->defname, "concurrently"))
			return;
	}
	char *what = rs->relation ? lu_rel(rs->relation) : xstrdup(rs->name ? rs->name : "");
	struct finding *f = lint_report(
	    ctx, ctx->stmt_start, "REINDEX %s blocks writes to the table while it runs", what);
	finding_set_hint(f, "REINDEX ... CONCURRENTLY %s; (PostgreSQL 12+, outside a transaction)",
			 what);
	free(what);
}

const struct lint_rule rule_require_concurrent_reindex = {
    .id = "require-concurrent-reindex",
    .summary = "REINDEX must use CONCURRENTLY",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_REINDEX_STMT),
    .forms = LINT_FORMS(LF_REINDEX, LF_REINDEX_CONCURRENTLY),
    .check = check,
};
