/* DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	(void)node;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->action != DDL_DROP || e->kind != DDL_INDEX || (e->flags & DDL_CONCURRENTLY))
			continue;
		/* an index this revision built, or on a table it created: nobody uses it yet */
		if (lint_relation_is_new(ctx, e->key) || (e->table && lint_relation_is_new(ctx, e->table)))
			continue;
		const struct ddl_lock *l = lint_lock_at(ctx, e->table ? e->table : e->key, SIZE_MAX);
		struct finding *f =
		    lint_report(ctx, e->offset,
				"DROP INDEX '%s' takes an %s lock on %s, blocking reads and "
				"writes until it finishes",
				e->key, lock_mode_name(l ? l->mode : LOCK_ACCESS_EXCLUSIVE),
				e->table ? "its table" : "the index and its table");
		finding_set_hint(f, "DROP INDEX CONCURRENTLY IF EXISTS %s;", e->key);
	}
}

const struct lint_rule rule_require_concurrent_index_deletion = {
    .id = "require-concurrent-index-deletion",
    .summary = "DROP INDEX on an existing index must use CONCURRENTLY",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DROP_STMT),
    .forms = LINT_FORMS(LF_DROP_INDEX, LF_DROP_INDEX_CONCURRENTLY),
    .check = check,
};
