/* BEGIN/COMMIT in a revision fight the transaction revgate runs it in. */
#include "lint/util.h"
#include "revision/revision.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__TransactionStmt *ts = node->transaction_stmt;
	const char *what;
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		what = "BEGIN";
		break;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		what = "COMMIT";
		break;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		what = "ROLLBACK";
		break;
	default:
		return;
	}
	struct finding *f = lint_report(ctx, ctx->stmt_start,
					"%s in a revision: revgate already runs each revision in a "
					"transaction, so this %s",
					what,
					ctx->rev->transactional
					    ? "commits or opens a transaction behind its back and "
					      "breaks the all-or-nothing guarantee"
					    : "mixes hand-made transactions with revgate's");
	finding_set_hint(f,
			 "remove %s; for statements that cannot run in a transaction, revgate "
			 "runs them alone, or set '-- transaction: false' in the header",
			 what);
}

const struct lint_rule rule_transaction_nesting = {
    .id = "transaction-nesting",
    .summary = "BEGIN, COMMIT or ROLLBACK inside a revision",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_TRANSACTION_STMT),
    .check = check,
};
