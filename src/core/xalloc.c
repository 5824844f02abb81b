/* Allocation wrappers: abort on exhaustion so callers never check NULL. */
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Out of memory is an operational failure, not a crash: a clear message and
 * exit status 3 (runtime error, DESIGN.md "Exit codes"), never SIGABRT and a
 * core dump. _exit, because atexit handlers and stdio may need memory too;
 * a transaction in progress is rolled back by the server when the
 * connection drops, and the advisory lock goes with the session.
 */
static void die_oom(size_t size)
{
	static const char hint[] = "; raise the memory limit (ulimit -v, the container's) or "
				   "split the largest revision\n";
	fprintf(stderr, "revgate: out of memory (allocating %zu bytes)", size);
	fputs(hint, stderr);
	_exit(3);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xstrfmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = NULL;
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom(0);
	return out;
}

void bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "revgate: BUG at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
