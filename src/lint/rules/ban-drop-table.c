/* Dropping a table loses its data. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__DropStmt *ds = node->drop_stmt;
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		char *name = lu_object_name(ds->objects[i]);
		if (!name)
			continue;
		const struct cat_table *t = catalog_table(ctx->cat, name);
		if (!lint_table_is_new(ctx, t)) {
			struct finding *f = lint_report(
			    ctx, ctx->stmt_start, "dropping table '%s' destroys its data", name);
			finding_set_hint(f,
					 "stop using the table first; rename it (ALTER TABLE %s "
					 "RENAME TO %s_old) and drop it in a later revision once "
					 "nothing broke",
					 name, name);
		}
		free(name);
	}
}

const struct lint_rule rule_ban_drop_table = {
    .id = "ban-drop-table",
    .summary = "dropping a table loses data",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DROP_STMT),
    .check = check,
};
