/*
 * What a statement does that revgate can look for on a live database: the
 * index, table, column, constraint or database it creates or drops, and
 * whether it reaches beyond its database (roles, databases, tablespaces,
 * ALTER SYSTEM). Read from the parse tree, without a database; the applier
 * then asks the catalog (apply/probe.c) whether a statement whose outcome
 * is unknown took effect, what a downgrade destroys, and which INVALID
 * index a revision left.
 *
 * Ownership: an effects list owns its entries and their strings.
 */
#ifndef REVGATE_APPLY_EFFECTS_H
#define REVGATE_APPLY_EFFECTS_H

#include <stdbool.h>
#include <stddef.h>

enum effect_kind {
	EFF_CREATE_INDEX,  /* name in the schema of `table` */
	EFF_DROP_INDEX,    /* schema.name */
	EFF_CREATE_TABLE,
	EFF_DROP_TABLE,
	EFF_TRUNCATE,
	EFF_ADD_COLUMN,    /* table.name */
	EFF_DROP_COLUMN,
	EFF_ADD_CONSTRAINT, /* table.name; `valid` unless NOT VALID */
	EFF_DROP_CONSTRAINT,
	EFF_VALIDATE_CONSTRAINT,
	EFF_DETACH_PARTITION, /* table = the parent, name = the partition (schema in `schema2`) */
	EFF_CREATE_DATABASE,  /* name */
	EFF_DROP_DATABASE,
	EFF_DROP_SCHEMA, /* name */
};

struct effect {
	enum effect_kind kind;
	char *schema; /* of `table` (or of an index dropped), NULL: the search_path */
	char *table;
	char *schema2; /* a detached partition's schema */
	char *name;
	bool valid;
};

struct effects {
	struct effect *v;
	size_t n, alloc;
	/* part of what the statement does is none of the above, so its
	 * outcome cannot be read from the catalog */
	bool opaque;
	/* running it again does what it did once (VACUUM, ANALYZE, REINDEX,
	 * CLUSTER, REFRESH MATERIALIZED VIEW, ALTER SYSTEM) */
	bool repeatable;
	/* what it changes beyond its own database ("CREATE ROLE", "ALTER
	 * SYSTEM", ...; static), or NULL */
	const char *cluster_wide;
	bool parsed; /* false: the statement did not parse */
	/* CONCURRENTLY: it waits for every older transaction on the database */
	bool concurrent;
};
#define EFFECTS_INIT {NULL, 0, 0, false, false, NULL, false, false}

/* The effects of the one statement text[start, start+len). Never fails: a
 * statement that does not parse leaves `parsed` false and `opaque` true. */
void effects_of(const char *text, size_t start, size_t len, struct effects *out);
void effects_release(struct effects *e);

/* "index a_b", "table s.t", "column t.c", ... (fresh string) */
char *effect_describe(const struct effect *e);

#endif
