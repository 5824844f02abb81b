/* CONCURRENTLY cannot run inside an explicit transaction block. */
#include "lint/util.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	if (!ctx->explicit_block || !ctx->autocommit)
		return;
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
