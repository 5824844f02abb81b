/* The applier's pure parts: URL redaction, .env lookup, segment planning,
 * Alembic's version-table changes on a small graph, the offline script. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "apply/apply.h"
#include "apply/sqltext.h"
#include "core/err.h"
#include "core/finding.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "graph/graph.h"
#include "match/match.h"
#include "revision/revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_redact(void **state)
{
	(void)state;
	char *r = db_url_redact("postgresql://app:s3cr3t@db.example:5432/app?sslmode=require");
	assert_string_equal(r, "postgresql://app:***@db.example:5432/app?sslmode=require");
	free(r);
	r = db_url_redact("postgresql:///app?host=/tmp&password=hunter22&user=x");
	assert_string_equal(r, "postgresql:///app?host=/tmp&password=***&user=x");
	free(r);
	r = db_url_redact("host=/tmp password='a b' user=x");
	assert_string_equal(r, "host=/tmp password=*** user=x");
	free(r);
	r = db_url_redact("host=/x password=hunter22 application_name=http://svc");
	assert_string_equal(r, "host=/x password=*** application_name=http://svc");
	free(r);
	r = db_url_redact("failed for \"postgres://u:pw1234@h/db\" and password = 'it''s'");
	assert_string_equal(r, "failed for \"postgres://u:***@h/db\" and password=***");
	free(r);
	r = db_url_redact("postgresql://app@db/app");
	assert_string_equal(r, "postgresql://app@db/app");
	free(r);
	/* characters that end a password early in a naive scan, one per class */
	static const char *const cases[][2] = {
	    {"postgresql://app:pa#ss@db/app", "postgresql://app:***@db/app"},
	    {"postgresql://app:pa&ss@db/app", "postgresql://app:***@db/app"},
	    {"postgresql://app:pa?ss@db/app", "postgresql://app:***@db/app"},
	    {"postgresql://app:it's@db/app", "postgresql://app:***@db/app"},
	    {"postgresql://a b:pass word@db/app", "postgresql://a b:***@db/app"},
	    {"postgresql://app:p@ss@db/app", "postgresql://app:***@db/app"},
	    {"host=/tmp password=pa&ss#x user=x", "host=/tmp password=*** user=x"},
	    {"password=pa#ss host=/tmp", "password=*** host=/tmp"},
	    {"host=/tmp password\n=\nhunter22 user=x", "host=/tmp password=*** user=x"},
	    {"password\r\f= \vhunter22", "password=***"},
	    /* a userinfo without its scheme, alone or quoted in a message */
	    {"app:hunter22@db/app", "app:***@db/app"},
	    {"app:pw@/app?host=/tmp", "app:***@/app?host=/tmp"},
	    {"//app:hunter22@db/app", "//app:***@db/app"},
	    {"database \"app:hunter22@db/app\" does not exist",
	     "database \"app:***@db/app\" does not exist"},
	    {"missing \"=\" after \"app:p@ss@db\" in connection info string",
	     "missing \"=\" after \"app:***@db\" in connection info string"},
	    {"dbname=app:hunter22@db/app", "dbname=app:***@db/app"},
	    /* what merely looks like one is hidden too: the safe side */
	    {"at 10:30 nothing@all", "at 10:***@all"},
	    {"connection to server at \"db\" (10.0.0.1), port 5432 failed",
	     "connection to server at \"db\" (10.0.0.1), port 5432 failed"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = db_url_redact(cases[i][0]);
		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

static void test_url_sources(void **state)
{
	(void)state;
	char dir[] = "/tmp/revgate-unit.XXXXXX";
	char old[4096];
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(dir), 0);
	unsetenv("DATABASE_URL");
	char *url = NULL;
	const char *src = NULL;
	assert_true(db_url_find(NULL, NULL, &url, &src) < 0);
	FILE *fp = fopen(".env", "w");
	fputs("# local\nexport DATABASE_URL=\"postgresql:///fromenv\"\n", fp);
	fclose(fp);
	assert_int_equal(db_url_find(NULL, "postgresql:///cfg", &url, &src), 0);
	assert_string_equal(url, "postgresql:///fromenv");
	assert_string_equal(src, ".env");
	free(url);
	setenv("DATABASE_URL", "postgresql:///environ", 1);
	assert_int_equal(db_url_find(NULL, NULL, &url, &src), 0);
	assert_string_equal(url, "postgresql:///environ");
	free(url);
	assert_int_equal(db_url_find("postgresql:///flag", NULL, &url, &src), 0);
	assert_string_equal(src, "--url");
	free(url);
	unsetenv("DATABASE_URL");
	unlink(".env");
	assert_int_equal(chdir(old), 0);
	rmdir(dir);
}

static void test_ident(void **state)
{
	(void)state;
	char *q = sqltext_ident("my schema", "odd\"name");
	assert_string_equal(q, "\"my schema\".\"odd\"\"name\"");
	free(q);
}

/* A diamond: a -> (b, c) -> m (merge) -> d; c is non-transactional. */
static struct revset set;
static struct graph g;
static struct findings fs;
static struct matcher *names;

static void add(const char *name, const char *text)
{
	revset_add_text(&set, name, xstrdup(text), strlen(text), names, &fs);
}

static int setup_graph(void **state)
{
	(void)state;
	if (matcher_compile(&names, revision_default_name_pattern, "names") < 0)
		return -1;
	add("20250101_0000_aaaa_a.sql", "-- revision: aaaa\n-- down_revision: none\n\n-- +upgrade\n"
					"CREATE TABLE a (id int);\n\n-- +downgrade\nDROP TABLE a;\n");
	add("20250101_0001_bbbb_b.sql", "-- revision: bbbb\n-- down_revision: aaaa\n\n-- +upgrade\n"
					"CREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY bi ON a "
					"(id);\nALTER TABLE b ADD x int;\n\n-- +downgrade\nDROP TABLE b;\n");
	add("20250101_0002_cccc_c.sql", "-- revision: cccc\n-- down_revision: aaaa\n"
					"-- transaction: false\n\n-- +upgrade\nCREATE TABLE c (id int);\n"
					"VACUUM c;\n\n-- +downgrade\nDROP TABLE c;\n");
	add("20250101_0003_mmmm_m.sql", "-- revision: mmmm\n-- down_revision: bbbb, cccc\n\n"
					"-- +upgrade\n\n-- +downgrade\n");
	add("20250101_0004_dddd_d.sql", "-- revision: dddd\n-- down_revision: mmmm\n"
					"-- irreversible: drops data\n\n-- +upgrade\nDROP TABLE a;\n");
	graph_build(&g, set.v, set.n, &fs);
	return fs.n ? -1 : 0;
}

static int teardown_graph(void **state)
{
	(void)state;
	graph_release(&g);
	revset_release(&set);
	findings_release(&fs);
	matcher_free(names);
	names = NULL;
	return 0;
}

static void test_plan_upgrade(void **state)
{
	(void)state;
	struct strlist none = STRLIST_INIT;
	struct apply_plan p = APPLY_PLAN_INIT;
	assert_int_equal(apply_plan_build(&p, &g, &none, "head", APPLY_UP), 0);
	assert_int_equal(p.n, 5);
	/* Alembic's order: the later sibling's branch first */
	const char *order[] = {"aaaa", "cccc", "bbbb", "mmmm", "dddd"};
	const char *kinds[] = {"insert", "update", "insert", "merge", "update"};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(p.v[i].rev->id, order[i]);
		assert_string_equal(p.v[i].change.kind, kinds[i]);
	}
	/* bbbb: [CREATE TABLE] [CIC alone] [ALTER + version update] */
	assert_int_equal(p.v[2].nseg, 3);
	assert_true(p.v[2].seg[0].transactional);
	assert_false(p.v[2].seg[1].transactional);
	assert_true(p.v[2].seg[2].transactional);
	assert_int_equal(p.v[2].seg[2].n, 1);
	/* cccc: transaction: false, every statement alone, then the update */
	assert_int_equal(p.v[1].nseg, 3);
	assert_false(p.v[1].seg[0].transactional);
	assert_false(p.v[1].seg[1].transactional);
	assert_true(p.v[1].seg[2].transactional);
	assert_int_equal(p.v[1].seg[2].n, 0);
	/* the merge deletes one parent row and updates the other */
	assert_int_equal(p.v[3].change.n, 2);
	assert_int_equal(p.v[3].change.ops[0].kind, VOP_DELETE);
	assert_int_equal(p.v[3].change.ops[1].kind, VOP_UPDATE);
	assert_int_equal(p.v[3].heads_after.n, 1);
	assert_true(apply_step_transactional(&p.v[0]));
	apply_plan_release(&p);
}

