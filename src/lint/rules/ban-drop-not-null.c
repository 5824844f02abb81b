/* DROP NOT NULL lets NULLs in that code reading the column may not expect, and cannot be undone
 * easily. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull || !cmd->name)
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"dropping NOT NULL on '%s.%s' lets NULLs in, and putting "
				"it back later needs a full scan",
				rel, cmd->name);
		finding_set_hint(f, "make sure readers handle NULL; if this is on purpose, silence "
				    "it with '-- revgate: ignore ban-drop-not-null'");
		free(rel);
	}
}

const struct lint_rule rule_ban_drop_not_null = {
    .id = "ban-drop-not-null",
    .summary = "dropping NOT NULL breaks readers that rely on it",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_DROP_NOT_NULL),
    .check = check,
};
