/*
 * ATTACH PARTITION scans the new partition to prove its rows fit the bounds,
 * while holding a lock, unless a validated CHECK constraint already proves it.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return; /* ALTER INDEX ... ATTACH PARTITION scans nothing */
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD ||
		    !cmd->def->partition_cmd->name)
			continue;
		const struct cat_table *p =
		    catalog_table_rv(ctx->cat, cmd->def->partition_cmd->name);
		char *pk = ddl_rel_key(cmd->def->partition_cmd->name);
		const struct ddl_lock *l = lint_lock_at(ctx, pk, lint_clause(ctx, cmd));
		free(pk);
		if ((p && lint_table_is_new(ctx, p)) || !l || !l->scan)
			continue;
		char *rel = lu_rel(as->relation);
		char *part = lu_rel(cmd->def->partition_cmd->name);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"ATTACH PARTITION scans every row of '%s' to check the "
				"partition bounds while holding an %s lock on it",
				part, lock_mode_name(l->mode));
		finding_set_hint(
		    f,
		    "prove the bounds first: ALTER TABLE %s ADD CONSTRAINT %s_bounds "
		    "CHECK (...same bounds...) NOT VALID; ALTER TABLE %s VALIDATE "
		    "CONSTRAINT %s_bounds; then ALTER TABLE %s ATTACH PARTITION %s ...;",
		    part, cmd->def->partition_cmd->name->relname, part,
		    cmd->def->partition_cmd->name->relname, rel, part);
		free(rel);
		free(part);
	}
}

const struct lint_rule rule_attach_partition_without_check = {
    .id = "attach-partition-without-check",
    .summary = "ATTACH PARTITION without a validated CHECK that proves the bounds",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ATTACH_PARTITION),
    .check = check,
};
