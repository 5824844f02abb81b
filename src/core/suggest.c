/* The closest known word to a mistyped one (optimal string alignment). */
#include "core/suggest.h"
#include "core/strbuf.h"

#include <string.h>

#define SUGGEST_MAX 64

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

unsigned suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return 99;
	/* three rows: the swap of two neighbours looks two rows back */
	unsigned rows[3][SUGGEST_MAX + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		unsigned *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->n = 0;
	s->dist = 99;
}

void suggest_add(struct suggest *s, const char *candidate)
{
	if (!candidate || !strcmp(candidate, s->word))
		return;
	unsigned d = suggest_distance(s->word, candidate);
	if (d < s->dist) {
		s->dist = d;
		s->n = 0;
	}
	if (d != s->dist || s->n == SUGGEST_TIES)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->best[i], candidate))
			return;
	s->best[s->n++] = candidate;
}

char *suggest_hint(const struct suggest *s)
{
	size_t len = strlen(s->word);
	unsigned allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	struct strbuf sb = STRBUF_INIT;
	if (s->n && s->dist <= allowed) {
		strbuf_addstr(&sb, "; did you mean ");
		for (size_t i = 0; i < s->n; i++)
			strbuf_addf(&sb, "%s'%s'", !i ? "" : i + 1 < s->n ? ", " : " or ",
				    s->best[i]);
		strbuf_addch(&sb, '?');
	}
	return strbuf_detach(&sb, NULL);
}
