/*
 * A statement that runs outside a transaction is not rolled back when a
 * later one fails: the revision is re-run after the fix, so the statement
 * must be safe to run twice.
 */
#include "lint/util.h"

#include <stdlib.h>

static void hint_index(struct finding *f, const PgQuery__IndexStmt *is)
{
	const char *name = is->idxname && *is->idxname ? is->idxname : "name";
	finding_set_hint(f,
			 "a failed concurrent build leaves an INVALID index behind: DROP INDEX "
			 "CONCURRENTLY IF EXISTS %s; CREATE INDEX CONCURRENTLY IF NOT EXISTS %s "
			 "ON ...;",
			 name, name);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	if (node != ctx->stmt || ctx->in_transaction)
		return;
	struct finding *f;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = node->index_stmt;
		if (is->if_not_exists)
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"CREATE INDEX runs outside a transaction: if the revision fails "
				"later, re-running it fails here");
		hint_index(f, is);
		return;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (node->drop_stmt->missing_ok)
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"DROP without IF EXISTS runs outside a transaction: re-running the "
				"revision fails here");
		finding_set_hint(f, "DROP ... IF EXISTS ...;");
		return;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		if (node->create_stmt->if_not_exists)
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"CREATE TABLE without IF NOT EXISTS runs outside a transaction: "
				"re-running the revision fails here");
		finding_set_hint(f, "CREATE TABLE IF NOT EXISTS ...;");
		return;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		LU_FOREACH_CMD(as, cmd)
		{
			bool add = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn;
			bool dropc = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn ||
				     cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint;
			if ((add || dropc) && !cmd->missing_ok) {
				f = lint_report(
				    ctx, ctx->stmt_start,
				    "%s without %s runs outside a transaction: re-running "
				    "the revision fails here",
				    add ? "ADD COLUMN" : "DROP",
				    add ? "IF NOT EXISTS" : "IF EXISTS");
				finding_set_hint(
				    f, add ? "ALTER TABLE ... ADD COLUMN IF NOT EXISTS ...;"
					   : "ALTER TABLE ... DROP ... IF EXISTS ...;");
				return;
			}
		}
		return;
	}
	default:
		return;
	}
}

const struct lint_rule rule_prefer_robust_stmts = {
    .id = "prefer-robust-stmts",
    .summary = "statements run outside a transaction must be safe to re-run",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT, PG_QUERY__NODE__NODE_DROP_STMT,
			PG_QUERY__NODE__NODE_CREATE_STMT, PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
};
