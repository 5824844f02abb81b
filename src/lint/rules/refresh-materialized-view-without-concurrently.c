/* REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every reader of the view. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__RefreshMatViewStmt *r = node->refresh_mat_view_stmt;
	if (r->concurrent || !r->relation)
		return;
	const struct cat_table *t = catalog_table_rv(ctx->cat, r->relation);
	if (lint_table_is_new(ctx, t))
		return;
	char *rel = lu_rel(r->relation);
	struct finding *f = lint_report(ctx, ctx->stmt_start,
					"REFRESH MATERIALIZED VIEW '%s' blocks every query of the "
					"view until it finishes",
					rel);
	finding_set_hint(f,
			 "REFRESH MATERIALIZED VIEW CONCURRENTLY %s; (needs a unique index on "
			 "the view)",
			 rel);
	free(rel);
}

const struct lint_rule rule_refresh_materialized_view_without_concurrently = {
    .id = "refresh-materialized-view-without-concurrently",
    .summary = "REFRESH MATERIALIZED VIEW must use CONCURRENTLY",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT),
    .forms = LINT_FORMS(LF_REFRESH_MATVIEW, LF_REFRESH_MATVIEW_CONCURRENTLY),
    .check = check,
};
