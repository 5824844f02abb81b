/*
 * The contract of sql/ddl: what each statement does, as a golden table.
 * One row per form, one cmocka case per row: the SQL, the PostgreSQL major
 * and session, and the effects and locks it must give, written as
 *
 *   <action> <kind> <key>[.<sub>][ -> <new>][ (flags)]     per effect
 *   lock <relation> <MODE>[ rewrite][ scan][ unknown]      per lock
 *
 * joined with "; ". The schema the rows run against knows table t with
 * columns id integer, ts timestamp, tz timestamptz, v varchar(20), n
 * numeric(10,2), c cidr and checked (a validated CHECK proves it NOT
 * NULL), index t_v_idx on t, and partition p whose bounds a CHECK proves.
 * Every other table is unknown to it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "sql/ddl.h"
#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
	const char *sql;
	const char *want;
	int pg;	  /* 0: 15 */
	bool utc; /* an earlier SET TIME ZONE 'UTC' */
};

#define ROW(sql, want) {sql, want, 0, false}
#define ROWV(sql, want, pg, utc) {sql, want, pg, utc}

static const struct row rows[] = {
    /* tables */
    ROW("CREATE TABLE t2 (id bigint PRIMARY KEY, a text NOT NULL, CONSTRAINT t2_a_check CHECK (a <> ''))",
     "create table t2; create column t2.id; create constraint t2; create column t2.a; "
     "create constraint t2.t2_a_check; lock t2 ACCESS EXCLUSIVE"),
    ROW("CREATE TABLE IF NOT EXISTS app.t3 (id int REFERENCES app.parent (id))",
     "create table app.t3 (if-not-exists); create column app.t3.id; create constraint app.t3 ref "
     "app.parent; lock app.t3 ACCESS EXCLUSIVE; lock app.parent SHARE ROW EXCLUSIVE"),
    ROW("CREATE TEMP TABLE scratch (a int)",
     "create table scratch (temporary); create column scratch.a; lock scratch ACCESS EXCLUSIVE"),
    ROW("CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
     "create table m_2025 ref m; alter table m (implied); lock m_2025 ACCESS EXCLUSIVE; lock m "
     "ACCESS EXCLUSIVE"),
    ROW("CREATE TABLE child () INHERITS (base)",
     "create table child; alter table base (implied); lock child ACCESS EXCLUSIVE; lock base "
     "SHARE UPDATE EXCLUSIVE"),
    ROW("CREATE TABLE copy AS SELECT * FROM t",
     "create table copy (filled) deps t; lock copy ACCESS EXCLUSIVE"),
    ROW("CREATE TABLE empty AS SELECT * FROM t WITH NO DATA",
     "create table empty deps t; lock empty ACCESS EXCLUSIVE"),
    ROW("DROP TABLE IF EXISTS t, s.u CASCADE",
     "drop table t (if-exists cascade); drop table s.u (if-exists cascade); lock t ACCESS "
     "EXCLUSIVE; lock s.u ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t RENAME TO t_old", "rename table t -> t_old; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE s.t RENAME TO u", "rename table s.t -> s.u; lock s.t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t SET SCHEMA archive",
     "rename table t -> archive.t; lock t ACCESS EXCLUSIVE"),
    ROW("TRUNCATE t, u CASCADE",
     "write table t (cascade no-where); write table u (cascade no-where); lock t ACCESS "
     "EXCLUSIVE rewrite; lock u ACCESS EXCLUSIVE rewrite"),
    /* columns */
    ROW("ALTER TABLE t ADD COLUMN a text",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE public.t ADD COLUMN IF NOT EXISTS a text DEFAULT 'x' NOT NULL",
     "alter table t; create column t.a (if-not-exists); lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ADD COLUMN a int NOT NULL",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid()",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ADD COLUMN a timestamptz DEFAULT now()",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ADD COLUMN a int DEFAULT my_func()",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE rewrite unknown"),
    ROW("ALTER TABLE t ADD COLUMN a bigserial",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ADD COLUMN a bigint GENERATED ALWAYS AS IDENTITY",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ADD COLUMN a int GENERATED ALWAYS AS (id * 2) STORED",
     "alter table t; create column t.a; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ADD COLUMN a int CONSTRAINT t_a_check CHECK (a > 0)",
     "alter table t; create column t.a; create constraint t.t_a_check; lock t ACCESS EXCLUSIVE "
     "scan"),
    ROW("ALTER TABLE t ADD COLUMN u_id bigint REFERENCES u (id)",
     "alter table t; create column t.u_id; create constraint t ref u; lock t ACCESS EXCLUSIVE "
     "scan; lock u SHARE ROW EXCLUSIVE"),
    ROW("ALTER TABLE t DROP COLUMN IF EXISTS v CASCADE",
     "alter table t; drop column t.v (if-exists cascade); lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t RENAME COLUMN v TO w",
     "rename column t.v -> w; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN id TYPE bigint",
     "alter table t; alter column t.id; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ALTER COLUMN v TYPE varchar(50)",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v TYPE text", "alter table t; alter column t.v; lock t ACCESS "
					       "EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v TYPE varchar(10)",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)",
     "alter table t; alter column t.n; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3)",
     "alter table t; alter column t.n; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t ALTER COLUMN c TYPE inet",
     "alter table t; alter column t.c; lock t ACCESS EXCLUSIVE index-rebuild"),
    ROW("ALTER TABLE t ALTER COLUMN ts TYPE timestamptz",
     "alter table t; alter column t.ts; lock t ACCESS EXCLUSIVE rewrite"),
    ROWV("ALTER TABLE t ALTER COLUMN ts TYPE timestamptz",
     "alter table t; alter column t.ts; lock t ACCESS EXCLUSIVE index-rebuild", 15, true),
    ROWV("ALTER TABLE t ALTER COLUMN tz TYPE timestamp",
     "alter table t; alter column t.tz; lock t ACCESS EXCLUSIVE index-rebuild", 13, true),
    ROW("ALTER TABLE t ALTER COLUMN v TYPE varchar(50) USING v || ''",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE other ALTER COLUMN a TYPE bigint",
     "alter table other; alter column other.a; lock other ACCESS EXCLUSIVE rewrite unknown"),
    ROW("ALTER TABLE t ALTER COLUMN v SET NOT NULL",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE scan"),
    ROW("ALTER TABLE t ALTER COLUMN checked SET NOT NULL",
     "alter table t; alter column t.checked; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v DROP NOT NULL",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v SET DEFAULT 'x'",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v SET STATISTICS 500",
     "alter table t; alter column t.v; lock t SHARE UPDATE EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v SET (n_distinct = 100)",
     "alter table t; alter column t.v; lock t SHARE UPDATE EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN v SET STORAGE EXTERNAL",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE"),
    ROWV("ALTER TABLE t ALTER COLUMN v SET COMPRESSION lz4",
     "alter table t; alter column t.v; lock t ACCESS EXCLUSIVE", 14, false),
    ROW("ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY",
     "alter table t; alter column t.id; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER COLUMN g DROP EXPRESSION",
     "alter table t; alter column t.g; lock t ACCESS EXCLUSIVE"),
    /* constraints */
    ROW("ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0)",
     "alter table t; create constraint t.t_id_check; lock t ACCESS EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0) NOT VALID",
     "alter table t; create constraint t.t_id_check (not-valid); lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ADD CONSTRAINT t_u_fkey FOREIGN KEY (u_id) REFERENCES app.u (id)",
     "alter table t; create constraint t.t_u_fkey ref app.u; lock app.u SHARE ROW EXCLUSIVE; "
     "lock t SHARE ROW EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD CONSTRAINT t_u_fkey FOREIGN KEY (u_id) REFERENCES u NOT VALID",
     "alter table t; create constraint t.t_u_fkey (not-valid) ref u; lock u SHARE ROW "
     "EXCLUSIVE; lock t SHARE ROW EXCLUSIVE"),
    ROW("ALTER TABLE t VALIDATE CONSTRAINT t_u_fkey",
     "alter table t; alter constraint t.t_u_fkey; lock t SHARE UPDATE EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD CONSTRAINT t_v_key UNIQUE (v)",
     "alter table t; create constraint t.t_v_key; lock t ACCESS EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD PRIMARY KEY (id)",
     "alter table t; create constraint t; lock t ACCESS EXCLUSIVE scan"),
    ROW("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx",
     "alter table t; create constraint t.t_pkey; rename index t_id_idx -> t_pkey (implied); "
     "lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ALTER CONSTRAINT t_u_fkey DEFERRABLE",
     "alter table t; alter constraint t.t_u_fkey; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t DROP CONSTRAINT IF EXISTS t_id_check",
     "alter table t; drop constraint t.t_id_check (if-exists); lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t RENAME CONSTRAINT t_id_check TO t_id_positive",
     "rename constraint t.t_id_check -> t_id_positive; lock t ACCESS EXCLUSIVE"),
    /* several clauses: one lock each, positions per clause */
    ROW("ALTER TABLE t ADD COLUMN a text, ALTER COLUMN v SET NOT NULL, SET (fillfactor = 70)",
     "alter table t; create column t.a; alter column t.v; lock t ACCESS EXCLUSIVE; lock t "
     "ACCESS EXCLUSIVE scan; lock t SHARE UPDATE EXCLUSIVE"),
    /* other ALTER TABLE forms */
    ROW("ALTER TABLE t SET TABLESPACE fast", "alter table t; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t SET UNLOGGED", "alter table t; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t SET ACCESS METHOD heap2", "alter table t; lock t ACCESS EXCLUSIVE rewrite"),
    ROW("ALTER TABLE t CLUSTER ON t_v_idx", "alter table t; lock t SHARE UPDATE EXCLUSIVE"),
    ROW("ALTER TABLE t DISABLE TRIGGER t_audit",
     "alter table t; alter trigger t.t_audit; lock t SHARE ROW EXCLUSIVE"),
    ROW("ALTER TABLE t OWNER TO app", "alter table t; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE t ENABLE ROW LEVEL SECURITY", "alter table t; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER TABLE m ATTACH PARTITION m_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
     "alter table m; alter table m_2024 ref m; lock m SHARE UPDATE EXCLUSIVE; lock m_2024 ACCESS "
     "EXCLUSIVE scan"),
    ROW("ALTER TABLE m ATTACH PARTITION p FOR VALUES IN (1)",
     "alter table m; alter table p ref m; lock m SHARE UPDATE EXCLUSIVE; lock p ACCESS "
     "EXCLUSIVE"),
    ROW("ALTER TABLE m DETACH PARTITION m_2024",
     "alter table m; alter table m_2024 ref m; lock m ACCESS EXCLUSIVE; lock m_2024 ACCESS "
     "EXCLUSIVE"),
    ROW("ALTER TABLE m DETACH PARTITION m_2024 CONCURRENTLY",
     "alter table m; alter table m_2024 (concurrently) ref m; lock m SHARE UPDATE EXCLUSIVE; "
     "lock m_2024 ACCESS EXCLUSIVE"),
    /* indexes */
    ROW("CREATE INDEX t_v_idx2 ON t (v)",
     "create index t_v_idx2 on t; lock t SHARE scan"),
    ROW("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_v_key ON s.t (v)",
     "create index s.t_v_key on s.t (if-not-exists concurrently); lock s.t SHARE UPDATE "
     "EXCLUSIVE scan"),
    ROW("CREATE INDEX ON t (v, lower(v))",
     "create index t_v_expr_idx on t (implicit-name); lock t SHARE scan"),
    ROW("DROP INDEX t_v_idx", "drop index t_v_idx on t; lock t_v_idx ACCESS EXCLUSIVE; lock t "
			   "ACCESS EXCLUSIVE"),
    ROW("DROP INDEX CONCURRENTLY IF EXISTS other_idx",
     "drop index other_idx (if-exists concurrently); lock other_idx SHARE UPDATE EXCLUSIVE"),
    ROW("ALTER INDEX t_v_idx RENAME TO t_v_index",
     "rename index t_v_idx -> t_v_index; lock t_v_idx SHARE UPDATE EXCLUSIVE"),
    ROW("REINDEX INDEX t_v_idx",
     "lock t_v_idx ACCESS EXCLUSIVE scan; lock t SHARE"),
    ROW("REINDEX TABLE CONCURRENTLY t", "lock t SHARE UPDATE EXCLUSIVE scan"),
    ROW("REINDEX SYSTEM app", ""),
    /* views, sequences, functions, types, triggers, policies, extensions, schemas */
    ROW("CREATE VIEW v AS SELECT t.id, u.a FROM t JOIN s.u ON true", "create view v deps t,s.u"),
    ROW("CREATE OR REPLACE VIEW v AS SELECT 1", "create view v (or-replace)"),
    ROW("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t",
     "create materialized view mv (filled) deps t; lock mv ACCESS EXCLUSIVE"),
    ROW("REFRESH MATERIALIZED VIEW mv", "lock mv ACCESS EXCLUSIVE rewrite"),
    ROW("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "lock mv EXCLUSIVE scan"),
    ROW("DROP MATERIALIZED VIEW mv", "drop materialized view mv; lock mv ACCESS EXCLUSIVE"),
    ROW("ALTER VIEW v RENAME TO w", "rename view v -> w; lock v ACCESS EXCLUSIVE"),
    ROW("CREATE SEQUENCE s.seq OWNED BY s.t.id", "create sequence s.seq owned s.t.id"),
    ROW("ALTER SEQUENCE seq OWNED BY t.id",
     "alter sequence seq owned t.id; lock seq SHARE ROW EXCLUSIVE"),
    ROW("DROP SEQUENCE seq", "drop sequence seq; lock seq ACCESS EXCLUSIVE"),
    ROW("CREATE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'",
     "create function app.f"),
    ROW("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
     "create function p (or-replace)"),
    ROW("ALTER FUNCTION f(int) RENAME TO g", "rename function f -> g"),
    ROW("DROP FUNCTION IF EXISTS app.f(int), g", "drop function app.f (if-exists); drop function g "
					      "(if-exists)"),
    ROW("CREATE TYPE mood AS ENUM ('ok', 'sad')", "create type mood"),
    ROW("CREATE TYPE app.pair AS (a int, b int)", "create type app.pair"),
    ROW("CREATE DOMAIN posint AS int CHECK (VALUE > 0)", "create type posint"),
    ROW("ALTER TYPE mood ADD VALUE 'meh'", "alter type mood"),
    ROW("ALTER TYPE app.pair ADD ATTRIBUTE c int", "alter type app.pair; alter type app.pair"),
    ROW("DROP TYPE mood CASCADE", "drop type mood (cascade)"),
    ROW("CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit()",
     "create trigger t.t_audit ref audit; lock t SHARE ROW EXCLUSIVE"),
    ROW("DROP TRIGGER IF EXISTS t_audit ON s.t",
     "drop trigger s.t.t_audit (if-exists); lock s.t ACCESS EXCLUSIVE"),
    ROW("ALTER TRIGGER t_audit ON t RENAME TO t_log",
     "rename trigger t.t_audit -> t_log; lock t ACCESS EXCLUSIVE"),
    ROW("CREATE POLICY own ON t USING (owner = current_user)",
     "create policy t.own; lock t ACCESS EXCLUSIVE"),
    ROW("ALTER POLICY own ON t USING (true)", "alter policy t.own; lock t ACCESS EXCLUSIVE"),
    ROW("DROP POLICY own ON t", "drop policy t.own; lock t ACCESS EXCLUSIVE"),
    ROW("CREATE EXTENSION IF NOT EXISTS vector", "create extension vector (if-not-exists)"),
    ROW("DROP EXTENSION vector CASCADE", "drop extension vector (cascade)"),
    ROW("CREATE SCHEMA app", "create schema app"),
    ROW("ALTER SCHEMA app RENAME TO app2", "rename schema app -> app2"),
    ROW("DROP SCHEMA app CASCADE", "drop schema app (cascade)"),
    /* data and maintenance */
    ROW("INSERT INTO t (id) VALUES (1)", "write table t; lock t ROW EXCLUSIVE"),
    ROW("UPDATE s.t SET v = 'x'", "write table s.t (no-where); lock s.t ROW EXCLUSIVE scan"),
    ROW("UPDATE t SET v = 'x' WHERE id = 1", "write table t; lock t ROW EXCLUSIVE"),
    ROW("DELETE FROM t", "write table t (no-where); lock t ROW EXCLUSIVE scan"),
    ROW("COPY t FROM STDIN", "write table t; lock t ROW EXCLUSIVE"),
    ROW("VACUUM (FULL) t", "lock t ACCESS EXCLUSIVE rewrite"),
    ROW("VACUUM (FULL false) t", "lock t SHARE UPDATE EXCLUSIVE scan"),
    ROW("VACUUM ANALYZE t", "lock t SHARE UPDATE EXCLUSIVE scan"),
    ROW("ANALYZE t", "lock t SHARE UPDATE EXCLUSIVE scan"),
    ROW("CLUSTER t USING t_v_idx", "lock t ACCESS EXCLUSIVE rewrite"),
    ROW("LOCK TABLE t IN SHARE MODE", "lock t SHARE"),
    ROW("LOCK t", "lock t ACCESS EXCLUSIVE"),
    ROW("COMMENT ON COLUMN t.v IS 'x'", "lock t SHARE UPDATE EXCLUSIVE"),
    ROW("SELECT 1", ""),
};

static const char *const schema_types[][3] = {
    {"t", "id", "int4"},       {"t", "ts", "timestamp"}, {"t", "tz", "timestamptz"},
    {"t", "v", "varchar"},     {"t", "n", "numeric"},    {"t", "c", "cidr"},
    {"t", "checked", "text"},
};

static bool column_type(void *arg, const char *table, const char *column, struct sql_type *out)
{
	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(schema_types); i++) {
		if (strcmp(schema_types[i][0], table) || strcmp(schema_types[i][1], column))
			continue;
		memset(out, 0, sizeof(*out));
		out->name = xstrdup(schema_types[i][2]);
		if (!strcmp(column, "v")) {
			out->nmods = 1;
			out->mods[0] = 20;
		} else if (!strcmp(column, "n")) {
			out->nmods = 2;
			out->mods[0] = 10;
			out->mods[1] = 2;
		}
		return true;
	}
	return false;
}

static bool not_null_proven(void *arg, const char *table, const char *column)
{
	(void)arg;
	return !strcmp(table, "t") && !strcmp(column, "checked");
}

static bool bounds_proven(void *arg, const char *table)
{
	(void)arg;
	return !strcmp(table, "p");
}

static const char *index_table(void *arg, const char *index)
{
	(void)arg;
	return !strcmp(index, "t_v_idx") ? "t" : NULL;
}

static void flags_str(struct strbuf *sb, unsigned f)
{
	static const char *const names[] = {"if-exists", "if-not-exists", "or-replace", "cascade",
					    "not-valid", "concurrently",  "filled",	"implicit-name",
					    "implied",	 "no-where",	  "temporary"};
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(f & (1u << i)))
			continue;
		strbuf_addstr(sb, any ? " " : " (");
		strbuf_addstr(sb, names[i]);
		any = true;
	}
	if (any)
		strbuf_addch(sb, ')');
}

