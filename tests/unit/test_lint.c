/*
 * The lint engine: positions, ignore comments, severity overrides,
 * transactions, history-aware judgements, and bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/xalloc.h"
#include "lint/engine.h"
#include "lint/lint.h"
#include "lint/split.h"
#include "revision/revision.h"
#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct findings fs;
static struct lint_settings settings;

/* Lints `sql` (a revision file when it starts with "-- revision:", else
 * plain SQL) after replaying `history` as an earlier revision. */
static void lint(const char *history, const char *sql)
{
	findings_release(&fs);
	struct lint_engine *eng = lint_engine_new(&settings);
	struct catalog cat;
	catalog_init(&cat);
	struct findings load = FINDINGS_INIT;
	if (history) {
		struct revision prev;
		memset(&prev, 0, sizeof(prev));
		revision_parse_plain(&prev, "h.sql", xstrdup(history), strlen(history), &load);
		lint_engine_replay(&prev, &cat, 1);
		revision_release(&prev);
	}
	struct revision rev;
	memset(&rev, 0, sizeof(rev));
	if (!strncmp(sql, "-- revision:", 12))
		revision_parse(&rev, "20250101_0000_abc_x.sql", xstrdup(sql), strlen(sql), "abc",
			       &load);
	else
		revision_parse_plain(&rev, "x.sql", xstrdup(sql), strlen(sql), &load);
	lint_engine_run(eng, &rev, &cat, 2, &fs);
	findings_sort(&fs);
	revision_release(&rev);
	findings_release(&load);
	catalog_release(&cat);
	lint_engine_free(eng);
}

static const struct finding *find(const char *rule)
{
	for (size_t i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].rule, rule))
			return &fs.v[i];
	return NULL;
}

static size_t count(const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < fs.n; i++)
		n += !strcmp(fs.v[i].rule, rule);
	return n;
}

static int setup(void **state)
{
	(void)state;
	lint_settings_init(&settings);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	findings_release(&fs);
	lint_settings_release(&settings);
	return 0;
}

static void test_positions_in_the_file(void **state)
{
	(void)state;
	lint(NULL, "-- revision: abc\n-- down_revision: none\n-- message: m\n\n-- +upgrade\n"
		   "SELECT 1;\n  CREATE INDEX i ON t (a);\n\n-- +downgrade\nDROP INDEX i;\n");
	const struct finding *f = find("require-concurrent-index-creation");
	assert_non_null(f);
	assert_int_equal(f->line, 7);
	assert_int_equal(f->column, 21);
	assert_string_equal(f->excerpt, "  CREATE INDEX i ON t (a);");
	assert_non_null(f->hint);
	assert_non_null(strstr(f->hint, "CONCURRENTLY"));
}

static void test_syntax_error_position(void **state)
{
	(void)state;
	/* two-byte characters before the error: the column counts characters */
	lint(NULL, "SELECT 'ééé';\nSELECT 'éé' FRM t;\nDROP TABLE x;\n");
	const struct finding *f = find("syntax-error");
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 17);	 /* "t": FRM is read as an alias */
	assert_non_null(find("ban-drop-table")); /* later statements still checked */
}

static void test_ignore_comments(void **state)
{
	(void)state;
	lint(NULL, "-- revgate: ignore ban-drop-table\nDROP TABLE a;\n"
		   "/* revgate: ignore ban-drop-table, renaming-table */\nDROP TABLE b;\n");
	assert_null(find("ban-drop-table"));
	const struct finding *f = find("unused-ignore");
	assert_non_null(f);
	assert_int_equal(f->line, 3);
	assert_non_null(strstr(f->message, "renaming-table"));
	lint(NULL, "-- revision: abc\n-- down_revision: none\n-- revgate: ignore ban-drop-table\n"
		   "-- irreversible: cleanup\n\n-- +upgrade\nDROP TABLE a;\nDROP TABLE b;\n");
	assert_null(find("ban-drop-table"));
	assert_null(find("unused-ignore"));
	lint(NULL, "-- revgate: ignore ban-drop-tables\nDROP TABLE a;\n");
	assert_non_null(find("unknown-rule"));
	assert_non_null(find("ban-drop-table"));
}

/* A comment at the end of a statement's last line belongs to that statement,
 * not to the next one, unless the next one starts on that line too. */
