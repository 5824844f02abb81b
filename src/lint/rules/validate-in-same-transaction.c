/*
 * Adding a constraint NOT VALID and validating it in the same transaction
 * keeps the first statement's lock during the whole validation: the point
 * of NOT VALID is lost.
 */
#include "lint/util.h"
#include "core/xalloc.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!ctx->in_transaction || !as->relation)
		return;
	char *t = catalog_key(as->relation);
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint || !cmd->name)
			continue;
		char *key = xstrfmt("%s/%s", t, cmd->name);
		if (strlist_has(&ctx->facts->not_valid, key)) {
			struct finding *f =
			    lint_report(ctx, ctx->stmt_start,
					"constraint '%s' is validated in the transaction "
					"that added it NOT VALID: the table stays locked "
					"during the validation",
					cmd->name);
			finding_set_hint(
			    f,
			    "move ALTER TABLE %s VALIDATE CONSTRAINT %s; into the next "
			    "revision",
			    t, cmd->name);
		}
		free(key);
	}
	free(t);
}

const struct lint_rule rule_validate_in_same_transaction = {
    .id = "validate-in-same-transaction",
    .summary = "VALIDATE CONSTRAINT in the transaction that added it NOT VALID",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
};
