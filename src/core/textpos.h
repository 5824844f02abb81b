/*
 * Byte offsets to line:column, in exactly one place. Lines count from 1;
 * columns count characters (UTF-8 code points) from 1, as editors show them.
 *
 * Ownership: a line_index borrows the text it was built on and must not
 * outlive it; it owns its array of line starts.
 */
#ifndef REVGATE_CORE_TEXTPOS_H
#define REVGATE_CORE_TEXTPOS_H

#include <stddef.h>

struct line_index {
	const char *text;
	size_t len;
	size_t *starts; /* byte offset where each line begins */
	size_t n;
};
#define LINE_INDEX_INIT {NULL, 0, NULL, 0}

void line_index_build(struct line_index *li, const char *text, size_t len);
void line_index_release(struct line_index *li);
/* Position of byte `offset` (clamped to the text). */
void line_index_pos(const struct line_index *li, size_t offset, unsigned *line, unsigned *col);
/* Byte range [start, end) of line `line` (1-based) without its line break. */
void line_index_line(const struct line_index *li, unsigned line, size_t *start, size_t *end);
/* Byte offset of the `nchar`-th character (0-based) after `start`. */
size_t text_char_to_byte(const char *text, size_t len, size_t start, size_t nchar);
/* One-off conversion without an index: linear in the offset. */
void text_pos(const char *text, size_t len, size_t offset, unsigned *line, unsigned *col);

#endif