static void test_trailing_ignore_comments(void **state)
{
	(void)state;
	lint(NULL, "DROP TABLE a; -- revgate: ignore ban-drop-table\nDROP TABLE b;\n");
	assert_int_equal(count("ban-drop-table"), 1);
	assert_int_equal(find("ban-drop-table")->line, 2);
	assert_null(find("unused-ignore"));
	/* a block comment that begins on the line and ends below it */
	lint(NULL, "DROP TABLE a; /* revgate: ignore\n  ban-drop-table */\nDROP TABLE b;\n");
	assert_int_equal(count("ban-drop-table"), 1);
	assert_int_equal(find("ban-drop-table")->line, 3);
	/* between two statements of one line: the next one's */
	lint(NULL, "SELECT 1; /* revgate: ignore ban-drop-table */ DROP TABLE a;\nDROP TABLE b;\n");
	assert_int_equal(count("ban-drop-table"), 1);
	assert_int_equal(find("ban-drop-table")->line, 2);
	/* the last statement of a section, and a leading comment still works */
	lint(NULL, "-- revgate: ignore ban-drop-table\nDROP TABLE a;\n"
		   "DROP TABLE b; -- revgate: ignore ban-drop-table");
	assert_null(find("ban-drop-table"));
	assert_null(find("unused-ignore"));
	/* an unused trailing directive is reported on its own line */
	lint(NULL, "SELECT 1; -- revgate: ignore ban-drop-table\nDROP TABLE b;\n");
	assert_int_equal(count("ban-drop-table"), 1);
	assert_int_equal(find("unused-ignore")->line, 1);
}

static void test_severity_overrides(void **state)
{
	(void)state;
	assert_int_equal(lint_settings_set(&settings, "ban-drop-table", "error"), 0);
	lint(NULL, "DROP TABLE a;");
	assert_int_equal(find("ban-drop-table")->severity, SEV_ERROR);
	assert_int_equal(lint_settings_set(&settings, "ban-drop-table", "off"), 0);
	lint(NULL, "-- revgate: ignore ban-drop-table\nDROP TABLE IF EXISTS a;");
	assert_int_equal(fs.n, 0); /* off: nothing, not even an unused ignore */
	assert_true(lint_settings_set(&settings, "no-such-rule", "off") < 0);
	assert_true(lint_settings_set(&settings, "ban-drop-table", "loud") < 0);
	assert_true(lint_settings_set_pg_version(&settings, "10") < 0);
	assert_true(lint_settings_set_pg_version(&settings, "20") < 0);
	assert_int_equal(lint_settings_set_pg_version(&settings, "11"), 0);
	assert_int_equal(lint_settings_set_pg_version(&settings, "17"), 0);
}

static void test_new_tables_are_exempt(void **state)
{
	(void)state;
	lint("CREATE TABLE old (id bigint, a text);",
	     "CREATE TABLE fresh (id bigint, a text);\n"
	     "CREATE INDEX fresh_a ON fresh (a);\n"
	     "ALTER TABLE fresh ADD COLUMN u uuid DEFAULT gen_random_uuid();\n"
	     "ALTER TABLE fresh ALTER COLUMN a SET NOT NULL;\n"
	     "CREATE INDEX old_a ON old (a);\n");
	assert_int_equal(count("require-concurrent-index-creation"), 1);
	assert_int_equal(find("require-concurrent-index-creation")->line, 5);
	assert_null(find("adding-field-with-default"));
	assert_null(find("adding-not-nullable-field"));
}

static void test_volatile_defaults(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE t (id bigint);";
	lint(h, "ALTER TABLE t ADD COLUMN a timestamptz DEFAULT now();\n"
		"ALTER TABLE t ADD COLUMN b timestamptz DEFAULT CURRENT_TIMESTAMP;\n"
		"ALTER TABLE t ADD COLUMN c text DEFAULT 'x' || 'y';\n");
	assert_null(find("adding-field-with-default"));
	lint(h, "ALTER TABLE t ADD COLUMN a timestamptz DEFAULT clock_timestamp();");
	assert_non_null(
	    strstr(find("adding-field-with-default")->message, "volatile clock_timestamp"));
	lint(h, "ALTER TABLE t ADD COLUMN a int DEFAULT my_func();");
	assert_non_null(strstr(find("adding-field-with-default")->message, "may be volatile"));
	lint(h, "ALTER TABLE t ADD COLUMN a bigserial;");
	assert_non_null(find("adding-field-with-default"));
}

