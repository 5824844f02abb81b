/*
 * ALTER DATABASE ... SET, ALTER ROLE ... SET and ALTER SYSTEM change what
 * every later session starts with, revgate's next run included: a
 * search_path set this way once made a run look for its version table
 * elsewhere, and read-only defaults fail every later revision.
 */
#include "lint/util.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__VariableSetStmt *v = NULL;
	const char *what = "ALTER SYSTEM";
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
		v = node->alter_database_set_stmt->setstmt;
		what = "ALTER DATABASE ... SET";
		break;
	case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
		v = node->alter_role_set_stmt->setstmt;
		what = "ALTER ROLE ... SET";
		break;
	default:
		v = node->alter_system_stmt->setstmt;
		break;
	}
	const char *name = v && v->name ? v->name : "a setting";
	struct finding *f = lint_report(ctx, ctx->stmt_start,
					"%s changes %s for every session that starts after it, "
					"revgate's next run and the application's included",
					what, name);
	finding_set_hint(f, "set it where the database is configured (by its owner, outside "
			    "the schema history), or with SET LOCAL where a statement needs it");
}

const struct lint_rule rule_database_default_change = {
    .id = "database-default-change",
    .summary = "ALTER DATABASE/ROLE ... SET or ALTER SYSTEM in a migration",
    .severity = SEV_WARNING,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT,
			PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT,
			PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT),
    .check = check,
};
