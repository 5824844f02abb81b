/*
 * pgvector: an hnsw or ivfflat index without an operator class uses L2
 * distance; queries ordering by cosine (<=>) or inner product (<#>) then
 * never use it.
 */
#include "lint/util.h"

#include <stdlib.h>
#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__IndexStmt *is = node->index_stmt;
	const char *am = is->access_method;
	if (!am || (strcmp(am, "hnsw") && strcmp(am, "ivfflat")))
		return;
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *p = is->index_params[i];
		if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM || p->index_elem->n_opclass)
			continue;
		const char *col = p->index_elem->name && *p->index_elem->name ? p->index_elem->name
									      : "the expression";
		char *rel = lu_rel(is->relation);
		struct finding *f =
		    lint_report(ctx, lint_loc(ctx, is->relation ? is->relation->location : -1),
				"%s index on %s without an operator class uses L2 "
				"distance: queries by cosine (<=>) or inner product "
				"(<#>) will not use it",
				am, col);
		finding_set_hint(f,
				 "name the distance your queries use: CREATE INDEX ... ON %s USING "
				 "%s (%s vector_cosine_ops); (or vector_l2_ops, vector_ip_ops)",
				 rel, am, col);
		free(rel);
	}
}

const struct lint_rule rule_vector_index_without_opclass = {
    .id = "vector-index-without-opclass",
    .summary = "pgvector hnsw/ivfflat index without an operator class",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT),
    .check = check,
};
