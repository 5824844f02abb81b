/*
 * Python source as tokens, enough to read Alembic revision files without
 * running Python: names, numbers, strings (prefixes, triple quotes),
 * operators and comments, with the logical lines they form (brackets and
 * backslashes continue a line) and each line's indentation.
 *
 * Ownership: a pytoks owns its token array; tokens point into the text
 * they were made from, which must outlive them.
 */
#ifndef REVGATE_LAYOUT_PYTOK_H
#define REVGATE_LAYOUT_PYTOK_H

#include "core/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

enum pytok_kind {
	PY_NAME,
	PY_NUMBER,
	PY_STRING,
	PY_OP,
	PY_COMMENT,
	PY_NEWLINE, /* end of a logical line */
};

struct pytok {
	enum pytok_kind kind;
	size_t start, end; /* bytes of the text */
	unsigned line, col; /* 1-based; col in bytes */
	unsigned indent;    /* indentation of the logical line it belongs to */
	bool line_start;    /* first token of its logical line */
};

struct pytoks {
	struct pytok *v;
	size_t n, alloc;
	/* Where tokenizing stopped on text it cannot read (an unterminated
	 * string), as a line; 0 when it read everything. */
	unsigned error_line;
};
#define PYTOKS_INIT {NULL, 0, 0, 0}

void pytok_scan(const char *text, size_t len, struct pytoks *out);
void pytoks_release(struct pytoks *t);

/* Whether token `t` is the operator or name `s`. */
bool pytok_is(const char *text, const struct pytok *t, const char *s);

/*
 * The value of a string literal token (quotes and prefix removed, the
 * common escapes decoded) into `out`; false for byte strings and
 * f-strings, whose value is not plain text.
 */
bool pytok_string_value(const char *text, const struct pytok *t, struct strbuf *out);

/*
 * Whether two Python sources differ in meaning: in anything but comments,
 * the module docstring, blank lines and the spacing inside a line. *at_b is
 * the byte offset in `b` of the first token that differs.
 */
bool pytok_differ(const char *a, size_t alen, const char *b, size_t blen, size_t *at_b);

#endif