static void test_type_changes_by_old_type(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE t (id integer, s varchar(50), n numeric(10,2), x text);";
	lint(h, "ALTER TABLE t ALTER COLUMN s TYPE varchar(100);\n"
		"ALTER TABLE t ALTER COLUMN s TYPE text;\n"
		"ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2);\n");
	assert_null(find("changing-column-type"));
	lint(h, "ALTER TABLE t ALTER COLUMN id TYPE bigint;");
	assert_non_null(strstr(find("changing-column-type")->message, "from integer to bigint"));
	lint(h, "ALTER TABLE t ALTER COLUMN s TYPE varchar(20);");
	assert_non_null(find("changing-column-type"));
	lint(h, "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3);");
	assert_non_null(find("changing-column-type"));
	lint(NULL, "ALTER TABLE unknown ALTER COLUMN c TYPE text;");
	assert_non_null(strstr(find("changing-column-type")->message, "not known"));
}

static void test_not_null_needs_validated_check(void **state)
{
	(void)state;
	lint("CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT c CHECK (n IS NOT NULL) NOT "
	     "VALID;",
	     "ALTER TABLE t ALTER COLUMN n SET NOT NULL;");
	assert_non_null(find("adding-not-nullable-field"));
	lint("CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT c CHECK (n IS NOT NULL) NOT "
	     "VALID;"
	     "ALTER TABLE t VALIDATE CONSTRAINT c;",
	     "ALTER TABLE t ALTER COLUMN n SET NOT NULL;");
	assert_null(find("adding-not-nullable-field"));
}

static void test_transactions(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE t (id bigint, n int);";
	const char *body = "ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID;\n"
			   "ALTER TABLE t VALIDATE CONSTRAINT c;\n";
	/* constraint-missing-not-valid reports it (squawk's id); validate-in-same-transaction
	 * is off by default */
	/* a plain file runs as written: no transaction unless it opens one */
	lint(h, body);
	assert_null(find("constraint-missing-not-valid"));
	settings.assume_in_transaction = true;
	lint(h, body);
	assert_non_null(find("constraint-missing-not-valid"));
	settings.assume_in_transaction = false;
	char *revb = xstrfmt("-- revision: abc\n-- down_revision: none\n-- irreversible: test\n\n"
			     "-- +upgrade\n%s",
			     body);
	lint(h, revb);
	free(revb);
	assert_non_null(find("constraint-missing-not-valid"));
	char *rev = xstrfmt("-- revision: abc\n-- down_revision: none\n-- transaction: false\n"
			    "-- irreversible: test\n\n-- +upgrade\n%s",
			    body);
	lint(h, rev);
	free(rev);
	assert_null(find("constraint-missing-not-valid"));
	lint(h, "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (n);\n");
	assert_null(find("transaction-nesting")); /* a plain file may open its own */
	assert_non_null(find("ban-concurrent-index-creation-in-transaction"));
	assert_non_null(find("ban-uncommitted-transaction"));
	lint(h, "BEGIN;\nBEGIN;\nCOMMIT;\nCOMMIT;\n");
	assert_int_equal(count("transaction-nesting"), 2);
	settings.assume_in_transaction = true;
	lint(h, "BEGIN;\nSELECT 1;\n");
	assert_non_null(find("transaction-nesting"));
	lint(h, "CREATE INDEX CONCURRENTLY i ON t (n);\nSELECT 1;\n");
	assert_non_null(find("ban-concurrent-index-creation-in-transaction"));
	lint(h, "CREATE INDEX CONCURRENTLY i ON t (n);\n");
	assert_null(find("ban-concurrent-index-creation-in-transaction")); /* alone */
	settings.assume_in_transaction = false;
	char *seg = xstrfmt("-- revision: abc\n-- down_revision: none\n-- irreversible: test\n\n"
			    "-- +upgrade\n%s",
			    "ALTER TABLE t ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "
			    "t (n);");
	lint(h, seg);
	free(seg);
	assert_non_null(find("mixed-transaction-segments"));
	assert_null(find("prefer-robust-stmts"));
	lint(h, "CREATE INDEX CONCURRENTLY i ON t (n);");
	assert_non_null(find("prefer-robust-stmts"));
	/* a plain file outside a transaction must be safe to re-run */
	lint(h, "ALTER TABLE t ADD COLUMN a int;");
	assert_non_null(find("prefer-robust-stmts"));
}

