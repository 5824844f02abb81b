/*
 * The rule catalogue against the linter: every registered rule has a page
 * in rules/, and every SQL rule's failing example reports it while its
 * passing example does not. Examples run on the schema the page's
 * "sql setup" block leaves, as an earlier revision would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/xalloc.h"
#include "lint/docs.h"
#include "lint/engine.h"
#include "lint/lint.h"
#include "lint/registry.h"
#include "match/match.h"
#include "revision/revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body of the first "```sql <tag>" block, or NULL (fresh string). */
static char *block(const char *md, const char *tag)
{
	char open[64];
	snprintf(open, sizeof(open), "```sql %s\n", tag);
	const char *s = strstr(md, open);
	if (!s)
		return NULL;
	s += strlen(open);
	const char *e = strstr(s, "```");
	return e ? xstrndup(s, (size_t)(e - s)) : NULL;
}

static void parse_any(struct revision *rev, const char *sql, struct findings *load)
{
	size_t len = strlen(sql);
	char *text = xstrndup(sql, len);
	if (!strncmp(sql, "-- revision:", 12))
		revision_parse(rev, "20250101_0000_a1b2c3d4e5f6_example.sql", text, len,
			       "a1b2c3d4e5f6", load);
	else
		revision_parse_plain(rev, "example.sql", text, len, load);
}

/* Lints `sql` after `setup`; returns whether `rule` was reported. */
static bool reports(const char *rule, const char *setup, const char *sql, char **all)
{
	struct lint_settings s;
	lint_settings_init(&s);
	assert_int_equal(matcher_compile(&s.index_name, "^[a-z0-9_]+_(idx|key)$", "index"), 0);
	assert_int_equal(matcher_compile(&s.constraint_name,
					 "^[a-z0-9_]+_(pkey|fkey|key|check|excl)$", "constraint"),
			 0);
	struct lint_engine *eng = lint_engine_new(&s);
	struct catalog cat;
	catalog_init(&cat);
	struct findings load = FINDINGS_INIT, out = FINDINGS_INIT;
	if (setup) {
		struct revision prev;
		memset(&prev, 0, sizeof(prev));
		parse_any(&prev, setup, &load);
		lint_engine_replay(&prev, &cat, 1);
		revision_release(&prev);
	}
	struct revision rev;
	memset(&rev, 0, sizeof(rev));
	parse_any(&rev, sql, &load);
	lint_engine_run(eng, &rev, &cat, 2, &out);
	bool hit = false;
	size_t cap = 4096;
	*all = xcalloc(1, cap);
	for (size_t i = 0; i < out.n; i++) {
		if (!strcmp(out.v[i].rule, rule))
			hit = true;
		size_t used = strlen(*all);
		snprintf(*all + used, cap - used, "%u:%u %s: %s\n", out.v[i].line, out.v[i].column,
			 out.v[i].rule, out.v[i].message);
	}
	revision_release(&rev);
	findings_release(&out);
	findings_release(&load);
	catalog_release(&cat);
	lint_engine_free(eng);
	lint_settings_release(&s);
	return hit;
}

static void test_every_rule_has_a_page(void **state)
{
	(void)state;
	int missing = 0;
	for (size_t i = 0; i < lint_rule_count(); i++) {
		const struct lint_rule *r = lint_rule_at(i);
		if (!rule_doc_find(r->id)) {
			print_error("rule '%s' has no page rules/%s.md\n", r->id, r->id);
			missing++;
		}
	}
	for (const struct rule_doc *d = rule_docs; d->id; d++) {
		if (!lint_rule_find(d->id)) {
			print_error("rules/%s.md documents no registered rule\n", d->id);
			missing++;
		}
	}
	/* a finding page for a rule id would never be shown: explain prefers the rule */
	for (const struct rule_doc *d = finding_docs; d->id; d++) {
		if (lint_rule_find(d->id)) {
			print_error("docs/findings/%s.md is a rule: move it to rules/\n", d->id);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static void test_examples(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < lint_rule_count(); i++) {
		const struct lint_rule *r = lint_rule_at(i);
		const char *md = rule_doc_find(r->id);
		if (!md || r->family != LINT_FAMILY_SQL)
			continue;
		char *setup = block(md, "setup"), *pass_setup = block(md, "pass-setup");
		char *fail = block(md, "fail"), *pass = block(md, "pass");
		if (!fail || !pass) {
			print_error("rules/%s.md needs a failing and a passing example\n", r->id);
			bad++;
		} else {
			char *got;
			if (!reports(r->id, setup, fail, &got)) {
				print_error("%s: the failing example does not report it; got:\n%s",
					    r->id, got);
				bad++;
			}
			free(got);
			if (reports(r->id, pass_setup ? pass_setup : setup, pass, &got)) {
				print_error("%s: the passing example reports it:\n%s", r->id, got);
				bad++;
			}
			free(got);
		}
		free(setup);
		free(pass_setup);
		free(fail);
		free(pass);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_rule_has_a_page),
	    cmocka_unit_test(test_examples),
	};
	return cmocka_run_group_tests_name("lint rules catalogue", tests, NULL, NULL);
}