static char *render(const struct ddl_stmt *d)
{
	static const char *const actions[] = {"create", "alter", "drop", "rename", "write"};
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < d->n_effects; i++) {
		const struct ddl_effect *e = &d->effects[i];
		if (sb.len)
			strbuf_addstr(&sb, "; ");
		strbuf_addf(&sb, "%s %s %s", actions[e->action], ddl_kind_name(e->kind), e->key);
		if (e->sub)
			strbuf_addf(&sb, ".%s", e->sub);
		if (e->kind == DDL_INDEX && e->table && e->action != DDL_RENAME)
			strbuf_addf(&sb, " on %s", e->table);
		if (e->action == DDL_RENAME)
			strbuf_addf(&sb, " -> %s",
				    e->new_key && e->kind != DDL_INDEX ? e->new_key : e->new_name);
		flags_str(&sb, e->flags);
		if (e->ref)
			strbuf_addf(&sb, " ref %s", e->ref);
		if (e->kind == DDL_SEQUENCE && e->table)
			strbuf_addf(&sb, " owned %s.%s", e->table, e->column);
		for (size_t k = 0; k < e->ndeps; k++)
			strbuf_addf(&sb, "%s%s", k ? "," : " deps ", e->deps[k]);
	}
	for (size_t i = 0; i < d->n_locks; i++) {
		const struct ddl_lock *l = &d->locks[i];
		if (sb.len)
			strbuf_addstr(&sb, "; ");
		strbuf_addf(&sb, "lock %s %s", l->relation, lock_mode_name(l->mode));
		if (l->rewrite)
			strbuf_addstr(&sb, " rewrite");
		if (l->index_rebuild)
			strbuf_addstr(&sb, " index-rebuild");
		if (l->scan)
			strbuf_addstr(&sb, " scan");
		if (l->unknown)
			strbuf_addstr(&sb, " unknown");
	}
	return strbuf_detach(&sb, NULL);
}

