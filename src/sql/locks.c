/*
 * The lock table as data. Each row was written from the PostgreSQL
 * documentation of the statement (reference pages, "13.3.1 Table-Level
 * Locks"); a row with a version range exists where the majors differ
 * (a form that appeared later, or a lock that changed). Forms not listed
 * for a version do not exist there.
 */
#include "sql/locks.h"
#include "core/xalloc.h"

#define ALL 13, 17

static const struct lock_entry table[] = {
    {LF_CREATE_TABLE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "CREATE TABLE", ""},
    {LF_CREATE_TABLE_AS, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "CREATE TABLE ... AS / CREATE MATERIALIZED VIEW", "fills the new table"},
    {LF_CREATE_PARTITION, LR_PARENT, ALL, LOCK_ACCESS_EXCLUSIVE, "CREATE TABLE ... PARTITION OF",
     ""},
    {LF_CREATE_INHERITS, LR_PARENT, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "CREATE TABLE ... INHERITS",
     ""},
    {LF_CREATE_INDEX, LR_TABLE, ALL, LOCK_SHARE, "CREATE INDEX", "scans the table"},
    {LF_CREATE_INDEX_CONCURRENTLY, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "CREATE INDEX CONCURRENTLY", "scans the table twice, without blocking writes"},
    {LF_DROP_INDEX, LR_INDEX, ALL, LOCK_ACCESS_EXCLUSIVE, "DROP INDEX", ""},
    {LF_DROP_INDEX, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "DROP INDEX", ""},
    {LF_DROP_INDEX_CONCURRENTLY, LR_INDEX, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "DROP INDEX CONCURRENTLY", ""},
    {LF_DROP_INDEX_CONCURRENTLY, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "DROP INDEX CONCURRENTLY", ""},
    {LF_REINDEX, LR_TABLE, ALL, LOCK_SHARE, "REINDEX", "rebuilds every index named"},
    {LF_REINDEX, LR_INDEX, ALL, LOCK_ACCESS_EXCLUSIVE, "REINDEX", "rebuilds every index named"},
    {LF_REINDEX_CONCURRENTLY, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "REINDEX CONCURRENTLY",
     "rebuilds every index named, without blocking writes"},
    {LF_REINDEX_CONCURRENTLY, LR_INDEX, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "REINDEX CONCURRENTLY",
     "rebuilds every index named, without blocking writes"},
    {LF_RENAME_INDEX, LR_INDEX, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "ALTER INDEX ... RENAME", ""},
    {LF_RENAME_RELATION, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE / VIEW / SEQUENCE ... RENAME TO", ""},
    {LF_RENAME_COLUMN, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... RENAME COLUMN", ""},
    {LF_RENAME_CONSTRAINT, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... RENAME CONSTRAINT", ""},
    {LF_RENAME_TRIGGER, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TRIGGER ... RENAME", ""},
    {LF_DROP_RELATION, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "DROP TABLE / VIEW / MATERIALIZED VIEW / SEQUENCE", ""},
    {LF_TRUNCATE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "TRUNCATE",
     "gives the table a new, empty file"},
    {LF_ADD_COLUMN, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... ADD COLUMN",
     "rewrites with a volatile default, identity, serial or stored generated column; scans "
     "for a NOT NULL, CHECK, UNIQUE or foreign key clause"},
    {LF_DROP_COLUMN, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... DROP COLUMN", ""},
    {LF_ALTER_COLUMN_TYPE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... TYPE",
     "rewrites the table and its indexes unless the change is binary coercible "
     "(timestamp to timestamptz and back only when the session time zone is UTC)"},
    {LF_COLUMN_DEFAULT, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET / DROP DEFAULT", ""},
    {LF_SET_NOT_NULL, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET NOT NULL",
     "scans the table unless a validated CHECK (col IS NOT NULL) proves it"},
    {LF_DROP_NOT_NULL, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL", ""},
    {LF_IDENTITY, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... ADD / SET / DROP IDENTITY", ""},
    {LF_DROP_EXPRESSION, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION", ""},
    {LF_SET_STATISTICS, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET STATISTICS", ""},
    {LF_COLUMN_OPTIONS, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET / RESET (attribute_option)", ""},
    {LF_SET_STORAGE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET STORAGE", ""},
    {LF_SET_COMPRESSION, LR_TABLE, 14, 17, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ALTER COLUMN ... SET COMPRESSION", ""},
    {LF_ADD_CONSTRAINT, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ADD CONSTRAINT (CHECK, UNIQUE, PRIMARY KEY, EXCLUDE)",
     "scans the table (CHECK) or builds an index (UNIQUE, PRIMARY KEY, EXCLUDE); "
     "NOT VALID skips the CHECK scan"},
    {LF_ADD_FOREIGN_KEY, LR_TABLE, ALL, LOCK_SHARE_ROW_EXCLUSIVE,
     "ALTER TABLE ... ADD FOREIGN KEY", "scans the table unless NOT VALID"},
    {LF_ADD_FOREIGN_KEY, LR_REFERENCED, ALL, LOCK_SHARE_ROW_EXCLUSIVE,
     "ALTER TABLE ... ADD FOREIGN KEY", "probes the referenced table for every row"},
    {LF_ADD_CONSTRAINT_USING_INDEX, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ADD CONSTRAINT ... USING INDEX",
     "scans for NULLs when a PRIMARY KEY column is not yet NOT NULL"},
    {LF_VALIDATE_CONSTRAINT, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... VALIDATE CONSTRAINT", "scans the table"},
    {LF_VALIDATE_FOREIGN_KEY, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... VALIDATE CONSTRAINT (foreign key)", "scans the table"},
    {LF_VALIDATE_FOREIGN_KEY, LR_REFERENCED, ALL, LOCK_ROW_SHARE,
     "ALTER TABLE ... VALIDATE CONSTRAINT (foreign key)", ""},
    {LF_ALTER_CONSTRAINT, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... ALTER CONSTRAINT",
     ""},
    {LF_DROP_CONSTRAINT, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... DROP CONSTRAINT",
     ""},
    /* the foreign key's triggers on the referenced table go with it */
    {LF_DROP_CONSTRAINT, LR_REFERENCED, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... DROP CONSTRAINT (foreign key)", ""},
    {LF_TRIGGER_ENABLE, LR_TABLE, ALL, LOCK_SHARE_ROW_EXCLUSIVE,
     "ALTER TABLE ... ENABLE / DISABLE TRIGGER", ""},
    {LF_CLUSTER_ON, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... CLUSTER ON / SET WITHOUT CLUSTER", ""},
    {LF_SET_RELOPTIONS, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... SET / RESET (storage_parameter)", ""},
    {LF_SET_TABLESPACE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... SET TABLESPACE",
     "copies the table and its indexes"},
    {LF_SET_LOGGED, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... SET LOGGED / UNLOGGED",
     "rewrites the table"},
    {LF_SET_ACCESS_METHOD, LR_TABLE, 15, 17, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... SET ACCESS METHOD", "rewrites the table"},
    {LF_ATTACH_PARTITION, LR_PARENT, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... ATTACH PARTITION", ""},
    {LF_ATTACH_PARTITION, LR_PARTITION, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... ATTACH PARTITION",
     "scans the partition unless a validated CHECK proves its bounds"},
    {LF_DETACH_PARTITION, LR_PARENT, ALL, LOCK_ACCESS_EXCLUSIVE, "ALTER TABLE ... DETACH PARTITION",
     ""},
    {LF_DETACH_PARTITION, LR_PARTITION, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... DETACH PARTITION", ""},
    {LF_DETACH_PARTITION_CONCURRENTLY, LR_PARENT, 14, 17, LOCK_SHARE_UPDATE_EXCLUSIVE,
     "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY", ""},
    {LF_DETACH_PARTITION_CONCURRENTLY, LR_PARTITION, 14, 17, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY", ""},
    {LF_ALTER_TABLE_OTHER, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE,
     "ALTER TABLE (owner, inheritance, replica identity, row security, ...)", ""},
    {LF_CREATE_TRIGGER, LR_TABLE, ALL, LOCK_SHARE_ROW_EXCLUSIVE, "CREATE TRIGGER", ""},
    {LF_DROP_TRIGGER, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "DROP TRIGGER", ""},
    {LF_POLICY, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "CREATE / ALTER / DROP POLICY", ""},
    {LF_CREATE_RULE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "CREATE RULE", ""},
    {LF_VACUUM, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "VACUUM", "scans the table"},
    {LF_VACUUM_FULL, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "VACUUM FULL", "rewrites the table"},
    {LF_ANALYZE, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "ANALYZE", "samples the table"},
    {LF_CLUSTER, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "CLUSTER", "rewrites the table"},
    {LF_REFRESH_MATVIEW, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "REFRESH MATERIALIZED VIEW",
     "rewrites the view"},
    {LF_REFRESH_MATVIEW_CONCURRENTLY, LR_TABLE, ALL, LOCK_EXCLUSIVE,
     "REFRESH MATERIALIZED VIEW CONCURRENTLY", "recomputes the view, blocking only writes"},
    {LF_LOCK_TABLE, LR_TABLE, ALL, LOCK_ACCESS_EXCLUSIVE, "LOCK TABLE (the mode given)", ""},
    {LF_WRITE_ROWS, LR_TABLE, ALL, LOCK_ROW_EXCLUSIVE, "INSERT / UPDATE / DELETE / MERGE / COPY FROM",
     "writes rows"},
    {LF_COMMENT, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "COMMENT ON TABLE / COLUMN / ...", ""},
    {LF_ALTER_SEQUENCE, LR_TABLE, ALL, LOCK_SHARE_ROW_EXCLUSIVE, "ALTER SEQUENCE", ""},
    {LF_CREATE_STATISTICS, LR_TABLE, ALL, LOCK_SHARE_UPDATE_EXCLUSIVE, "CREATE STATISTICS", ""},
    {LF_NONE, LR_TABLE, 0, 0, LOCK_NONE, NULL, NULL},
};

const struct lock_entry *locks_table(void)
{
	return table;
}

const struct lock_entry *locks_find(enum lock_form form, enum lock_role role, int pg_version)
{
	for (const struct lock_entry *e = table; e->form != LF_NONE; e++)
		if (e->form == form && e->role == role && pg_version >= e->min_pg &&
		    pg_version <= e->max_pg)
			return e;
	return NULL;
}

const char *lock_mode_name(enum lock_mode m)
{
	static const char *const names[] = {
	    "no",	      "ACCESS SHARE",	     "ROW SHARE", "ROW EXCLUSIVE",
	    "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE",
	};
	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "unknown";
}

const char *lock_mode_pg_name(enum lock_mode m)
{
	static const char *const names[] = {
	    "",
	    "AccessShareLock",
	    "RowShareLock",
	    "RowExclusiveLock",
	    "ShareUpdateExclusiveLock",
	    "ShareLock",
	    "ShareRowExclusiveLock",
	    "ExclusiveLock",
	    "AccessExclusiveLock",
	};
	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "";
}

bool lock_conflicts(enum lock_mode a, enum lock_mode b)
{
	/* bit k set: conflicts with mode k ("Conflicting Lock Modes") */
	static const unsigned conflicts[] = {
	    0,
	    1u << 8,
	    1u << 7 | 1u << 8,
	    1u << 5 | 1u << 6 | 1u << 7 | 1u << 8,
	    1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8,
	    1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 8,
	    1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8,
	    1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8,
	    1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8,
	};
	if ((unsigned)a >= ARRAY_SIZE(conflicts) || (unsigned)b > 8)
		return false;
	return (conflicts[a] >> b) & 1u;
}

const char *lock_mode_blocks(enum lock_mode m)
{
	if (m >= LOCK_ACCESS_EXCLUSIVE)
		return "reads and writes";
	if (m >= LOCK_SHARE)
		return "writes";
	if (m == LOCK_SHARE_UPDATE_EXCLUSIVE)
		return "schema changes, VACUUM and concurrent index builds";
	return "little";
}

const char *lock_role_name(enum lock_role r)
{
	switch (r) {
	case LR_TABLE:
		return "table";
	case LR_INDEX:
		return "index";
	case LR_REFERENCED:
		return "referenced table";
	case LR_PARENT:
		return "parent table";
	case LR_PARTITION:
		return "partition";
	}
	return "relation";
}
