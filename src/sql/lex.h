/*
 * A byte-level reader of SQL text for what needs no parse tree: skipping
 * quoted strings, quoted identifiers, dollar-quoted bodies and comments,
 * and finding identifiers, so that positions of clauses and names can be
 * read from the text a statement was parsed from. It never fails: text it
 * cannot make sense of is skipped to its end.
 *
 * Ownership: nothing is allocated; offsets index the caller's text.
 */
#ifndef REVGATE_SQL_LEX_H
#define REVGATE_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>

/* The offset after the quoted string, quoted identifier, dollar-quoted
 * string or comment that starts at t[i], or `i` when none starts there. */
size_t sql_lex_skip_quoted(const char *t, size_t i, size_t end);
/* The offset of the first byte at or after `i` that is not blank or in a comment. */
size_t sql_lex_skip_blank(const char *t, size_t i, size_t end);
/* Skips a possibly qualified, possibly quoted name (and a following '*')
 * and the blanks after it. */
size_t sql_lex_skip_name(const char *t, size_t i, size_t end);

struct sql_ident {
	size_t start, end; /* the identifier as written, quotes included */
	size_t bytes;	   /* its length in bytes once unquoted ("" counts once) */
	bool quoted;
};
/*
 * The next identifier (or keyword: they look the same) at or after *pos,
 * outside strings and comments; *pos moves past it. Returns false at `end`.
 */
bool sql_lex_next_ident(const char *t, size_t *pos, size_t end, struct sql_ident *out);

#endif
