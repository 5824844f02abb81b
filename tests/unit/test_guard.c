/* The guard's pure parts: touched objects, rebase plans, blob ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "git/gitrepo.h"
#include "graph/graph.h"
#include "guard/rebase.h"
#include "guard/touched.h"
#include "match/match.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

static struct matcher *pattern;

static struct revision *make_rev(struct revset *set, const char *name, const char *id,
				 const char *parents, const char *upgrade)
{
	struct findings fs = FINDINGS_INIT;
	char *text = xstrfmt("-- revision: %s\n-- down_revision: %s\n-- message: m\n\n"
			     "-- +upgrade\n%s\n\n-- +downgrade\n",
			     id, parents, upgrade);
	revset_add_text(set, name, text, strlen(text), pattern, &fs);
	findings_release(&fs);
	return set->v[set->n - 1];
}

static bool touches(const struct touched_set *t, const char *object)
{
	return touched_find(t, object) != NULL;
}

static void test_touched(void **state)
{
	(void)state;
	struct revset set = REVSET_INIT;
	struct touched_set t = TOUCHED_SET_INIT;
	const struct revision *r = make_rev(
		&set, "20250101_0000_a_a.sql", "a", "none",
		"CREATE TABLE public.orders (id bigint);\n"
		"ALTER TABLE orders ADD COLUMN status text, ALTER COLUMN id SET NOT NULL;\n"
		"CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
		"ALTER TABLE clients RENAME COLUMN name TO full_name;\n"
		"DROP INDEX IF EXISTS old_idx;\n"
		"DROP TABLE audit.events;\n"
		"UPDATE invoices SET paid = true;\n"
		"ALTER TABLE orders DROP CONSTRAINT orders_fk;\n"
		"SELECT 1;\n");
	touched_collect(r, &t);
	assert_true(touches(&t, "table orders")); /* public. is implied */
	assert_true(touches(&t, "column orders.status"));
	assert_true(touches(&t, "column orders.id"));
	assert_true(touches(&t, "index orders_status_idx"));
	assert_true(touches(&t, "column clients.name"));
	assert_true(touches(&t, "column clients.full_name"));
	assert_true(touches(&t, "index old_idx"));
	assert_true(touches(&t, "table audit.events"));
	assert_true(touches(&t, "table invoices"));
	assert_false(touches(&t, "column orders.orders_fk"));
	/* each object once, at the first statement touching it */
	size_t n = 0;
	for (size_t i = 0; i < t.n; i++)
		n += !strcmp(t.v[i].object, "table orders");
	assert_int_equal(n, 1);
	assert_int_equal(touched_find(&t, "table orders")->offset, r->upgrade.start);
	touched_set_release(&t);

	/* functions, types, sequences, views, triggers, policies, extensions too */
	r = make_rev(&set, "20250101_0002_c_c.sql", "c", "a",
		     "CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS "
		     "$$ BEGIN RETURN NEW; END $$;\n"
		     "CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE "
		     "FUNCTION app.touch();\n"
		     "CREATE POLICY own ON orders USING (true);\n"
		     "ALTER TYPE mood ADD VALUE 'meh';\nCREATE SEQUENCE order_no;\n"
		     "CREATE MATERIALIZED VIEW totals AS SELECT 1;\nDROP VIEW IF EXISTS v;\n"
		     "CREATE EXTENSION IF NOT EXISTS vector;\n"
		     "ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status <> '');");
	touched_collect(r, &t);
	assert_true(touches(&t, "function app.touch"));
	assert_true(touches(&t, "trigger orders.orders_touch"));
	assert_true(touches(&t, "policy orders.own"));
	assert_true(touches(&t, "type mood"));
	assert_true(touches(&t, "sequence order_no"));
	assert_true(touches(&t, "materialized view totals"));
	assert_true(touches(&t, "view v"));
	assert_true(touches(&t, "extension vector"));
	assert_true(touches(&t, "constraint orders.orders_status_check"));
	touched_set_release(&t);

	/* a statement that does not parse adds nothing, the others still count */
	r = make_rev(&set, "20250101_0001_b_b.sql", "b", "a",
		     "CREATE TABLE x (id int,);\nINSERT INTO y VALUES (1);");
	touched_collect(r, &t);
	assert_false(touches(&t, "table x"));
	assert_true(touches(&t, "table y"));
	touched_set_release(&t);
	revset_release(&set);
}

static const struct rebase_step *step_of(const struct rebase_plan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].rev->id, id))
			return &p->v[i];
	return NULL;
}

