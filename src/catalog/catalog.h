/*
 * The in-memory schema replayed from history: the upgrade DDL of earlier
 * revisions applied, in graph order, to tables (partitioned or not),
 * columns (type with modifiers, nullability, default), constraints
 * (validated or NOT VALID) and indexes. Rules read it to judge a statement
 * by what it changes (varchar(50) -> text is safe, int -> bigint rewrites),
 * without a database.
 *
 * Every object remembers the `origin` it was created under (the linter
 * numbers revisions), so a rule can tell "created in this revision" from
 * "already in production".
 *
 * Names: a relation is keyed by its name, qualified with its schema unless
 * the schema is omitted or "public". Unknown objects (created by raw SQL the
 * catalog does not model, or before the history starts) are simply absent:
 * rules must treat "not found" as "existing table, details unknown".
 *
 * Ownership: a catalog owns every object and string in it; lookups return
 * borrowed pointers valid until the next catalog_apply() or
 * catalog_release().
 */
#ifndef REVGATE_CATALOG_CATALOG_H
#define REVGATE_CATALOG_CATALOG_H

#include "core/strbuf.h"
#include "core/strlist.h"
#include "core/strmap.h"

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* origin of objects whose creator is unknown (never matches a revision) */
#define CAT_ORIGIN_UNKNOWN 0u

struct cat_type {
	char *name;	 /* canonical: int4, int8, varchar, text, timestamptz, ... */
	int32_t mods[2]; /* type modifiers, e.g. varchar(50) -> {50}; numeric(10,2) -> {10,2} */
	unsigned nmods;
	unsigned array_dims;
};

struct cat_column {
	char *name;
	struct cat_type type;
	bool not_null;
	bool has_default;
	unsigned origin;
};

enum cat_con_kind {
	CAT_CON_CHECK,
	CAT_CON_FOREIGN,
	CAT_CON_UNIQUE,
	CAT_CON_PRIMARY,
	CAT_CON_EXCLUDE,
	CAT_CON_OTHER,
};

struct cat_constraint {
	char *name;
	enum cat_con_kind kind;
	bool validated;
	struct strlist columns; /* key columns; referencing columns for a foreign key */
	char *not_null_col;	/* a CHECK (col IS NOT NULL): the column, else NULL */
	char *ref_table;	/* a foreign key's referenced table */
	unsigned origin;
};

struct cat_table {
	char *name; /* the key: "name" or "schema.name" */
	bool partitioned;
	char *partition_of; /* parent's key when this table is a partition */
	bool columns_known; /* false after CREATE TABLE AS / LIKE / INHERITS */
	struct cat_column *cols;
	size_t ncols, cols_alloc;
	struct cat_constraint *cons;
	size_t ncons, cons_alloc;
	unsigned origin;
	bool dropped;
	size_t *indexes; /* positions in catalog->indexes of this table's indexes */
	size_t nindexes, indexes_alloc;
};

struct cat_index {
	char *name;
	char *table;
	struct strlist columns; /* plain column names; expressions are skipped */
	bool unique;
	char *method;
	unsigned origin;
	bool dropped;
};

struct catalog {
	struct cat_table **tables;
	size_t ntables, tables_alloc;
	struct cat_index **indexes;
	size_t nindexes, indexes_alloc;
	struct strmap table_map; /* key -> index in tables, SIZE_MAX when dropped */
	struct strmap index_map;
	struct strlist keys; /* owns the map keys, which outlive renames */
};
#define CATALOG_INIT                                                                               \
	{                                                                                          \
		0                                                                                  \
	}

void catalog_init(struct catalog *c);
void catalog_release(struct catalog *c);

/* Applies one parsed statement (the RawStmt's `stmt`) created under `origin`.
 * Statements the catalog does not model are ignored. Never fails. */
void catalog_apply(struct catalog *c, const PgQuery__Node *stmt, unsigned origin);

/* The key of a relation: "name", or "schema.name" outside public (fresh string). */
char *catalog_key(const PgQuery__RangeVar *rv);

const struct cat_table *catalog_table(const struct catalog *c, const char *key);
const struct cat_table *catalog_table_rv(const struct catalog *c, const PgQuery__RangeVar *rv);
const struct cat_column *catalog_column(const struct cat_table *t, const char *name);
const struct cat_constraint *catalog_constraint(const struct cat_table *t, const char *name);
const struct cat_index *catalog_index(const struct catalog *c, const char *key);
/* Whether an index (or a primary key / unique constraint) of table `t` starts
 * with exactly the columns `cols` (in any order), so lookups by them are indexed. */
bool catalog_has_index_on(const struct catalog *c, const struct cat_table *t,
			  const struct strlist *cols);
/* Whether `t` has a validated CHECK (col IS NOT NULL) for `col`. */
bool catalog_has_not_null_check(const struct cat_table *t, const char *col);

/*
 * A snapshot of the catalog as text, so a long history need not be
 * replayed on every run (lint/ caches it by the content of the revisions
 * it came from). Every object loaded gets origin `origin`.
 * catalog_load() returns 0, or ERR_CHECK when the text is not a snapshot
 * of this version (the catalog is then left empty).
 */
void catalog_save(const struct catalog *c, struct strbuf *out);
int catalog_load(struct catalog *c, const char *text, size_t len, unsigned origin);

/* A type from a parse tree, canonicalised (fills a caller-owned cat_type,
 * released with cat_type_release). */
void cat_type_from(struct cat_type *out, const PgQuery__TypeName *tn);
void cat_type_release(struct cat_type *t);
/* As users write it: "varchar(50)", "bigint", "numeric(10,2)[]" (fresh string). */
char *cat_type_str(const struct cat_type *t);

#endif
