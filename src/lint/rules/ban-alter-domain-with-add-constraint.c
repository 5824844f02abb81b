/* ALTER DOMAIN ADD CONSTRAINT scans every column that uses the domain, under lock. */
#include "lint/util.h"

#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterDomainStmt *d = node->alter_domain_stmt;
	if (!d->subtype || strcmp(d->subtype, "C"))
		return;
	const PgQuery__Node *def = d->def;
	bool not_valid = def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			 def->constraint->skip_validation;
	if (not_valid)
		return;
	struct finding *f =
	    lint_report(ctx, ctx->stmt_start,
			"ALTER DOMAIN ... ADD CONSTRAINT checks every column of every "
			"table that uses the domain, under lock");
	finding_set_hint(f, "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID; then ALTER DOMAIN ... "
			    "VALIDATE CONSTRAINT ...; in a later revision");
}

const struct lint_rule rule_ban_alter_domain_with_add_constraint = {
    .id = "ban-alter-domain-with-add-constraint",
    .summary = "ALTER DOMAIN ADD CONSTRAINT without NOT VALID",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT),
    .check = check,
};
