/* A fleet run's parts that need no server: URLs pointed at another
 * database or schema, which database a URL names, the report line
 * between a target's process and the run, and a targets file checked
 * line by line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "core/strlist.h"
#include "db/db.h"
#include "fleet/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_derive(void **state)
{
	(void)state;
	char *u = NULL;
	assert_int_equal(db_url_derive("postgresql://app:pw@db.example:5433/app", "tenant 'a'",
				       NULL, &u),
			 0);
	/* the other database, quoted as libpq reads a value; nothing lost */
	assert_non_null(strstr(u, "dbname='tenant \\'a\\''"));
	assert_non_null(strstr(u, "host='db.example'"));
	assert_non_null(strstr(u, "port='5433'"));
	assert_non_null(strstr(u, "password='pw'"));
	assert_null(strstr(u, "dbname='app'"));
	free(u);
	/* a setting after the URL's own options, its blanks kept */
	assert_int_equal(db_url_derive("host=/tmp dbname=x options='-c work_mem=8MB'", NULL,
				       "search_path=\"a b\"", &u),
			 0);
	assert_non_null(strstr(u, "dbname='x'"));
	assert_non_null(strstr(u, "options='-c work_mem=8MB -c search_path=\"a\\\\ b\"'"));
	free(u);
	/* a URL libpq cannot read: ERR_CONFIG, the password not in the message */
	assert_int_equal(db_url_derive("postgresql://app:Hunter2@db/app?nosuch=1", "x", NULL, &u),
			 ERR_CONFIG);
	assert_null(u);
	assert_null(strstr(err_msg(), "Hunter2"));
	err_clear();
}

static void test_identity(void **state)
{
	(void)state;
	char *a = NULL, *b = NULL;
	assert_int_equal(db_url_identity("postgresql://app:pw@db:5432/app", &a), 0);
	assert_int_equal(db_url_identity("host=db port=5432 dbname=app user=other", &b), 0);
	assert_string_equal(a, b);
	assert_null(strstr(a, "pw"));
	free(b);
	assert_int_equal(db_url_identity("postgresql://app@db:5432/app2", &b), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void test_report_line(void **state)
{
	(void)state;
	struct strbuf line = STRBUF_INIT, text = STRBUF_INIT;
	/* any message fits in one line: tabs, newlines and backslashes */
	const char *msg = "file.sql:3:1: relation \"a\tb\" already exists\nhint: \\x";
	strbuf_addstr(&line, "failure\t");
	strbuf_add_field_escaped(&line, msg);
	assert_null(memchr(line.buf, '\n', line.len));
	enum fleet_msg m = FLEET_MSGS;
	assert_int_equal(fleet_msg_parse(line.buf, line.len, &m, &text), 0);
	assert_int_equal(m, FLEET_MSG_FAILURE);
	assert_string_equal(text.buf, msg);
	/* a kind this revgate does not know is ignored, not misread */
	strbuf_setlen(&text, 0);
	assert_int_equal(fleet_msg_parse("later\tx", 7, &m, &text), -1);
	assert_int_equal(fleet_msg_parse("from", 4, &m, &text), -1);
	strbuf_release(&line);
	strbuf_release(&text);
}

static bool has_problem(const struct strlist *p, const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->v[i], needle))
			return true;
	return false;
}

static void test_targets_file(void **state)
{
	(void)state;
	char path[] = "/tmp/revgate-test-fleet.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	fputs("\xEF\xBB\xBF# tenants\n\n"
	      "eu = postgresql://app:Hunter2@eu/app\n"
	      "  us=host=us dbname=app  \n"
	      "postgresql://app:Hunter2@nowhere/app\n"
	      "bad\tname = postgresql:///x\n"
	      "-x = postgresql:///x\n"
	      "empty =\n"
	      "eu = postgresql://other/app\n"
	      "same = postgresql://us/app\n",
	      fp);
	fclose(fp);
	struct fleet_targets t = FLEET_TARGETS_INIT;
	struct strlist problems = STRLIST_INIT;
	assert_int_equal(fleet_targets_read(&t, path, &problems), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.v[0].name, "eu");
	assert_string_equal(t.v[0].shown, "postgresql://app:***@eu/app");
	assert_string_equal(t.v[1].name, "us");
	assert_string_equal(t.v[1].url, "host=us dbname=app");
	assert_int_equal(problems.n, 4);
	assert_true(has_problem(&problems, ":5: expected 'name = URL', found "
					   "'postgresql://app:***@nowhere/app'"));
	assert_true(has_problem(&problems, ":6: 'bad?name': the name holds a blank"));
	assert_true(has_problem(&problems, ":7: '-x': the name starts with '-'"));
	assert_true(has_problem(&problems, ":8: 'empty' has no URL"));
	fleet_targets_check(&t, "empty", &problems);
	assert_true(has_problem(&problems, ":9: the name 'eu' is taken"));
	assert_true(has_problem(&problems, ":10: 'same' is the same database as 'us'"));
	for (size_t i = 0; i < problems.n; i++)
		assert_null(strstr(problems.v[i], "Hunter2"));
	strlist_release(&problems);
	fleet_targets_release(&t);

	/* nothing in it: the caller's reason */
	fp = fopen(path, "w");
	fputs("# none yet\n", fp);
	fclose(fp);
	assert_int_equal(fleet_targets_read(&t, path, &problems), 0);
	fleet_targets_check(&t, "names no database", &problems);
	assert_int_equal(problems.n, 1);
	assert_string_equal(problems.v[0], "names no database");
	strlist_release(&problems);
	fleet_targets_release(&t);
	unlink(path);
	assert_int_equal(fleet_targets_read(&t, path, &problems), ERR_USAGE);
	err_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_report_line),
		cmocka_unit_test(test_targets_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
