/*
 * Allocation wrappers that never return NULL: running out of memory is not
 * an error revgate can recover from, so it exits with a message and status 3.
 *
 * Ownership: every pointer returned here belongs to the caller.
 */
#ifndef REVGATE_CORE_XALLOC_H
#define REVGATE_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string */
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Programmer errors: abort with file and line. */
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
void bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/*
 * Grows `ptr` (an array of `nr` used elements and `alloc` capacity) so that
 * it holds at least `need` elements. Same contract as git's ALLOC_GROW.
 */
#define ALLOC_GROW(ptr, need, alloc)                                                   \
	do {                                                                           \
		if ((need) > (alloc)) {                                                \
			size_t alloc_grow_new_ = (alloc) < 8 ? 8 : (alloc) * 2;         \
			if (alloc_grow_new_ < (need))                                  \
				alloc_grow_new_ = (need);                              \
			(ptr) = xrealloc((ptr), alloc_grow_new_ * sizeof(*(ptr)));     \
			(alloc) = alloc_grow_new_;                                     \
		}                                                                      \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
