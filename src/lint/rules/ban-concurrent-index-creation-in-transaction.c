/*
 * CONCURRENTLY cannot run inside a transaction block: one the file opens
 * with BEGIN, or, for a plain SQL file linted with --assume-in-transaction,
 * the one its tool opens when the file has more than this statement
 * (squawk's reading). revgate runs such a statement of a revision alone.
 */
#include "lint/util.h"
#include "revision/revision.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	if (!ctx->autocommit)
		return;
	bool assumed = ctx->rev->plain_sql && ctx->managed_txn && ctx->section_statements > 1;
	if (!ctx->explicit_block && !assumed)
		return;
	if (!ctx->explicit_block) {
		struct finding *f = lint_report(ctx, ctx->stmt_start,
						"this cannot run inside the transaction the file is "
						"assumed to run in (--assume-in-transaction)");
		finding_set_hint(f, "move the statement into a file of its own, outside any "
				    "transaction");
		return;
	}
	const char *what = node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT  ? "CREATE INDEX"
			   : node->node_case == PG_QUERY__NODE__NODE_DROP_STMT ? "DROP INDEX"
									       : "this statement";
	struct finding *f = lint_report(ctx, ctx->stmt_start,
					"%s cannot run inside the BEGIN ... COMMIT block opened on "
					"line %u of this file",
					what, lint_line_of(ctx, ctx->facts->block_offset));
	finding_set_hint(f, "remove BEGIN/COMMIT: revgate runs statements that cannot be in a "
			    "transaction on their own, and the rest in one transaction");
}

const struct lint_rule rule_ban_concurrent_index_creation_in_transaction = {
    .id = "ban-concurrent-index-creation-in-transaction",
    .summary = "CREATE/DROP INDEX CONCURRENTLY inside an explicit transaction block fails",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT, PG_QUERY__NODE__NODE_DROP_STMT,
			PG_QUERY__NODE__NODE_REINDEX_STMT),
    .check = check,
};