static void test_downgrades(void **state)
{
	(void)state;
	lint("CREATE TABLE t (id bigint);",
	     "-- revision: abc\n-- down_revision: none\n\n-- +upgrade\n"
	     "ALTER TABLE t ADD COLUMN a int;\nCREATE TABLE u (id bigint);\n"
	     "CREATE INDEX u_idx ON u (id);\nCREATE EXTENSION pg_trgm;\n\n"
	     "-- +downgrade\nDROP TABLE u;\n");
	assert_int_equal(count("downgrade-incomplete"), 2);
	const struct finding *f = find("downgrade-incomplete");
	assert_non_null(strstr(f->message, "column 't.a'"));
	assert_non_null(strstr(f->hint, "ALTER TABLE t DROP COLUMN IF EXISTS a;"));
	assert_null(find("missing-downgrade"));
	lint(NULL, "-- revision: abc\n-- down_revision: none\n\n-- +upgrade\nCREATE TABLE u (id "
		   "bigint);\n");
	assert_non_null(find("missing-downgrade"));
	lint(NULL, "-- revision: abc\n-- down_revision: none\n-- irreversible: data migration\n\n"
		   "-- +upgrade\nCREATE TABLE u (id bigint);\n");
	assert_null(find("missing-downgrade"));
}

static void test_foreign_keys(void **state)
{
	(void)state;
	const char *h =
	    "CREATE TABLE p (id bigint PRIMARY KEY); CREATE TABLE c (id bigint, p_id bigint);";
	lint(h, "ALTER TABLE c ADD CONSTRAINT c_p_fkey FOREIGN KEY (p_id) REFERENCES p (id) NOT "
		"VALID;");
	assert_null(find("adding-foreign-key-constraint"));
	assert_non_null(find("foreign-key-without-index"));
	lint(h, "ALTER TABLE c ADD CONSTRAINT c_p_fkey FOREIGN KEY (p_id) REFERENCES p (id);");
	assert_non_null(find("adding-foreign-key-constraint"));
}

static void test_vector_indexes(void **state)
{
	(void)state;
	lint(NULL, "CREATE TABLE d (e vector(3));\n"
		   "CREATE INDEX a ON d USING hnsw (e);\n"
		   "CREATE INDEX b ON d USING hnsw (e vector_cosine_ops);\n"
		   "CREATE INDEX c ON d USING ivfflat (e) WITH (lists = 100);\n");
	assert_int_equal(count("vector-index-without-opclass"), 2);
}

static void test_bad_input(void **state)
{
	(void)state;
	lint(NULL, "CREATE TABLE t (a text DEFAULT 'unterminated");
	assert_non_null(find("syntax-error"));
	lint(NULL, "/* unterminated comment");
	assert_non_null(find("syntax-error"));
	lint(NULL, "DO $$ BEGIN IF THEN END $$;");
	assert_non_null(find("syntax-error"));
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "SELECT ");
	for (int i = 0; i < 3000; i++)
		strbuf_addch(&sb, '(');
	strbuf_addch(&sb, '1');
	for (int i = 0; i < 3000; i++)
		strbuf_addch(&sb, ')');
	strbuf_addstr(&sb, ";\nDROP TABLE x;\n");
	lint(NULL, sb.buf); /* deep nesting: a finding or nothing, never a crash */
	assert_non_null(find("ban-drop-table"));
	strbuf_release(&sb);
	lint(NULL, "");
	assert_int_equal(fs.n, 0);
}

/* A revision: header, upgrade `up`, downgrade `down` (NULL: irreversible). */
static char *revision(const char *up, const char *down, bool transactional)
{
	return xstrfmt("-- revision: abc\n-- down_revision: none\n%s%s\n-- +upgrade\n%s\n%s%s",
		       transactional ? "" : "-- transaction: false\n",
		       down ? "" : "-- irreversible: test\n", up, down ? "\n-- +downgrade\n" : "",
		       down ? down : "");
}

