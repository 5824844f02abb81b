/* DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__DropStmt *ds = node->drop_stmt;
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || ds->concurrent)
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		char *name = lu_object_name(ds->objects[i]);
		if (!name)
			continue;
		const struct cat_index *x = catalog_index(ctx->cat, name);
		if (x && x->origin == ctx->origin) {
			free(name);
			continue;
		}
		const struct cat_table *t = x ? catalog_table(ctx->cat, x->table) : NULL;
		if (t && lint_table_is_new(ctx, t)) {
			free(name);
			continue;
		}
		struct finding *f = lint_report(ctx, ctx->stmt_start,
						"DROP INDEX '%s' locks its table against reads and "
						"writes until it finishes",
						name);
		finding_set_hint(f, "DROP INDEX CONCURRENTLY IF EXISTS %s;", name);
		free(name);
	}
}

const struct lint_rule rule_require_concurrent_index_deletion = {
    .id = "require-concurrent-index-deletion",
    .summary = "DROP INDEX on an existing index must use CONCURRENTLY",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DROP_STMT),
    .check = check,
};
