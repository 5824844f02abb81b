/* Domain constraints are checked on every cast and cannot be added NOT VALID safely later. */
#include "lint/util.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__CreateDomainStmt *d = node->create_domain_stmt;
	for (size_t i = 0; i < d->n_constraints; i++) {
		const PgQuery__Node *c = d->constraints[i];
		if (c->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
		    c->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			continue;
		struct finding *f =
		    lint_report(ctx, lint_loc(ctx, c->constraint->location),
				"a CHECK on a domain is hard to change later: altering "
				"it checks every column of every table using the domain");
		finding_set_hint(f,
				 "put the CHECK on the table columns instead: ALTER TABLE ... ADD "
				 "CONSTRAINT ... CHECK (...) NOT VALID;");
		return;
	}
}

const struct lint_rule rule_ban_create_domain_with_constraint = {
    .id = "ban-create-domain-with-constraint",
    .summary = "CREATE DOMAIN with a CHECK constraint",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT),
    .check = check,
};
