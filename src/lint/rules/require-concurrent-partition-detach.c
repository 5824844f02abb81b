/* DETACH PARTITION without CONCURRENTLY locks the parent (PostgreSQL 14+ has CONCURRENTLY). */
#include "lint/lint.h"
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (ctx->settings->pg_version < 14 || !lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD ||
		    cmd->def->partition_cmd->concurrent)
			continue;
		char *rel = lu_rel(as->relation);
		char *part = lu_rel(cmd->def->partition_cmd->name);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"DETACH PARTITION '%s' takes an %s lock on '%s', blocking its "
				"reads and writes",
				part,
				lu_lock_name(ctx, as->relation, lint_clause(ctx, cmd),
					     LOCK_ACCESS_EXCLUSIVE),
				rel);
		finding_set_hint(f,
				 "ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY; (outside a "
				 "transaction: revgate runs it alone)",
				 rel, part);
		free(rel);
		free(part);
	}
}

const struct lint_rule rule_require_concurrent_partition_detach = {
    .id = "require-concurrent-partition-detach",
    .summary = "DETACH PARTITION must use CONCURRENTLY (PostgreSQL 14+)",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_DETACH_PARTITION, LF_DETACH_PARTITION_CONCURRENTLY),
    .check = check,
};
