/*
 * What a statement does, from its parse tree: the one place catalog/,
 * lint/ and guard/ learn which objects a statement creates, alters, drops,
 * renames or writes, and which locks PostgreSQL takes on which relations
 * (with whether the table is rewritten or scanned). Nothing else in
 * revgate works out a statement's effects or normalises object names.
 *
 *   struct ddl_stmt d;
 *   ddl_stmt_init(&d);
 *   ddl_describe(stmt, &src, &env, &session, &d);
 *   for each d.effects[i]: {action, kind, key, sub, new_name, offset, ...}
 *   for each d.locks[i]:   {relation, mode, rewrite, scan, offset}
 *   ddl_stmt_release(&d);
 *
 * Keys: a relation, type, function, sequence, ... is keyed by its name,
 * qualified "schema.name" unless the schema is omitted or "public"
 * (ddl_key). An index lives in its table's schema. Columns, constraints,
 * triggers and policies are sub-objects: `key` is their table's key and
 * `sub` their name.
 *
 * Locks come from the lock table (sql/locks.h) for the PostgreSQL major
 * in `env`. Whether a table is rewritten or scanned may depend on the
 * schema (the old type of a column, a CHECK that proves NOT NULL): the
 * caller answers through `env`; without an answer the lock says
 * `unknown` and assumes the costly case.
 *
 * Ownership: a ddl_stmt owns its arrays and strings; `node` and `cmd`
 * pointers borrow from the parse tree, which must outlive the ddl_stmt.
 */
#ifndef REVGATE_SQL_DDL_H
#define REVGATE_SQL_DDL_H

#include "sql/locks.h"
#include "sql/types.h"

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stddef.h>

enum ddl_kind {
	DDL_TABLE,
	DDL_COLUMN,
	DDL_CONSTRAINT,
	DDL_INDEX,
	DDL_SEQUENCE,
	DDL_VIEW,
	DDL_MATVIEW,
	DDL_FUNCTION,
	DDL_TYPE,
	DDL_TRIGGER,
	DDL_POLICY,
	DDL_EXTENSION,
	DDL_SCHEMA,
	DDL_KIND_COUNT,
};

enum ddl_action {
	DDL_CREATE,
	DDL_ALTER,
	DDL_DROP,
	DDL_RENAME,
	DDL_WRITE, /* rows: INSERT, UPDATE, DELETE, MERGE, COPY FROM, TRUNCATE */
};

enum ddl_flags {
	DDL_IF_EXISTS = 1 << 0,	    /* DROP ... IF EXISTS, ALTER ... IF EXISTS */
	DDL_IF_NOT_EXISTS = 1 << 1, /* CREATE ... IF NOT EXISTS, ADD COLUMN IF NOT EXISTS */
	DDL_OR_REPLACE = 1 << 2,
	DDL_CASCADE = 1 << 3,
	DDL_NOT_VALID = 1 << 4,
	DDL_CONCURRENTLY = 1 << 5,
	DDL_FILLED = 1 << 6,	    /* a new table created with rows (CREATE TABLE AS) */
	DDL_IMPLICIT_NAME = 1 << 7, /* the name PostgreSQL chooses (an unnamed index) */
	DDL_IMPLIED = 1 << 8,	    /* done by PostgreSQL as a side effect, not written */
	DDL_NO_WHERE = 1 << 9,	    /* UPDATE or DELETE of every row */
	DDL_TEMPORARY = 1 << 10,    /* a temporary table: gone at the end of the session */
};

struct ddl_effect {
	enum ddl_action action;
	enum ddl_kind kind;
	const char *key;      /* the object's key; a sub-object's table key */
	const char *sub;      /* column, constraint, trigger or policy name; else NULL */
	const char *new_name; /* RENAME: the new name of `sub`, or of the object */
	const char *new_key;  /* RENAME of an object: its new key */
	const char *table;    /* an index's, trigger's or policy's table; a sequence's owner */
	const char *column;   /* a sequence's owning column; a column constraint's column */
	const char *ref;      /* a foreign key's referenced table; a trigger's function */
	size_t offset;	      /* file offset of the clause */
	unsigned flags;	      /* enum ddl_flags */
	int subtype;	      /* ALTER TABLE: the command's PgQuery__AlterTableType; else 0 */
	const PgQuery__Node *node; /* the clause: CreateStmt, ColumnDef, Constraint, IndexStmt, ... */
	size_t ndeps;		   /* a view's relations */
	const char *const *deps;
};

struct ddl_lock {
	const char *relation; /* key of the relation locked */
	enum lock_mode mode;
	const struct lock_entry *entry; /* the row of the lock table; NULL for LOCK TABLE */
	bool rewrite; /* the relation gets a new file (relfilenode changes) */
	bool scan;    /* every row is read (validation, index build) */
	bool unknown; /* rewrite or scan could not be decided without the schema */
	bool index_rebuild; /* the table stays, indexes on the column are rebuilt */
	size_t offset;	    /* file offset of the clause that takes it */
	const char *why;    /* what rewrites or scans, in words; NULL when neither */
};

