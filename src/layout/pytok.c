/* A small Python tokenizer (see pytok.h). */
#include "layout/pytok.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void push(struct pytoks *out, enum pytok_kind kind, size_t start, size_t end,
		 unsigned line, unsigned col, unsigned indent, bool line_start)
{
	ALLOC_GROW(out->v, out->n + 1, out->alloc);
	out->v[out->n++] = (struct pytok){kind, start, end, line, col, indent, line_start};
}

static bool name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* Length of a string prefix (r, b, u, f and pairs) before a quote at `i`, or 0. */
static size_t string_prefix(const char *t, size_t len, size_t i)
{
	size_t n = 0;
	while (n < 2 && i + n < len && strchr("rRbBuUfF", t[i + n]))
		n++;
	if (i + n < len && (t[i + n] == '\'' || t[i + n] == '"'))
		return n ? n : 0;
	return (size_t)-1;
}

void pytok_scan(const char *text, size_t len, struct pytoks *out)
{
	size_t i = 0;
	unsigned line = 1, depth = 0, indent = 0;
	size_t line_begin = 0;
	bool at_line_start = true, logical_start = true;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		i = line_begin = 3;
	while (i < len) {
		char c = text[i];
		if (at_line_start) {
			/* indentation of a physical line that starts a logical one */
			unsigned w = 0;
			size_t j = i;
			while (j < len && (text[j] == ' ' || text[j] == '\t')) {
				w = text[j] == '\t' ? (w / 8 + 1) * 8 : w + 1;
				j++;
			}
			if (logical_start)
				indent = w;
			i = j;
			at_line_start = false;
			continue;
		}
		if (c == '\n') {
			if (depth == 0 && !logical_start) {
				push(out, PY_NEWLINE, i, i, line, (unsigned)(i - line_begin) + 1, indent,
				     false);
				logical_start = true;
			}
			line++;
			i++;
			line_begin = i;
			at_line_start = true;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < len && (text[i + 1] == '\n' || text[i + 1] == '\r')) {
			/* an explicit continuation: the logical line goes on */
			i += text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n' ? 3 : 2;
			line++;
			line_begin = i;
			continue;
		}
		unsigned col = (unsigned)(i - line_begin) + 1;
		bool first = logical_start;
		if (c == '#') {
			size_t j = i;
			while (j < len && text[j] != '\n')
				j++;
			push(out, PY_COMMENT, i, j, line, col, indent, false);
			i = j;
			continue;
		}
		logical_start = false;
		size_t pre = string_prefix(text, len, i);
		if (pre != (size_t)-1 && (pre || c == '\'' || c == '"')) {
			size_t q = i + pre;
			char quote = text[q];
			bool triple = q + 2 < len && text[q + 1] == quote && text[q + 2] == quote;
			size_t j = q + (triple ? 3 : 1);
			unsigned start_line = line;
			bool closed = false;
			while (j < len) {
				if (text[j] == '\\' && j + 1 < len) {
					if (text[j + 1] == '\n') {
						line++;
						line_begin = j + 2;
					}
					j += 2;
					continue;
				}
				if (text[j] == '\n') {
					if (!triple)
						break;
					line++;
					line_begin = j + 1;
				}
				if (text[j] == quote &&
				    (!triple || (j + 2 < len && text[j + 1] == quote &&
						 text[j + 2] == quote))) {
					j += triple ? 3 : 1;
					closed = true;
					break;
				}
				j++;
			}
			if (!closed) {
				if (!out->error_line)
					out->error_line = start_line;
				return;
			}
			push(out, PY_STRING, i, j, start_line, col, indent, first);
			i = j;
			continue;
		}
		if (name_char((unsigned char)c) && !isdigit((unsigned char)c)) {
			size_t j = i;
			while (j < len && name_char((unsigned char)text[j]))
				j++;
			push(out, PY_NAME, i, j, line, col, indent, first);
			i = j;
			continue;
		}
		if (isdigit((unsigned char)c) || (c == '.' && i + 1 < len && isdigit((unsigned char)text[i + 1]))) {
			size_t j = i;
			while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '.' || text[j] == '_'))
				j++;
			push(out, PY_NUMBER, i, j, line, col, indent, first);
			i = j;
			continue;
		}
		/* operators: two- and three-character ones matter only as units */
		static const char *const ops3[] = {"**=", "//=", ">>=", "<<=", "...", NULL};
		static const char *const ops2[] = {"->", "==", "!=", "<=", ">=", "**", "//", "+=",
						   "-=", "*=", "/=", "%=", "&=", "|=", "^=", ":=",
						   "<<", ">>", "@=", NULL};
		size_t n = 1;
		for (size_t k = 0; ops3[k]; k++)
			if (i + 3 <= len && !memcmp(text + i, ops3[k], 3))
				n = 3;
		for (size_t k = 0; n == 1 && ops2[k]; k++)
			if (i + 2 <= len && !memcmp(text + i, ops2[k], 2))
				n = 2;
		if (strchr("([{", c))
			depth++;
		else if (strchr(")]}", c) && depth)
			depth--;
		push(out, PY_OP, i, i + n, line, col, indent, first);
		i += n;
	}
	if (!logical_start)
		push(out, PY_NEWLINE, len, len, line, (unsigned)(len - line_begin) + 1, indent, false);
}

