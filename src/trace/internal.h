/*
 * What the files of src/trace/ share: the server's relations as a
 * snapshot (names, kinds, files, scan counters, catalog lines), and the
 * synthetic rows of --rows.
 *
 * Ownership: a trace_snap owns its arrays and strings.
 */
#ifndef REVGATE_TRACE_INTERNAL_H
#define REVGATE_TRACE_INTERNAL_H

#include "core/strlist.h"
#include "db/db.h"

#include <stddef.h>

struct trace_rel {
	unsigned oid;
	char *key;	     /* sql/ddl's key: "name", or "schema.name" outside public */
	char *schema, *name; /* as the catalog spells them */
	char kind;	     /* pg_class.relkind */
	char *filenode;
	long scans; /* sequential scans in the current transaction */
};

struct trace_snap {
	struct trace_rel *v; /* sorted by oid */
	size_t n, alloc;
	struct strlist lines; /* columns, constraints, indexes, relations; sorted */
};
#define TRACE_SNAP_INIT {NULL, 0, 0, STRLIST_INIT}

/* Reads the snapshot of every relation outside the system schemas. ERR_DB. */
int trace_snap_read(struct db *db, struct trace_snap *s);
void trace_snap_release(struct trace_snap *s);
/* `dst` (released first) becomes a copy of `src`. */
void trace_snap_copy(struct trace_snap *dst, const struct trace_snap *src);
/* The relation with `oid`, or NULL (borrowed). */
const struct trace_rel *trace_snap_oid(const struct trace_snap *s, unsigned oid);
/* The relation with key `key`, or NULL (borrowed). */
const struct trace_rel *trace_snap_key(const struct trace_snap *s, const char *key);

/*
 * Fills the tables `keys` (those that exist and are plain tables) and the
 * tables their foreign keys reference with `rows` synthetic rows each,
 * referenced tables first: values made from each column's type, taken
 * from the referenced rows for a foreign key, from the literals of a CHECK
 * for a column it names, defaults left to the server. A table that cannot
 * be filled, or does not exist yet, is a line in `notes` (with the
 * server's reason), never an error; `filled` gets "table: N rows". ERR_DB when the server is lost.
 */
int trace_fill(struct db *db, const struct strlist *keys, long rows, struct strlist *filled,
	       struct strlist *notes);

#endif
