/*
 * Adding a validated foreign key scans the table while holding SHARE ROW
 * EXCLUSIVE locks on both tables: writes to either are blocked.
 */
#include "lint/util.h"

#include <stdlib.h>

static void report(struct lint_ctx *ctx, const PgQuery__RangeVar *rv, const PgQuery__Constraint *k)
{
	char *rel = lu_rel(rv);
	char *ref = lu_rel(k->pktable);
	const char *name = k->conname && *k->conname ? k->conname : "name";
	char *shown =
	    k->conname && *k->conname ? xstrfmt("'%s'", k->conname) : xstrdup("(unnamed)");
	struct finding *f = lint_report(ctx, lint_loc(ctx, k->location),
					"adding foreign key %s validates every row of '%s' while "
					"blocking writes to '%s' and '%s'",
					shown, rel, rel, ref);
	finding_set_hint(f,
			 "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (...) REFERENCES %s "
			 "(...) NOT VALID; then, in a later revision: ALTER TABLE %s VALIDATE "
			 "CONSTRAINT %s;",
			 rel, name, ref, rel, name);
	free(rel);
	free(ref);
	free(shown);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			const PgQuery__Constraint *k = cmd->def->constraint;
			if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN &&
			    !k->skip_validation)
				report(ctx, as->relation, k);
		}
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__Constraint *k = lu_col_constraint(
			    cmd->def->column_def, PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN);
			if (k && !k->skip_validation)
				report(ctx, as->relation, k);
		}
	}
}

const struct lint_rule rule_adding_foreign_key_constraint = {
    .id = "adding-foreign-key-constraint",
    .summary = "a foreign key on an existing table must be added NOT VALID, then validated",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
};
