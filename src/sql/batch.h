/*
 * Batched backfills (DESIGN.md, "Around a migration"): the marker
 *
 *   -- revgate: batch size=N by=COLUMN [sleep=DURATION]
 *
 * on the line before an UPDATE or DELETE, and, from the statement's parse
 * tree and tokens, where a key range can be added to its WHERE clause. The
 * applier builds the batches from this; lint reads the marker to know a
 * whole-table write is batched.
 *
 * Ownership: a sql_batch_target owns its strings (sql_batch_target_release).
 */
#ifndef REVGATE_SQL_BATCH_H
#define REVGATE_SQL_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#define SQL_BATCH_MAX_SIZE 10000000L

struct sql_batch_spec {
	long size;     /* keys per batch */
	long sleep_ms; /* pause between batches */
	char by[64];   /* the key column, folded to lower case as PostgreSQL does */
	size_t marker; /* offset of the marker comment in the text */
};

/*
 * Reads the marker on the line right before the line where the statement
 * starting at `stmt_start` begins. Returns 1 and fills `out` when there is
 * one, 0 when there is none, ERR_CHECK (message naming what is wrong, and
 * `out->marker` set) for a malformed marker.
 */
int sql_batch_marker(const char *text, size_t stmt_start, struct sql_batch_spec *out);

/* Where the key range goes in a batched statement. */
struct sql_batch_target {
	char *schema, *table; /* the target relation as written (schema NULL when omitted) */
	char *alias;          /* its alias, or NULL */
	bool has_where;
	size_t where_at;      /* absolute offset right after the WHERE keyword */
	size_t end;           /* absolute offset after the statement's last token */
};

/*
 * The target of the UPDATE or DELETE in text[start, start+len). ERR_CHECK,
 * with a message, for another statement, several statements, or one with
 * RETURNING (a batch's rows are not returned to anyone).
 */
int sql_batch_target(const char *text, size_t start, size_t len, struct sql_batch_target *out);
void sql_batch_target_release(struct sql_batch_target *t);

#endif
