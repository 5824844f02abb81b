/* char(n) pads values with blanks */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ColumnDef *cd = node->column_def;
	if (!cd->type_name || !lu_table_column(ctx))
		return; /* a composite type's fields hold values, not rows */
	const char *t = lu_type_name(cd->type_name);
	/* char(n), character(n), nchar, and the quoted "char" and "character" */
	if (strcmp(t, "bpchar") && strcmp(t, "char") && strcmp(t, "character"))
		return;
	const char *col = cd->colname && *cd->colname ? cd->colname : "the column";
	struct finding *f =
	    lint_report(ctx, lint_loc(ctx, cd->type_name->location),
			"%s is char(n): values are blank-padded and compare surprisingly", col);
	finding_set_hint(f, "use text (or varchar) instead of char(n)");
}

const struct lint_rule rule_ban_char_field = {
    .id = "ban-char-field",
    .summary = "char(n) pads values with blanks",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_COLUMN_DEF),
    .check = check,
};
