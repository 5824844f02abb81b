/* The libpg_query wrapper: statement offsets, error positions, tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/textpos.h"
#include "sql/plpgsql.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

static void test_split_offsets(void **state)
{
	(void)state;
	const char *text = "-- header\n-- +upgrade\nCREATE TABLE a (id int);\n-- note\n"
			   "/* block */ ALTER TABLE a ADD c text ;\n\n;\nSELECT 'x;y'";
	size_t start = 22; /* after the marker line */
	struct sql_script s = SQL_SCRIPT_INIT;
	struct sql_error e = {0};
	assert_int_equal(sql_split(text, start, strlen(text), &s, &e), 0);
	assert_int_equal(s.n, 3);
	assert_memory_equal(text + s.v[0].start, "CREATE TABLE a (id int)", s.v[0].len);
	assert_int_equal(s.v[0].len, strlen("CREATE TABLE a (id int)"));
	assert_memory_equal(text + s.v[1].start, "ALTER TABLE a ADD c text", s.v[1].len);
	assert_int_equal(s.v[1].len, strlen("ALTER TABLE a ADD c text"));
	assert_memory_equal(text + s.v[2].start, "SELECT 'x;y'", s.v[2].len);
	sql_script_release(&s);
}

static void test_split_keeps_what_the_splitter_drops(void **state)
{
	(void)state;
	const char *text = "SELEC 1;\nSELECT 2;\nCREATE TABLE x (;\nINSERT INTO t VALUES (1);";
	struct sql_script s = SQL_SCRIPT_INIT;
	struct sql_error e = {0};
	assert_int_equal(sql_split(text, 0, strlen(text), &s, &e), 0);
	assert_int_equal(s.n, 4);
	assert_memory_equal(text + s.v[0].start, "SELEC 1", s.v[0].len);
	assert_memory_equal(text + s.v[1].start, "SELECT 2", s.v[1].len);
	assert_memory_equal(text + s.v[2].start, "CREATE TABLE x (", s.v[2].len);
	assert_memory_equal(text + s.v[3].start, "INSERT INTO t VALUES (1)", s.v[3].len);
	sql_script_release(&s);
}

static void test_split_begin_atomic(void **state)
{
	(void)state;
	const char *text = "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\n"
			   "BEGIN ATOMIC\n  SELECT a + b;\nEND;\nSELECT 1;";
	struct sql_script s = SQL_SCRIPT_INIT;
	struct sql_error e = {0};
	assert_int_equal(sql_split(text, 0, strlen(text), &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].len, (size_t)(strstr(text, "END;") + 3 - text));
	assert_memory_equal(text + s.v[1].start, "SELECT 1", 8);
	sql_script_release(&s);
}

static void test_deep_expression_is_refused_not_crashed(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "SELECT 1");
	for (int i = 0; i < 50000; i++)
		strbuf_addstr(&sb, "+1");
	struct sql_tree *t = NULL;
	struct sql_error e = {0};
	assert_int_equal(sql_parse(sb.buf, 0, sb.len, &t, &e), ERR_CHECK);
	assert_null(t);
	assert_non_null(strstr(e.message, "nested too deeply"));
	sql_error_release(&e);
	/* a long but flat statement still parses */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "INSERT INTO t VALUES (-1)");
	for (int i = 0; i < 20000; i++)
		strbuf_addstr(&sb, ", (-1 + 2)");
	assert_int_equal(sql_parse(sb.buf, 0, sb.len, &t, &e), 0);
	sql_tree_free(t);
	strbuf_release(&sb);
}

static void test_parse_error_position(void **state)
{
	(void)state;
	const char *text = "-- +upgrade\nCREATE TABLE é (id int);\nALTER TABLE t ADD COLUMN;\n";
	struct sql_script s = SQL_SCRIPT_INIT;
	struct sql_error e = {0};
	assert_int_equal(sql_split(text, 12, strlen(text), &s, &e), 0);
	assert_int_equal(s.n, 2);
	struct sql_tree *t = NULL;
	assert_int_equal(sql_parse(text, s.v[0].start, s.v[0].len, &t, &e), 0);
	assert_non_null(t);
	assert_int_equal(t->result->n_stmts, 1);
	sql_tree_free(t);
	assert_int_equal(sql_parse(text, s.v[1].start, s.v[1].len, &t, &e), ERR_CHECK);
	assert_null(t);
	unsigned line, col;
	text_pos(text, strlen(text), e.offset, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 25); /* the ';'-less end: after COLUMN */
	assert_non_null(strstr(e.message, "syntax error"));
	sql_error_release(&e);
	sql_script_release(&s);
}