struct ddl_stmt {
	struct ddl_effect *effects;
	size_t n_effects, effects_alloc;
	struct ddl_lock *locks;
	size_t n_locks, locks_alloc;
	bool work;		/* reads or writes rows (data statements) */
	size_t *clause;		/* ALTER TABLE: file offset of each command's clause */
	size_t n_clause;
	struct ddl_arena *arena; /* owns the strings */
};

/* Where the statement's text is, to place clauses in the file. */
struct ddl_src {
	const char *text; /* the whole file */
	size_t start, len; /* the statement */
	size_t base;	   /* add to a node location to get a file offset */
};

/* What the schema knows, for the decisions that depend on it. Any
 * callback may be NULL: the answer is then unknown. */
struct ddl_env {
	int pg_version; /* 11..19 (11, 12 as 13; 18, 19 as 17); 0 means 15 */
	void *arg;
	/* the type of table.column, filled into `out` (caller releases) */
	bool (*column_type)(void *arg, const char *table, const char *column,
			    struct sql_type *out);
	/* whether a validated CHECK (column IS NOT NULL) exists */
	bool (*not_null_proven)(void *arg, const char *table, const char *column);
	/* whether a validated CHECK constraint may prove a partition's bounds */
	bool (*bounds_proven)(void *arg, const char *table);
	/* the table an index belongs to (borrowed), or NULL */
	const char *(*index_table)(void *arg, const char *index);
	/* the table foreign key `constraint` of `table` references (borrowed),
	 * or NULL when it is not a known foreign key */
	const char *(*fk_target)(void *arg, const char *table, const char *constraint);
};

/* Settings earlier statements of the same session made. */
struct ddl_session {
	bool utc; /* SET TIME ZONE 'UTC' (or another zone at offset 0) */
};
#define DDL_SESSION_INIT {false}

void ddl_stmt_init(struct ddl_stmt *d);
void ddl_stmt_release(struct ddl_stmt *d);

/*
 * Describes `stmt` (a RawStmt's stmt) into `out` (initialised, emptied
 * first). `env` and `session` may be NULL; `session` is updated by SET
 * statements. Never fails: statements it does not model have no effects.
 */
void ddl_describe(const PgQuery__Node *stmt, const struct ddl_src *src, const struct ddl_env *env,
		  struct ddl_session *session, struct ddl_stmt *out);

/* What a statement destroys, for a backup taken before it runs: every row
 * of a table (DROP TABLE, TRUNCATE, UPDATE or DELETE without WHERE), or
 * one column's values (DROP COLUMN, ALTER COLUMN TYPE ... USING). */
enum ddl_loss_kind {
	DDL_LOSS_TABLE,
	DDL_LOSS_COLUMN,
};

struct ddl_loss {
	enum ddl_loss_kind kind;
	const char *key;    /* the table's key (borrowed from the ddl_stmt) */
	const char *column; /* DDL_LOSS_COLUMN: the column (borrowed) */
	const char *what;   /* "drops table", "empties table", ... (static) */
	size_t offset;      /* file offset of the clause */
};

/* The losses of a described statement into out[0..max); returns how many
 * there are (may exceed max). Temporary tables lose nothing worth keeping. */
size_t ddl_losses(const struct ddl_stmt *d, struct ddl_loss *out, size_t max);

/* A relation's lock prediction, merged over the statement's clauses. */
struct ddl_prediction {
	const char *relation; /* borrowed from the ddl_stmt */
	enum lock_mode mode;  /* the strongest */
	bool rewrite, scan;
};
/*
 * The statement's locks, one per relation in first-taken order, for tools
 * that compare with what a server really took. Returns the count; `out`
 * (caller-owned, at least d->n_locks entries) receives them.
 */
size_t ddl_predict(const struct ddl_stmt *d, struct ddl_prediction *out);

/* The strongest lock the statement takes on `relation` (LOCK_NONE: none). */
enum lock_mode ddl_lock_on(const struct ddl_stmt *d, const char *relation);

/* The columns an expression names (a CHECK's), added to `out` once each. */
struct strlist;
void ddl_expr_columns(const PgQuery__Node *expr, struct strlist *out);
/* Whether a constraint is an object of its own, with a name (CHECK,
 * FOREIGN KEY, UNIQUE, PRIMARY KEY, EXCLUDE), not a column's property
 * (NOT NULL, DEFAULT, GENERATED). */
bool ddl_constraint_is_object(const PgQuery__Constraint *k);

/* Whether a VACUUM is VACUUM FULL (FULL, FULL true, FULL 1; not FULL false). */
bool ddl_vacuum_full(const PgQuery__VacuumStmt *v);

/* The key of a name: "name", or "schema.name" outside public (fresh string). */
char *ddl_key(const char *schema, const char *name);
/* The key of a relation (fresh string). */
char *ddl_rel_key(const PgQuery__RangeVar *rv);
/* The key of a qualified name list ["s", "f"] (fresh string), or NULL. */
char *ddl_names_key(PgQuery__Node *const *names, size_t n);
/* "table", "column", ... */
const char *ddl_kind_name(enum ddl_kind k);
/* The offset of an ALTER TABLE command's clause, or the statement start. */
size_t ddl_clause_offset(const struct ddl_stmt *d, const PgQuery__AlterTableStmt *as,
			 const PgQuery__AlterTableCmd *cmd, size_t stmt_start);

#endif
