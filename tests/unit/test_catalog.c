/* The catalog replayed from DDL: tables, columns, constraints, indexes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/xalloc.h"
#include "sql/ddl.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

static struct catalog cat;

static void apply(const char *sql, unsigned origin)
{
	struct sql_script script = SQL_SCRIPT_INIT;
	struct sql_error err = {0, NULL};
	assert_int_equal(sql_split(sql, 0, strlen(sql), &script, &err), 0);
	for (size_t i = 0; i < script.n; i++) {
		struct sql_tree *t = NULL;
		assert_int_equal(sql_parse(sql, script.v[i].start, script.v[i].len, &t, &err), 0);
		for (size_t k = 0; k < t->result->n_stmts; k++) {
			struct ddl_stmt d;
			ddl_stmt_init(&d);
			ddl_describe(t->result->stmts[k]->stmt, NULL, NULL, NULL, &d);
			catalog_apply(&cat, &d, origin);
			ddl_stmt_release(&d);
		}
		sql_tree_free(t);
	}
	sql_script_release(&script);
	sql_error_release(&err);
}

static int setup(void **state)
{
	(void)state;
	catalog_init(&cat);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	catalog_release(&cat);
	return 0;
}

static void test_columns(void **state)
{
	(void)state;
	apply("CREATE TABLE public.t (id serial PRIMARY KEY, name varchar(50) NOT NULL, "
	      "price numeric(10,2) DEFAULT 0, at timestamp with time zone, tags text[]);",
	      1);
	const struct cat_table *t = catalog_table(&cat, "t");
	assert_non_null(t);
	assert_int_equal(t->origin, 1);
	assert_false(t->partitioned);
	const struct cat_column *c = catalog_column(t, "id");
	assert_string_equal(c->type.name, "int4");
	assert_true(c->not_null);
	assert_true(c->has_default);
	c = catalog_column(t, "name");
	assert_string_equal(c->type.name, "varchar");
	assert_int_equal(c->type.nmods, 1);
	assert_int_equal(c->type.mods[0], 50);
	assert_true(c->not_null);
	c = catalog_column(t, "price");
	assert_int_equal(c->type.nmods, 2);
	assert_true(c->has_default);
	char *s = sql_type_str(&c->type);
	assert_string_equal(s, "numeric(10,2)");
	free(s);
	assert_string_equal(catalog_column(t, "at")->type.name, "timestamptz");
	assert_int_equal(catalog_column(t, "tags")->type.array_dims, 1);
}

static void test_alter_and_rename(void **state)
{
	(void)state;
	apply("CREATE TABLE t (id bigint, a text);", 1);
	apply("ALTER TABLE t ADD COLUMN b integer NOT NULL DEFAULT 0, DROP COLUMN a;"
	      "ALTER TABLE t ALTER COLUMN b TYPE bigint;"
	      "ALTER TABLE t RENAME COLUMN b TO c;"
	      "ALTER TABLE t RENAME TO u;",
	      2);
	assert_null(catalog_table(&cat, "t"));
	const struct cat_table *u = catalog_table(&cat, "u");
	assert_non_null(u);
	assert_null(catalog_column(u, "a"));
	assert_null(catalog_column(u, "b"));
	const struct cat_column *c = catalog_column(u, "c");
	assert_non_null(c);
	assert_string_equal(c->type.name, "int8");
	assert_int_equal(c->origin, 2);
	assert_int_equal(u->origin, 1);
}

static void test_constraints(void **state)
{
	(void)state;
	apply("CREATE TABLE t (id bigint, n int);"
	      "ALTER TABLE t ADD CONSTRAINT n_nn CHECK (n IS NOT NULL) NOT VALID;",
	      1);
	const struct cat_table *t = catalog_table(&cat, "t");
	assert_false(catalog_has_not_null_check(t, "n"));
	assert_false(catalog_constraint(t, "n_nn")->validated);
	apply("ALTER TABLE t VALIDATE CONSTRAINT n_nn;", 2);
	assert_true(catalog_has_not_null_check(t, "n"));
	apply("ALTER TABLE t DROP CONSTRAINT n_nn;", 3);
	assert_null(catalog_constraint(t, "n_nn"));
}

static void test_indexes(void **state)
{
	(void)state;
	apply("CREATE TABLE t (id bigint PRIMARY KEY, a bigint, b bigint);"
	      "CREATE INDEX t_ab_idx ON t (a, b);",
	      1);
	const struct cat_table *t = catalog_table(&cat, "t");
	struct strlist cols = STRLIST_INIT;
	strlist_push(&cols, "a");
	assert_true(catalog_has_index_on(&cat, t, &cols));
	strlist_release(&cols);
	strlist_push(&cols, "b");
	assert_false(catalog_has_index_on(&cat, t, &cols)); /* not a prefix */
	strlist_release(&cols);
	strlist_push(&cols, "id");
	assert_true(catalog_has_index_on(&cat, t, &cols)); /* the primary key */
	strlist_release(&cols);
	assert_non_null(catalog_index(&cat, "t_ab_idx"));
	apply("ALTER INDEX t_ab_idx RENAME TO t_a_b_idx;", 2);
	assert_null(catalog_index(&cat, "t_ab_idx"));
	assert_non_null(catalog_index(&cat, "t_a_b_idx"));
	apply("DROP TABLE t;", 3);
	assert_null(catalog_table(&cat, "t"));
	assert_null(catalog_index(&cat, "t_a_b_idx"));
}

