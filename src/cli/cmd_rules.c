/* revgate rules / explain: the rule catalogue, and the pages of every
 * other finding id. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/suggest.h"
#include "lint/docs.h"
#include "lint/lint.h"
#include "lint/registry.h"
#include "output/jsonw.h"
#include "sql/locks.h"

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

/* Rows of the lock table (sql/locks.h) for `form`, or every row when 0. */
static void print_locks(int form)
{
	for (const struct lock_entry *e = locks_table(); e->form != LF_NONE; e++) {
		if (form && (int)e->form != form)
			continue;
		char versions[16];
		if (e->min_pg == e->max_pg)
			snprintf(versions, sizeof(versions), "%d", e->min_pg);
		else
			snprintf(versions, sizeof(versions), "%d-%d", e->min_pg, e->max_pg);
		printf("| %s | %s | %s | %s | %s |\n", e->sql, lock_role_name(e->role),
		       lock_mode_name(e->mode), versions, *e->effect ? e->effect : "");
	}
}

static void print_lock_header(void)
{
	printf("| statement | on | lock | PostgreSQL | rewrites or scans |\n");
	printf("|---|---|---|---|---|\n");
}

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
	if (!strcmp(id, "locks")) {
		printf("# The lock table\n\nThe lock each statement form takes, per PostgreSQL "
		       "major, from the PostgreSQL documentation; lint judges statements by it.\n\n");
		print_lock_header();
		print_locks(0);
		return 0;
	}
	/* a lint rule's page, else the page of a finding verify, upgrade or
	 * test print */
	const struct lint_rule *r = lint_rule_find(id);
	const char *doc = r ? rule_doc_find(id) : finding_doc_find(id);
	if (!doc)
		return no_such_id(id);
	fputs(doc, stdout);
	if (r && r->forms && r->forms[0]) {
		printf("\n## Locks\n\nFrom revgate's lock table ('revgate explain locks' "
		       "prints all of it):\n\n");
		print_lock_header();
		for (const int *f = r->forms; *f; f++)
			print_locks(*f);
	}
	return 0;
}

const struct command cmd_explain = {
    .name = "explain",
    .run = run_explain,
    .summary = "explain a rule or finding: why, the safe alternative, examples, locks",
    .usage = "revgate explain ID | locks",
    .description = "ID is a lint rule ('revgate rules' lists them) or any other finding id\n"
		   "revgate prints, such as verify's applied-checksum-mismatch. A rule's page\n"
		   "ends with the rows of the lock table it judges by; 'revgate explain locks'\n"
		   "prints the whole lock table: the lock each statement form takes, per\n"
		   "PostgreSQL major (13 to 17).",
    .opts = rules_opts,
    .min_pos = 1,
    .max_pos = 1,
    .args = "RULE",
};
