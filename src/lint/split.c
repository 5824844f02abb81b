/* Splitting sections into statements for the linter (see split.h). */
#include "lint/split.h"
#include "core/xalloc.h"
#include "sql/lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool blank(const char *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!isspace((unsigned char)t[i]) && t[i] != ';')
			return false;
	return true;
}

/*
 * libpg_query's scanner-based splitter silently drops some statements it
 * cannot make sense of ("SELEC 1;", an unclosed parenthesis). Text between
 * the statements it returns that is neither blank nor comments is put back
 * as statements of its own, so the parser reports it where it is.
 */
static void add_gap_pieces(const char *t, size_t from, size_t to, struct sql_script *out,
			   struct sql_error *gap_err)
{
	if (to <= from || blank(t, from, to))
		return;
	struct sql_tokens toks = SQL_TOKENS_INIT;
	struct sql_error err = {0, NULL};
	if (sql_scan(t, from, to - from, &toks, &err) < 0) {
		if (!gap_err->message) {
			*gap_err = err;
			err.message = NULL;
		}
		goto out;
	}
	size_t ps = 0, pe = 0;
	bool open = false;
	for (size_t i = 0; i <= toks.n; i++) {
		bool end = i == toks.n ||
			   (toks.v[i].end - toks.v[i].start == 1 && t[toks.v[i].start] == ';');
		if (end) {
			if (open) {
				ALLOC_GROW(out->v, out->n + 1, out->alloc);
				out->v[out->n].start = ps;
				out->v[out->n].len = pe - ps;
				out->n++;
			}
			open = false;
			continue;
		}
		if (toks.v[i].kind == SQL_TOKEN_LINE_COMMENT ||
		    toks.v[i].kind == SQL_TOKEN_BLOCK_COMMENT)
			continue;
		if (!open)
			ps = toks.v[i].start;
		open = true;
		pe = toks.v[i].end;
	}
out:
	sql_error_release(&err);
	sql_tokens_release(&toks);
}

#define SPLIT_CHUNK ((size_t)2 << 20)

/*
 * libpg_query's splitter scans its whole input in one memory context: on a
 * 50 MB section that peaks at hundreds of megabytes. Large sections are
 * split in chunks that end just after a ';' at the end of a line. A cut
 * inside a string, quoted identifier, dollar-quoted body or comment makes
 * the scanner fail on the unterminated token, and the chunk is then
 * extended; a chunk that scans cleanly ends between statements.
 */
static int split_chunked(const char *t, size_t start, size_t end, struct sql_script *out,
			 struct sql_error *err)
{
	size_t from = start, want = SPLIT_CHUNK;
	while (from < end) {
		size_t cut = end;
		if (end - from > want) {
			const char *p = t + from + want;
			const char *nl = memmem(p, (size_t)(t + end - p), ";\n", 2);
			cut = nl ? (size_t)(nl - t) + 1 : end;
		}
		struct sql_script part = SQL_SCRIPT_INIT;
		int ret = sql_split(t, from, cut, &part, err);
		if (ret < 0 && cut < end) {
			/* the cut fell inside a token: try a larger chunk */
			sql_script_release(&part);
			sql_error_release(err);
			want *= 2;
			continue;
		}
		if (ret < 0) {
			sql_script_release(&part);
			return ret;
		}
		if (part.n) {
			ALLOC_GROW(out->v, out->n + part.n, out->alloc);
			memcpy(out->v + out->n, part.v, part.n * sizeof(*part.v));
			out->n += part.n;
		}
		sql_script_release(&part);
		from = cut;
		want = SPLIT_CHUNK;
	}
	return 0;
}

/*
 * The common case without libpg_query's scanner, which lexes the whole text
 * once more before each statement is parsed: ';' outside quotes, dollar
 * quotes and comments ends a statement, as it does for the scanner-based
 * splitter. Anything that needs the real scanner (an unterminated token, a
 * BEGIN ATOMIC body whose ';' do not end it, a byte the reader does not
 * know) makes it give up: false, and `out` is left as it was.
 */
static bool fast_split(const char *t, size_t start, size_t end, struct sql_script *out)
{
	size_t n0 = out->n, i = start, s = (size_t)-1, last = start;
	while (i < end) {
		unsigned char c = (unsigned char)t[i];
		if (c == '\0')
			goto fail;
		if (c == '\'' || c == '"' || c == '$' || c == '-' || c == '/') {
			size_t j = sql_lex_skip_quoted(t, i, end);
			if (j != i) {
				/* an unterminated token runs to the end: the scanner says where */
				if (j == end && (c != '-' || t[i + 1] != '-'))
					goto fail;
				if (c != '-' && c != '/') {
					if (s == (size_t)-1)
						s = i;
					last = j;
				} else if (s != (size_t)-1) {
					last = j; /* a comment inside a statement belongs to it */
				}
				i = j;
				continue;
			}
		}
		if (c == ';') {
			if (s != (size_t)-1)
				sql_script_push(out, t, s, last);
			s = (size_t)-1;
			i++;
			continue;
		}
		if (!isspace(c)) {
			if ((c == 'a' || c == 'A') && i + 6 <= end && !strncasecmp(t + i, "atomic", 6))
				goto fail;
			if (s == (size_t)-1)
				s = i;
			last = i + 1;
		}
		i++;
	}
	if (s != (size_t)-1)
		sql_script_push(out, t, s, last);
	return true;
fail:
	out->n = n0;
	return false;
}

int lint_split(const char *t, size_t start, size_t end, struct sql_script *out,
	       struct sql_error *err, struct sql_error *gap_err)
{
	if (fast_split(t, start, end, out))
		return 0;
	struct sql_script split = SQL_SCRIPT_INIT;
	int ret = split_chunked(t, start, end, &split, err);
	if (ret < 0) {
		/* an unterminated token at err->offset: the statements before the
		 * last ';' ahead of it are still split and checked */
		sql_script_release(&split);
		size_t cut = err->offset;
		while (cut > start && t[cut - 1] != ';')
			cut--;
		struct sql_error again = {0, NULL};
		if (cut <= start || split_chunked(t, start, cut, &split, &again) < 0) {
			sql_error_release(&again);
			sql_script_release(&split);
			return ret;
		}
		end = cut;
	}
	size_t prev = start;
	for (size_t i = 0; i <= split.n; i++) {
		size_t next = i < split.n ? split.v[i].start : end;
		add_gap_pieces(t, prev, next, out, gap_err);
		if (i == split.n)
			break;
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		out->v[out->n++] = split.v[i];
		prev = split.v[i].start + split.v[i].len;
	}
	sql_script_release(&split);
	return ret;
}
