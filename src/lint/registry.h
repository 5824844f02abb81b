/*
 * The rule registry: one table of every rule id revgate reports, with its
 * family, default severity and summary, generated from the one list in
 * lint/rules.def. SQL rules carry a check function;
 * graph and git rules are reported by other modules (revision/, graph/,
 * git/) and are registered here so they have documentation, a default
 * severity and configuration overrides like every other rule.
 *
 * Every registered id has a page rules/<id>.md; a test fails when one is
 * missing.
 */
#ifndef REVGATE_LINT_REGISTRY_H
#define REVGATE_LINT_REGISTRY_H

#include "lint/rule.h"

#include <stddef.h>

size_t lint_rule_count(void);
const struct lint_rule *lint_rule_at(size_t i);
/* The rule with this id, or NULL. */
const struct lint_rule *lint_rule_find(const char *id);
/* The C name rules.def lists entry `i` under (its id with '_' for '-'). */
const char *lint_rule_listed_name(size_t i);
/* Its index in the table, or -1. */
int lint_rule_index(const char *id);
const char *lint_family_name(enum lint_family f);

#endif
