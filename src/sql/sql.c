/*
 * libpg_query behind revgate's interface. The one place where libpg_query's
 * positions (character counts from 1, offsets relative to the parsed
 * string) become byte offsets in the caller's text.
 */
#include "sql/sql.h"
#include "sql/lex.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * libpg_query keeps a memory context per thread; pg_query_exit() frees the
 * calling thread's and crashes when that thread never created one. Worker
 * threads' contexts are freed when they exit, so this is per thread.
 */
static _Thread_local bool used;

void sql_error_release(struct sql_error *e)
{
	free(e->message);
	e->message = NULL;
	e->offset = 0;
}

void sql_script_release(struct sql_script *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

void sql_tokens_release(struct sql_tokens *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

/* Records libpg_query's error: cursorpos counts characters from 1 in the
 * string that was handed to it, which starts at `start` in `text`. */
static int set_error(struct sql_error *err, const char *text, size_t start, size_t len,
		     const PgQueryError *pe)
{
	if (err) {
		sql_error_release(err);
		size_t chars = pe->cursorpos > 0 ? (size_t)pe->cursorpos - 1 : 0;
		err->offset = text_char_to_byte(text, start + len, start, chars);
		err->message = xstrdup(pe->message ? pe->message : "syntax error");
	}
	return ERR_CHECK;
}

void sql_script_push(struct sql_script *out, const char *text, size_t s, size_t e)
{
	while (e > s && isspace((unsigned char)text[e - 1]))
		e--;
	if (e > s && text[e - 1] == ';')
		e--;
	while (e > s && isspace((unsigned char)text[e - 1]))
		e--;
	if (e == s)
		return;
	ALLOC_GROW(out->v, out->n + 1, out->alloc);
	out->v[out->n].start = s;
	out->v[out->n].len = e - s;
	out->n++;
}

static void push_stmt(struct sql_script *out, const char *text, size_t s, size_t e)
{
	sql_script_push(out, text, sql_lex_skip_blank(text, s, e), e);
}

/*
 * Text the splitter skipped (it drops a statement that starts with a word it
 * does not know, and everything after an unbalanced parenthesis): cut it at
 * ';' tokens so the parser reports it instead of revgate losing it.
 */
static int split_gap(const char *text, size_t s, size_t e, struct sql_script *out,
		     struct sql_error *err)
{
	s = sql_lex_skip_blank(text, s, e);
	if (s >= e)
		return 0;
	struct sql_tokens toks = SQL_TOKENS_INIT;
	int ret = sql_scan(text, s, e - s, &toks, err);
	if (ret == 0) {
		size_t piece = s;
		for (size_t k = 0; k < toks.n; k++) {
			if (toks.v[k].end - toks.v[k].start == 1 && text[toks.v[k].start] == ';') {
				push_stmt(out, text, piece, toks.v[k].start);
				piece = toks.v[k].end;
			}
		}
		push_stmt(out, text, piece, e);
	}
	sql_tokens_release(&toks);
	return ret;
}

/* Whether the text has a SQL-standard function body (BEGIN ATOMIC ... END),
 * whose inner semicolons only the parser-based splitter understands. */
static bool has_atomic_body(const char *s)
{
	for (const char *p = strcasestr(s, "atomic"); p; p = strcasestr(p + 6, "atomic")) {
		const char *q = p;
		while (q > s && isspace((unsigned char)q[-1]))
			q--;
		if (q - s >= 5 && !strncasecmp(q - 5, "begin", 5))
			return true;
	}
	return false;
}

int sql_split(const char *text, size_t start, size_t end, struct sql_script *out,
	      struct sql_error *err)
{
	char *input = xstrndup(text + start, end - start);
	used = true;
	PgQuerySplitResult r;
	if (has_atomic_body(input)) {
		r = pg_query_split_with_parser(input);
		if (r.error) {
			/* not valid SQL: the scanner split still finds each statement */
			pg_query_free_split_result(r);
			r = pg_query_split_with_scanner(input);
		}
	} else {
		r = pg_query_split_with_scanner(input);
	}
	int ret = 0;
	if (r.error) {
		ret = set_error(err, text, start, end - start, r.error);
		goto out;
	}
	size_t covered = start;
	for (int k = 0; k < r.n_stmts && ret == 0; k++) {
		size_t loc = start + (size_t)r.stmts[k]->stmt_location;
		size_t slen = r.stmts[k]->stmt_len ? (size_t)r.stmts[k]->stmt_len : end - loc;
		if (loc > covered)
			ret = split_gap(text, covered, loc, out, err);
		push_stmt(out, text, loc, loc + slen);
		covered = loc + slen;
		/* the ';' that ended the statement belongs to it, not to the next gap */
		size_t after = sql_lex_skip_blank(text, covered, end);
		if (after < end && text[after] == ';')
			covered = after + 1;
	}
	if (ret == 0 && covered < end)
		ret = split_gap(text, covered, end, out, err);
out:
	pg_query_free_split_result(r);
	free(input);
	return ret;
}

/*
 * libpg_query's parser and tree serialisation recurse once per operator of
 * a chain such as 1+1+1+...; past about 20,000 the process stack overflows.
 * Long statements are measured with the scanner first: the longest run of
 * operators at one level of parentheses bounds that depth.
 */
#define SQL_MAX_OPERATOR_RUN 10000
#define SQL_DEPTH_CHECK_MIN_LEN 20000

static bool is_operator_token(int t)
{
	switch (t) {
	case '+': case '-': case '*': case '/': case '%': case '^': case '<': case '>':
	case '=': case PG_QUERY__TOKEN__Op: case PG_QUERY__TOKEN__LESS_EQUALS:
	case PG_QUERY__TOKEN__GREATER_EQUALS: case PG_QUERY__TOKEN__NOT_EQUALS:
		return true;
	default:
		return false;
	}
}

static int check_depth(const char *text, size_t start, size_t len, struct sql_error *err)
{
	struct sql_tokens toks = SQL_TOKENS_INIT;
	int ret = sql_scan(text, start, len, &toks, err);
	if (ret < 0)
		return ret;
	size_t *runs = xcalloc(toks.n + 1, sizeof(size_t));
	size_t level = 0;
	for (size_t k = 0; k < toks.n && ret == 0; k++) {
		int t = toks.v[k].pg_token;
		if (t == '(') {
			runs[++level] = 0;
		} else if (t == ')') {
			if (level > 0)
				level--;
		} else if (t == ',') {
			runs[level] = 0;
		} else if (is_operator_token(t) && ++runs[level] > SQL_MAX_OPERATOR_RUN) {
			if (err) {
				sql_error_release(err);
				err->offset = toks.v[k].start;
				err->message = xstrfmt("expression nested too deeply to parse (a chain "
						       "of more than %d operators); split it up",
						       SQL_MAX_OPERATOR_RUN);
			}
			ret = ERR_CHECK;
		}
	}
	free(runs);
	sql_tokens_release(&toks);
	return ret;
}

int sql_parse(const char *text, size_t start, size_t len, struct sql_tree **out,
	      struct sql_error *err)
{
	*out = NULL;
	if (len > SQL_DEPTH_CHECK_MIN_LEN) {
		int ret = check_depth(text, start, len, err);
		if (ret < 0)
			return ret;
	}

	char *input = xstrndup(text + start, len);
	used = true;
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(input);
	int ret = 0;
	if (r.error) {
		ret = set_error(err, text, start, len, r.error);
		goto out;
	}
	PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
		NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
	if (!pr) {
		ret = err_set(ERR_RUNTIME, "cannot unpack libpg_query's parse tree");
		goto out;
	}
	if (pr->version != PG_VERSION_NUM) {
		ret = err_set(ERR_RUNTIME,
			      "libpg_query parse tree version %d, revgate was built for %d",
			      pr->version, PG_VERSION_NUM);
		pg_query__parse_result__free_unpacked(pr, NULL);
		goto out;
	}
	struct sql_tree *t = xcalloc(1, sizeof(*t));
	t->result = pr;
	t->base = start;
	*out = t;
out:
	pg_query_free_protobuf_parse_result(r);
	free(input);
	return ret;
}

void sql_tree_free(struct sql_tree *t)
{
	if (!t)
		return;
	pg_query__parse_result__free_unpacked(t->result, NULL);
	free(t);
}

static enum sql_token_kind token_kind(const PgQuery__ScanToken *tok)
{
	switch (tok->token) {
	case PG_QUERY__TOKEN__SQL_COMMENT:
		return SQL_TOKEN_LINE_COMMENT;
	case PG_QUERY__TOKEN__C_COMMENT:
		return SQL_TOKEN_BLOCK_COMMENT;
	case PG_QUERY__TOKEN__IDENT:
		return SQL_TOKEN_IDENT;
	case PG_QUERY__TOKEN__SCONST:
	case PG_QUERY__TOKEN__USCONST:
	case PG_QUERY__TOKEN__BCONST:
	case PG_QUERY__TOKEN__XCONST:
		return SQL_TOKEN_STRING;
	case PG_QUERY__TOKEN__ICONST:
	case PG_QUERY__TOKEN__FCONST:
		return SQL_TOKEN_NUMBER;
	default:
		return tok->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD ? SQL_TOKEN_KEYWORD
										: SQL_TOKEN_OTHER;
	}
}

int sql_scan(const char *text, size_t start, size_t len, struct sql_tokens *out,
	     struct sql_error *err)
{
	char *input = xstrndup(text + start, len);
	used = true;
	PgQueryScanResult r = pg_query_scan(input);
	int ret = 0;
	if (r.error) {
		ret = set_error(err, text, start, len, r.error);
		goto out;
	}
	PgQuery__ScanResult *sr =
		pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	if (!sr) {
		ret = err_set(ERR_RUNTIME, "cannot unpack libpg_query's scan result");
		goto out;
	}
	for (size_t k = 0; k < sr->n_tokens; k++) {
		const PgQuery__ScanToken *tok = sr->tokens[k];
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		struct sql_token *t = &out->v[out->n++];
		t->start = start + (size_t)tok->start;
		t->end = start + (size_t)tok->end;
		t->kind = token_kind(tok);
		t->pg_token = (int)tok->token;
	}
	pg_query__scan_result__free_unpacked(sr, NULL);
out:
	pg_query_free_scan_result(r);
	free(input);
	return ret;
}

int sql_token_stream(const char *text, size_t start, size_t len, struct strbuf *out,
		     struct sql_error *err)
{
	struct sql_tokens toks = SQL_TOKENS_INIT;
	int ret = sql_scan(text, start, len, &toks, err);
	if (ret < 0)
		goto out;
	for (size_t k = 0; k < toks.n; k++) {
		const struct sql_token *t = &toks.v[k];
		if (t->kind == SQL_TOKEN_LINE_COMMENT || t->kind == SQL_TOKEN_BLOCK_COMMENT)
			continue;
		/* keywords and unquoted identifiers are case-insensitive in SQL */
		bool fold = t->kind == SQL_TOKEN_KEYWORD ||
			    (t->kind == SQL_TOKEN_IDENT && text[t->start] != '"');
		for (size_t i = t->start; i < t->end; i++)
			strbuf_addch(out, fold ? tolower((unsigned char)text[i]) : text[i]);
		strbuf_addch(out, '\n');
	}
out:
	sql_tokens_release(&toks);
	return ret;
}

static bool defelem_named(const PgQuery__Node *n, const char *name)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
	       !strcmp(n->def_elem->defname, name);
}

bool sql_stmt_needs_autocommit(const PgQuery__Node *stmt)
{
	if (!stmt)
		return false;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return stmt->index_stmt->concurrent;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return stmt->drop_stmt->concurrent;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		for (size_t i = 0; i < stmt->reindex_stmt->n_params; i++)
			if (defelem_named(stmt->reindex_stmt->params[i], "concurrently"))
				return true;
		return false;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (size_t i = 0; i < stmt->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *c = stmt->alter_table_stmt->cmds[i];
			if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition &&
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent)
				return true;
		}
		return false;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return stmt->vacuum_stmt->is_vacuumcmd;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return true;
	default:
		return false;
	}
}

void sql_note_used(void)
{
	used = true;
}

void sql_shutdown(void)
{
	if (used)
		pg_query_exit();
	used = false;
}
