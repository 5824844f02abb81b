/* UPDATE without WHERE rewrites every row in one transaction. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__UpdateStmt *u = node->update_stmt;
	if (u->where_clause || !u->relation || !lu_existing_table(ctx, u->relation))
		return;
	char *rel = lu_rel(u->relation);
	struct finding *f = lint_report(ctx, lint_loc(ctx, u->relation->location),
					"UPDATE without WHERE rewrites every row of '%s' in one "
					"transaction, locking them all",
					rel);
	finding_set_hint(f,
			 "update in batches by key: UPDATE %s SET ... WHERE id IN (SELECT id "
			 "FROM %s WHERE ... LIMIT 10000);",
			 rel, rel);
	free(rel);
}

const struct lint_rule rule_update_without_where = {
    .id = "update-without-where",
    .summary = "UPDATE of a whole table",
    .severity = SEV_WARNING,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_UPDATE_STMT),
    .forms = LINT_FORMS(LF_WRITE_ROWS),
    .check = check,
};
