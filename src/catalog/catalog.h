/*
 * The in-memory schema replayed from history: the effects sql/ddl finds in
 * the upgrade DDL of earlier revisions, applied in graph order. Tables
 * (partitioned or not) and materialized views with their columns (type
 * with modifiers, nullability, default), constraints (validated or NOT
 * VALID) and indexes; and by key the other objects ddl names: sequences
 * (with their OWNED BY column), views (with the relations they read),
 * functions, types, triggers, policies, extensions and schemas. Rules read
 * it to judge a statement by what it changes (varchar(50) -> text is
 * safe, int -> bigint rewrites), without a database.
 *
 * What PostgreSQL drops implicitly is dropped here too: a table's
 * columns, indexes, constraints, triggers, policies and owned sequences go
 * with it; an index or constraint and a sequence OWNED BY a column go with
 * the column; DROP ... CASCADE also drops the views that read a table, the
 * foreign keys that reference it, the triggers that call a function, the
 * columns of a type and everything in a schema. A rename carries an
 * object's dependents along.
 *
 * Every object remembers the `origin` it was created under (the linter
 * numbers revisions), so a rule can tell "created in this revision" from
 * "already in production".
 *
 * Names are ddl keys (sql/ddl.h). Unknown objects (created by raw SQL the
 * catalog does not model, or before the history starts) are absent, or,
 * for a table a statement changes, a stub (origin CAT_ORIGIN_UNKNOWN, its
 * other columns unknown) that remembers what the statements added to it:
 * rules must treat "not found" and stubs as "existing table, details
 * unknown".
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
#include "sql/ddl.h"
#include "sql/types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* origin of objects whose creator is unknown (never matches a revision) */
#define CAT_ORIGIN_UNKNOWN 0u

struct cat_column {
	char *name;
	struct sql_type type;
	bool not_null;
	bool has_default;
	unsigned origin;
	size_t offset; /* where the statement that added it starts */
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
	size_t offset;
};

struct cat_table {
	char *name; /* the key: "name" or "schema.name" */
	bool matview;
	bool partitioned;
	bool filled;	    /* created with rows (CREATE TABLE AS), or written since */
	bool stub;	    /* made up for a table the history did not create */
	char *partition_of; /* parent's key when this table is a partition */
	bool columns_known; /* false after CREATE TABLE AS / LIKE / INHERITS */
	struct cat_column *cols;
	size_t ncols, cols_alloc;
	struct cat_constraint *cons;
	size_t ncons, cons_alloc;
	unsigned origin;
	size_t offset;
	bool conditional; /* CREATE ... IF NOT EXISTS: may have existed before */
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
	size_t offset;
	bool conditional;
	bool dropped;
};

/* Sequences, views, functions, types, triggers, policies, extensions, schemas. */
struct cat_object {
	enum ddl_kind kind;
	char *key;	      /* the object's key; a trigger's or policy's table */
	char *sub;	      /* a trigger's or policy's name, else NULL */
	char *table, *column; /* a sequence's OWNED BY */
	struct strlist deps;  /* a view's relations; a trigger's function */
	unsigned origin;
	size_t offset;
	bool conditional; /* CREATE OR REPLACE / IF NOT EXISTS: may have existed before */
	bool dropped;
};

struct catalog {
	struct cat_table **tables;
	size_t ntables, tables_alloc;
	struct cat_index **indexes;
	size_t nindexes, indexes_alloc;
	struct cat_object **objects;
	size_t nobjects, objects_alloc;
	struct strmap table_map; /* key -> index in tables, SIZE_MAX when dropped */
	struct strmap index_map;
	struct strmap object_map; /* "kind:key.sub" -> index in objects */
	struct strlist keys;	  /* owns the map keys, which outlive renames */
	size_t owned;		  /* sequences ever given an OWNED BY: columns need checking */
};

void catalog_init(struct catalog *c);
void catalog_release(struct catalog *c);

/* Applies one statement's effects (sql/ddl.h), created under `origin`.
 * Effects on objects the catalog does not know are ignored. Never fails. */
void catalog_apply(struct catalog *c, const struct ddl_stmt *d, unsigned origin);

/* Fills `env` so sql/ddl asks this catalog what a statement's cost depends
 * on (column types, NOT NULL proofs, index tables). `c` must outlive it. */
void catalog_ddl_env(const struct catalog *c, int pg_version, struct ddl_env *env);

const struct cat_table *catalog_table(const struct catalog *c, const char *key);
const struct cat_table *catalog_table_rv(const struct catalog *c, const PgQuery__RangeVar *rv);
const struct cat_column *catalog_column(const struct cat_table *t, const char *name);
const struct cat_constraint *catalog_constraint(const struct cat_table *t, const char *name);
const struct cat_index *catalog_index(const struct catalog *c, const char *key);
/* A sequence, view, function, type, trigger, policy, extension or schema
 * (`sub` for triggers and policies), or NULL. */
const struct cat_object *catalog_object(const struct catalog *c, enum ddl_kind kind,
					const char *key, const char *sub);
/* Whether an index (or a primary key / unique constraint) of table `t` starts
 * with exactly the columns `cols` (in any order), so lookups by them are indexed. */
bool catalog_has_index_on(const struct catalog *c, const struct cat_table *t,
			  const struct strlist *cols);
/* Whether `t` has a validated CHECK (col IS NOT NULL) for `col`, or a
 * validated constraint whose definition the history does not know (a
 * VALIDATE CONSTRAINT of one added before it: it may be that CHECK). */
bool catalog_has_not_null_check(const struct cat_table *t, const char *col);
/* Whether `t` has a validated CHECK that is not a NOT NULL proof (it may
 * prove a partition's bounds). */
bool catalog_has_validated_check(const struct cat_table *t);

/*
 * A snapshot of the catalog as text, so a long history need not be
 * replayed on every run (lint/ caches it by the content of the revisions
 * it came from). Every object loaded gets origin `origin`.
 * catalog_load() returns 0, or ERR_CHECK when the text is not a snapshot
 * of this version (the catalog is then left empty).
 */
void catalog_save(const struct catalog *c, struct strbuf *out);
int catalog_load(struct catalog *c, const char *text, size_t len, unsigned origin);

#endif