static void lint_rev(const char *history, const char *up, const char *down, bool transactional)
{
	char *r = revision(up, down, transactional);
	lint(history, r);
	free(r);
}

/* Locks on the new object are exempt; what a statement does to existing ones is not. */
static void test_same_revision_exemption(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
			"CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);";
	/* a table filled by CREATE TABLE AS: validating its foreign key reads every
	 * copied row while the existing referenced table stays locked */
	lint_rev(h,
		 "CREATE TABLE orders_copy AS SELECT * FROM orders;\n"
		 "ALTER TABLE orders_copy ADD CONSTRAINT orders_copy_customer_fkey FOREIGN KEY "
		 "(customer_id) REFERENCES customers (id);",
		 NULL, true);
	const struct finding *f = find("adding-foreign-key-constraint");
	assert_non_null(f);
	assert_int_equal(f->line, 7);
	assert_non_null(strstr(f->message, "SHARE ROW EXCLUSIVE"));
	/* filled by INSERT (a data statement, only syntax-checked) */
	lint_rev(h,
		 "CREATE TABLE notes (id bigint, customer_id bigint);\n"
		 "INSERT INTO public.\"notes\" (id, customer_id) SELECT id, customer_id FROM orders;\n"
		 "ALTER TABLE notes ADD CONSTRAINT notes_customer_fkey FOREIGN KEY (customer_id) "
		 "REFERENCES customers (id);",
		 NULL, true);
	assert_non_null(find("adding-foreign-key-constraint"));
	/* an empty new table: nothing to validate */
	lint_rev(h,
		 "CREATE TABLE notes (id bigint, customer_id bigint);\n"
		 "ALTER TABLE notes ADD CONSTRAINT notes_customer_fkey FOREIGN KEY (customer_id) "
		 "REFERENCES customers (id);",
		 NULL, true);
	assert_null(find("adding-foreign-key-constraint"));
	/* a column added in this revision to an existing table: SET NOT NULL and a
	 * type change still read the existing table's rows */
	lint_rev(h,
		 "ALTER TABLE orders ADD COLUMN status text;\n"
		 "UPDATE orders SET status = 'open';\n"
		 "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n"
		 "ALTER TABLE orders ALTER COLUMN status TYPE varchar(10);",
		 NULL, true);
	f = find("adding-not-nullable-field");
	assert_non_null(f);
	assert_int_equal(f->line, 8);
	assert_non_null(strstr(f->message, "ACCESS EXCLUSIVE"));
	assert_non_null(find("changing-column-type"));
	/* but dropping or renaming it breaks no running code */
	lint_rev(h, "ALTER TABLE orders ADD COLUMN tmp text;\nALTER TABLE orders RENAME COLUMN tmp TO t2;\n"
		    "ALTER TABLE orders DROP COLUMN t2;", NULL, true);
	assert_null(find("renaming-column"));
	assert_null(find("ban-drop-column"));
}

/* timestamp -> timestamptz is not a rewrite in a UTC session (PostgreSQL 12+). */
static void test_utc_session(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE ev (id bigint, at timestamp);";
	lint_rev(h, "ALTER TABLE ev ALTER COLUMN at TYPE timestamptz;", NULL, true);
	assert_non_null(find("changing-column-type"));
	lint_rev(h, "SET TIME ZONE 'UTC';\nALTER TABLE ev ALTER COLUMN at TYPE timestamptz;", NULL,
		 true);
	assert_null(find("changing-column-type"));
	lint_rev(h, "SET timezone = 'Etc/UTC';\nALTER TABLE ev ALTER COLUMN at TYPE timestamptz;",
		 NULL, true);
	assert_null(find("changing-column-type"));
	lint_rev(h, "SET TIME ZONE 'Europe/Paris';\nALTER TABLE ev ALTER COLUMN at TYPE timestamptz;",
		 NULL, true);
	assert_non_null(find("changing-column-type"));
	assert_int_equal(lint_settings_set_pg_version(&settings, "11"), 0);
	lint_rev(h, "SET TIME ZONE 'UTC';\nALTER TABLE ev ALTER COLUMN at TYPE timestamptz;", NULL,
		 true);
	assert_non_null(find("changing-column-type")); /* PostgreSQL 11 rewrites */
}

