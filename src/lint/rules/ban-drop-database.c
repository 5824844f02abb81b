/* A migration must never drop a database. */
#include "lint/util.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	struct finding *f = lint_report(
	    ctx, ctx->stmt_start, "DROP DATABASE '%s' in a migration destroys everything in it",
	    node->dropdb_stmt->dbname);
	finding_set_hint(f, "drop databases by hand, never from a schema migration");
}

const struct lint_rule rule_ban_drop_database = {
    .id = "ban-drop-database",
    .summary = "DROP DATABASE in a migration",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_DROPDB_STMT),
    .check = check,
};
