/* Dropping a column loses its data and breaks code that still reads it. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	const struct cat_table *t = lu_alter_table(ctx, as);
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn || !cmd->name)
			continue;
		const struct cat_column *col = catalog_column(t, cmd->name);
		if (col && col->origin == ctx->origin)
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"dropping '%s.%s' destroys its data and breaks every "
				"running query that still names it",
				rel, cmd->name);
		finding_set_hint(
		    f,
		    "first deploy code that no longer uses the column, then drop it "
		    "in a later revision (ALTER TABLE %s DROP COLUMN IF EXISTS %s;) and "
		    "silence this rule there with '-- revgate: ignore ban-drop-column'",
		    rel, cmd->name);
		free(rel);
	}
}

const struct lint_rule rule_ban_drop_column = {
    .id = "ban-drop-column",
    .summary = "dropping a column loses data and breaks running code",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_DROP_COLUMN),
    .check = check,
};