static void test_scan_comments_and_stream(void **state)
{
	(void)state;
	const char *a = "CREATE TABLE Foo (id INT) -- c\n;";
	const char *b = "create   table foo /* x */ (id int);";
	const char *c = "create table foo (id bigint);";
	struct sql_tokens toks = SQL_TOKENS_INIT;
	struct sql_error e = {0};
	assert_int_equal(sql_scan(a, 0, strlen(a), &toks, &e), 0);
	bool comment = false;
	for (size_t i = 0; i < toks.n; i++)
		if (toks.v[i].kind == SQL_TOKEN_LINE_COMMENT) {
			comment = true;
			assert_memory_equal(a + toks.v[i].start, "-- c", 4);
		}
	assert_true(comment);
	sql_tokens_release(&toks);
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT, sc = STRBUF_INIT;
	assert_int_equal(sql_token_stream(a, 0, strlen(a), &sa, &e), 0);
	assert_int_equal(sql_token_stream(b, 0, strlen(b), &sb, &e), 0);
	assert_int_equal(sql_token_stream(c, 0, strlen(c), &sc, &e), 0);
	assert_string_equal(sa.buf, sb.buf);
	assert_string_not_equal(sa.buf, sc.buf);
	strbuf_release(&sa);
	strbuf_release(&sb);
	strbuf_release(&sc);
}

static void test_plpgsql(void **state)
{
	(void)state;
	struct sql_error e = {0};
	const char *ok = "DO $$ BEGIN RAISE NOTICE 'hi'; END $$";
	assert_int_equal(sql_check_plpgsql(ok, 0, strlen(ok), &e), 0);
	const char *bad = "\nDO $$\nBEGIN\n  RAISE NOTICE 'hi'\n  PERFORM 1;\nEND $$";
	assert_int_equal(sql_check_plpgsql(bad, 1, strlen(bad) - 1, &e), ERR_CHECK);
	unsigned line, col;
	text_pos(bad, strlen(bad), e.offset, &line, &col);
	assert_int_equal(line, 5);
	assert_int_equal(col, 3);
	sql_error_release(&e);
	const char *fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n"
			 "  RETURN 1\nEND;\n$$";
	assert_int_equal(sql_check_plpgsql(fn, 0, strlen(fn), &e), ERR_CHECK);
	text_pos(fn, strlen(fn), e.offset, &line, &col);
	assert_int_equal(line, 3);
	sql_error_release(&e);
	const char *sqlfn = "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'select 1'";
	assert_int_equal(sql_check_plpgsql(sqlfn, 0, strlen(sqlfn), &e), 0);
}

static bool autocommit(const char *sql)
{
	struct sql_tree *t = NULL;
	struct sql_error e = {0};
	assert_int_equal(sql_parse(sql, 0, strlen(sql), &t, &e), 0);
	bool r = sql_stmt_needs_autocommit(t->result->stmts[0]->stmt);
	sql_tree_free(t);
	return r;
}

static void test_autocommit(void **state)
{
	(void)state;
	assert_true(autocommit("CREATE INDEX CONCURRENTLY i ON t (a)"));
	assert_false(autocommit("CREATE INDEX i ON t (a)"));
	assert_true(autocommit("DROP INDEX CONCURRENTLY i"));
	assert_true(autocommit("REINDEX INDEX CONCURRENTLY i"));
	assert_true(autocommit("ALTER TABLE p DETACH PARTITION c CONCURRENTLY"));
	assert_false(autocommit("ALTER TABLE p DETACH PARTITION c"));
	assert_true(autocommit("VACUUM t"));
	assert_false(autocommit("ANALYZE t"));
	assert_true(autocommit("CREATE DATABASE d"));
	assert_false(autocommit("CREATE TABLE t (id int)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_offsets),
		cmocka_unit_test(test_split_keeps_what_the_splitter_drops),
		cmocka_unit_test(test_split_begin_atomic),
		cmocka_unit_test(test_deep_expression_is_refused_not_crashed),
		cmocka_unit_test(test_parse_error_position),
		cmocka_unit_test(test_scan_comments_and_stream),
		cmocka_unit_test(test_plpgsql),
		cmocka_unit_test(test_autocommit),
	};
	int r = cmocka_run_group_tests_name("sql", tests, NULL, NULL);
	sql_shutdown();
	return r;
}
