/*
 * ALTER COLUMN TYPE rewrites the table and its indexes under its lock,
 * except for binary-coercible changes that only relax a limit
 * (varchar(n) -> varchar(m >= n) or text, numeric(p,s) -> numeric(q >= p,
 * s) or numeric, varbit(n) -> larger, cidr -> inet, timestamp <->
 * timestamptz in a UTC session). sql/ddl decides from the old type the
 * catalog replayed; a column this revision added to an existing table is
 * no exemption: the rewrite copies the existing rows.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	const struct cat_table *t = lu_alter_table(ctx, as);
	char *key = ddl_rel_key(as->relation);
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF || !cmd->name)
			continue;
		size_t at = lint_clause(ctx, cmd);
		const struct ddl_lock *l = lint_lock_at(ctx, key, at);
		if (!l || !l->rewrite)
			continue;
		const struct cat_column *col = catalog_column(t, cmd->name);
		struct sql_type nt;
		sql_type_from(&nt, cmd->def->column_def->type_name);
		char *new_s = sql_type_str(&nt);
		char *rel = lu_rel(as->relation);
		const char *mode = lock_mode_name(l->mode);
		struct finding *f;
		if (!l->unknown && col) {
			char *old_s = sql_type_str(&col->type);
			f = lint_report(ctx, at,
					"changing '%s.%s' from %s to %s rewrites the table and its "
					"indexes under an %s lock",
					rel, cmd->name, old_s, new_s, mode);
			free(old_s);
		} else if (cmd->def->column_def->raw_default) {
			f = lint_report(ctx, at,
					"changing the type of '%s.%s' to %s with USING rewrites the "
					"table and its indexes under an %s lock",
					rel, cmd->name, new_s, mode);
		} else {
			f = lint_report(ctx, at,
					"changing the type of '%s.%s' to %s rewrites the table under "
					"an %s lock unless the change only relaxes a limit (the old "
					"type is not known from the history)",
					rel, cmd->name, new_s, mode);
		}
		finding_set_hint(f,
				 "add a new column %s_new %s, fill it in batches and keep it "
				 "in sync with a trigger, then swap the columns in a later "
				 "revision (free without a rewrite: varchar(n) to a longer "
				 "varchar or text, numeric(p,s) to a larger precision, timestamp "
				 "to timestamptz after SET TIME ZONE 'UTC')",
				 cmd->name, new_s);
		free(rel);
		free(new_s);
		sql_type_release(&nt);
	}
	free(key);
}

const struct lint_rule rule_changing_column_type = {
    .id = "changing-column-type",
    .summary = "a column type change that rewrites the table",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ALTER_COLUMN_TYPE),
    .check = check,
};
