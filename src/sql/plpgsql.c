/*
 * PL/pgSQL bodies (see plpgsql.h). libpg_query compiles a body with the
 * PL/pgSQL grammar and returns its tree as JSON; a small reader here turns
 * that text into values, and the statements are found in it by their
 * PLpgSQL_stmt_execsql and PLpgSQL_stmt_dynexecute nodes: their line in the
 * body and their SQL, which PL/pgSQL keeps exactly as written, so it is
 * found again in the file for its position.
 */
#include "sql/plpgsql.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <pg_query.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sql_inner_list_release(struct sql_inner_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/* ---- a reader for libpg_query's JSON ---- */

enum jkind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jkind kind;
	long num;
	char *str;	    /* J_STR */
	char **keys;	    /* J_OBJ */
	struct jval *items; /* J_ARR, J_OBJ */
	size_t n;
};

struct jreader {
	const char *p, *end;
	bool bad;
	int depth;
};

static void jval_release(struct jval *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jval_release(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void jskip(struct jreader *r)
{
	while (r->p < r->end && isspace((unsigned char)*r->p))
		r->p++;
}

static void jutf8(struct strbuf *sb, unsigned long c)
{
	if (c < 0x80) {
		strbuf_addch(sb, (char)c);
	} else if (c < 0x800) {
		strbuf_addch(sb, (char)(0xC0 | (c >> 6)));
		strbuf_addch(sb, (char)(0x80 | (c & 0x3F)));
	} else {
		strbuf_addch(sb, (char)(0xE0 | (c >> 12)));
		strbuf_addch(sb, (char)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addch(sb, (char)(0x80 | (c & 0x3F)));
	}
}

static char *jstring(struct jreader *r)
{
	struct strbuf sb = STRBUF_INIT;
	r->p++; /* the opening quote */
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;
		if (c != '\\') {
			strbuf_addch(&sb, c);
			continue;
		}
		if (r->p >= r->end)
			break;
		c = *r->p++;
		switch (c) {
		case 'n':
			strbuf_addch(&sb, '\n');
			break;
		case 't':
			strbuf_addch(&sb, '\t');
			break;
		case 'r':
			strbuf_addch(&sb, '\r');
			break;
		case 'b':
			strbuf_addch(&sb, '\b');
			break;
		case 'f':
			strbuf_addch(&sb, '\f');
			break;
		case 'u': {
			char hex[5] = {0};
			for (int i = 0; i < 4 && r->p < r->end; i++)
				hex[i] = *r->p++;
			unsigned long cp = strtoul(hex, NULL, 16);
			/* a surrogate pair: the second half follows as \uXXXX */
			if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
			    r->p[1] == 'u') {
				char lo[5] = {r->p[2], r->p[3], r->p[4], r->p[5], 0};
				cp = 0x10000 + ((cp - 0xD800) << 10) + (strtoul(lo, NULL, 16) - 0xDC00);
				r->p += 6;
				strbuf_addch(&sb, (char)(0xF0 | (cp >> 18)));
				strbuf_addch(&sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
				strbuf_addch(&sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
				strbuf_addch(&sb, (char)(0x80 | (cp & 0x3F)));
			} else {
				jutf8(&sb, cp);
			}
			break;
		}
		default:
			strbuf_addch(&sb, c);
		}
	}
	if (r->p < r->end)
		r->p++;
	else
		r->bad = true;
	return strbuf_detach(&sb, NULL);
}

static void jvalue(struct jreader *r, struct jval *out)
{
	memset(out, 0, sizeof(*out));
	jskip(r);
	if (r->p >= r->end || ++r->depth > 10000) {
		r->bad = true;
		return;
	}
	char c = *r->p;
	if (c == '"') {
		out->kind = J_STR;
		out->str = jstring(r);
	} else if (c == '{' || c == '[') {
		bool obj = c == '{';
		out->kind = obj ? J_OBJ : J_ARR;
		size_t alloc = 0;
		r->p++;
		jskip(r);
		while (!r->bad && r->p < r->end && *r->p != (obj ? '}' : ']')) {
			ALLOC_GROW(out->items, out->n + 1, alloc);
			if (obj) {
				out->keys = xrealloc(out->keys, alloc * sizeof(*out->keys));
				jskip(r);
				if (r->p >= r->end || *r->p != '"') {
					r->bad = true;
					break;
				}
				out->keys[out->n] = jstring(r);
				jskip(r);
				if (r->p >= r->end || *r->p != ':') {
					free(out->keys[out->n]);
					r->bad = true;
					break;
				}
				r->p++;
			}
			jvalue(r, &out->items[out->n++]);
			jskip(r);
			if (r->p < r->end && *r->p == ',')
				r->p++;
			jskip(r);
		}
		if (r->p < r->end)
			r->p++;
		else
			r->bad = true;
	} else if (c == 't' || c == 'f' || c == 'n') {
		out->kind = c == 'n' ? J_NULL : J_BOOL;
		out->num = c == 't';
		while (r->p < r->end && isalpha((unsigned char)*r->p))
			r->p++;
	} else {
		out->kind = J_NUM;
		char *e;
		out->num = strtol(r->p, &e, 10);
		if (e == r->p)
			r->bad = true;
		r->p = e;
		while (r->p < r->end && (isdigit((unsigned char)*r->p) || strchr(".eE+-", *r->p)))
			r->p++;
	}
	r->depth--;
}

static const struct jval *jget(const struct jval *v, const char *key)
{
	for (size_t i = 0; v && v->kind == J_OBJ && i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

/* ---- the body and where it is ---- */

static const char *defelem_string(const PgQuery__Node *n, const char *name)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
		return NULL;
	const PgQuery__DefElem *d = n->def_elem;
	if (strcmp(d->defname, name) || !d->arg || d->arg->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return d->arg->string->sval;
}

/* A body as PL/pgSQL compiles it: the text handed to libpg_query and where
 * the body's first byte is in the file. */
struct source {
	char *input;
	size_t body_at; /* file offset of the body's first byte */
	const char *body;
	bool verbatim; /* the file holds the body byte for byte (dollar-quoted) */
};

/* The body's offset in the file: its literal text after the option's
 * location, else the statement start (a quoted body with escapes). */
static void locate_body(struct source *s, const char *text, size_t base, size_t start, size_t len,
			int loc)
{
	s->body_at = start;
	s->verbatim = false;
	if (loc < 0 || !s->body || !*s->body)
		return;
	size_t from = base + (size_t)loc, end = start + len, bl = strlen(s->body);
	for (size_t i = from; i + bl <= end; i++) {
		if (!memcmp(text + i, s->body, bl)) {
			s->body_at = i;
			s->verbatim = true;
			return;
		}
	}
}

static bool source_of(const PgQuery__Node *st, const char *text, size_t base, size_t start,
		      size_t len, struct source *s)
{
	memset(s, 0, sizeof(*s));
	int loc = -1;
	if (st->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		const PgQuery__CreateFunctionStmt *f = st->create_function_stmt;
		const char *lang = NULL;
		for (size_t i = 0; i < f->n_options; i++) {
			const PgQuery__Node *o = f->options[i];
			if (!lang)
				lang = defelem_string(o, "language");
			if (o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
			    !strcmp(o->def_elem->defname, "as") && o->def_elem->arg &&
			    o->def_elem->arg->node_case == PG_QUERY__NODE__NODE_LIST &&
			    o->def_elem->arg->list->n_items > 0 &&
			    o->def_elem->arg->list->items[0]->node_case == PG_QUERY__NODE__NODE_STRING) {
				s->body = o->def_elem->arg->list->items[0]->string->sval;
				loc = o->def_elem->location;
			}
		}
		if (!lang || strcmp(lang, "plpgsql") || !s->body)
			return false;
		s->input = xstrndup(text + start, len);
	} else if (st->node_case == PG_QUERY__NODE__NODE_DO_STMT) {
		const PgQuery__DoStmt *d = st->do_stmt;
		const char *lang = "plpgsql";
		for (size_t i = 0; i < d->n_args; i++) {
			const char *b = defelem_string(d->args[i], "as");
			if (b) {
				s->body = b;
				loc = d->args[i]->def_elem->location;
			}
			const char *l = defelem_string(d->args[i], "language");
			if (l)
				lang = l;
		}
		if (!s->body || strcmp(lang, "plpgsql"))
			return false;
		s->input = xstrfmt("CREATE FUNCTION revgate_do_block() RETURNS void "
				   "LANGUAGE plpgsql AS $revgate_body$%s$revgate_body$",
				   s->body);
	} else {
		return false;
	}
	locate_body(s, text, base, start, len, loc);
	return true;
}

/* The file offset of line `lineno` (1-based) of the body. */
static size_t body_line(const char *text, size_t body_at, size_t end, long lineno)
{
	size_t off = body_at;
	for (long l = 1; l < lineno && off < end; off++)
		if (text[off] == '\n')
			l++;
	return off;
}

/*
 * Where a PL/pgSQL error points. The compiler reports no character position,
 * only "near line N" of the function body in its context and often the token
 * it choked on ('at or near "X"'): find that line of the body in the file,
 * then the token on or after it.
 */
static size_t error_offset(const char *text, size_t start, size_t len, size_t body_at,
			   const PgQueryError *pe)
{
	size_t end = start + len;
	const char *near = pe->context ? strstr(pe->context, "near line ") : NULL;
	if (!near || body_at >= end)
		return start;
	size_t off = body_line(text, body_at, end, strtol(near + 10, NULL, 10));
	const char *tok = pe->message ? strstr(pe->message, "at or near \"") : NULL;
	if (tok) {
		tok += 12;
		const char *q = strchr(tok, '"');
		size_t tl = q ? (size_t)(q - tok) : 0;
		for (size_t i = off; tl && i + tl <= end; i++) {
			if (!strncasecmp(text + i, tok, tl))
				return i;
		}
	}
	while (off < end && (text[off] == ' ' || text[off] == '\t'))
		off++;
	return off < end ? off : start;
}

/* ---- the statements ---- */

struct collect {
	const char *text;
	const struct source *src;
	size_t start, end; /* the statement */
	struct sql_inner_list *out;
};

static void add(struct collect *c, size_t start, size_t len, char *own, bool dynamic)
{
	ALLOC_GROW(c->out->v, c->out->n + 1, c->out->alloc);
	c->out->v[c->out->n++] = (struct sql_inner){start, len, own, dynamic};
}

/* Where `sql` is in the file on or after line `lineno` of the body. */
static bool find(const struct collect *c, long lineno, const char *sql, size_t *at)
{
	size_t from = body_line(c->text, c->src->body_at, c->end, lineno);
	size_t n = strlen(sql);
	for (size_t i = from; n && i + n <= c->end; i++) {
		if (!memcmp(c->text + i, sql, n)) {
			*at = i;
			return true;
		}
	}
	*at = from < c->end ? from : c->start;
	return false;
}

/* The value of a SQL string constant written as `e` (a PL/pgSQL expression),
 * or NULL when it is not one constant. */
static char *constant_string(const char *e, bool *verbatim)
{
	size_t n = strlen(e);
	while (n && isspace((unsigned char)e[n - 1]))
		n--;
	*verbatim = true;
	if (n >= 2 && e[0] == '\'' && e[n - 1] == '\'') {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 1; i + 1 < n; i++) {
			if (e[i] == '\'') {
				if (e[i + 1] != '\'' || i + 2 >= n) {
					strbuf_release(&sb);
					return NULL; /* quotes end it early: an expression */
				}
				i++;
				*verbatim = false;
			}
			strbuf_addch(&sb, e[i]);
		}
		return strbuf_detach(&sb, NULL);
	}
	if (n >= 2 && e[0] == '$') {
		const char *close = strchr(e + 1, '$');
		size_t tl = close ? (size_t)(close - e) + 1 : 0;
		if (tl && n >= 2 * tl && !memcmp(e + n - tl, e, tl))
			return xstrndup(e + tl, n - 2 * tl);
	}
	return NULL;
}

static void statement(struct collect *c, const char *kind, const struct jval *v)
{
	const struct jval *ln = jget(v, "lineno");
	long lineno = ln && ln->kind == J_NUM ? ln->num : 1;
	bool dynamic = !strcmp(kind, "PLpgSQL_stmt_dynexecute");
	const struct jval *q =
	    jget(jget(jget(v, dynamic ? "query" : "sqlstmt"), "PLpgSQL_expr"), "query");
	if (!q || q->kind != J_STR || !*q->str)
		return;
	size_t at;
	bool found = c->src->verbatim && find(c, lineno, q->str, &at);
	if (!found)
		find(c, lineno, "", &at);
	if (!dynamic) {
		if (found)
			add(c, at, strlen(q->str), NULL, false);
		else
			add(c, at, 0, xstrdup(q->str), false);
		return;
	}
	bool verbatim;
	char *sql = constant_string(q->str, &verbatim);
	if (!sql)
		return; /* built at run time: nothing to read */
	if (found && verbatim) {
		size_t skip = q->str[0] == '$' ? (size_t)(strchr(q->str + 1, '$') - q->str) + 1 : 1;
		add(c, at + skip, strlen(sql), NULL, true);
		free(sql);
	} else {
		add(c, at, 0, sql, true);
	}
}

static void walk(struct collect *c, const struct jval *v)
{
	if (v->kind == J_OBJ) {
		for (size_t i = 0; i < v->n; i++) {
			if (!strcmp(v->keys[i], "PLpgSQL_stmt_execsql") ||
			    !strcmp(v->keys[i], "PLpgSQL_stmt_dynexecute"))
				statement(c, v->keys[i], &v->items[i]);
			walk(c, &v->items[i]);
		}
	} else if (v->kind == J_ARR) {
		for (size_t i = 0; i < v->n; i++)
			walk(c, &v->items[i]);
	}
}

/* Whether a function returns through OUT, INOUT or TABLE parameters. */
static bool has_out_params(const PgQuery__Node *st)
{
	if (st->node_case != PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
		return false;
	const PgQuery__CreateFunctionStmt *f = st->create_function_stmt;
	for (size_t i = 0; i < f->n_parameters; i++) {
		const PgQuery__Node *p = f->parameters[i];
		if (p->node_case != PG_QUERY__NODE__NODE_FUNCTION_PARAMETER)
			continue;
		PgQuery__FunctionParameterMode m = p->function_parameter->mode;
		if (m == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT ||
		    m == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_INOUT ||
		    m == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE)
			return true;
	}
	return false;
}

int sql_plpgsql_statements(const PgQuery__Node *st, const char *text, size_t base, size_t start,
			   size_t len, struct sql_inner_list *out, struct sql_error *err)
{
	struct source src;
	if (!st || !source_of(st, text, base, start, len, &src))
		return 0;
	sql_note_used();
	PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(src.input);
	int ret = 0;
	/* libpg_query compiles a function without its OUT parameters, so a bare
	 * RETURN NEXT or RETURN that they make valid looks like an error */
	if (r.error && has_out_params(st) && r.error->message &&
	    !strncmp(r.error->message, "missing expression", 18)) {
		pg_query_free_plpgsql_parse_result(r);
		free(src.input);
		return 0;
	}
	if (r.error) {
		if (err) {
			sql_error_release(err);
			err->offset = error_offset(text, start, len, src.body_at, r.error);
			err->message = xstrdup(r.error->message ? r.error->message : "error");
		}
		ret = ERR_CHECK;
	} else if (out && r.plpgsql_funcs) {
		struct jreader jr = {r.plpgsql_funcs, r.plpgsql_funcs + strlen(r.plpgsql_funcs), false,
				     0};
		struct jval v;
		jvalue(&jr, &v);
		struct collect c = {text, &src, start, start + len, out};
		if (!jr.bad)
			walk(&c, &v);
		jval_release(&v);
	}
	pg_query_free_plpgsql_parse_result(r);
	free(src.input);
	return ret;
}

int sql_check_plpgsql(const char *text, size_t start, size_t len, struct sql_error *err)
{
	struct sql_tree *tree = NULL;
	int ret = sql_parse(text, start, len, &tree, err);
	if (ret < 0)
		return ret;
	for (size_t k = 0; k < tree->result->n_stmts && ret == 0; k++) {
		const PgQuery__RawStmt *raw = tree->result->stmts[k];
		size_t st = tree->base + (size_t)raw->stmt_location;
		size_t sl = raw->stmt_len ? (size_t)raw->stmt_len : start + len - st;
		ret = sql_plpgsql_statements(raw->stmt, text, tree->base, st, sl, NULL, err);
	}
	sql_tree_free(tree);
	return ret;
}
