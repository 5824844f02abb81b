/* Index names must match [lint] index_name_pattern when one is configured. */
#include "lint/lint.h"
#include "lint/util.h"
#include "match/match.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const struct matcher *m = ctx->settings->index_name;
	const PgQuery__IndexStmt *is = node->index_stmt;
	if (!m)
		return;
	if (!is->idxname || !*is->idxname) {
		struct finding *f = lint_report(ctx, ctx->stmt_start,
						"this index has no name: PostgreSQL makes one up");
		finding_set_hint(f, "name it to match %s", matcher_pattern(m));
		return;
	}
	if (matcher_match(m, is->idxname))
		return;
	struct finding *f =
	    lint_report(ctx, ctx->stmt_start,
			"index name '%s' does not match the configured pattern", is->idxname);
	finding_set_hint(f, "rename it to match %s ([lint] index_name_pattern)",
			 matcher_pattern(m));
}

const struct lint_rule rule_index_name = {
    .id = "index-name",
    .summary = "index names follow the configured pattern",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INDEX_STMT),
    .check = check,
};
