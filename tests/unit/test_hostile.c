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
#include "output/output.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_output_escapes_control_characters),
	};
	return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
