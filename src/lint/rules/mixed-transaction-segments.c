/*
 * A revision that mixes statements that must run outside a transaction with
 * ones that run inside is applied in several segments that commit
 * separately: a failure leaves it half applied.
 */
#include "lint/util.h"
#include "revision/revision.h"

static void finish(struct lint_ctx *ctx)
{
	const struct lint_facts *f = ctx->facts;
	if (ctx->section != LINT_UPGRADE || ctx->rev->plain_sql || !ctx->rev->transactional ||
	    !f->up_autocommit ||
	    !f->up_transactional)
		return;
	struct finding *fd = lint_report(
	    ctx, f->first_autocommit,
	    "this statement cannot run in a transaction, so the revision is applied in "
	    "segments that commit separately: %zu statement(s) that must run alone and %zu "
	    "in transactions between them; a failure part-way leaves it half applied",
	    f->up_autocommit, f->up_transactional);
	finding_set_hint(fd, "move the statements that must run alone (CREATE INDEX CONCURRENTLY, "
			     "...) into their own revision with '-- transaction: false', and make "
			     "them re-runnable (IF NOT EXISTS)");
}

const struct lint_rule rule_mixed_transaction_segments = {
    .id = "mixed-transaction-segments",
    .summary = "a revision mixing statements that must run outside a transaction with others",
    .severity = SEV_WARNING,
    .finish = finish,
};
