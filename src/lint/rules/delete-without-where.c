/* DELETE without WHERE empties the table row by row. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__DeleteStmt *d = node->delete_stmt;
	if (d->where_clause || !d->relation || !lu_existing_table(ctx, d->relation))
		return;
	char *rel = lu_rel(d->relation);
	struct finding *f = lint_report(ctx, lint_loc(ctx, d->relation->location),
					"DELETE without WHERE removes every row of '%s'", rel);
	finding_set_hint(f,
			 "add the WHERE clause you mean; to empty the table on purpose, TRUNCATE "
			 "%s; is faster and says so",
			 rel);
	free(rel);
}

const struct lint_rule rule_delete_without_where = {
    .id = "delete-without-where",
    .summary = "DELETE of a whole table",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DELETE_STMT),
    .forms = LINT_FORMS(LF_WRITE_ROWS),
    .check = check,
};
