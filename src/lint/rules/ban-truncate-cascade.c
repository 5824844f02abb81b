/* TRUNCATE ... CASCADE empties every table that references this one, recursively. */
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__TruncateStmt *ts = node->truncate_stmt;
	if (ts->behavior != PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return;
	struct finding *f =
	    lint_report(ctx, ctx->stmt_start,
			"TRUNCATE ... CASCADE also empties every table with a foreign "
			"key to these tables, and theirs, recursively");
	finding_set_hint(f, "name every table to empty explicitly: TRUNCATE a, b; (without "
			    "CASCADE)");
}

const struct lint_rule rule_ban_truncate_cascade = {
    .id = "ban-truncate-cascade",
    .summary = "TRUNCATE CASCADE empties tables you did not name",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_TRUNCATE_STMT),
    .forms = LINT_FORMS(LF_TRUNCATE),
    .check = check,
};
