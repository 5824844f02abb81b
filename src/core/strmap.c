/* Open-addressing hash map from borrowed strings to indices. */
#include "core/strmap.h"
#include "core/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void rehash(struct strmap *m, size_t cap)
{
	struct strmap_slot *old = m->slots;
	size_t oldcap = m->cap;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			strmap_put(m, old[i].key, old[i].value);
	free(old);
}

void strmap_reserve(struct strmap *m, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 2)
		cap *= 2;
	if (cap > m->cap)
		rehash(m, cap);
}

bool strmap_put(struct strmap *m, const char *key, size_t value)
{
	if ((m->n + 1) * 2 > m->cap)
		rehash(m, m->cap ? m->cap * 2 : 16);
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->slots[i].key) {
		if (!strcmp(m->slots[i].key, key)) {
			m->slots[i].value = value;
			return false;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->n++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	if (!m->cap)
		return false;
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->slots[i].key) {
		if (!strcmp(m->slots[i].key, key)) {
			if (value)
				*value = m->slots[i].value;
			return true;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return false;
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
