/*
 * Regression tests for inputs the fuzz targets (tests/fuzz/) found: each
 * test names the target and the input, and checks the fixed behaviour. Run
 * under `make SANITIZE=address,undefined test` they also catch the
 * undefined behaviour the fuzzers reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/config.h"
#include "core/err.h"
#include "core/finding.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "graph/walk.h"
#include "output/jsonw.h"
#include "revision/revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A linear history a1 <- a2 <- a3, the last one labelled "feat". */
struct chain {
	struct revision revs[3];
	struct revision *ptrs[3];
	struct graph g;
	struct findings fs;
};

static void chain_build(struct chain *c)
{
	static const char *const texts[] = {
		"-- revision: a1\n-- down_revision: none\n-- +upgrade\nSELECT 1;\n",
		"-- revision: a2\n-- down_revision: a1\n-- +upgrade\nSELECT 1;\n",
		("-- revision: a3\n-- down_revision: a2\n-- branch_labels: feat\n"
		 "-- +upgrade\nSELECT 1;\n"),
	};
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof(path), "20250101_0000_a%zu_x.sql", i + 1);
		revision_parse(&c->revs[i], path, xstrdup(texts[i]), strlen(texts[i]), NULL,
			       &c->fs);
		c->ptrs[i] = &c->revs[i];
	}
	graph_build(&c->g, c->ptrs, 3, &c->fs);
	assert_int_equal(c->fs.n, 0);
}

static void chain_release(struct chain *c)
{
	graph_release(&c->g);
	for (size_t i = 0; i < 3; i++)
		revision_release(&c->revs[i]);
	findings_release(&c->fs);
}

/*
 * fuzz_target: "R@-3333...3335" (and "head-99999999999999999999"): strtol
 * saturated at LONG_MIN and the walk negated it, undefined behaviour. Now
 * such a number walks off the history like any other too-large one.
 */
