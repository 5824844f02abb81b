/* varchar(n) where text with a CHECK is easier to change */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ColumnDef *cd = node->column_def;
	if (!cd->type_name || !lu_table_column(ctx))
		return; /* a composite type's fields hold values, not rows */
	const char *t = lu_type_name(cd->type_name);
	if (!(!strcmp(t, "varchar") && cd->type_name->n_typmods))
		return;
	const char *col = cd->colname && *cd->colname ? cd->colname : "the column";
	struct finding *f = lint_report(
	    ctx, lint_loc(ctx, cd->type_name->location),
	    "%s is varchar(n): changing the limit later rewrites or locks the table", col);
	finding_set_hint(f,
			 "use text, with a CHECK (length(%s) <= n) constraint if the limit "
			 "matters: it can be changed without a rewrite",
			 col);
}

const struct lint_rule rule_prefer_text_field = {
    .id = "prefer-text-field",
    .summary = "varchar(n) where text with a CHECK is easier to change",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_COLUMN_DEF),
    .check = check,
};
