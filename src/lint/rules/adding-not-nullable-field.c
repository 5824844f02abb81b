/*
 * SET NOT NULL scans the whole table under its lock, unless a validated
 * CHECK (col IS NOT NULL) proves it (PostgreSQL 12+; sql/ddl decides). A
 * column this revision added to an existing table is no exemption: the
 * scan reads the existing table's rows.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	char *key = ddl_rel_key(as->relation);
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull || !cmd->name)
			continue;
		size_t at = lint_clause(ctx, cmd);
		const struct ddl_lock *l = lint_lock_at(ctx, key, at);
		if (!l || !l->scan)
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f = lint_report(ctx, at,
						"SET NOT NULL on '%s.%s' scans the whole table under "
						"an %s lock",
						rel, cmd->name, lock_mode_name(l->mode));
		finding_set_hint(
		    f,
		    "prove it first without the lock: ALTER TABLE %s ADD CONSTRAINT "
		    "%s_not_null CHECK (%s IS NOT NULL) NOT VALID; ALTER TABLE %s "
		    "VALIDATE CONSTRAINT %s_not_null; (in a later revision) ALTER TABLE "
		    "%s ALTER COLUMN %s SET NOT NULL; then drop the check",
		    rel, cmd->name, cmd->name, rel, cmd->name, rel, cmd->name);
		free(rel);
	}
	free(key);
}

const struct lint_rule rule_adding_not_nullable_field = {
    .id = "adding-not-nullable-field",
    .summary = "SET NOT NULL needs a validated CHECK (col IS NOT NULL) first",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_SET_NOT_NULL),
    .check = check,
};
