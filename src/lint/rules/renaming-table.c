/* Renaming a table breaks the code that runs during and after the deploy. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	if (rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !rs->relation ||
	    !lu_existing_table(ctx, rs->relation))
		return;
	char *rel = lu_rel(rs->relation);
	size_t at = ctx->stmt_start;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++)
		if (ctx->ddl->effects[i].action == DDL_RENAME)
			at = ctx->ddl->effects[i].offset;
	struct finding *f =
	    lint_report(ctx, at,
			"renaming table '%s' to '%s' breaks running code that still "
			"uses the old name",
			rel, rs->newname);
	finding_set_hint(f,
			 "rename, then keep the old name working until the code is deployed: "
			 "ALTER TABLE %s RENAME TO %s; CREATE VIEW %s AS SELECT * FROM %s; (drop "
			 "the view in a later revision)",
			 rel, rs->newname, rel, rs->newname);
	free(rel);
}

const struct lint_rule rule_renaming_table = {
    .id = "renaming-table",
    .summary = "renaming a table breaks running code",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_RENAME_STMT),
    .forms = LINT_FORMS(LF_RENAME_RELATION),
    .check = check,
};
