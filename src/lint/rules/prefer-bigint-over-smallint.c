/* 16-bit integers run out quickly */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ColumnDef *cd = node->column_def;
	if (!cd->type_name || !lu_table_column(ctx))
		return; /* a composite type's fields hold values, not rows */
	const char *t = lu_type_name(cd->type_name);
	if (!(!strcmp(t, "int2") || !strcmp(t, "smallserial") || !strcmp(t, "serial2")))
		return;
	const char *col = cd->colname && *cd->colname ? cd->colname : "the column";
	struct finding *f = lint_report(
	    ctx, lint_loc(ctx, cd->type_name->location),
	    "%s is a 16-bit integer: it runs out at 32767, and widening later rewrites the table",
	    col);
	finding_set_hint(f, "use bigint (or integer when space matters)");
}

const struct lint_rule rule_prefer_bigint_over_smallint = {
    .id = "prefer-bigint-over-smallint",
    .summary = "16-bit integers run out quickly",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_COLUMN_DEF),
    .check = check,
};