/* What PostgreSQL drops implicitly needs no DROP in the downgrade. */
static void test_downgrade_implicit_drops(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE t (id bigint);";
	/* an index and a constraint go with their column */
	lint_rev(h,
		 "ALTER TABLE t ADD COLUMN code text;\nCREATE INDEX t_code_idx ON t (code);\n"
		 "ALTER TABLE t ADD CONSTRAINT t_code_check CHECK (code <> '');",
		 "ALTER TABLE t DROP COLUMN code;", true);
	assert_null(find("downgrade-incomplete"));
	/* a sequence OWNED BY a dropped table or column */
	lint_rev(h, "CREATE TABLE u (n bigint);\nCREATE SEQUENCE u_n_seq OWNED BY u.n;\n"
		    "ALTER TABLE t ADD COLUMN k bigint;\nCREATE SEQUENCE t_k_seq OWNED BY t.k;",
		 "DROP TABLE u;\nALTER TABLE t DROP COLUMN k;", true);
	assert_null(find("downgrade-incomplete"));
	/* everything under DROP ... CASCADE: views reading the table, a schema's objects */
	lint_rev(h,
		 "CREATE TABLE u (n bigint);\nCREATE VIEW v AS SELECT n FROM u;\n"
		 "CREATE SCHEMA app;\nCREATE TABLE app.x (id bigint);\nCREATE FUNCTION app.f() "
		 "RETURNS int LANGUAGE sql AS 'SELECT 1';",
		 "DROP TABLE u CASCADE;\nDROP SCHEMA app CASCADE;", true);
	assert_null(find("downgrade-incomplete"));
	/* objects of a renamed table */
	lint_rev(h,
		 "CREATE TABLE draft (id bigint);\nCREATE INDEX draft_id_idx ON draft (id);\n"
		 "ALTER TABLE draft RENAME TO final;",
		 "DROP TABLE final;", true);
	assert_null(find("downgrade-incomplete"));
	/* a trigger and a policy go with their table; a function does not */
	lint_rev(h,
		 "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; "
		 "END $$;\nCREATE TABLE w (id bigint);\nCREATE TRIGGER w_audit AFTER INSERT ON w FOR "
		 "EACH ROW EXECUTE FUNCTION audit();\nCREATE POLICY w_own ON w USING (true);\n"
		 "CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit();",
		 "DROP TABLE w;", true);
	assert_int_equal(count("downgrade-incomplete"), 2);
	const struct finding *f = find("downgrade-incomplete");
	assert_non_null(strstr(f->message, "function 'audit'"));
	assert_non_null(strstr(fs.v[1].message, "trigger 't.t_audit'"));
	assert_non_null(strstr(fs.v[1].hint, "DROP TRIGGER IF EXISTS t_audit ON t;"));
}

/* Two rules that were too eager about transactions and locks. */
static void test_transaction_rules(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE t (id bigint, n int);";
	/* a table this revision created: nobody else sees the validation */
	lint_rev(h,
		 "CREATE TABLE fresh (n int);\nALTER TABLE fresh ADD CONSTRAINT fresh_n CHECK (n > 0) "
		 "NOT VALID;\nALTER TABLE fresh VALIDATE CONSTRAINT fresh_n;",
		 NULL, true);
	assert_null(find("constraint-missing-not-valid"));
	assert_int_equal(lint_settings_set(&settings, "validate-in-same-transaction", "error"), 0);
	lint_rev(h,
		 "CREATE TABLE fresh (n int);\nALTER TABLE fresh ADD CONSTRAINT fresh_n CHECK (n > 0) "
		 "NOT VALID;\nALTER TABLE fresh VALIDATE CONSTRAINT fresh_n;",
		 NULL, true);
	assert_null(find("validate-in-same-transaction"));
	/* cheap statements on the table already locked: no finding */
	lint_rev(h,
		 "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t RENAME COLUMN a TO b;\n"
		 "COMMENT ON COLUMN t.b IS 'b';\nALTER TABLE t ALTER COLUMN b SET DEFAULT 0;",
		 NULL, true);
	assert_null(find("statements-after-access-exclusive"));
	/* work while holding it: reported once */
	lint_rev(h,
		 "ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 0;\nUPDATE t SET a = 1;", NULL,
		 true);
	assert_int_equal(count("statements-after-access-exclusive"), 1);
	/* ADD CONSTRAINT in a revision that runs statement by statement */
	lint_rev(h, "ALTER TABLE t ADD CONSTRAINT t_n CHECK (n > 0) NOT VALID;", NULL, false);
	const struct finding *f = find("prefer-robust-stmts");
	assert_non_null(f);
	assert_int_equal(f->column, 15); /* the clause */
	lint_rev(h,
		 "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_n;\nALTER TABLE t ADD CONSTRAINT t_n "
		 "CHECK (n > 0) NOT VALID;",
		 NULL, false);
	assert_null(find("prefer-robust-stmts"));
}

