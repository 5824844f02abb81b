/* PostgreSQL silently truncates identifiers to 63 bytes: two long names can collide. */
#include "lint/util.h"

#include <ctype.h>
#include <string.h>

#define NAMEDATALEN_MAX 63

/* Length of the identifier as written at `at` (quoted or not). */
static size_t written_len(const char *t, size_t len, size_t at)
{
	size_t i = at;
	if (i < len && t[i] == '"') {
		for (i++; i < len; i++) {
			if (t[i] == '"' && !(i + 1 < len && t[i + 1] == '"'))
				break;
			if (t[i] == '"')
				i++;
		}
		return i - at - 1;
	}
	while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '$' ||
			   (unsigned char)t[i] >= 0x80))
		i++;
	return i - at;
}

/*
 * The parser has already cut the name to 63 bytes (with a notice nobody
 * sees): a name of exactly 63 bytes is measured again in the source, where
 * the statement wrote it.
 */
static void name(struct lint_ctx *ctx, const char *s, int32_t location, const char *what)
{
	if (!s || strlen(s) < NAMEDATALEN_MAX)
		return;
	size_t at;
	const char *found = memmem(ctx->text + ctx->stmt_start, ctx->stmt_len, s, strlen(s));
	if (location >= 0 && !strncmp(ctx->text + lint_loc(ctx, location), s, strlen(s)))
		at = lint_loc(ctx, location);
	else if (found)
		at = (size_t)(found - ctx->text);
	else
		return;
	if (at > 0 && ctx->text[at - 1] == '"')
		at--;
	size_t n = written_len(ctx->text, ctx->len, at);
	if (n <= NAMEDATALEN_MAX)
		return;
	struct finding *f = lint_report(ctx, at,
					"the %s name '%.20s...' is %zu bytes long: PostgreSQL "
					"truncates it to 63, silently",
					what, s, n);
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
