/*
 * A statement that touches revgate's own tables: the version table, the
 * history table or the trigger (and its function) that keeps the history
 * append-only. A revision that drops, edits or disables them rewrites the
 * record of what ran; revgate writes them itself, in the revision's own
 * transaction. Read from the statement's tokens, so that a name in a
 * function body or a string counts too; the statements of a DO block are
 * checked one by one by the engine.
 */
#include "lint/lint.h"
#include "lint/util.h"
#include "sql/sql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether text[0, len) holds `name` as a word, in any case. */
static bool has_word(const char *text, size_t len, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; n && i + n <= len; i++) {
		if (strncasecmp(text + i, name, n))
			continue;
		bool before = i == 0 || !(isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_');
		bool after = i + n == len ||
			     !(isalnum((unsigned char)text[i + n]) || text[i + n] == '_');
		if (before && after)
			return true;
	}
	return false;
}

/* Whether a token is the identifier `name`: quoted exactly, else in any case. */
static bool token_is(const char *text, const struct sql_token *t, const char *name)
{
	size_t len = t->end - t->start, n = strlen(name);
	const char *s = text + t->start;
	if (len >= 2 && s[0] == '"')
		return len == n + 2 && !strncmp(s + 1, name, n);
	return len == n && !strncasecmp(s, name, n);
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	if (node != ctx->stmt)
		return;
	const char *src = ctx->src;
	size_t len = ctx->src_len;
	char *fn = xstrfmt("%s_append_only", ctx->settings->history_table);
	const char *names[] = {ctx->settings->version_table, ctx->settings->history_table, fn};
	const char *hit = NULL;
	bool maybe = false;
	for (size_t i = 0; i < 3; i++)
		maybe |= has_word(src + ctx->src_start, len, names[i]);
	struct sql_tokens toks = SQL_TOKENS_INIT;
	struct sql_error err = {0};
	if (maybe && sql_scan(src, ctx->src_start, len, &toks, &err) == 0) {
		for (size_t k = 0; k < toks.n && !hit; k++) {
			const struct sql_token *t = &toks.v[k];
			for (size_t i = 0; i < 3 && !hit; i++) {
				if (t->kind == SQL_TOKEN_STRING)
					hit = has_word(src + t->start, t->end - t->start, names[i])
						  ? names[i]
						  : NULL;
				else if (t->kind == SQL_TOKEN_IDENT || t->kind == SQL_TOKEN_KEYWORD)
					hit = token_is(src, t, names[i]) ? names[i] : NULL;
			}
		}
	}
	sql_tokens_release(&toks);
	sql_error_release(&err);
	if (hit) {
		struct finding *f = lint_report(ctx, ctx->stmt_start,
						"this statement touches '%s', one of revgate's own "
						"tables: the record of what ran must not be changed "
						"by what ran",
						hit);
		finding_set_hint(f, "revgate writes its version and history tables itself; "
				    "to change their state use 'revgate stamp' or 'revgate resolve'");
	}
	free(fn);
}

const struct lint_rule rule_revgate_table_touched = {
    .id = "revgate-table-touched",
    .summary = "a statement that touches revgate's version or history table or its trigger",
    .severity = SEV_ERROR,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_INSERT_STMT, PG_QUERY__NODE__NODE_UPDATE_STMT,
			PG_QUERY__NODE__NODE_DELETE_STMT, PG_QUERY__NODE__NODE_SELECT_STMT,
			PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, PG_QUERY__NODE__NODE_DROP_STMT,
			PG_QUERY__NODE__NODE_TRUNCATE_STMT, PG_QUERY__NODE__NODE_RENAME_STMT,
			PG_QUERY__NODE__NODE_LOCK_STMT, PG_QUERY__NODE__NODE_COMMENT_STMT,
			PG_QUERY__NODE__NODE_GRANT_STMT,
			PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, PG_QUERY__NODE__NODE_INDEX_STMT,
			PG_QUERY__NODE__NODE_CREATE_STMT, PG_QUERY__NODE__NODE_VACUUM_STMT,
			PG_QUERY__NODE__NODE_CLUSTER_STMT, PG_QUERY__NODE__NODE_COPY_STMT,
			PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, PG_QUERY__NODE__NODE_ALTER_OWNER_STMT,
			PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT),
    .check = check,
};
