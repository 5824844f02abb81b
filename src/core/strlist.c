/* Lists of owned strings. */
#include "core/strlist.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void strlist_push_owned(struct strlist *l, char *s)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = s;
}

void strlist_push(struct strlist *l, const char *s)
{
	strlist_push_owned(l, xstrdup(s));
}

bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void strlist_split(struct strlist *l, const char *s, char sep)
{
	while (*s) {
		const char *end = strchr(s, sep);
		if (!end)
			end = s + strlen(s);
		const char *a = s, *b = end;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a)
			strlist_push_owned(l, xstrndup(a, (size_t)(b - a)));
		s = *end ? end + 1 : end;
	}
}

char *strlist_join(const struct strlist *l, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_addstr(&sb, sep);
		strbuf_addstr(&sb, l->v[i]);
	}
	return strbuf_detach(&sb, NULL);
}

bool strlist_same_set(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!strlist_has(b, a->v[i]))
			return false;
	return true;
}
