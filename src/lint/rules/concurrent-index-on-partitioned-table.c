/* CREATE INDEX CONCURRENTLY is refused on a partitioned table. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__IndexStmt *is = node->index_stmt;
	const struct cat_table *t = catalog_table_rv(ctx->cat, is->relation);
	if (!t || !t->partitioned || !is->relation->inh)
		return; /* ON ONLY: the parent's index alone, built instantly */
	if (!is->concurrent && lint_table_is_new(ctx, t))
		return;
	char *rel = lu_rel(is->relation);
	struct finding *f;
	if (is->concurrent)
		f = lint_report(ctx, lint_loc(ctx, is->relation->location),
				"CREATE INDEX CONCURRENTLY fails on the partitioned table '%s'",
				rel);
	else
		f = lint_report(ctx, lint_loc(ctx, is->relation->location),
				"CREATE INDEX on the partitioned table '%s' locks every partition "
				"against writes while it builds",
				rel);
	finding_set_hint(f,
			 "create the index on the parent only, then build each partition's "
			 "index concurrently and attach it: CREATE INDEX %s ON ONLY %s (...); "
			 "CREATE INDEX CONCURRENTLY p1_idx ON %s_p1 (...); ALTER INDEX %s "
			 "ATTACH PARTITION p1_idx;",
			 is->idxname && *is->idxname ? is->idxname : "name", rel, rel,
			 is->idxname && *is->idxname ? is->idxname : "name");
	free(rel);
}

const struct lint_rule rule_concurrent_index_on_partitioned_table = {
    .id = "concurrent-index-on-partitioned-table",
    .summary = "an index on a partitioned table is built per partition, then attached",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT),
    .forms = LINT_FORMS(LF_CREATE_INDEX, LF_CREATE_INDEX_CONCURRENTLY),
    .check = check,
};
