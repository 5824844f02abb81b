/*
 * The table of every rule id, generated from lint/rules.def: SQL rules are
 * declared from their files, the others defined here. See rules.def for
 * how to add one.
 */
#include "lint/registry.h"
#include "graph/graph.h"
#include "layout/layout.h"
#include "revision/revision.h"

#include <string.h>

#define SQL_RULE(name) extern const struct lint_rule rule_##name;
#define OTHER_RULE(name, rule_id, fam, sev, text)                                                  \
	static const struct lint_rule rule_##name = {                                              \
	    .id = (rule_id), .summary = (text), .severity = (sev), .family = (fam)};
#include "lint/rules.def"
#undef SQL_RULE
#undef OTHER_RULE

static const struct lint_rule *const rules[] = {
#define SQL_RULE(name) &rule_##name,
#define OTHER_RULE(name, rule_id, fam, sev, text) &rule_##name,
#include "lint/rules.def"
#undef SQL_RULE
#undef OTHER_RULE
};

/* The C name each entry was listed under, for the test that ids match it. */
static const char *const names[] = {
#define SQL_RULE(name) #name,
#define OTHER_RULE(name, rule_id, fam, sev, text) #name,
#include "lint/rules.def"
#undef SQL_RULE
#undef OTHER_RULE
};

size_t lint_rule_count(void)
{
	return sizeof(rules) / sizeof(rules[0]);
}

const struct lint_rule *lint_rule_at(size_t i)
{
	return i < lint_rule_count() ? rules[i] : NULL;
}

const char *lint_rule_listed_name(size_t i)
{
	return i < lint_rule_count() ? names[i] : NULL;
}

int lint_rule_index(const char *id)
{
	/* a linear scan over ~80 short strings: cheaper than building a map */
	for (size_t i = 0; i < lint_rule_count(); i++)
		if (!strcmp(rules[i]->id, id))
			return (int)i;
	return -1;
}

const struct lint_rule *lint_rule_find(const char *id)
{
	int i = lint_rule_index(id);
	return i < 0 ? NULL : rules[i];
}

const char *lint_family_name(enum lint_family f)
{
	return f == LINT_FAMILY_GRAPH ? "graph" : f == LINT_FAMILY_GIT ? "git" : "sql";
}
