/*
 * SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, unless
 * a validated CHECK (col IS NOT NULL) proves it (PostgreSQL 12+).
 */
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
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull || !cmd->name)
			continue;
		if (catalog_has_not_null_check(t, cmd->name))
			continue;
		const struct cat_column *col = catalog_column(t, cmd->name);
		if (col && col->origin == ctx->origin)
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f =
		    lint_report(ctx, ctx->stmt_start,
				"SET NOT NULL on '%s.%s' scans the whole table under an "
				"ACCESS EXCLUSIVE lock",
				rel, cmd->name);
		finding_set_hint(
		    f,
		    "prove it first without the lock: ALTER TABLE %s ADD CONSTRAINT "
		    "%s_not_null CHECK (%s IS NOT NULL) NOT VALID; ALTER TABLE %s "
		    "VALIDATE CONSTRAINT %s_not_null; (in a later revision) ALTER TABLE "
		    "%s ALTER COLUMN %s SET NOT NULL; then drop the check",
		    rel, cmd->name, cmd->name, rel, cmd->name, rel, cmd->name);
		free(rel);
	}
}

const struct lint_rule rule_adding_not_nullable_field = {
    .id = "adding-not-nullable-field",
    .summary = "SET NOT NULL needs a validated CHECK (col IS NOT NULL) first",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
};
