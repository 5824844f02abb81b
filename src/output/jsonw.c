/* Streaming JSON with one escaper. */
#include "output/jsonw.h"
#include "core/xalloc.h"

#include <string.h>

void jsonw_init(struct jsonw *w, FILE *fp, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->pretty = pretty;
}

static void indent(struct jsonw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->fp);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->fp);
}

static void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->need_comma[w->depth])
			fputc(',', w->fp);
		w->need_comma[w->depth] = true;
		indent(w);
	}
}

static void open(struct jsonw *w, char c)
{
	before_value(w);
	fputc(c, w->fp);
	if (w->depth + 1 >= JSONW_MAX_DEPTH)
		BUG("JSON nested too deep");
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_(struct jsonw *w, char c)
{
	bool had = w->need_comma[w->depth];
	w->depth--;
	if (had)
		indent(w);
	fputc(c, w->fp);
}

void jsonw_obj_begin(struct jsonw *w)
{
	open(w, '{');
}
void jsonw_obj_end(struct jsonw *w)
{
	close_(w, '}');
}
void jsonw_arr_begin(struct jsonw *w)
{
	open(w, '[');
}
void jsonw_arr_end(struct jsonw *w)
{
	close_(w, ']');
}

/* The length of the valid UTF-8 sequence at s[0..n) (n > 0, s[0] >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp, min;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, min = 0x80, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, min = 0x800, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/*
 * JSON text is UTF-8 (RFC 8259), but file names and server messages need
 * not be: a byte that does not start a valid sequence is written as
 * U+FFFD, so the document always parses.
 */
static void write_escaped(FILE *fp, const char *s, size_t n)
{
	fputc('"', fp);
	for (size_t i = 0; i < n; i++) {
		/* a run that needs no escaping is written at once: findings are
		 * mostly plain text, and one call per byte cost more than the lint */
		size_t run = i;
		while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			fwrite(s + i, 1, run - i, fp);
			i = run - 1;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t len = utf8_seq((const unsigned char *)s + i, n - i);
			if (!len) {
				fputs("\\ufffd", fp);
				continue;
			}
			fwrite(s + i, 1, len, fp);
			i += len - 1;
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\u%04x", c);
			else
				fputc(c, fp);
		}
	}
	fputc('"', fp);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	before_value(w);
	write_escaped(w->fp, key, strlen(key));
	fputs(w->pretty ? ": " : ":", w->fp);
	w->after_key = true;
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	write_escaped(w->fp, s, n);
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, long long v)
{
	before_value(w);
	fprintf(w->fp, "%lld", v);
}

void jsonw_double(struct jsonw *w, double v)
{
	before_value(w);
	fprintf(w->fp, "%.3f", v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->fp);
}

void jsonw_null(struct jsonw *w)
{
	before_value(w);
	fputs("null", w->fp);
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, long long v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

void jsonw_finish(struct jsonw *w)
{
	fputc('\n', w->fp);
}