static void test_names_and_forms(void **state)
{
	(void)state;
	/* 32 two-byte letters are 64 bytes: PostgreSQL cuts the name */
	char *name = xcalloc(1, 65);
	for (int i = 0; i < 32; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	char *sql = xstrfmt("CREATE TABLE t_%s (id bigint);\nDROP TABLE IF EXISTS x%s;", name,
			    name);
	lint(NULL, sql);
	assert_int_equal(count("identifier-too-long"), 2);
	free(sql);
	name[62] = '\0'; /* 31 letters, 62 bytes */
	sql = xstrfmt("CREATE TABLE %s (id bigint);", name);
	lint(NULL, sql);
	assert_null(find("identifier-too-long"));
	free(sql);
	free(name);
	/* not a rewrite, not concurrent-capable, not a table */
	lint("CREATE TABLE t (id bigint);", "VACUUM (FULL false) t;\nREINDEX SYSTEM app;\n"
					    "CREATE TYPE pair AS (a int, b smallint, c varchar(5));");
	assert_null(find("prefer-pg-repack"));
	assert_null(find("require-concurrent-reindex"));
	assert_null(find("prefer-bigint-over-int"));
	assert_null(find("prefer-bigint-over-smallint"));
	assert_null(find("prefer-text-field"));
	lint("CREATE TABLE t (id bigint);", "VACUUM FULL t;\nCLUSTER t;");
	assert_int_equal(count("prefer-pg-repack"), 2);
	assert_null(find("prefer-repack"));
	assert_int_equal(lint_settings_set_pg_version(&settings, "19"), 0);
	lint("CREATE TABLE t (id bigint);", "VACUUM FULL t;\nCLUSTER t;");
	assert_int_equal(count("prefer-repack"), 2);
	assert_null(find("prefer-pg-repack"));
}

/* The linter's own splitter cuts where libpg_query's scanner-based one does. */
static void test_split_like_libpg_query(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "SELECT 1; SELECT 2",
	    "-- lead\nSELECT 'a;b' /* c; */ , $$x;y$$, $t$ $$ ; $t$;\n\n;; SELECT E'\\';' ;",
	    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\n"
	    "SELECT \"a;\"\"b\" FROM t -- x;\n;",
	    "/* outer /* inner; */ still; */ SELECT 3 ; /* trailing */",
	    "SELECT $1::int; SELECT a$b FROM t; SELECT 'it''s; fine'",
	};
	for (size_t k = 0; k < ARRAY_SIZE(texts); k++) {
		const char *t = texts[k];
		struct sql_script ours = SQL_SCRIPT_INIT, theirs = SQL_SCRIPT_INIT;
		struct sql_error err = {0, NULL}, gap = {0, NULL};
		assert_int_equal(lint_split(t, 0, strlen(t), &ours, &err, &gap), 0);
		assert_int_equal(sql_split(t, 0, strlen(t), &theirs, &err), 0);
		assert_int_equal(ours.n, theirs.n);
		for (size_t i = 0; i < ours.n; i++) {
			assert_int_equal(ours.v[i].start, theirs.v[i].start);
			assert_int_equal(ours.v[i].len, theirs.v[i].len);
		}
		sql_script_release(&ours);
		sql_script_release(&theirs);
		sql_error_release(&err);
		sql_error_release(&gap);
	}
}

/* With the default rules, data statements are only syntax-checked: no rule
 * may subscribe to a kind that would make the engine build their trees. */
static void test_data_statements_stay_light(void **state)
{
	(void)state;
	struct lint_engine *eng = lint_engine_new(&settings);
	assert_true(lint_engine_light_ok(eng));
	lint_engine_free(eng);
}

