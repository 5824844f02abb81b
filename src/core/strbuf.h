/*
 * A growable string. `buf` is never NULL and always NUL-terminated, so a
 * strbuf can be handed to any C string function at any time.
 *
 * Ownership: the strbuf owns `buf`. strbuf_detach() hands it to the caller
 * and leaves the strbuf empty and re-usable; strbuf_release() frees it.
 */
#ifndef REVGATE_CORE_STRBUF_H
#define REVGATE_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT {0, 0, strbuf_empty}

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Removes trailing whitespace. */
void strbuf_rtrim(struct strbuf *sb);

/*
 * One field of a tab-separated line: `s` with '\\', tab and newline written
 * as "\\\\", "\\t" and "\\n", so the field holds no separator. The unescape
 * reverses it for the `n` bytes of a field read back.
 */
void strbuf_add_field_escaped(struct strbuf *sb, const char *s);
void strbuf_add_field_unescaped(struct strbuf *sb, const char *s, size_t n);

#endif
