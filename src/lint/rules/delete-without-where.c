/*
 * DELETE without WHERE empties the table row by row in one transaction. In
 * a migration this is usually deliberate (a lookup table refilled, a purge):
 * the rule says what it costs and what is cheaper, not that it is a mistake.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__DeleteStmt *d = node->delete_stmt;
	if (d->where_clause || !d->relation || !lu_existing_table(ctx, d->relation))
		return;
	if (lu_batched(ctx)) /* each batch commits on its own */
		return;
	char *rel = lu_rel(d->relation);
	struct finding *f = lint_report(ctx, lint_loc(ctx, d->relation->location),
					"DELETE without WHERE removes every row of '%s' one by one "
					"in one transaction, each locked until the revision commits",
					rel);
	finding_set_hint(f,
			 "to empty the table on purpose, TRUNCATE %s; is instant (it takes an "
			 "ACCESS EXCLUSIVE lock for a moment); to purge a large table, mark it "
			 "'-- revgate: batch size=10000 by=id' on the line before: revgate deletes "
			 "in key-ordered batches that each commit; if a WHERE clause is missing, add it",
			 rel);
	free(rel);
}

const struct lint_rule rule_delete_without_where = {
    .id = "delete-without-where",
    .summary = "a DELETE of a whole table in one transaction",
    .severity = SEV_WARNING,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DELETE_STMT),
    .forms = LINT_FORMS(LF_WRITE_ROWS),
    .check = check,
};
