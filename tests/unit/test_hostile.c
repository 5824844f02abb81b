/*
 * Regression tests for hostile input (tests/e2e/hostile.bats has the
 * end-to-end side): control characters in file names, header values and
 * printed findings, revisions the graph cannot place, and values written
 * into new revision headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/finding.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "match/match.h"
#include "output/output.h"
#include "revision/newrev.h"
#include "revision/revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has_rule(const struct findings *fs, const char *rule, const char *needle)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].rule, rule) && (!needle || strstr(fs->v[i].message, needle)))
			return true;
	return false;
}

/*
 * The text format printed file names, messages and source lines as they
 * were: a file named "x\n::error::..." started a line GitHub Actions reads
 * as a workflow command, and an escape sequence in a header reached the
 * terminal.
 */
static void test_text_output_escapes_control_characters(void **state)
{
	(void)state;
	struct findings fs = FINDINGS_INIT;
	const char text[] = "-- revision: \033]0;x\007y\n";
	struct finding *f = findings_add_at(&fs, "invalid-header-value", SEV_ERROR,
					    "m/2025_a\n::error file=e::forged.sql", text,
					    sizeof(text) - 1, 13, "'%s' bad\r", "\033[31m");
	finding_set_hint(f, "hint\nsecond");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct printer p;
	assert_int_equal(printer_open(&p, "text", fp, false), 0);
	printer_print(&p, &fs);
	fclose(fp);
	assert_null(strchr(buf, '\033'));
	assert_null(strchr(buf, '\r'));
	assert_null(strchr(buf, '\007'));
	assert_null(strstr(buf, "\n::error"));
	assert_non_null(strstr(buf, "m/2025_a\\n::error file=e::forged.sql:1:14: "));
	assert_non_null(strstr(buf, "'\\x1b[31m' bad\\r\n"));
	assert_non_null(strstr(buf, "hint\\nsecond\n"));
	/* the excerpt keeps its width, so the caret stays under column 14 */
	assert_non_null(strstr(buf, "| -- revision: ?]0;x?y\n        |              ^\n"));
	free(buf);
	findings_release(&fs);
}

/*
 * A lone CR in a header value ends a SQL comment for PostgreSQL's lexer:
 * "-- message: x\rDROP TABLE users;" copied into the offline script's
 * comment became a statement. Control characters are now findings and the
 * value is not kept.
 */
static void test_header_value_control_characters(void **state)
{
	(void)state;
	const char *text = "-- revision: abc123\n-- down_revision: none\n"
			   "-- message: innocent\rDROP TABLE users;\n-- +upgrade\nSELECT 1;\n";
	struct findings fs = FINDINGS_INIT;
	struct revision rev;
	revision_parse(&rev, "20250101_0000_abc123_x.sql", xstrdup(text), strlen(text), "abc123",
		       &fs);
	assert_true(has_rule(&fs, RULE_INVALID_HEADER_VALUE, "'message' contains a control "
							     "character (byte 0x0d)"));
	assert_null(rev.message);
	revision_release(&rev);
	findings_release(&fs);
	/* a tab is text */
	text = "-- revision: abc123\n-- down_revision: none\n-- message: a\tb\n-- +upgrade\n"
	       "SELECT 1;\n";
	revision_parse(&rev, "20250101_0000_abc123_x.sql", xstrdup(text), strlen(text), "abc123",
		       &fs);
	assert_int_equal(fs.n, 0);
	assert_string_equal(rev.message, "a\tb");
	revision_release(&rev);
	findings_release(&fs);
}

/*
 * A file the graph cannot place (no valid id, or a name with a line break)
 * left the graph "complete", so `upgrade` silently skipped it.
 */
