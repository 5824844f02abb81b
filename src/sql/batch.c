/* The batch marker and where a batched statement takes its key range. */
#include "sql/batch.h"
#include "config/config.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "sql/sql.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The line before the one holding `at`: [*from, *to), trimmed. */
static bool previous_line(const char *text, size_t at, size_t *from, size_t *to)
{
	size_t ls = at;
	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	if (ls == 0)
		return false;
	size_t pe = ls - 1; /* the '\n' ending the previous line */
	size_t ps = pe;
	while (ps > 0 && text[ps - 1] != '\n')
		ps--;
	while (ps < pe && (text[ps] == ' ' || text[ps] == '\t'))
		ps++;
	while (pe > ps && isspace((unsigned char)text[pe - 1]))
		pe--;
	*from = ps;
	*to = pe;
	return true;
}

static int bad(struct sql_batch_spec *out, size_t at, const char *what)
{
	out->marker = at;
	return err_set(ERR_CHECK, "malformed batch marker: %s (expected '-- revgate: batch "
				  "size=N by=COLUMN [sleep=DURATION]')",
		       what);
}

int sql_batch_marker(const char *text, size_t stmt_start, struct sql_batch_spec *out)
{
	size_t a, b;
	memset(out, 0, sizeof(*out));
	if (!previous_line(text, stmt_start, &a, &b) || b - a < 2 || strncmp(text + a, "--", 2))
		return 0;
	size_t i = a + 2;
	while (i < b && isspace((unsigned char)text[i]))
		i++;
	if (b - i < 8 || strncmp(text + i, "revgate:", 8))
		return 0;
	i += 8;
	while (i < b && isspace((unsigned char)text[i]))
		i++;
	if (b - i < 5 || strncmp(text + i, "batch", 5) || (i + 5 < b && !isspace((unsigned char)text[i + 5])))
		return 0;
	i += 5;
	char *args = xstrndup(text + i, b - i);
	int ret = 1;
	bool have_size = false;
	for (char *p = args; ret == 1 && *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		char *e = p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		char saved = *e;
		*e = '\0';
		char *eq = strchr(p, '=');
		if (!eq) {
			char *m = xstrfmt("'%s' has no value", p);
			ret = bad(out, a, m);
			free(m);
		} else {
			*eq = '\0';
			const char *v = eq + 1;
			if (!strcmp(p, "size")) {
				char *end;
				errno = 0;
				long n = strtol(v, &end, 10);
				if (errno || *end || end == v || n < 1 || n > SQL_BATCH_MAX_SIZE) {
					char *m = xstrfmt("size '%s' is not a whole number from 1 to %ld",
							  v, SQL_BATCH_MAX_SIZE);
					ret = bad(out, a, m);
					free(m);
				}
				out->size = n;
				have_size = true;
			} else if (!strcmp(p, "by")) {
				size_t n = strlen(v);
				bool ok = n > 0 && n < sizeof(out->by) &&
					  (isalpha((unsigned char)v[0]) || v[0] == '_');
				for (size_t k = 0; ok && k < n; k++)
					ok = isalnum((unsigned char)v[k]) || v[k] == '_';
				if (!ok) {
					char *m = xstrfmt("by '%s' is not a plain column name", v);
					ret = bad(out, a, m);
					free(m);
				} else {
					for (size_t k = 0; k <= n; k++)
						out->by[k] = (char)tolower((unsigned char)v[k]);
				}
			} else if (!strcmp(p, "sleep")) {
				if (config_duration_ms(v, "sleep", &out->sleep_ms) < 0) {
					char *m = xstrfmt("sleep '%s' is not a duration (500ms, 2s)", v);
					ret = bad(out, a, m);
					free(m);
				}
			} else {
				char *m = xstrfmt("unknown key '%s'", p);
				ret = bad(out, a, m);
				free(m);
			}
		}
		*e = saved;
		p = e;
	}
	if (ret == 1 && !have_size)
		ret = bad(out, a, "size= is missing");
	else if (ret == 1 && !*out->by)
		ret = bad(out, a, "by= is missing");
	free(args);
	if (ret == 1)
		out->marker = a;
	return ret;
}

void sql_batch_target_release(struct sql_batch_target *t)
{
	free(t->schema);
	free(t->table);
	free(t->alias);
	memset(t, 0, sizeof(*t));
}

int sql_batch_target(const char *text, size_t start, size_t len, struct sql_batch_target *out)
{
	struct sql_tree *tree = NULL;
	struct sql_error err = {0, NULL};
	struct sql_tokens toks = SQL_TOKENS_INIT;
	memset(out, 0, sizeof(*out));
	int ret = sql_parse(text, start, len, &tree, &err);
	if (ret < 0)
		goto out;
	const PgQuery__ParseResult *r = tree->result;
	const PgQuery__Node *n = r->n_stmts == 1 ? r->stmts[0]->stmt : NULL;
	const PgQuery__RangeVar *rel = NULL;
	bool has_where = false, returning = false;
	if (n && n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT) {
		rel = n->update_stmt->relation;
		has_where = n->update_stmt->where_clause != NULL;
		returning = n->update_stmt->n_returning_list > 0;
	} else if (n && n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT) {
		rel = n->delete_stmt->relation;
		has_where = n->delete_stmt->where_clause != NULL;
		returning = n->delete_stmt->n_returning_list > 0;
	}
	if (!rel || !rel->relname) {
		ret = err_set(ERR_CHECK, "a batch marker stands before an UPDATE or a DELETE");
		goto out;
	}
	if (returning) {
		ret = err_set(ERR_CHECK, "a batched statement cannot have RETURNING: its batches "
					 "commit one by one and return nothing");
		goto out;
	}
	out->schema = rel->schemaname && *rel->schemaname ? xstrdup(rel->schemaname) : NULL;
	out->table = xstrdup(rel->relname);
	out->alias = rel->alias && rel->alias->aliasname ? xstrdup(rel->alias->aliasname) : NULL;
	out->has_where = has_where;
	if ((ret = sql_scan(text, start, len, &toks, &err)) < 0)
		goto out;
	/* the statement's own WHERE is the last one outside parentheses: a
	 * WITH query's or a subquery's sits inside them */
	int depth = 0;
	for (size_t i = 0; i < toks.n; i++) {
		const struct sql_token *t = &toks.v[i];
		if (t->kind == SQL_TOKEN_LINE_COMMENT || t->kind == SQL_TOKEN_BLOCK_COMMENT)
			continue;
		out->end = t->end;
		if (t->end - t->start == 1 && text[t->start] == '(')
			depth++;
		else if (t->end - t->start == 1 && text[t->start] == ')')
			depth--;
		else if (depth == 0 && t->pg_token == PG_QUERY__TOKEN__WHERE)
			out->where_at = t->end;
	}
	if (has_where && !out->where_at)
		ret = err_set(ERR_CHECK, "cannot find the WHERE clause of the batched statement");
out:
	if (ret < 0 && err.message)
		ret = err_set(ERR_CHECK, "%s", err.message);
	sql_tokens_release(&toks);
	sql_error_release(&err);
	sql_tree_free(tree);
	if (ret < 0)
		sql_batch_target_release(out);
	return ret;
}
