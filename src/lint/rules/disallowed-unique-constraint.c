/* ADD CONSTRAINT UNIQUE builds its index under an ACCESS EXCLUSIVE lock. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		const PgQuery__Constraint *k =
			lu_added_constraint(cmd, PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE);
		if (!k || (k->indexname && *k->indexname))
			continue;
		char *rel = lu_rel(as->relation);
		const char *name = k->conname && *k->conname ? k->conname : "name";
		char *shown =
		    k->conname && *k->conname ? xstrfmt("'%s'", k->conname) : xstrdup("(unnamed)");
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"adding UNIQUE constraint %s builds its index while "
				"'%s' is held in %s mode, which blocks reads and writes",
				shown, rel,
				lu_lock_name(ctx, as->relation, lint_clause(ctx, cmd),
					     LOCK_ACCESS_EXCLUSIVE));
		finding_set_hint(f,
				 "CREATE UNIQUE INDEX CONCURRENTLY %s_idx ON %s (...); then ALTER "
				 "TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s_idx;",
				 name, rel, rel, name, name);
		free(rel);
		free(shown);
	}
}

const struct lint_rule rule_disallowed_unique_constraint = {
    .id = "disallowed-unique-constraint",
    .summary = "a UNIQUE constraint on an existing table must use an index built concurrently",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_CONSTRAINT, LF_ADD_CONSTRAINT_USING_INDEX),
    .check = check,
};
