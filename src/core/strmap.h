/*
 * A string → size_t hash map with open addressing, for id lookups in large
 * histories (no quadratic scans).
 *
 * Ownership: keys are borrowed and must outlive the map; the map owns only
 * its slot array.
 */
#ifndef REVGATE_CORE_STRMAP_H
#define REVGATE_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
	const char *key;
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};
#define STRMAP_INIT {NULL, 0, 0}

/* Makes room for `n` keys at once, so filling a large map does not rehash. */
void strmap_reserve(struct strmap *m, size_t n);
/* Inserts or replaces; returns true when the key was new. */
bool strmap_put(struct strmap *m, const char *key, size_t value);
bool strmap_get(const struct strmap *m, const char *key, size_t *value);
void strmap_release(struct strmap *m);

#endif
