/* SET ACCESS METHOD, SET TABLESPACE, SET LOGGED/UNLOGGED rewrite the table under ACCESS EXCLUSIVE.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		const char *what;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
			what = "SET ACCESS METHOD";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
			what = "SET TABLESPACE";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
			what = "SET LOGGED";
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
			what = "SET UNLOGGED";
			break;
		default:
			continue;
		}
		char *rel = lu_rel(as->relation);
		struct finding *f = lint_report(
		    ctx, lint_clause(ctx, cmd), "%s rewrites '%s' and its indexes under an %s lock",
		    what, rel,
		    lu_lock_name(ctx, as->relation, lint_clause(ctx, cmd), LOCK_ACCESS_EXCLUSIVE));
		finding_set_hint(
		    f, "create a new table with the wanted storage, copy the rows in "
		       "batches, and switch over; or use pg_repack for a tablespace move");
		free(rel);
	}
}

const struct lint_rule rule_table_rewriting_alter = {
    .id = "table-rewriting-alter",
    .summary = "ALTER TABLE forms that rewrite the whole table",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_SET_TABLESPACE, LF_SET_LOGGED, LF_SET_ACCESS_METHOD),
    .check = check,
};
