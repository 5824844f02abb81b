/* Constraint names must match [lint] constraint_name_pattern when one is configured. */
#include "lint/lint.h"
#include "lint/util.h"
#include "match/match.h"
#include "sql/ddl.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const struct matcher *m = ctx->settings->constraint_name;
	const PgQuery__Constraint *k = node->constraint;
	if (!m)
		return;
	if (!ddl_constraint_is_object(k))
		return;
	if (!k->conname || !*k->conname) {
		struct finding *f =
		    lint_report(ctx, lint_loc(ctx, k->location),
				"this constraint has no name: PostgreSQL makes one up");
		finding_set_hint(f, "name it with CONSTRAINT <name> to match %s",
				 matcher_pattern(m));
		return;
	}
	if (matcher_match(m, k->conname))
		return;
	struct finding *f =
	    lint_report(ctx, lint_loc(ctx, k->location),
			"constraint name '%s' does not match the configured pattern", k->conname);
	finding_set_hint(f, "rename it to match %s ([lint] constraint_name_pattern)",
			 matcher_pattern(m));
}

const struct lint_rule rule_constraint_name = {
    .id = "constraint-name",
    .summary = "constraint names follow the configured pattern",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_CONSTRAINT),
    .check = check,
};
