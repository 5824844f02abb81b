/* Revision file parsing: header keys, sections, positions, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/finding.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

static struct findings fs;
static struct revision rev;

static void parse(const char *name, const char *text, size_t len, const char *name_id)
{
	findings_release(&fs);
	revision_release(&rev);
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	revision_parse(&rev, name, copy, len, name_id, &fs);
}

static void parse_str(const char *text)
{
	parse("20250101_0000_abc123_x.sql", text, strlen(text), "abc123");
}

static const struct finding *find_rule(const char *rule)
{
	for (size_t i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].rule, rule))
			return &fs.v[i];
	return NULL;
}

static void test_valid(void **state)
{
	(void)state;
	parse_str("-- revision: abc123\n-- down_revision: p1, p2\n-- message: hello world\n"
		  "-- depends_on: d1\n-- branch_labels: feat\n-- transaction: false\n\n"
		  "-- +upgrade\nCREATE TABLE t (id int);\n\n-- +downgrade\nDROP TABLE t;\n");
	assert_int_equal(fs.n, 0);
	assert_true(rev.usable);
	assert_string_equal(rev.id, "abc123");
	assert_int_equal(rev.down_revisions.n, 2);
	assert_string_equal(rev.down_revisions.v[1], "p2");
	assert_string_equal(rev.depends_on.v[0], "d1");
	assert_string_equal(rev.branch_labels.v[0], "feat");
	assert_string_equal(rev.message, "hello world");
	assert_false(rev.transactional);
	assert_true(rev.upgrade.present);
	assert_int_equal(rev.upgrade.marker_line, 8);
	char *up = revision_section_dup(&rev, &rev.upgrade);
	assert_string_equal(up, "CREATE TABLE t (id int);\n\n");
	free(up);
	char *down = revision_section_dup(&rev, &rev.downgrade);
	assert_string_equal(down, "DROP TABLE t;\n");
	free(down);
}

static void test_root_and_crlf_bom(void **state)
{
	(void)state;
	parse_str("\xEF\xBB\xBF-- revision: abc123\r\n-- down_revision: none\r\n\r\n-- +upgrade\r\n"
		  "SELECT 1;\r\n");
	assert_int_equal(fs.n, 0);
	assert_true(rev.usable);
	assert_int_equal(rev.down_revisions.n, 0);
}

static void test_unknown_key_suggests(void **state)
{
	(void)state;
	parse_str("-- revision: abc123\n-- down_revison: p1\n-- +upgrade\nSELECT 1;\n");
	const struct finding *f = find_rule(RULE_UNKNOWN_HEADER_KEY);
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	assert_int_equal(f->column, 4);
	assert_non_null(strstr(f->hint, "down_revision"));
	assert_non_null(find_rule(RULE_MISSING_HEADER_KEY));
	assert_false(rev.usable);
}

static void test_duplicate_key_and_section(void **state)
{
	(void)state;
	parse_str("-- revision: abc123\n-- revision: abc123\n-- down_revision: none\n"
		  "-- +upgrade\nSELECT 1;\n-- +upgrade\nSELECT 2;\n");
	const struct finding *f = find_rule(RULE_DUPLICATE_HEADER_KEY);
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	f = find_rule(RULE_DUPLICATE_SECTION);
	assert_non_null(f);
	assert_int_equal(f->line, 6);
}

static void test_bad_ids(void **state)
{
	(void)state;
	parse_str("-- revision: abc-123\n-- down_revision: ../etc\n-- +upgrade\nSELECT 1;\n");
	assert_non_null(find_rule(RULE_INVALID_HEADER_VALUE));
	assert_false(rev.usable);
}

static void test_id_mismatch(void **state)
{
	(void)state;
	parse("20250101_0000_zzz999_x.sql",
	      "-- revision: abc123\n-- down_revision: none\n-- +upgrade\nSELECT 1;\n", 57,
	      "zzz999");
	const struct finding *f = find_rule(RULE_REVISION_ID_MISMATCH);
	assert_non_null(f);
	assert_int_equal(f->line, 1);
}

static void test_missing_upgrade_and_outside_text(void **state)
{
	(void)state;
	parse_str("-- revision: abc123\n-- down_revision: none\nSELECT 1;\n");
	assert_non_null(find_rule(RULE_MISSING_UPGRADE));
	const struct finding *f = find_rule(RULE_TEXT_OUTSIDE_SECTION);
	assert_non_null(f);
	assert_int_equal(f->line, 3);
}

static void test_binary_and_utf8(void **state)
{
	(void)state;
	parse("20250101_0000_abc123_x.sql", "-- revision: abc123\n\0\0", 22, "abc123");
	const struct finding *f = find_rule(RULE_INVALID_FILE);
	assert_non_null(f);
	assert_int_equal(f->line, 2);
	parse_str("-- revision: abc123\n-- message: caf\xC3\n");
	f = find_rule(RULE_INVALID_FILE);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "UTF-8"));
	parse("20250101_0000_abc123_x.sql", "", 0, "abc123");
	assert_non_null(find_rule(RULE_INVALID_FILE));
}

static void test_ignore_directive(void **state)
{
	(void)state;
	parse_str("-- revision: abc123\n-- down_revision: none\n-- revgate: ignore ban-drop-table, "
		  "renaming-column\n-- +upgrade\nDROP TABLE t;\n");
	assert_int_equal(fs.n, 0);
	assert_true(revision_ignores(&rev, "ban-drop-table"));
	assert_true(revision_ignores(&rev, "renaming-column"));
	assert_false(revision_ignores(&rev, "other"));
}

static void test_columns_count_characters(void **state)
{
	(void)state;
	const char *text = "x\naé\tb\n";
	unsigned line, col;
	text_pos(text, strlen(text), 6, &line, &col); /* the 'b' */
	assert_int_equal(line, 2);
	assert_int_equal(col, 4);
	struct line_index li;
	line_index_build(&li, text, strlen(text));
	line_index_pos(&li, 6, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 4);
	line_index_release(&li);
}

static int teardown(void **state)
{
	(void)state;
	findings_release(&fs);
	revision_release(&rev);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_root_and_crlf_bom),
		cmocka_unit_test(test_unknown_key_suggests),
		cmocka_unit_test(test_duplicate_key_and_section),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_id_mismatch),
		cmocka_unit_test(test_missing_upgrade_and_outside_text),
		cmocka_unit_test(test_binary_and_utf8),
		cmocka_unit_test(test_ignore_directive),
		cmocka_unit_test(test_columns_count_characters),
	};
	return cmocka_run_group_tests_name("revision", tests, NULL, teardown);
}
