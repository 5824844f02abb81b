/* A BEGIN without COMMIT leaves the transaction open at the end of the section. */
#include "lint/util.h"

static void finish(struct lint_ctx *ctx)
{
	if (!ctx->facts->block_open)
		return;
	struct finding *f = lint_report(ctx, ctx->facts->block_offset,
					"this BEGIN is never committed: the %s ends inside the "
					"transaction",
					ctx->section == LINT_UPGRADE ? "upgrade" : "downgrade");
	finding_set_hint(f, "remove BEGIN (revgate runs the revision in a transaction), or end "
			    "the block with COMMIT;");
}

const struct lint_rule rule_ban_uncommitted_transaction = {
    .id = "ban-uncommitted-transaction",
    .summary = "BEGIN without a matching COMMIT",
    .severity = SEV_ERROR,
    .finish = finish,
};
