/* json where jsonb is faster and indexable */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ColumnDef *cd = node->column_def;
	if (!cd->type_name || !lu_table_column(ctx))
		return; /* a composite type's fields hold values, not rows */
	const char *t = lu_type_name(cd->type_name);
	if (!(!strcmp(t, "json")))
		return;
	const char *col = cd->colname && *cd->colname ? cd->colname : "the column";
	struct finding *f = lint_report(
	    ctx, lint_loc(ctx, cd->type_name->location),
	    "%s is json: stored as text, re-parsed on every access, and cannot be indexed with GIN",
	    col);
	finding_set_hint(f, "%s jsonb", col);
}

const struct lint_rule rule_prefer_jsonb = {
    .id = "prefer-jsonb",
    .summary = "json where jsonb is faster and indexable",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_COLUMN_DEF),
    .check = check,
};