/* Findings point at the clause, as squawk's do. */
static void test_clause_positions(void **state)
{
	(void)state;
	lint("CREATE TABLE t (id bigint, a int, b int);",
	     "ALTER TABLE t ADD COLUMN c text,\n  DROP COLUMN a,\n  ALTER COLUMN b TYPE bigint;");
	const struct finding *f = find("ban-drop-column");
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 3);
	f = find("changing-column-type");
	assert_int_equal(f->line, 3);
	assert_int_equal(f->column, 3);
}

/* A whole-table UPDATE or DELETE in a migration is a backfill, not an accident. */
static void test_backfills(void **state)
{
	(void)state;
	lint("CREATE TABLE t (id bigint, a int);", "UPDATE t SET a = 0;\nDELETE FROM t;");
	assert_int_equal(find("update-without-where")->severity, SEV_INFO);
	assert_non_null(strstr(find("update-without-where")->hint, "batches"));
	assert_int_equal(find("delete-without-where")->severity, SEV_WARNING);
}

/* Statements in DO blocks are linted at their own line, with the catalog. */
static void test_do_blocks(void **state)
{
	(void)state;
	const char *h = "CREATE TABLE docs (id bigint, body text);";
	lint_rev(h,
		 "DO $$ BEGIN ALTER TABLE docs ADD COLUMN n int NOT NULL; CREATE INDEX docs_n ON "
		 "docs (n); DROP TABLE docs; END $$;",
		 NULL, true);
	assert_non_null(find("adding-required-field"));
	assert_non_null(find("require-concurrent-index-creation"));
	assert_non_null(find("ban-drop-table"));
	assert_int_equal(find("ban-drop-table")->line, 6);
	assert_int_equal(find("ban-drop-table")->column, 90);
	/* conditional DDL, and EXECUTE of a constant string, at their own line */
	lint_rev(h,
		 "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'x') "
		 "THEN\n    CREATE INDEX docs_body ON docs (body);\n  END IF;\n"
		 "  EXECUTE 'ALTER TABLE docs ALTER COLUMN id TYPE int';\nEND $$;",
		 NULL, true);
	assert_int_equal(find("require-concurrent-index-creation")->line, 9);
	const struct finding *f = find("changing-column-type");
	assert_non_null(f);
	assert_int_equal(f->line, 11);
	assert_non_null(strstr(f->message, "from bigint to integer")); /* the catalog knew */
	/* a function is code that runs later, unless the revision calls it */
	const char *fn = "CREATE FUNCTION mig() RETURNS void LANGUAGE plpgsql AS $f$\nBEGIN\n"
			 "  CREATE INDEX docs_id ON docs (id);\nEND $f$;";
	lint_rev(h, fn, NULL, true);
	assert_null(find("require-concurrent-index-creation"));
	char *called = xstrfmt("%s\nSELECT mig();", fn);
	lint_rev(h, called, NULL, true);
	free(called);
	assert_int_equal(find("require-concurrent-index-creation")->line, 8);
	/* what the DO block created is known to later statements and revisions */
	lint_rev(h, "DO $$ BEGIN CREATE TABLE fresh (id bigint); END $$;\nCREATE INDEX fresh_id "
		    "ON fresh (id);", NULL, true);
	assert_null(find("require-concurrent-index-creation"));
}


int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_positions_in_the_file),
	    T(test_syntax_error_position),
	    T(test_ignore_comments),
	    T(test_trailing_ignore_comments),
	    T(test_severity_overrides),
	    T(test_new_tables_are_exempt),
	    T(test_volatile_defaults),
	    T(test_type_changes_by_old_type),
	    T(test_not_null_needs_validated_check),
	    T(test_transactions),
	    T(test_downgrades),
	    T(test_foreign_keys),
	    T(test_vector_indexes),
	    T(test_bad_input),
	    T(test_same_revision_exemption),
	    T(test_utc_session),
	    T(test_downgrade_implicit_drops),
	    T(test_transaction_rules),
	    T(test_names_and_forms),
	    T(test_clause_positions),
	    T(test_data_statements_stay_light),
	    T(test_split_like_libpg_query),
	    T(test_backfills),
	    T(test_do_blocks),
	};
	int rc = cmocka_run_group_tests_name("lint engine", tests, NULL, NULL);
	sql_shutdown();
	return rc;
}
