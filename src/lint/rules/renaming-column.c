/* Renaming a column breaks the code that runs during and after the deploy. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	if (rs->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !rs->relation ||
	    !lu_existing_table(ctx, rs->relation))
		return;
	const struct cat_column *col =
	    catalog_column(catalog_table_rv(ctx->cat, rs->relation), rs->subname);
	if (col && col->origin == ctx->origin)
		return;
	char *rel = lu_rel(rs->relation);
	size_t at = ctx->stmt_start;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++)
		if (ctx->ddl->effects[i].action == DDL_RENAME)
			at = ctx->ddl->effects[i].offset;
	struct finding *f =
	    lint_report(ctx, at,
			"renaming '%s.%s' to '%s' breaks running code that still uses "
			"the old name",
			rel, rs->subname, rs->newname);
	finding_set_hint(f,
			 "add the new column, write both, backfill, switch reads, then drop "
			 "the old one: ALTER TABLE %s ADD COLUMN %s ...;",
			 rel, rs->newname);
	free(rel);
}

const struct lint_rule rule_renaming_column = {
    .id = "renaming-column",
    .summary = "renaming a column breaks running code",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_RENAME_STMT),
    .forms = LINT_FORMS(LF_RENAME_COLUMN),
    .check = check,
};
