/*
 * Adding a validated foreign key scans the table while holding SHARE ROW
 * EXCLUSIVE locks on both tables: writes to either are blocked. A table
 * this revision created is exempt while it is empty; one it filled (CREATE
 * TABLE AS, INSERT) is validated row by row while the existing referenced
 * table stays locked.
 */
#include "lint/util.h"

#include <stdlib.h>

static void report(struct lint_ctx *ctx, const PgQuery__RangeVar *rv, const PgQuery__Constraint *k,
		   size_t at, bool filled_new)
{
	char *rel = lu_rel(rv);
	char *ref = lu_rel(k->pktable);
	char *ref_key = ddl_rel_key(k->pktable);
	const char *name = k->conname && *k->conname ? k->conname : "name";
	char *shown =
	    k->conname && *k->conname ? xstrfmt("'%s'", k->conname) : xstrdup("(unnamed)");
	const struct ddl_lock *l = lint_lock_at(ctx, ref_key, SIZE_MAX);
	const char *mode = lock_mode_name(l ? l->mode : LOCK_SHARE_ROW_EXCLUSIVE);
	struct finding *f;
	if (filled_new)
		f = lint_report(ctx, at,
				"adding foreign key %s validates every row '%s' was filled with "
				"while '%s' is held in %s mode, blocking its writes",
				shown, rel, ref, mode);
	else
		f = lint_report(ctx, at,
				"adding foreign key %s validates every row of '%s' while "
				"holding %s locks that block writes to '%s' and '%s'",
				shown, rel, mode, rel, ref);
	finding_set_hint(f,
			 "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (...) REFERENCES %s "
			 "(...) NOT VALID; then, in a later revision: ALTER TABLE %s VALIDATE "
			 "CONSTRAINT %s;",
			 rel, name, ref, rel, name);
	free(rel);
	free(ref);
	free(ref_key);
	free(shown);
}

/* Whether this foreign key is worth reporting: an existing table, or a new
 * one with rows that references an existing one. */
static bool costly(struct lint_ctx *ctx, const PgQuery__RangeVar *rv, const PgQuery__Constraint *k,
		   bool *filled_new)
{
	const struct cat_table *t = catalog_table_rv(ctx->cat, rv);
	*filled_new = false;
	if (!t || !lint_table_is_new(ctx, t))
		return true;
	if (!t->filled || !k->pktable)
		return false;
	const struct cat_table *r = catalog_table_rv(ctx->cat, k->pktable);
	*filled_new = !r || !lint_table_is_new(ctx, r);
	return *filled_new;
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		const PgQuery__Constraint *k =
		    lu_added_constraint(cmd, PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN);
		bool filled_new;
		if (k && !k->skip_validation && costly(ctx, as->relation, k, &filled_new))
			report(ctx, as->relation, k, lint_clause(ctx, cmd), filled_new);
	}
}

const struct lint_rule rule_adding_foreign_key_constraint = {
    .id = "adding-foreign-key-constraint",
    .summary = "a foreign key on an existing table must be added NOT VALID, then validated",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_FOREIGN_KEY, LF_VALIDATE_FOREIGN_KEY),
    .check = check,
};
