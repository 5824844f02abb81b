/*
 * A statement that runs outside a transaction is not rolled back when a
 * later one fails: the file is re-run after the fix, so the statement must
 * be safe to run twice. It is not when it creates what it created the
 * first time (CREATE without IF NOT EXISTS, ADD COLUMN, ADD CONSTRAINT) or
 * drops what it dropped (DROP without IF EXISTS). An ADD CONSTRAINT is
 * safe after a DROP CONSTRAINT IF EXISTS of the same name earlier in the
 * file. A named CREATE INDEX CONCURRENTLY is judged even inside a
 * transaction (where it fails anyway); an unnamed index gets a fresh name
 * on the second run.
 */
#include "lint/util.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

static void hint_index(struct finding *f, const PgQuery__IndexStmt *is)
{
	finding_set_hint(f,
			 "a failed concurrent build leaves an INVALID index behind: DROP INDEX "
			 "CONCURRENTLY IF EXISTS %s; CREATE INDEX CONCURRENTLY IF NOT EXISTS %s "
			 "ON ...;",
			 is->idxname, is->idxname);
}

static const char *where(const struct lint_ctx *ctx)
{
	return ctx->rev->plain_sql ? "the file" : "the revision";
}


static bool redo_safe(const struct lint_ctx *ctx, const char *table, const char *name)
{
	if (!name || !*name)
		return false;
	char *k = xstrfmt("%s/%s", table, name);
	bool ok = strlist_has(&ctx->facts->redo_safe, k);
	free(k);
	return ok;
}

static void alter(struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as)
{
	char *table = ddl_rel_key(as->relation);
	LU_FOREACH_CMD(as, cmd)
	{
		const char *what = NULL, *fix = NULL;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (!cmd->missing_ok) {
				what = "ADD COLUMN without IF NOT EXISTS";
				fix = "ALTER TABLE ... ADD COLUMN IF NOT EXISTS ...;";
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (!cmd->missing_ok) {
				what = "DROP without IF EXISTS";
				fix = "ALTER TABLE ... DROP ... IF EXISTS ...;";
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint: {
			const char *name = cmd->def && cmd->def->node_case ==
							     PG_QUERY__NODE__NODE_CONSTRAINT
					       ? cmd->def->constraint->conname
					       : NULL;
			if (!redo_safe(ctx, table, name)) {
				what = "ADD CONSTRAINT";
				fix = "ALTER TABLE ... DROP CONSTRAINT IF EXISTS name; ALTER TABLE ... ADD "
				      "CONSTRAINT name ...;";
			}
			break;
		}
		default:
			break;
		}
		if (!what)
			continue;
		struct finding *f = lint_report(ctx, lint_clause(ctx, cmd),
						"%s runs outside a transaction: re-running %s fails "
						"here",
						what, where(ctx));
		finding_set_hint(f, "%s", fix);
	}
	free(table);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	if (node != ctx->stmt)
		return;
	struct finding *f;
	if (node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		const PgQuery__IndexStmt *is = node->index_stmt;
		if (is->if_not_exists || !is->idxname || !*is->idxname ||
		    (ctx->in_transaction && !is->concurrent))
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"CREATE INDEX runs outside a transaction: if %s fails "
				"later, re-running it fails here",
				where(ctx));
		hint_index(f, is);
		return;
	}
	if (ctx->in_transaction)
		return;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (node->drop_stmt->missing_ok)
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"DROP without IF EXISTS runs outside a transaction: re-running %s "
				"fails here",
				where(ctx));
		finding_set_hint(f, "DROP ... IF EXISTS ...;");
		return;
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		bool temp = cs->relation && cs->relation->relpersistence &&
			    !strcmp(cs->relation->relpersistence, "t");
		if (cs->if_not_exists ||
		    (temp && cs->oncommit == PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_DROP))
			return;
		f = lint_report(ctx, ctx->stmt_start,
				"CREATE TABLE without IF NOT EXISTS runs outside a transaction: "
				"re-running %s fails here",
				where(ctx));
		finding_set_hint(f, "CREATE TABLE IF NOT EXISTS ...;");
		return;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter(ctx, node->alter_table_stmt);
		return;
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
