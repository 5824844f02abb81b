/*
 * BEGIN/COMMIT that fight the transaction the file runs in. A revision runs
 * in revgate's transaction (unless 'transaction: false'), so any of them
 * breaks its all-or-nothing guarantee; so does a plain SQL file linted with
 * --assume-in-transaction. A plain file otherwise runs as written: only a
 * BEGIN inside its own BEGIN, or a COMMIT with none open, is wrong (as
 * squawk judges it).
 */
#include "lint/util.h"
#include "revision/revision.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__TransactionStmt *ts = node->transaction_stmt;
	const char *what;
	bool begin = false;
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		what = "BEGIN";
		begin = true;
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
	struct finding *f;
	if (ctx->rev->plain_sql && !ctx->managed_txn) {
		if (begin && ctx->explicit_block)
			f = lint_report(ctx, ctx->stmt_start,
					"BEGIN inside the transaction the BEGIN on line %u opened",
					lint_line_of(ctx, ctx->facts->block_offset));
		else if (!begin && !ctx->explicit_block)
			f = lint_report(ctx, ctx->stmt_start, "%s without a transaction to end",
					what);
		else
			return;
		finding_set_hint(f, "one BEGIN ... COMMIT per transaction: remove this %s, or "
				    "open the transaction with BEGIN earlier",
				 what);
		return;
	}
	if (ctx->rev->plain_sql)
		f = lint_report(ctx, ctx->stmt_start,
				"%s in a file that runs in a transaction already "
				"(--assume-in-transaction): this %s the tool's transaction",
				what, begin ? "nests inside" : "ends");
	else
		f = lint_report(ctx, ctx->stmt_start,
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
    .summary = "BEGIN, COMMIT or ROLLBACK that fight the file's transaction",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_TRANSACTION_STMT),
    .check = check,
};
