/*
 * ADD COLUMN with a volatile default (or a serial, identity or stored
 * generated column) rewrites the whole table under the lock the lock table
 * gives ADD COLUMN; a non-volatile default is stored in the catalog
 * (PostgreSQL 11+). sql/ddl decides the rewrite; this rule words it.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check_column(struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as,
			 const PgQuery__AlterTableCmd *cmd, const PgQuery__ColumnDef *cd)
{
	size_t at = lint_clause(ctx, cmd);
	char *key = ddl_rel_key(as->relation);
	const struct ddl_lock *l = lint_lock_at(ctx, key, at);
	free(key);
	if (!l || !l->rewrite)
		return;
	const char *mode = lock_mode_name(l->mode);
	char *rel = lu_rel(as->relation);
	const char *why = NULL;
	bool unknown = false;
	const PgQuery__Node *def = lu_col_default(cd);
	struct finding *f;
	if (sql_type_is_serial(cd->type_name)) {
		f = lint_report(ctx, at,
				"adding the %s column '%s' fills every row from a sequence: '%s' is "
				"rewritten under an %s lock",
				lu_type_name(cd->type_name), cd->colname, rel, mode);
	} else if (lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)) {
		f = lint_report(ctx, at,
				"adding the identity column '%s' rewrites '%s' under an %s lock",
				cd->colname, rel, mode);
	} else if (lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED)) {
		f = lint_report(ctx, at,
				"adding the stored generated column '%s' rewrites '%s' under an %s "
				"lock",
				cd->colname, rel, mode);
	} else if (def && sql_expr_volatile(def, &why, &unknown)) {
		f = lint_report(ctx, at,
				unknown ? "the default of '%s' calls %s(), which may be volatile: "
					  "'%s' would then be rewritten under an %s lock"
					: "the default of '%s' calls the volatile %s(): every row is "
					  "computed and '%s' rewritten under an %s lock",
				cd->colname, why, rel, mode);
	} else {
		free(rel);
		return;
	}
	finding_set_hint(f,
			 "add the column without a default, set the default for new "
			 "rows, then backfill in batches: ALTER TABLE %s ADD COLUMN %s %s; "
			 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT ...; UPDATE %s SET %s "
			 "= ... WHERE ... (in batches)",
			 rel, cd->colname, lu_type_name(cd->type_name), rel, cd->colname, rel,
			 cd->colname);
	free(rel);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			check_column(ctx, as, cmd, cmd->def->column_def);
	}
}

const struct lint_rule rule_adding_field_with_default = {
    .id = "adding-field-with-default",
    .summary = "a new column with a volatile default rewrites the table",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_COLUMN),
    .check = check,
};
