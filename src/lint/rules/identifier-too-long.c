/*
 * PostgreSQL silently truncates identifiers to 63 bytes (NAMEDATALEN - 1),
 * on a character boundary: two long names can collide, and the name in the
 * database is not the one in the migration. The parser has already cut
 * the names in the tree, so they are measured in the text, in bytes, where
 * the statement wrote them: every name, defined or referenced.
 */
#include "lint/util.h"
#include "sql/lex.h"

#include <ctype.h>

#define NAMEDATALEN_MAX 63

/* Whether the statement may hold a name over 63 bytes: a run of that many
 * identifier bytes, or a quoted name (which may hold any byte). Most
 * statements have neither, and this costs less than reading their tokens. */
static bool may_hold_long_name(const char *t, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '"')
			return true;
		if (isalnum(c) || c == '_' || c == '$' || c >= 0x80) {
			if (++run > NAMEDATALEN_MAX)
				return true;
		} else {
			run = 0;
		}
	}
	return false;
}

static void statement(struct lint_ctx *ctx)
{
	if (ctx->stmt_len <= NAMEDATALEN_MAX ||
	    !may_hold_long_name(ctx->text + ctx->stmt_start, ctx->stmt_len))
		return;
	size_t pos = ctx->stmt_start, end = ctx->stmt_start + ctx->stmt_len;
	struct sql_ident id;
	while (sql_lex_next_ident(ctx->text, &pos, end, &id)) {
		if (id.bytes <= NAMEDATALEN_MAX)
			continue;
		const char *name = ctx->text + id.start + (id.quoted ? 1 : 0);
		struct finding *f = lint_report(ctx, id.start,
						"the name '%.20s...' is %zu bytes long: PostgreSQL "
						"truncates it to 63, silently",
						name, id.bytes);
		finding_set_hint(f, "choose a name of at most 63 bytes, so the name in the database "
				    "is the one in the migration");
	}
}

const struct lint_rule rule_identifier_too_long = {
    .id = "identifier-too-long",
    .summary = "a name longer than 63 bytes, which PostgreSQL truncates",
    .severity = SEV_ERROR,
    .statement = statement,
};
