/* ADD COLUMN ... NOT NULL without a default fails on a table that has rows. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
			continue;
		const PgQuery__ColumnDef *cd = cmd->def->column_def;
		bool not_null = cd->is_not_null ||
				lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) ||
				lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
		if (!not_null || lu_col_default(cd) || sql_type_is_serial(cd->type_name) ||
		    lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY) ||
		    lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED))
			continue;
		char *rel = lu_rel(as->relation);
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"adding the NOT NULL column '%s' without a default "
				"fails if '%s' has rows, and breaks inserts by running "
				"code that does not set it",
				cd->colname, rel);
		finding_set_hint(f,
				 "give it a non-volatile default: ALTER TABLE %s ADD COLUMN %s %s "
				 "NOT NULL DEFAULT ...; or add it nullable, backfill, then add a "
				 "CHECK (%s IS NOT NULL) NOT VALID and validate it",
				 rel, cd->colname, lu_type_name(cd->type_name), cd->colname);
		free(rel);
	}
}

const struct lint_rule rule_adding_required_field = {
    .id = "adding-required-field",
    .summary = "a new NOT NULL column needs a default",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_COLUMN),
    .check = check,
};