static char *describe(const char *sql, int pg, bool utc, struct ddl_stmt *d)
{
	struct sql_tree *tree = NULL;
	struct sql_error err = {0, NULL};
	if (sql_parse(sql, 0, strlen(sql), &tree, &err) < 0) {
		print_error("cannot parse: %s\n", err.message);
		sql_error_release(&err);
		fail();
	}
	struct ddl_env env = {.pg_version = pg,
			      .column_type = column_type,
			      .not_null_proven = not_null_proven,
			      .bounds_proven = bounds_proven,
			      .index_table = index_table};
	struct ddl_session session = {utc};
	struct ddl_src src = {sql, 0, strlen(sql), 0};
	ddl_describe(tree->result->stmts[0]->stmt, &src, &env, &session, d);
	char *got = render(d);
	sql_tree_free(tree);
	return got;
}

static void test_row(void **state)
{
	const struct row *r = *state;
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	char *got = describe(r->sql, r->pg, r->utc, &d);
	if (strcmp(got, r->want)) {
		print_error("%s\n  want: %s\n  got:  %s\n", r->sql, r->want, got);
		free(got);
		ddl_stmt_release(&d);
		fail();
	}
	free(got);
	ddl_stmt_release(&d);
}

/* Clause positions: each ALTER TABLE command is placed where it is written. */
static void test_clause_positions(void **state)
{
	(void)state;
	const char *sql = "ALTER TABLE \"My Tab\" ADD COLUMN a text DEFAULT 'x, y', -- c, d\n"
			  "  ALTER COLUMN b SET DEFAULT f(1, 2),\n  DROP COLUMN c";
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	free(describe(sql, 15, false, &d));
	assert_int_equal(d.n_clause, 3);
	assert_int_equal(d.clause[0], strstr(sql, "ADD COLUMN") - sql);
	assert_int_equal(d.clause[1], strstr(sql, "ALTER COLUMN") - sql);
	assert_int_equal(d.clause[2], strstr(sql, "DROP COLUMN") - sql);
	ddl_stmt_release(&d);
}

