/* ADD PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock. */
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
			lu_added_constraint(cmd, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
		if (!k || (k->indexname && *k->indexname))
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"adding a primary key to '%s' builds its index under an %s lock, "
				"which blocks reads and writes",
				rel, lu_lock_name(ctx, as->relation, lint_clause(ctx, cmd),
						  LOCK_ACCESS_EXCLUSIVE));
		finding_set_hint(f,
				 "CREATE UNIQUE INDEX CONCURRENTLY %s_pkey_idx ON %s (...); then "
				 "ALTER TABLE %s ADD CONSTRAINT %s_pkey PRIMARY KEY USING INDEX "
				 "%s_pkey_idx;",
				 as->relation->relname, rel, rel, as->relation->relname,
				 as->relation->relname);
		free(rel);
	}
}

const struct lint_rule rule_adding_serial_primary_key_field = {
    .id = "adding-serial-primary-key-field",
    .summary = "a primary key on an existing table must use an index built concurrently",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_CONSTRAINT, LF_ADD_CONSTRAINT_USING_INDEX),
    .check = check,
};
