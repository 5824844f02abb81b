/*
 * UPDATE without WHERE writes every row in one transaction. In a migration
 * this is nearly always a deliberate backfill, so the rule is about how:
 * one statement locks every row until the revision commits and leaves a
 * dead copy of each; batches that each commit do not.
 */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__UpdateStmt *u = node->update_stmt;
	if (u->where_clause || !u->relation || !lu_existing_table(ctx, u->relation))
		return;
	if (lu_batched(ctx)) /* each batch commits on its own */
		return;
	char *rel = lu_rel(u->relation);
	struct finding *f = lint_report(ctx, lint_loc(ctx, u->relation->location),
					"this backfill writes every row of '%s' in one transaction: "
					"each row stays locked until the revision commits, and the "
					"table grows by a dead copy of every row",
					rel);
	finding_set_hint(f,
			 "mark it as a batched backfill on the line before: '-- revgate: batch "
			 "size=10000 by=id' (a unique key of %s): revgate runs it in key-ordered "
			 "batches that each commit, and resumes after a fault; or silence this "
			 "rule for a small table",
			 rel);
	free(rel);
}

const struct lint_rule rule_update_without_where = {
    .id = "update-without-where",
    .summary = "a backfill that updates a whole table in one transaction",
    .severity = SEV_INFO,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_UPDATE_STMT),
    .forms = LINT_FORMS(LF_WRITE_ROWS),
    .check = check,
};
