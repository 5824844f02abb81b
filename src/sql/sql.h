/*
 * The libpg_query wrapper: split a section into statements, parse each with
 * the protobuf API (typed structs: a renamed field is a compile error), scan
 * tokens (comments included), parse PL/pgSQL bodies, and classify
 * statements that cannot run in a transaction. The only module that
 * includes pg_query.h; other modules may use the generated protobuf types
 * from pg_query/pg_query.pb-c.h, which this header exposes.
 *
 * Positions: every offset here is a byte offset in the caller's text (the
 * whole revision file), never relative to a statement; libpg_query's
 * character positions are converted in exactly one place (sql.c).
 *
 * Ownership: sql_script, sql_tokens and sql_error own their arrays and
 * strings (release functions below). A sql_tree owns the unpacked protobuf
 * tree; pointers into it are borrowed and die with sql_tree_free().
 */
#ifndef REVGATE_SQL_SQL_H
#define REVGATE_SQL_SQL_H

#include "core/strbuf.h"

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A syntax or scanner error: where, and what the parser said. */
struct sql_error {
	size_t offset; /* byte offset in the caller's text */
	char *message; /* owned; NULL when there was no error */
};
void sql_error_release(struct sql_error *e);

struct sql_stmt {
	size_t start; /* first byte of the statement (after leading blanks and comments) */
	size_t len;   /* bytes up to, not including, the terminating ';' */
};

struct sql_script {
	struct sql_stmt *v;
	size_t n, alloc;
};
#define SQL_SCRIPT_INIT {NULL, 0, 0}
void sql_script_release(struct sql_script *s);
/* Adds text[s, e) as a statement, trimmed as sql_split trims one: blanks,
 * then one ';' (even one a trailing comment ends with), then blanks;
 * nothing when that leaves it empty. */
void sql_script_push(struct sql_script *out, const char *text, size_t s, size_t e);

/*
 * Splits text[start, end) into statements with libpg_query's scanner-based
 * splitter, so a syntax error in one statement does not hide the others.
 * Empty statements are dropped. Returns 0, or ERR_CHECK with `err` set when
 * the scanner itself fails (an unterminated quote or comment).
 */
int sql_split(const char *text, size_t start, size_t end, struct sql_script *out,
	      struct sql_error *err);

struct sql_tree {
	PgQuery__ParseResult *result; /* owned */
	size_t base; /* byte offset of the parsed text in the caller's text */
};

/*
 * Parses text[start, start+len) (one or more statements). Node `location`
 * fields and RawStmt stmt_location are relative to `start`: add tree->base
 * (== start) to get a file offset. Returns 0, or ERR_CHECK with `err` set
 * (absolute offset) on a syntax error, or ERR_RUNTIME on a version mismatch.
 */
int sql_parse(const char *text, size_t start, size_t len, struct sql_tree **out,
	      struct sql_error *err);
void sql_tree_free(struct sql_tree *t);

/* Token kinds revgate looks at; everything else is SQL_TOKEN_OTHER. */
enum sql_token_kind {
	SQL_TOKEN_OTHER = 0,
	SQL_TOKEN_LINE_COMMENT,  /* -- ... */
	SQL_TOKEN_BLOCK_COMMENT, /* slash-star ... star-slash */
	SQL_TOKEN_KEYWORD,
	SQL_TOKEN_IDENT,
	SQL_TOKEN_STRING,
	SQL_TOKEN_NUMBER,
};

struct sql_token {
	size_t start, end; /* absolute byte offsets */
	enum sql_token_kind kind;
	int pg_token; /* PgQuery__Token value */
};

struct sql_tokens {
	struct sql_token *v;
	size_t n, alloc;
};
#define SQL_TOKENS_INIT {NULL, 0, 0}
void sql_tokens_release(struct sql_tokens *t);

/* Scans text[start, start+len) into tokens, comments included. ERR_CHECK on a scanner error. */
int sql_scan(const char *text, size_t start, size_t len, struct sql_tokens *out,
	     struct sql_error *err);

/*
 * The meaning-bearing token stream of text[start, start+len): comments and
 * whitespace dropped, keywords lower-cased, one token per line. Two sections
 * with equal streams differ only cosmetically. ERR_CHECK on a scanner error.
 */
int sql_token_stream(const char *text, size_t start, size_t len, struct strbuf *out,
		     struct sql_error *err);

/*
 * Whether a parsed statement cannot run inside a transaction block
 * (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION
 * CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, CREATE/DROP TABLESPACE,
 * ALTER SYSTEM, ALTER TYPE ... ADD VALUE on PostgreSQL < 12).
 */
bool sql_stmt_needs_autocommit(const PgQuery__Node *stmt);

/* Releases libpg_query's memory context; call once, from the main thread, at exit. */
void sql_shutdown(void);
/* Records that this thread made libpg_query create its memory context (for
 * code in src/sql/ that calls libpg_query directly). */
void sql_note_used(void);

/*
 * The messages that field `f` of message `m` holds, for walks over a tree
 * by its descriptors: a repeated field's array (entries may be NULL), or
 * the one message when it is set; none for a field that is no message or
 * a member of a oneof that holds another. Sets *v and returns how many.
 */
static inline size_t sql_msg_children(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
				      ProtobufCMessage *const **v)
{
	const char *base = (const char *)m;
	*v = NULL;
	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		*v = *(ProtobufCMessage *const *const *)(base + f->offset);
		return *(const size_t *)(base + f->quantifier_offset);
	}
	*v = (ProtobufCMessage *const *)(base + f->offset);
	return **v ? 1 : 0;
}

#endif