/* The prediction a trace compares with: one entry per relation. */
static void test_predict(void **state)
{
	(void)state;
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	free(describe("ALTER TABLE t ADD COLUMN a text, SET (fillfactor = 70), "
		      "ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (a)",
		      15, false, &d));
	struct ddl_prediction *p = xcalloc(d.n_locks, sizeof(*p));
	size_t n = ddl_predict(&d, p);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].relation, "t");
	assert_int_equal(p[0].mode, LOCK_ACCESS_EXCLUSIVE);
	assert_true(p[0].scan);
	assert_string_equal(lock_mode_pg_name(p[0].mode), "AccessExclusiveLock");
	assert_string_equal(p[1].relation, "u");
	assert_int_equal(p[1].mode, LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(ddl_lock_on(&d, "u"), LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(ddl_lock_on(&d, "nothing"), LOCK_NONE);
	free(p);
	ddl_stmt_release(&d);
}

/* Versions: a form that appeared later still gets a prediction. */
static void test_versions(void **state)
{
	(void)state;
	assert_null(locks_find(LF_DETACH_PARTITION_CONCURRENTLY, LR_PARENT, 13));
	assert_non_null(locks_find(LF_DETACH_PARTITION_CONCURRENTLY, LR_PARENT, 14));
	assert_null(locks_find(LF_SET_ACCESS_METHOD, LR_TABLE, 14));
	assert_true(lock_conflicts(LOCK_SHARE, LOCK_ROW_EXCLUSIVE));
	assert_false(lock_conflicts(LOCK_SHARE, LOCK_SHARE));
	assert_false(lock_conflicts(LOCK_SHARE_UPDATE_EXCLUSIVE, LOCK_ROW_EXCLUSIVE));
	assert_true(lock_conflicts(LOCK_ACCESS_EXCLUSIVE, LOCK_ACCESS_SHARE));
	/* every row of the table names a form, a mode and the statement */
	for (const struct lock_entry *e = locks_table(); e->form != LF_NONE; e++) {
		assert_true(e->mode >= LOCK_ACCESS_SHARE && e->mode <= LOCK_ACCESS_EXCLUSIVE);
		assert_true(e->min_pg >= 13 && e->max_pg <= 17 && e->min_pg <= e->max_pg);
		assert_non_null(e->sql);
	}
}

/* The session: SET TIME ZONE 'UTC' and RESET. */
/* What each statement destroys, as "what key[.column]" joined by "; ". */
static void test_losses(void **state)
{
	(void)state;
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"DROP TABLE a, s.b", "drops table a; drops table s.b"},
		{"DROP TABLE IF EXISTS a", "drops table a"},
		{"TRUNCATE a", "empties table a"},
		{"UPDATE a SET x = 1", "rewrites every row of table a"},
		{"UPDATE a SET x = 1 WHERE id = 2", ""},
		{"DELETE FROM a", "deletes every row of table a"},
		{"DELETE FROM a WHERE x", ""},
		{"INSERT INTO a VALUES (1)", ""},
		{"ALTER TABLE a DROP COLUMN c, ADD COLUMN d int", "drops column a.c"},
		{"ALTER TABLE a ALTER COLUMN c TYPE int USING c::int", "changes the type, USING, of column a.c"},
		{"ALTER TABLE a ALTER COLUMN c TYPE bigint", ""},
		{"CREATE TABLE a (id int)", ""},
		{"DROP INDEX a_idx", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *sql = cases[i].sql;
		struct sql_tree *tree = NULL;
		struct sql_error err = {0, NULL};
		assert_int_equal(sql_parse(sql, 0, strlen(sql), &tree, &err), 0);
		struct ddl_stmt d;
		ddl_stmt_init(&d);
		struct ddl_src src = {sql, 0, strlen(sql), 0};
		ddl_describe(tree->result->stmts[0]->stmt, &src, NULL, NULL, &d);
		struct ddl_loss l[8];
		size_t n = ddl_losses(&d, l, 8);
		struct strbuf got = STRBUF_INIT;
		for (size_t k = 0; k < n && k < 8; k++)
			strbuf_addf(&got, "%s%s %s%s%s", k ? "; " : "", l[k].what, l[k].key,
				    l[k].column ? "." : "", l[k].column ? l[k].column : "");
		if (strcmp(got.buf, cases[i].want))
			print_error("%s: got '%s', want '%s'\n", sql, got.buf, cases[i].want);
		assert_string_equal(got.buf, cases[i].want);
		strbuf_release(&got);
		ddl_stmt_release(&d);
		sql_tree_free(tree);
	}
}

