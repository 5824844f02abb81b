/* revgate rules / explain: the rule catalogue, and the pages of every
 * other finding id. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/suggest.h"
#include "lint/docs.h"
#include "lint/lint.h"
#include "lint/registry.h"
#include "output/jsonw.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt rules_opts[] = {
    {NULL, 0, NULL, NULL},
};

/* Sorted by id, so the list reads like the catalogue. */
static int by_id(const void *a, const void *b)
{
	const struct lint_rule *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

static int run_rules(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct lint_settings s;
	lint_settings_init(&s);
	int ret = lint_settings_from_config(&s, &app->cfg);
	if (ret < 0) {
		lint_settings_release(&s);
		return ret;
	}
	size_t n = lint_rule_count();
	const struct lint_rule **v = calloc(n, sizeof(*v));
	if (!v)
		return err_set(ERR_RUNTIME, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = lint_rule_at(i);
	qsort(v, n, sizeof(*v), by_id);
	if (!strcmp(app_format(app), "json")) {
		struct jsonw w;
		jsonw_init(&w, stdout, true);
		jsonw_arr_begin(&w);
		for (size_t i = 0; i < n; i++) {
			jsonw_obj_begin(&w);
			jsonw_kstr(&w, "id", v[i]->id);
			jsonw_kstr(&w, "severity", severity_name(v[i]->severity));
			jsonw_kstr(&w, "configured", severity_name(lint_severity(&s, v[i]->id)));
			jsonw_kstr(&w, "family", lint_family_name(v[i]->family));
			jsonw_kstr(&w, "summary", v[i]->summary);
			jsonw_obj_end(&w);
		}
		jsonw_arr_end(&w);
		jsonw_finish(&w);
	} else {
		for (size_t i = 0; i < n; i++) {
			enum severity eff = lint_severity(&s, v[i]->id);
			printf("%-46s %-7s %-5s %s", v[i]->id, severity_name(eff),
			       lint_family_name(v[i]->family), v[i]->summary);
			if (eff != v[i]->severity)
				printf(" (default: %s)", severity_name(v[i]->severity));
			putchar('\n');
		}
	}
	free(v);
	lint_settings_release(&s);
	return 0;
}

const struct command cmd_rules = {
    .name = "rules",
    .run = run_rules,
    .summary = "list every lint rule with its severity",
    .usage = "revgate rules [--format text|json]",
    .description = "Severities shown are those in effect with revgate.ini's [rules] section.\n"
		   "'revgate explain ID' prints a rule's page.",
    .opts = rules_opts,
    .needs = NEEDS_CONFIG,
    .formats = "text|json",
};

/* ERR_NOTFOUND for an id that is neither a rule nor a finding, with the
 * closest ones when it looks like a typo. */
static int no_such_id(const char *id)
{
	struct suggest sg;
	suggest_init(&sg, id);
	for (size_t i = 0; i < lint_rule_count(); i++)
		suggest_add(&sg, lint_rule_at(i)->id);
	for (const struct rule_doc *d = finding_docs; d->id; d++)
		suggest_add(&sg, d->id);
	char *hint = suggest_hint(&sg);
	int ret = err_set(ERR_NOTFOUND, "no rule or finding '%s'%s (see 'revgate rules')", id, hint);
	free(hint);
	return ret;
}

static int run_explain(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const char *id = a->pos[0];
	/* a lint rule's page, else the page of a finding verify, upgrade or
	 * test print */
	const char *doc = lint_rule_find(id) ? rule_doc_find(id) : finding_doc_find(id);
	if (!doc)
		return no_such_id(id);
	fputs(doc, stdout);
	return 0;
}

const struct command cmd_explain = {
    .name = "explain",
    .run = run_explain,
    .summary = "explain a rule or finding: why, the safe alternative, examples",
    .usage = "revgate explain ID",
    .description = "ID is a lint rule ('revgate rules' lists them) or any other finding id\n"
		   "revgate prints, such as verify's applied-checksum-mismatch.",
    .opts = rules_opts,
    .min_pos = 1,
    .max_pos = 1,
    .args = "RULE",
};