static void test_partitions_and_schemas(void **state)
{
	(void)state;
	apply("CREATE TABLE ev (id bigint NOT NULL, at timestamptz) PARTITION BY RANGE (at);"
	      "CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO "
	      "('2026-01-01');"
	      "CREATE TABLE audit.log (id bigint);",
	      1);
	assert_true(catalog_table(&cat, "ev")->partitioned);
	const struct cat_table *p = catalog_table(&cat, "ev_2025");
	assert_string_equal(p->partition_of, "ev");
	assert_true(catalog_column(p, "id")->not_null);
	assert_non_null(catalog_table(&cat, "audit.log"));
	assert_null(catalog_table(&cat, "log"));
}

static void test_snapshot_round_trip(void **state)
{
	(void)state;
	apply("CREATE TABLE ev (id bigint NOT NULL, at timestamptz) PARTITION BY RANGE (at);"
	      "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
	      "CREATE TABLE \"we\tird\" (n numeric(10,2)[] DEFAULT '{}', p bigint REFERENCES ev_1 "
	      "(id),"
	      " CONSTRAINT n_nn CHECK (n IS NOT NULL));"
	      "CREATE UNIQUE INDEX w_p_idx ON \"we\tird\" (p);"
	      "CREATE TABLE gone (id int); DROP TABLE gone;",
	      1);
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	catalog_save(&cat, &a);
	struct catalog copy;
	catalog_init(&copy);
	assert_int_equal(catalog_load(&copy, a.buf, a.len, 7), 0);
	catalog_save(&copy, &b);
	assert_string_equal(a.buf, b.buf);
	const struct cat_table *t = catalog_table(&copy, "we\tird");
	assert_non_null(t);
	assert_int_equal(t->origin, 7);
	assert_true(catalog_has_not_null_check(t, "n"));
	assert_int_equal(catalog_column(t, "n")->type.mods[1], 2);
	assert_non_null(catalog_index(&copy, "w_p_idx"));
	assert_null(catalog_table(&copy, "gone"));
	assert_string_equal(catalog_table(&copy, "ev_1")->partition_of, "ev");
	catalog_release(&copy);
	/* damaged or foreign text is refused, leaving an empty catalog */
	catalog_init(&copy);
	strbuf_setlen(&a, a.len / 2);
	strbuf_addstr(&a, "\tgarbage");
	assert_true(catalog_load(&copy, a.buf, a.len, 1) < 0);
	assert_int_equal(copy.ntables, 0);
	assert_true(catalog_load(&copy, "hello", 5, 1) < 0);
	catalog_release(&copy);
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alter_and_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indexes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partitions_and_schemas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
	sql_shutdown();
	return rc;
}
