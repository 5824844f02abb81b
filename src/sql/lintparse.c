/* Arena-unpacked parse trees and syntax-only checks for the linter. */
#include "sql/lintparse.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"

#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK ((size_t)64 << 10)
#define KEEP ((size_t)4 << 20) /* bytes of chunks kept across resets */

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct sql_arena {
	struct chunk *head;
};

struct sql_arena *sql_arena_new(void)
{
	return xcalloc(1, sizeof(struct sql_arena));
}

static void *arena_alloc(void *data, size_t size)
{
	struct sql_arena *a = data;
	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t want = size > CHUNK ? size : CHUNK;
		c = xmalloc(sizeof(*c) + want);
		c->size = want;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static void arena_free_noop(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

void sql_arena_reset(struct sql_arena *a)
{
	size_t kept = 0;
	struct chunk **pp = &a->head;
	while (*pp) {
		struct chunk *c = *pp;
		if (kept + c->size <= KEEP) {
			kept += c->size;
			c->used = 0;
			pp = &c->next;
		} else {
			*pp = c->next;
			free(c);
		}
	}
}

void sql_arena_free(struct sql_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		struct chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
	free(a);
}

static int set_error(struct sql_error *err, const char *text, size_t start, size_t len,
		     const PgQueryError *pe)
{
	sql_error_release(err);
	size_t chars = pe->cursorpos > 0 ? (size_t)pe->cursorpos - 1 : 0;
	err->offset = text_char_to_byte(text, start + len, start, chars);
	err->message = xstrdup(pe->message ? pe->message : "syntax error");
	return ERR_CHECK;
}

int sql_parse_arena(const char *text, size_t start, size_t len, struct sql_arena *a,
		    struct sql_tree *out, struct sql_error *err)
{
	char *input = xstrndup(text + start, len);
	sql_note_used();
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(input);
	int ret = 0;
	memset(out, 0, sizeof(*out));
	if (r.error) {
		ret = set_error(err, text, start, len, r.error);
		goto out;
	}
	ProtobufCAllocator alloc = {arena_alloc, arena_free_noop, a};
	PgQuery__ParseResult *pr = pg_query__parse_result__unpack(
	    &alloc, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
	if (!pr) {
		ret = err_set(ERR_RUNTIME, "cannot unpack libpg_query's parse tree");
		goto out;
	}
	if (pr->version != PG_VERSION_NUM) {
		ret = err_set(ERR_RUNTIME,
			      "libpg_query parse tree version %d, revgate was built for %d",
			      pr->version, PG_VERSION_NUM);
		goto out;
	}
	out->result = pr;
	out->base = start;
out:
	pg_query_free_protobuf_parse_result(r);
	free(input);
	return ret;
}

int sql_check_syntax(const char *text, size_t start, size_t len, struct sql_error *err)
{
	char *input = xstrndup(text + start, len);
	/* the parser-based splitter runs the real grammar and returns only
	 * statement boundaries: the cheapest full parse libpg_query offers */
	sql_note_used();
	PgQuerySplitResult r = pg_query_split_with_parser(input);
	int ret = r.error ? set_error(err, text, start, len, r.error) : 0;
	pg_query_free_split_result(r);
	free(input);
	return ret;
}

void sql_thread_init(void)
{
	pg_query_init(); /* creates this thread's context if it has none */
	sql_note_used();
}
