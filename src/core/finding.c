/* The findings list shared by every check and every printer. */
#include "core/finding.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const severity_names[] = {"off", "info", "warning", "error"};

const char *severity_name(enum severity s)
{
	return (unsigned)s < ARRAY_SIZE(severity_names) ? severity_names[s] : "?";
}

int severity_parse(const char *s, enum severity *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(severity_names); i++) {
		if (!strcmp(s, severity_names[i])) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return err_set(ERR_CONFIG, "unknown severity '%s' (use error, warning, info or off)", s);
}

/*
 * A message quotes what it is about, and a header value or a name can be a
 * megabyte long: past FINDING_MESSAGE_MAX bytes the message is cut (on a
 * character boundary) and says how much was left out, so one finding never
 * floods a terminal or a CI annotation.
 */
#define FINDING_MESSAGE_MAX 1024

static void cap_message(struct finding *f)
{
	size_t len = strlen(f->message);
	if (len <= FINDING_MESSAGE_MAX)
		return;
	size_t cut = FINDING_MESSAGE_MAX;
	while (cut > 0 && ((unsigned char)f->message[cut] & 0xC0) == 0x80)
		cut--;
	char *capped = xstrfmt("%.*s... (%zu more bytes)", (int)cut, f->message, len - cut);
	free(f->message);
	f->message = capped;
}

static struct finding *add_v(struct findings *fs, const char *rule, enum severity sev,
			     const char *file, unsigned line, unsigned column, const char *fmt,
			     va_list ap) __attribute__((format(printf, 7, 0)));

static struct finding *add_v(struct findings *fs, const char *rule, enum severity sev,
			     const char *file, unsigned line, unsigned column, const char *fmt,
			     va_list ap)
{
	ALLOC_GROW(fs->v, fs->n + 1, fs->alloc);
	struct finding *f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	f->rule = xstrdup(rule);
	f->severity = sev;
	f->file = file ? xstrdup(file) : NULL;
	f->line = line;
	f->column = column;
	if (vasprintf(&f->message, fmt, ap) < 0)
		BUG("vasprintf failed");
	cap_message(f);
	return f;
}

struct finding *findings_add(struct findings *fs, const char *rule, enum severity sev,
			     const char *file, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct finding *f = add_v(fs, rule, sev, file, line, column, fmt, ap);
	va_end(ap);
	return f;
}

struct finding *findings_add_copy(struct findings *fs, const struct finding *f)
{
	ALLOC_GROW(fs->v, fs->n + 1, fs->alloc);
	struct finding *c = &fs->v[fs->n++];
	*c = *f;
	c->rule = xstrdup(f->rule);
	c->file = f->file ? xstrdup(f->file) : NULL;
	c->message = xstrdup(f->message ? f->message : "");
	c->hint = f->hint ? xstrdup(f->hint) : NULL;
	c->excerpt = f->excerpt ? xstrdup(f->excerpt) : NULL;
	return c;
}

struct finding *findings_add_at(struct findings *fs, const char *rule, enum severity sev,
				const char *file, const char *text, size_t len, size_t offset,
				const char *fmt, ...)
{
	unsigned line, col;
	text_pos(text, len, offset, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	struct finding *f = add_v(fs, rule, sev, file, line, col, fmt, ap);
	va_end(ap);
	size_t ls = offset > len ? len : offset;
	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	size_t le = ls;
	while (le < len && text[le] != '\n' && text[le] != '\r')
		le++;
	finding_set_excerpt(f, text + ls, le - ls);
	return f;
}

void finding_set_hint(struct finding *f, const char *fmt, ...)
{
	free(f->hint);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&f->hint, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
}

void finding_set_excerpt(struct finding *f, const char *line, size_t len)
{
	free(f->excerpt);
	/* an excerpt is for the eye: cut very long lines */
	if (len > 400)
		len = 400;
	f->excerpt = xstrndup(line, len);
}

void findings_move(struct findings *dst, struct findings *src)
{
	if (!src->n) {
		findings_release(src);
		return;
	}
	ALLOC_GROW(dst->v, dst->n + src->n, dst->alloc);
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	free(src->v);
	src->v = NULL;
	src->n = src->alloc = 0;
}

static int cmp_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	int c = cmp_opt_str(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	c = strcmp(a->rule, b->rule);
	if (c)
		return c;
	return strcmp(a->message, b->message);
}

void findings_sort(struct findings *fs)
{
	if (fs->n > 1)
		qsort(fs->v, fs->n, sizeof(*fs->v), cmp_finding);
}

size_t findings_count(const struct findings *fs, enum severity sev)
{
	size_t c = 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].severity == sev)
			c++;
	return c;
}

enum severity findings_max_severity(const struct findings *fs)
{
	enum severity m = SEV_OFF;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].severity > m)
			m = fs->v[i].severity;
	return m;
}

void findings_release(struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct finding *f = &fs->v[i];
		free(f->rule);
		free(f->file);
		free(f->message);
		free(f->hint);
		free(f->excerpt);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->alloc = 0;
}
