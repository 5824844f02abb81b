/* Dropping a table loses its data. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	(void)node;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->action != DDL_DROP || e->kind != DDL_TABLE || lint_relation_is_new(ctx, e->key))
			continue;
		struct finding *f =
		    lint_report(ctx, e->offset, "dropping table '%s' destroys its data", e->key);
		finding_set_hint(f,
				 "stop using the table first; rename it (ALTER TABLE %s "
				 "RENAME TO %s_old) and drop it in a later revision once "
				 "nothing broke",
				 e->key, e->key);
	}
}

const struct lint_rule rule_ban_drop_table = {
    .id = "ban-drop-table",
    .summary = "dropping a table loses data",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DROP_STMT),
    .forms = LINT_FORMS(LF_DROP_RELATION),
    .check = check,
};
