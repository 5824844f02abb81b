/*
 * "Did you mean": the closest of a set of known words to a mistyped one,
 * for commands, options, targets and header keys alike.
 *
 * Ownership: a suggest borrows the word and every candidate; the caller
 * frees the result.
 */
#ifndef REVGATE_CORE_SUGGEST_H
#define REVGATE_CORE_SUGGEST_H

#include <stddef.h>

/* Edits between two words: an insertion, a deletion, a substitution or a
 * swap of two neighbours ("lnit" -> "lint") each counts one. Words longer
 * than 64 bytes are far from everything. */
unsigned suggest_distance(const char *a, const char *b);

#define SUGGEST_TIES 3

struct suggest {
	const char *word;
	const char *best[SUGGEST_TIES]; /* the closest so far, in the order added */
	size_t n;
	unsigned dist;
};

void suggest_init(struct suggest *s, const char *word);
/* Considers one candidate. */
void suggest_add(struct suggest *s, const char *candidate);
/* "; did you mean 'a'?" (or "'a' or 'b'") naming the closest candidates
 * when they are close enough to be a typo of the word (one edit for words
 * of up to four characters, two up to eight, three beyond); else "".
 * A fresh string, to follow "no such thing 'x'" in a message. */
char *suggest_hint(const struct suggest *s);

#endif
