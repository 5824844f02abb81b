/* PostgreSQL silently truncates identifiers to 63 bytes: two long names can collide. */
#include "lint/util.h"

#include <string.h>

#define NAMEDATALEN_MAX 63

static void name(struct lint_ctx *ctx, const char *s, int32_t location, const char *what)
{
	if (!s || strlen(s) <= NAMEDATALEN_MAX)
		return;
	struct finding *f = lint_report(ctx, lint_loc(ctx, location),
					"the %s name '%.20s...' is %zu bytes long: PostgreSQL "
					"truncates it to 63, silently",
					what, s, strlen(s));
	finding_set_hint(f, "choose a name of at most 63 bytes, so the name in the database is "
			    "the one in the migration");
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		if (node->create_stmt->relation)
			name(ctx, node->create_stmt->relation->relname,
			     node->create_stmt->relation->location, "table");
		break;
	case PG_QUERY__NODE__NODE_COLUMN_DEF:
		name(ctx, node->column_def->colname, node->column_def->location, "column");
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		name(ctx, node->index_stmt->idxname, -1, "index");
		break;
	case PG_QUERY__NODE__NODE_CONSTRAINT:
		name(ctx, node->constraint->conname, node->constraint->location, "constraint");
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		name(ctx, node->rename_stmt->newname, -1, "new");
		break;
	default:
		break;
	}
}

const struct lint_rule rule_identifier_too_long = {
	.id = "identifier-too-long",
	.summary = "a name longer than 63 bytes, which PostgreSQL truncates",
	.severity = SEV_ERROR,
	.nodes = LINT_NODES(PG_QUERY__NODE__NODE_CREATE_STMT, PG_QUERY__NODE__NODE_COLUMN_DEF,
			    PG_QUERY__NODE__NODE_INDEX_STMT, PG_QUERY__NODE__NODE_CONSTRAINT,
			    PG_QUERY__NODE__NODE_RENAME_STMT),
	.check = check,
};
