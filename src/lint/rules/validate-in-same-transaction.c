/*
 * Adding a constraint NOT VALID and validating it in the same transaction
 * keeps the first statement's lock during the whole validation: the point
 * of NOT VALID is lost. A table this revision created is exempt: no other
 * session sees it before the commit. constraint-missing-not-valid (squawk's
 * id) reports the same, so this rule is off unless revgate.ini turns it on.
 */
#include "lint/util.h"
#include "core/xalloc.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	(void)node;
	if (!ctx->in_transaction)
		return;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->action != DDL_ALTER || e->kind != DDL_CONSTRAINT || !e->sub ||
		    e->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint ||
		    lint_relation_is_new(ctx, e->key))
			continue;
		char *key = xstrfmt("%s/%s", e->key, e->sub);
		if (strlist_has(&ctx->facts->not_valid, key)) {
			struct finding *f =
			    lint_report(ctx, e->offset,
					"constraint '%s' is validated in the transaction "
					"that added it NOT VALID: the table stays locked "
					"during the validation",
					e->sub);
			finding_set_hint(f,
					 "move ALTER TABLE %s VALIDATE CONSTRAINT %s; into the next "
					 "revision",
					 e->key, e->sub);
		}
		free(key);
	}
}

const struct lint_rule rule_validate_in_same_transaction = {
    .id = "validate-in-same-transaction",
    .summary = "VALIDATE CONSTRAINT in the transaction that added it NOT VALID",
    .severity = SEV_OFF,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .forms = LINT_FORMS(LF_VALIDATE_CONSTRAINT, LF_ADD_CONSTRAINT, LF_ADD_FOREIGN_KEY),
    .check = check,
};