void pytoks_release(struct pytoks *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

bool pytok_is(const char *text, const struct pytok *t, const char *s)
{
	size_t n = strlen(s);
	return (t->kind == PY_OP || t->kind == PY_NAME) && t->end - t->start == n &&
	       !memcmp(text + t->start, s, n);
}

bool pytok_string_value(const char *text, const struct pytok *t, struct strbuf *out)
{
	size_t i = t->start;
	bool raw = false;
	while (text[i] != '\'' && text[i] != '"') {
		char p = (char)tolower((unsigned char)text[i]);
		if (p == 'b' || p == 'f')
			return false;
		raw |= p == 'r';
		i++;
	}
	char quote = text[i];
	size_t q = t->end - t->start - (i - t->start);
	bool triple = q >= 6 && text[i + 1] == quote && text[i + 2] == quote;
	size_t from = i + (triple ? 3 : 1), to = t->end - (triple ? 3 : 1);
	for (size_t k = from; k < to; k++) {
		char ch = text[k];
		if (ch != '\\' || raw || k + 1 >= to) {
			strbuf_addch(out, ch);
			continue;
		}
		char e = text[++k];
		switch (e) {
		case 'n': strbuf_addch(out, '\n'); break;
		case 't': strbuf_addch(out, '\t'); break;
		case '\\': strbuf_addch(out, '\\'); break;
		case '\'': strbuf_addch(out, '\''); break;
		case '"': strbuf_addch(out, '"'); break;
		case '\n': break;
		default:
			strbuf_addch(out, '\\');
			strbuf_addch(out, e);
		}
	}
	return true;
}

/* The tokens that carry meaning: no comments, no module docstring. */
static void meaningful(const char *text, size_t len, struct pytoks *toks, size_t *first)
{
	pytok_scan(text, len, toks);
	size_t i = 0;
	while (i < toks->n && toks->v[i].kind == PY_COMMENT)
		i++;
	/* the module docstring: a string that is the whole first statement */
	if (i + 1 < toks->n && toks->v[i].kind == PY_STRING && toks->v[i + 1].kind == PY_NEWLINE)
		i += 2;
	*first = i;
}

static size_t next_meaningful(const struct pytoks *t, size_t i)
{
	while (i < t->n && t->v[i].kind == PY_COMMENT)
		i++;
	return i;
}

bool pytok_differ(const char *a, size_t alen, const char *b, size_t blen, size_t *at_b)
{
	struct pytoks ta = PYTOKS_INIT, tb = PYTOKS_INIT;
	size_t i, j;
	meaningful(a, alen, &ta, &i);
	meaningful(b, blen, &tb, &j);
	bool differ = ta.error_line || tb.error_line;
	*at_b = 0;
	for (;;) {
		i = next_meaningful(&ta, i);
		j = next_meaningful(&tb, j);
		if (i >= ta.n || j >= tb.n) {
			differ |= i < ta.n || j < tb.n;
			*at_b = j < tb.n ? tb.v[j].start : blen;
			break;
		}
		const struct pytok *x = &ta.v[i], *y = &tb.v[j];
		size_t nx = x->end - x->start, ny = y->end - y->start;
		if (x->kind != y->kind || nx != ny || memcmp(a + x->start, b + y->start, nx) ||
		    x->line_start != y->line_start || (x->line_start && x->indent != y->indent)) {
			differ = true;
			*at_b = y->start;
			break;
		}
		i++;
		j++;
	}
	pytoks_release(&ta);
	pytoks_release(&tb);
	return differ;
}
