/*
 * A constraint that can be added NOT VALID (CHECK, FOREIGN KEY) must be,
 * on an existing table: otherwise adding it checks every row under the
 * lock the lock table gives ADD CONSTRAINT. And NOT VALID then VALIDATE in
 * the same transaction keeps the first lock during the validation, which
 * defeats it. Both are squawk's meaning of this id.
 */
#include "lint/util.h"
#include "core/xalloc.h"

#include <stdlib.h>

static void added(struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as,
		  const PgQuery__AlterTableCmd *cmd)
{
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
		return;
	const PgQuery__Constraint *k = cmd->def->constraint;
	bool fk = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
	if ((k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK && !fk) || k->skip_validation)
		return;
	size_t at = lint_clause(ctx, cmd);
	char *rel = lu_rel(as->relation);
	const char *name = k->conname && *k->conname ? k->conname : "name";
	char *shown = k->conname && *k->conname ? xstrfmt("'%s'", k->conname) : xstrdup("(unnamed)");
	struct finding *f = lint_report(
	    ctx, at, "adding %s constraint %s checks every row of '%s' under a %s lock",
	    fk ? "FOREIGN KEY" : "CHECK", shown, rel,
	    lu_lock_name(ctx, as->relation, at,
			 fk ? LOCK_SHARE_ROW_EXCLUSIVE : LOCK_ACCESS_EXCLUSIVE));
	finding_set_hint(f,
			 "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID; then, in a later revision: "
			 "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
			 rel, name, fk ? "FOREIGN KEY (...) REFERENCES ..." : "CHECK (...)", rel, name);
	free(rel);
	free(shown);
}

static void validated(struct lint_ctx *ctx, const PgQuery__AlterTableStmt *as,
		      const PgQuery__AlterTableCmd *cmd)
{
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint || !cmd->name ||
	    !ctx->in_transaction)
		return;
	char *t = ddl_rel_key(as->relation);
	char *key = xstrfmt("%s/%s", t, cmd->name);
	if (strlist_has(&ctx->facts->not_valid, key)) {
		struct finding *f =
		    lint_report(ctx, lint_clause(ctx, cmd),
				"constraint '%s' is validated in the transaction that added it NOT "
				"VALID: the table stays locked during the validation",
				cmd->name);
		finding_set_hint(f, "move ALTER TABLE %s VALIDATE CONSTRAINT %s; into the next revision",
				 t, cmd->name);
	}
	free(key);
	free(t);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	/* a table this revision created: no other session sees it before the commit */
	if (!lu_existing_table(ctx, as->relation))
		return;
	LU_FOREACH_CMD(as, cmd)
	{
		added(ctx, as, cmd);
		validated(ctx, as, cmd);
	}
}

const struct lint_rule rule_constraint_missing_not_valid = {
    .id = "constraint-missing-not-valid",
    .summary = "a CHECK or foreign key on an existing table must be added NOT VALID, and "
	       "validated in a later transaction",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_ADD_CONSTRAINT, LF_ADD_FOREIGN_KEY, LF_VALIDATE_CONSTRAINT),
    .check = check,
};
