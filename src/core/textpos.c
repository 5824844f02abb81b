/* Byte offsets to line:column. The only place positions are computed. */
#include "core/textpos.h"
#include "core/xalloc.h"

#include <stdlib.h>

static unsigned count_chars(const char *s, size_t n)
{
	unsigned c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

void line_index_build(struct line_index *li, const char *text, size_t len)
{
	size_t alloc = 0;
	li->text = text;
	li->len = len;
	li->starts = NULL;
	li->n = 0;
	ALLOC_GROW(li->starts, 1, alloc);
	li->starts[li->n++] = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			ALLOC_GROW(li->starts, li->n + 1, alloc);
			li->starts[li->n++] = i + 1;
		}
	}
}

void line_index_release(struct line_index *li)
{
	free(li->starts);
	li->starts = NULL;
	li->n = 0;
}

void line_index_pos(const struct line_index *li, size_t offset, unsigned *line, unsigned *col)
{
	if (offset > li->len)
		offset = li->len;
	size_t lo = 0, hi = li->n; /* find last start <= offset */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (li->starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	*line = (unsigned)lo + 1;
	*col = count_chars(li->text + li->starts[lo], offset - li->starts[lo]) + 1;
}

void line_index_line(const struct line_index *li, unsigned line, size_t *start, size_t *end)
{
	if (line == 0 || line > li->n) {
		*start = *end = li->len;
		return;
	}
	*start = li->starts[line - 1];
	size_t e = line < li->n ? li->starts[line] : li->len;
	while (e > *start && (li->text[e - 1] == '\n' || li->text[e - 1] == '\r'))
		e--;
	*end = e;
}

size_t text_char_to_byte(const char *text, size_t len, size_t start, size_t nchar)
{
	size_t i = start;
	while (i < len && nchar > 0) {
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
		nchar--;
	}
	return i;
}

void text_pos(const char *text, size_t len, size_t offset, unsigned *line, unsigned *col)
{
	if (offset > len)
		offset = len;
	size_t ls = 0;
	unsigned l = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			l++;
			ls = i + 1;
		}
	}
	*line = l;
	*col = count_chars(text + ls, offset - ls) + 1;
}