static void test_plan_downgrade(void **state)
{
	(void)state;
	struct strlist cur = STRLIST_INIT;
	struct apply_plan p = APPLY_PLAN_INIT;
	strlist_push(&cur, "dddd");
	assert_int_equal(apply_plan_build(&p, &g, &cur, "base", APPLY_DOWN), ERR_CHECK);
	apply_plan_release(&p);
	strlist_release(&cur);
	strlist_push(&cur, "mmmm");
	assert_int_equal(apply_plan_build(&p, &g, &cur, "aaaa", APPLY_DOWN), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.v[0].change.kind, "unmerge");
	assert_int_equal(p.v[0].heads_after.n, 2);
	assert_string_equal(p.v[1].change.kind, "delete");
	assert_string_equal(p.v[2].change.kind, "update");
	assert_int_equal(p.v[2].heads_after.n, 1);
	assert_string_equal(p.v[2].heads_after.v[0], "aaaa");
	apply_plan_release(&p);
	strlist_release(&cur);
}

static void test_offline_sql(void **state)
{
	(void)state;
	struct strlist none = STRLIST_INIT;
	struct apply_plan p = APPLY_PLAN_INIT;
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct strbuf out = STRBUF_INIT;
	s.version_table = xstrdup("alembic_version");
	s.history_table = xstrdup("revgate_history");
	assert_int_equal(apply_plan_build(&p, &g, &none, "mmmm", APPLY_UP), 0);
	apply_plan_sql(&p, &s, false, &out);
	assert_non_null(strstr(out.buf, "CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY"));
	assert_non_null(strstr(out.buf, "-- outside a transaction:\nCREATE INDEX CONCURRENTLY bi "
					"ON a (id);\n"));
	assert_non_null(strstr(out.buf, "DELETE FROM \"alembic_version\" WHERE version_num = "));
	assert_non_null(strstr(out.buf, "UPDATE \"alembic_version\" SET version_num = 'mmmm'"));
	strbuf_release(&out);
	apply_settings_release(&s);
	apply_plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_url_sources),
		cmocka_unit_test(test_ident),
		cmocka_unit_test_setup_teardown(test_plan_upgrade, setup_graph, teardown_graph),
		cmocka_unit_test_setup_teardown(test_plan_downgrade, setup_graph, teardown_graph),
		cmocka_unit_test_setup_teardown(test_offline_sql, setup_graph, teardown_graph),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
