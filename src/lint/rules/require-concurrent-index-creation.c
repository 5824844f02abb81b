/* CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__IndexStmt *is = node->index_stmt;
	if (is->concurrent || !is->relation)
		return;
	const struct cat_table *t = catalog_table_rv(ctx->cat, is->relation);
	if (lint_table_is_new(ctx, t))
		return; /* created by this revision: empty, nobody writes to it yet */
	if (t && t->partitioned)
		return; /* concurrent-index-on-partitioned-table explains the way */
	char *rel = lu_rel(is->relation);
	struct finding *f = lint_report(ctx, lint_loc(ctx, is->relation->location),
					"CREATE INDEX on '%s' holds a %s lock, which blocks writes "
					"to the table until the index is built",
					rel, lu_lock_name(ctx, is->relation, SIZE_MAX, LOCK_SHARE));
	finding_set_hint(f,
			 "build it without blocking writes: CREATE %sINDEX CONCURRENTLY IF NOT "
			 "EXISTS %s ON %s (...); it cannot run in a transaction, which revgate "
			 "handles by running it alone",
			 is->unique ? "UNIQUE " : "",
			 is->idxname && *is->idxname ? is->idxname : "name", rel);
	free(rel);
}

const struct lint_rule rule_require_concurrent_index_creation = {
    .id = "require-concurrent-index-creation",
    .summary = "CREATE INDEX on an existing table must use CONCURRENTLY",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT),
    .forms = LINT_FORMS(LF_CREATE_INDEX, LF_CREATE_INDEX_CONCURRENTLY),
    .check = check,
};