static void test_unplaceable_revision_makes_graph_incomplete(void **state)
{
	(void)state;
	struct revset set = REVSET_INIT;
	struct findings fs = FINDINGS_INIT;
	struct matcher *pat = NULL;
	assert_int_equal(matcher_compile(&pat, revision_default_name_pattern, "pattern"), 0);
	const char *a = "-- revision: aaaa1111\n-- down_revision: none\n-- +upgrade\nSELECT 1;\n";
	const char *b = "-- revision: bbbb-2222\n-- down_revision: aaaa1111\n-- +upgrade\n"
			"SELECT 1;\n";
	revset_add_text(&set, "m/20250101_0000_aaaa1111_a.sql", xstrdup(a), strlen(a), pat, &fs);
	revset_add_text(&set, "m/20250101_0001_bbbb2222_b.sql", xstrdup(b), strlen(b), pat, &fs);
	struct graph g;
	graph_build(&g, set.v, set.n, &fs);
	assert_int_equal(g.n, 1);
	assert_false(g.complete);
	graph_release(&g);
	revset_release(&set);
	findings_release(&fs);

	const char *c = "-- revision: cccc3333\n-- down_revision: none\n-- +upgrade\nSELECT 1;\n";
	revset_add_text(&set, "m/20250101_0000_cccc3333_x\nDELETE FROM t;\n.sql", xstrdup(c),
			strlen(c), pat, &fs);
	assert_true(has_rule(&fs, RULE_INVALID_FILE, "file name contains a control character "
						     "(byte 0x0a)"));
	assert_false(set.v[0]->usable);
	graph_build(&g, set.v, set.n, &fs);
	assert_false(g.complete);
	graph_release(&g);
	revset_release(&set);
	findings_release(&fs);
	matcher_free(pat);
}

/*
 * `revision --branch-label $'x\n-- +upgrade\nDROP TABLE users;'` wrote the
 * line break into the header, and with it a section of the caller's
 * choosing. Labels, dependencies and parents are now checked first.
 */
static void test_new_revision_values_checked(void **state)
{
	(void)state;
	char dir[] = "/tmp/revgate-unit.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct strlist labels = STRLIST_INIT, deps = STRLIST_INIT;
	strlist_push(&labels, "feat\n-- +upgrade\nDROP TABLE users;");
	struct newrev r = {.branch_labels = &labels, .message = "x"};
	char *path = NULL;
	assert_int_equal(newrev_write(dir, &r, 0, &path), ERR_USAGE);
	assert_null(path);
	strlist_release(&labels);
	strlist_push(&deps, "abc123\n-- transaction: false");
	r.branch_labels = NULL;
	r.depends_on = &deps;
	assert_int_equal(newrev_write(dir, &r, 0, &path), ERR_USAGE);
	strlist_release(&deps);
	strlist_push(&labels, "feat.v2-x");
	strlist_push(&deps, "abc123");
	r.branch_labels = &labels;
	assert_int_equal(newrev_write(dir, &r, 0, &path), 0);
	assert_non_null(path);
	unlink(path);
	free(path);
	rmdir(dir);
	strlist_release(&labels);
	strlist_release(&deps);
	err_clear();
}

/* A 1 MB header value was quoted whole in its finding's message. */
static void test_long_messages_are_cut(void **state)
{
	(void)state;
	struct findings fs = FINDINGS_INIT;
	char *big = xmalloc(1 << 20);
	memset(big, 'k', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	big[1018] = '\xc3'; /* a two-byte character across the cut (after "key '") */
	big[1019] = '\xa9';
	findings_add(&fs, "unknown-header-key", SEV_ERROR, "f.sql", 3, 4, "key '%s'", big);
	const char *m = fs.v[0].message;
	assert_true(strlen(m) < 1100);
	assert_non_null(strstr(m, "kkk... (1047558 more bytes)"));
	assert_int_equal(strncmp(m, "key 'kkk", 8), 0);
	/* the cut does not split the character: it goes before it */
	assert_null(strchr(m, '\xc3'));
	findings_release(&fs);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_output_escapes_control_characters),
		cmocka_unit_test(test_header_value_control_characters),
		cmocka_unit_test(test_unplaceable_revision_makes_graph_incomplete),
		cmocka_unit_test(test_new_revision_values_checked),
		cmocka_unit_test(test_long_messages_are_cut),
	};
	return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