static void test_rebase_plan(void **state)
{
	(void)state;
	struct revset ours = REVSET_INIT, base = REVSET_INIT;
	struct findings fs = FINDINGS_INIT;
	/* ours: a - b - c - e (c, e: this branch); base: a - b - d */
	make_rev(&ours, "20250101_0000_a_a.sql", "a", "none", "");
	make_rev(&ours, "20250101_0001_b_b.sql", "b", "a", "");
	make_rev(&ours, "20250101_0002_c_c.sql", "c", "b", "");
	make_rev(&ours, "20250101_0003_e_e.sql", "e", "c", "");
	make_rev(&base, "20250101_0000_a_a.sql", "a", "none", "");
	make_rev(&base, "20250101_0001_b_b.sql", "b", "a", "");
	make_rev(&base, "20250102_0000_d_d.sql", "d", "b", "");
	struct graph g = GRAPH_INIT;
	graph_build(&g, ours.v, ours.n, &fs);
	struct rebase_plan p = REBASE_PLAN_INIT;
	assert_int_equal(rebase_plan_make(&p, LAYOUT_REVGATE, &g, &base, 1767225600), 0);
	assert_string_equal(p.onto, "d");
	assert_false(p.onto_present);
	assert_int_equal(p.unapplied, 2);
	/* only c moves: e already follows c */
	assert_int_equal(p.n, 1);
	const struct rebase_step *s = step_of(&p, "c");
	assert_non_null(s);
	assert_string_equal(s->old_parents, "b");
	assert_string_equal(s->new_parent, "d");
	assert_string_equal(s->new_name, "20260101_0000_c_c.sql");
	assert_null(step_of(&p, "a"));
	assert_null(step_of(&p, "b"));
	rebase_plan_release(&p);

	/* two siblings on this branch become a chain, one minute apart */
	graph_release(&g);
	make_rev(&ours, "20250101_0004_f_f.sql", "f", "b", "");
	graph_build(&g, ours.v, ours.n, &fs);
	assert_int_equal(rebase_plan_make(&p, LAYOUT_REVGATE, &g, &base, 1767225600), 0);
	assert_int_equal(p.unapplied, 3);
	assert_int_equal(p.n, 2);
	const struct rebase_step *sc = step_of(&p, "c"), *sf = step_of(&p, "f");
	assert_non_null(sc);
	assert_non_null(sf);
	assert_true(!strcmp(sf->new_parent, "e") || !strcmp(sf->new_parent, "d"));
	assert_string_not_equal(sc->new_name, sf->new_name);
	rebase_plan_release(&p);

	/* a base with two heads is refused */
	make_rev(&base, "20250102_0001_x_x.sql", "x", "b", "");
	assert_int_equal(rebase_plan_make(&p, LAYOUT_REVGATE, &g, &base, 1767225600), ERR_GRAPH);
	assert_non_null(strstr(err_msg(), "2 heads"));
	rebase_plan_release(&p);
	graph_release(&g);
	findings_release(&fs);
	revset_release(&ours);
	revset_release(&base);
}

static void test_rebase_name_without_stamp(void **state)
{
	(void)state;
	struct revset ours = REVSET_INIT, base = REVSET_INIT;
	struct findings fs = FINDINGS_INIT;
	make_rev(&ours, "20250101_0000_a_a.sql", "a", "none", "");
	make_rev(&ours, "add_things.sql", "c", "a", "");
	make_rev(&base, "20250101_0000_a_a.sql", "a", "none", "");
	make_rev(&base, "20250101_0001_d_d.sql", "d", "a", "");
	struct graph g = GRAPH_INIT;
	graph_build(&g, ours.v, ours.n, &fs);
	struct rebase_plan p = REBASE_PLAN_INIT;
	assert_int_equal(rebase_plan_make(&p, LAYOUT_REVGATE, &g, &base, 1767225600), 0);
	assert_int_equal(p.n, 1);
	assert_null(p.v[0].new_name); /* no time stamp to renew: the name stays */
	rebase_plan_release(&p);
	graph_release(&g);
	findings_release(&fs);
	revset_release(&ours);
	revset_release(&base);
}

static void test_blob_ids(void **state)
{
	(void)state;
	struct objid id;
	char hex[OBJID_HEXSZ + 1];
	/* what 'printf "hello\n" | git hash-object --stdin' prints */
	objid_hash_blob("hello\n", 6, &id);
	objid_hex(&id, hex);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	objid_hash_blob("", 0, &id);
	objid_hex(&id, hex);
	assert_string_equal(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	assert_false(objid_is_zero(&id));
	gitrepo_global_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_touched),
		cmocka_unit_test(test_rebase_plan),
		cmocka_unit_test(test_rebase_name_without_stamp),
		cmocka_unit_test(test_blob_ids),
	};
	if (matcher_compile(&pattern, revision_default_name_pattern, "pattern") < 0)
		return 1;
	int failed = cmocka_run_group_tests_name("guard", tests, NULL, NULL);
	matcher_free(pattern);
	return failed;
}
