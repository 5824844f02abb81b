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

/* The PostgreSQL major a page judges its examples for ("<!-- pg_version: N -->"). */
static int page_pg_version;

/* Lints `sql` after `setup`; returns whether `rule` was reported. */
static bool reports(const char *rule, const char *setup, const char *sql, char **all)
{
	struct lint_settings s;
	lint_settings_init(&s);
	if (page_pg_version)
		s.pg_version = page_pg_version;
	/* a rule off by default is judged as if revgate.ini turned it on */
	int idx = lint_rule_index(rule);
	if (idx >= 0 && s.severity[idx] == SEV_OFF)
		s.severity[idx] = SEV_WARNING;
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

/* rules.def lists each rule under its id with '_' for '-', and a SQL rule's
 * file exports the struct of that name: the list and the files agree. */
static void test_ids_match_the_list(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < lint_rule_count(); i++) {
		char *want = xstrdup(lint_rule_listed_name(i));
		for (char *c = want; *c; c++)
			if (*c == '_')
				*c = '-';
		if (strcmp(want, lint_rule_at(i)->id)) {
			print_error("rules.def lists '%s' for the rule with id '%s'\n",
				    lint_rule_listed_name(i), lint_rule_at(i)->id);
			bad++;
		}
		if (lint_rule_index(lint_rule_at(i)->id) != (int)i) {
			print_error("rule id '%s' is listed twice\n", lint_rule_at(i)->id);
			bad++;
		}
		free(want);
	}
	assert_int_equal(bad, 0);
}

/* One case per example of a rule page. */
struct example {
	const struct lint_rule *rule;
	bool failing;
};

static void test_example(void **state)
{
	const struct example *ex = *state;
	const struct lint_rule *r = ex->rule;
	const char *md = rule_doc_find(r->id);
	assert_non_null(md);
	char *setup = block(md, "setup"), *pass_setup = block(md, "pass-setup");
	char *sql = block(md, ex->failing ? "fail" : "pass");
	if (!sql) {
		print_error("rules/%s.md needs a %s example\n", r->id,
			    ex->failing ? "failing" : "passing");
		free(setup);
		free(pass_setup);
		fail();
	}
	const char *pv = strstr(md, "<!-- pg_version: ");
	page_pg_version = pv ? (int)strtol(pv + 17, NULL, 10) : 0;
	char *got;
	bool hit = reports(r->id, ex->failing || !pass_setup ? setup : pass_setup, sql, &got);
	if (hit != ex->failing)
		print_error("%s: the %s example %s; got:\n%s", r->id,
			    ex->failing ? "failing" : "passing",
			    ex->failing ? "does not report it" : "reports it", got);
	free(got);
	free(setup);
	free(pass_setup);
	free(sql);
	assert_int_equal(hit, ex->failing);
}

int main(void)
{
	size_t n = lint_rule_count();
	struct CMUnitTest *tests = xcalloc(2 * n + 2, sizeof(*tests));
	struct example *ex = xcalloc(2 * n, sizeof(*ex));
	char **names = xcalloc(2 * n, sizeof(*names));
	size_t k = 0, m = 0;
	tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_every_rule_has_a_page);
	tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_ids_match_the_list);
	for (size_t i = 0; i < n; i++) {
		const struct lint_rule *r = lint_rule_at(i);
		if (r->family != LINT_FAMILY_SQL || !rule_doc_find(r->id))
			continue;
		for (int failing = 1; failing >= 0; failing--) {
			ex[m] = (struct example){r, failing != 0};
			names[m] = xstrfmt("rules/%s.md %s example", r->id,
					   failing ? "failing" : "passing");
			tests[k].name = names[m];
			tests[k].test_func = test_example;
			tests[k].initial_state = &ex[m];
			k++;
			m++;
		}
	}
	int ret = _cmocka_run_group_tests("lint rules catalogue", tests, k, NULL, NULL);
	for (size_t i = 0; i < m; i++)
		free(names[i]);
	free(names);
	free(ex);
	free(tests);
	return ret;
}