static void test_relative_beyond_long(void **state)
{
	(void)state;
	struct chain c;
	chain_build(&c);
	static const char *const targets[] = {
		"head-99999999999999999999", "feat@-99999999999999999999",
		"-99999999999999999999",     "a1+99999999999999999999",
		"a3-99999999999999999999",   "feat@+99999999999999999999",
	};
	for (size_t k = 0; k < sizeof(targets) / sizeof(*targets); k++) {
		struct idxvec out = IDXVEC_INIT;
		/* upgrade forms may end at base (empty); nothing names a node */
		(void)graph_resolve_target(&c.g, targets[k], false, &out);
		for (size_t q = 0; q < out.n; q++)
			assert_true(out.v[q] < c.g.n);
		idxvec_release(&out);
		(void)graph_resolve_target(&c.g, targets[k], true, &out);
		for (size_t q = 0; q < out.n; q++)
			assert_true(out.v[q] < c.g.n);
		idxvec_release(&out);
		err_clear();
	}
	struct strlist cur = STRLIST_INIT;
	strlist_push(&cur, "a3");
	struct idxvec steps = IDXVEC_INIT;
	assert_true(graph_downgrade_steps(&c.g, &cur, "head-99999999999999999999", &steps) < 0);
	assert_non_null(strstr(err_msg(), "walked too far"));
	assert_true(graph_downgrade_steps(&c.g, &cur, "-99999999999999999999", &steps) < 0);
	assert_non_null(strstr(err_msg(), "99999999999999999999"));
	err_clear();
	idxvec_release(&steps);
	strlist_release(&cur);
	assert_true(graph_target_is_relative_down("head-99999999999999999999"));
	/* a walk that fits still works */
	struct idxvec out = IDXVEC_INIT;
	assert_int_equal(graph_resolve_target(&c.g, "head-2", true, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(c.g.nodes[out.v[0]].id, "a1");
	idxvec_release(&out);
	chain_release(&c);
}

/*
 * fuzz_target: upgrade to "base" from current "billi,-6": "-6" walks past
 * the bases and names no node, and the overlap check read the ancestors of
 * that non-node, out of bounds. Now a relative current that walked off the
 * history counts as nothing, beside or before real revisions.
 */
static void test_current_walked_off_history(void **state)
{
	(void)state;
	struct chain c;
	chain_build(&c);
	static const char *const currents[][2] = {
	    {"a2", "-6"}, {"-6", "a2"}, {"-6", "-3"}, {"a3", "feat@-9"}};
	static const char *const targets[] = {"base", "heads", "a3", "a1", "+1", "-1"};
	for (size_t i = 0; i < sizeof(currents) / sizeof(*currents); i++) {
		struct strlist cur = STRLIST_INIT;
		strlist_push(&cur, currents[i][0]);
		strlist_push(&cur, currents[i][1]);
		for (size_t t = 0; t < sizeof(targets) / sizeof(*targets); t++) {
			struct idxvec out = IDXVEC_INIT;
			(void)graph_upgrade_steps(&c.g, &cur, targets[t], &out);
			for (size_t q = 0; q < out.n; q++)
				assert_true(out.v[q] < c.g.n);
			out.n = 0;
			(void)graph_downgrade_steps(&c.g, &cur, targets[t], &out);
			for (size_t q = 0; q < out.n; q++)
				assert_true(out.v[q] < c.g.n || out.v[q] == GRAPH_NONE);
			idxvec_release(&out);
			err_clear();
		}
		strlist_release(&cur);
	}
	/* the real revision beside the walked-off one still counts */
	struct strlist cur = STRLIST_INIT;
	strlist_push(&cur, "a2");
	strlist_push(&cur, "-6");
	struct idxvec out = IDXVEC_INIT;
	assert_int_equal(graph_upgrade_steps(&c.g, &cur, "heads", &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(c.g.nodes[out.v[0]].id, "a3");
	idxvec_release(&out);
	strlist_release(&cur);
	chain_release(&c);
}

/*
 * fuzz_config: "lock_wait = 1111...11h" (and 4e111s): the double was
 * converted to long out of range, undefined behaviour; "nan" and "inf"
 * passed as durations. Now they are configuration errors.
 */
static void test_duration_out_of_range(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"111111111111111111111111111111111111111111111111111111111111111111111111h",
		"4e111s", "nan", "inf", "-inf", "infinity ms", "2147483648ms", "25 days", "597h",
	};
	long ms = -1;
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		assert_int_equal(config_duration_ms(bad[k], "lock_wait", &ms), ERR_CONFIG);
		assert_int_equal(ms, -1);
		err_clear();
	}
	assert_int_equal(config_duration_ms("2147483647ms", "lock_wait", &ms), 0);
	assert_int_equal(ms, 2147483647L);
	assert_int_equal(config_duration_ms("5s", "lock_wait", &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(config_duration_ms("2min", "lock_wait", &ms), 0);
	assert_int_equal(ms, 120000);
}

static char *json_of(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct jsonw w;
	jsonw_init(&w, fp, false);
	jsonw_arr_begin(&w);
	jsonw_strn(&w, s, n);
	jsonw_arr_end(&w);
	fclose(fp);
	return buf;
}

/*
 * fuzz_jsonw: "bad \xff\xfe \xc3" was copied into the JSON as is, so a
 * file name in Latin-1 made `lint --format json` print a document that is
 * not UTF-8. Invalid bytes are now U+FFFD; valid sequences pass unchanged.
 */
static void test_json_invalid_utf8(void **state)
{
	(void)state;
	char *j = json_of("bad \xff\xfe \xc3", 8);
	assert_string_equal(j, "[\"bad \\ufffd\\ufffd \\ufffd\"]");
	free(j);
	j = json_of("caf\xe9.sql", 8);
	assert_string_equal(j, "[\"caf\\ufffd.sql\"]");
	free(j);
	/* overlong, surrogate, beyond U+10FFFF, truncated */
	j = json_of("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82", 11);
	assert_null(strstr(j, "\xc0"));
	assert_null(strstr(j, "\xed"));
	assert_null(strstr(j, "\xf4"));
	assert_null(strstr(j, "\xe2"));
	free(j);
	j = json_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
	assert_string_equal(j, "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]");
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_beyond_long),
		cmocka_unit_test(test_current_walked_off_history),
		cmocka_unit_test(test_duration_out_of_range),
		cmocka_unit_test(test_json_invalid_utf8),
	};
	return cmocka_run_group_tests_name("fuzz_regress", tests, NULL, NULL);
}
