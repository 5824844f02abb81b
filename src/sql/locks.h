/*
 * The lock table: which lock PostgreSQL takes on which relation for each
 * form of DDL and data statement, per major version 13 to 17, as data
 * written from the PostgreSQL documentation (the ALTER TABLE, CREATE
 * INDEX, DROP INDEX, REINDEX, CREATE TRIGGER, ... reference pages and
 * "Explicit Locking"). sql/ddl.c picks the entries a statement's clauses
 * match; `revgate explain` prints them; lint messages quote them. For an
 * older or a later major (11, 12; 18, 19) ddl predicts what 13 or 17
 * documents; the table does not claim those majors.
 *
 * Ownership: everything here is static data; pointers never need freeing.
 */
#ifndef REVGATE_SQL_LOCKS_H
#define REVGATE_SQL_LOCKS_H

#include <stdbool.h>
#include <stddef.h>

/* Table lock modes, numbered as PostgreSQL numbers them (LOCK TABLE's
 * `mode` in the parse tree uses the same numbers). */
enum lock_mode {
	LOCK_NONE = 0,
	LOCK_ACCESS_SHARE = 1,
	LOCK_ROW_SHARE = 2,
	LOCK_ROW_EXCLUSIVE = 3,
	LOCK_SHARE_UPDATE_EXCLUSIVE = 4,
	LOCK_SHARE = 5,
	LOCK_SHARE_ROW_EXCLUSIVE = 6,
	LOCK_EXCLUSIVE = 7,
	LOCK_ACCESS_EXCLUSIVE = 8,
};

/* "ACCESS EXCLUSIVE", as the documentation writes it. */
const char *lock_mode_name(enum lock_mode m);
/* "AccessExclusiveLock", as pg_locks.mode spells it. */
const char *lock_mode_pg_name(enum lock_mode m);
/* Whether holding `a` blocks a request for `b` (the conflict table). */
bool lock_conflicts(enum lock_mode a, enum lock_mode b);
/* What a mode blocks, for messages: "reads and writes", "writes", ... */
const char *lock_mode_blocks(enum lock_mode m);

/* Statement forms the table distinguishes. */
enum lock_form {
	LF_NONE = 0,
	LF_CREATE_TABLE,
	LF_CREATE_TABLE_AS,
	LF_CREATE_PARTITION,
	LF_CREATE_INHERITS,
	LF_CREATE_INDEX,
	LF_CREATE_INDEX_CONCURRENTLY,
	LF_DROP_INDEX,
	LF_DROP_INDEX_CONCURRENTLY,
	LF_REINDEX,
	LF_REINDEX_CONCURRENTLY,
	LF_RENAME_INDEX,
	LF_RENAME_RELATION,
	LF_RENAME_COLUMN,
	LF_RENAME_CONSTRAINT,
	LF_RENAME_TRIGGER,
	LF_DROP_RELATION,
	LF_TRUNCATE,
	LF_ADD_COLUMN,
	LF_DROP_COLUMN,
	LF_ALTER_COLUMN_TYPE,
	LF_COLUMN_DEFAULT,
	LF_SET_NOT_NULL,
	LF_DROP_NOT_NULL,
	LF_IDENTITY,
	LF_DROP_EXPRESSION,
	LF_SET_STATISTICS,
	LF_COLUMN_OPTIONS,
	LF_SET_STORAGE,
	LF_SET_COMPRESSION,
	LF_ADD_CONSTRAINT,
	LF_ADD_FOREIGN_KEY,
	LF_ADD_CONSTRAINT_USING_INDEX,
	LF_VALIDATE_CONSTRAINT,
	LF_VALIDATE_FOREIGN_KEY,
	LF_ALTER_CONSTRAINT,
	LF_DROP_CONSTRAINT,
	LF_TRIGGER_ENABLE,
	LF_CLUSTER_ON,
	LF_SET_RELOPTIONS,
	LF_SET_TABLESPACE,
	LF_SET_LOGGED,
	LF_SET_ACCESS_METHOD,
	LF_ATTACH_PARTITION,
	LF_DETACH_PARTITION,
	LF_DETACH_PARTITION_CONCURRENTLY,
	LF_ALTER_TABLE_OTHER,
	LF_CREATE_TRIGGER,
	LF_DROP_TRIGGER,
	LF_POLICY,
	LF_CREATE_RULE,
	LF_VACUUM,
	LF_VACUUM_FULL,
	LF_ANALYZE,
	LF_CLUSTER,
	LF_REFRESH_MATVIEW,
	LF_REFRESH_MATVIEW_CONCURRENTLY,
	LF_LOCK_TABLE,
	LF_WRITE_ROWS,
	LF_COMMENT,
	LF_ALTER_SEQUENCE,
	LF_CREATE_STATISTICS,
	LF_FORM_COUNT,
};

/* Which relation of the statement an entry is about. */
enum lock_role {
	LR_TABLE,      /* the relation the statement names */
	LR_INDEX,      /* the index it names or builds */
	LR_REFERENCED, /* the table a foreign key references */
	LR_PARENT,     /* the partitioned or inherited-from parent */
	LR_PARTITION,  /* the partition attached or detached */
};

struct lock_entry {
	enum lock_form form;
	enum lock_role role;
	int min_pg, max_pg; /* the majors the entry holds for */
	enum lock_mode mode;
	const char *sql;    /* the form as written: "ALTER TABLE ... ADD COLUMN" */
	const char *effect; /* rewrite or scan, in words; "" when neither */
};

/* The entry for `form` and `role` on PostgreSQL `pg_version`, or NULL when
 * the form does not exist there (or takes no lock in that role). */
const struct lock_entry *locks_find(enum lock_form form, enum lock_role role, int pg_version);
/* Every entry, in table order, ending with an entry of form LF_NONE. */
const struct lock_entry *locks_table(void);
/* The entries' role in words: "table", "referenced table", ... */
const char *lock_role_name(enum lock_role r);

#endif