static void test_session(void **state)
{
	(void)state;
	struct ddl_session s = DDL_SESSION_INIT;
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	const char *sqls[] = {"SET TIME ZONE 'UTC'", "RESET timezone", "SET timezone = 'Etc/UTC'",
			      "SET LOCAL timezone TO 'Europe/Paris'", "SET TIME ZONE 0"};
	bool want[] = {true, false, true, false, true};
	for (size_t i = 0; i < ARRAY_SIZE(sqls); i++) {
		struct sql_tree *tree = NULL;
		struct sql_error err = {0, NULL};
		assert_int_equal(sql_parse(sqls[i], 0, strlen(sqls[i]), &tree, &err), 0);
		ddl_describe(tree->result->stmts[0]->stmt, NULL, NULL, &s, &d);
		assert_int_equal(s.utc, want[i]);
		sql_tree_free(tree);
	}
	ddl_stmt_release(&d);
}

int main(void)
{
	size_t n = ARRAY_SIZE(rows);
	struct CMUnitTest *tests = xcalloc(n + 6, sizeof(*tests));
	char **names = xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		names[i] = xstrfmt("%s%s%s", rows[i].sql, rows[i].pg ? " (pg)" : "",
				   rows[i].utc ? " (utc)" : "");
		tests[i].name = names[i];
		tests[i].test_func = test_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_clause_positions);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_predict);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_versions);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_session);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_losses);
	int ret = _cmocka_run_group_tests("ddl golden table", tests, n, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		free(names[i]);
	free(names);
	free(tests);
	sql_shutdown();
	return ret;
}
