/* ADD CONSTRAINT CHECK without NOT VALID scans the table under a lock. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *k = cmd->def->constraint;
		if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || k->skip_validation)
			continue;
		char *rel = lu_rel(as->relation);
		const char *name = k->conname && *k->conname ? k->conname : "name";
		char *shown =
		    k->conname && *k->conname ? xstrfmt("'%s'", k->conname) : xstrdup("(unnamed)");
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"adding CHECK constraint %s checks every row of '%s' "
				"under an %s lock",
				shown, rel,
				lu_lock_name(ctx, as->relation, lint_clause(ctx, cmd),
					     LOCK_ACCESS_EXCLUSIVE));
		finding_set_hint(f,
				 "ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT VALID; then, "
				 "in a later revision: ALTER TABLE %s VALIDATE CONSTRAINT %s;",
				 rel, name, rel, name);
		free(rel);
		free(shown);
	}
}

const struct lint_rule rule_constraint_missing_not_valid = {
    .id = "constraint-missing-not-valid",
    .summary = "a CHECK constraint on an existing table must be added NOT VALID",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_CONSTRAINT, LF_VALIDATE_CONSTRAINT),
    .check = check,
};
