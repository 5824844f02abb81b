/*
 * A list of owned strings, kept in insertion order.
 *
 * Ownership: the list owns every string in it; strlist_push() copies.
 */
#ifndef REVGATE_CORE_STRLIST_H
#define REVGATE_CORE_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct strlist {
	char **v;
	size_t n, alloc;
};
#define STRLIST_INIT {NULL, 0, 0}

void strlist_push(struct strlist *l, const char *s);
/* Takes ownership of a heap string. */
void strlist_push_owned(struct strlist *l, char *s);
bool strlist_has(const struct strlist *l, const char *s);
/* Whether a and b hold the same strings, in any order (neither holds one twice). */
bool strlist_same_set(const struct strlist *a, const struct strlist *b);
void strlist_sort(struct strlist *l);
void strlist_release(struct strlist *l);
/* Splits `s` on `sep`, trimming blanks around each item; skips empty items. */
void strlist_split(struct strlist *l, const char *s, char sep);
/* "a, b, c" into a fresh string. */
char *strlist_join(const struct strlist *l, const char *sep);

#endif
