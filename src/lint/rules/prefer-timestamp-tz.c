/* timestamp without time zone */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__ColumnDef *cd = node->column_def;
	if (!cd->type_name || !lu_table_column(ctx))
		return; /* a composite type's fields hold values, not rows */
	const char *t = lu_type_name(cd->type_name);
	if (!(!strcmp(t, "timestamp")))
		return;
	const char *col = cd->colname && *cd->colname ? cd->colname : "the column";
	struct finding *f = lint_report(ctx, lint_loc(ctx, cd->type_name->location),
					"%s is timestamp without time zone: its values depend on "
					"the session time zone of whoever wrote them",
					col);
	finding_set_hint(f, "%s timestamptz", col);
}

const struct lint_rule rule_prefer_timestamp_tz = {
    .id = "prefer-timestamp-tz",
    .summary = "timestamp without time zone",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_COLUMN_DEF),
    .check = check,
};
