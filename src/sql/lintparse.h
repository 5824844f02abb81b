/*
 * Parsing tuned for the linter, beside sql.h: most of libpg_query's
 * protobuf cost is serialising, unpacking and freeing trees. Here trees are
 * unpacked into an arena that is reset between statements (no per-node
 * free), and statements whose tree no rule needs are only checked for
 * syntax, through a libpg_query call that does not serialise a tree.
 *
 * Ownership: an arena owns everything unpacked into it; a tree from
 * sql_parse_arena() is valid until the next sql_arena_reset() or
 * sql_arena_free(). Positions are file offsets, as in sql.h.
 */
#ifndef REVGATE_SQL_LINTPARSE_H
#define REVGATE_SQL_LINTPARSE_H

#include "sql/sql.h"

struct sql_arena;

struct sql_arena *sql_arena_new(void);
/* Forgets everything allocated; keeps a little memory for the next statement. */
void sql_arena_reset(struct sql_arena *a);
void sql_arena_free(struct sql_arena *a);

/* Like sql_parse(), with the tree in `a` (do not sql_tree_free() it):
 * out->result and out->base are set. ERR_CHECK with `err`, ERR_RUNTIME. */
int sql_parse_arena(const char *text, size_t start, size_t len, struct sql_arena *a,
		    struct sql_tree *out, struct sql_error *err);

/* Whether text[start, start+len) parses, without building a tree for the
 * caller. 0, or ERR_CHECK with `err` at the position of the error. */
int sql_check_syntax(const char *text, size_t start, size_t len, struct sql_error *err);

/*
 * Gives the calling thread its libpg_query memory context now. The main
 * thread calls this before worker threads parse: sql_shutdown() then has a
 * context to free even when the workers did all the parsing.
 */
void sql_thread_init(void);

#endif
