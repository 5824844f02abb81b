/*
 * revgate rebase [--onto REF] [--dry-run]: the merge-head helper's linear
 * fix. Re-parents this branch's revisions that are not on the base onto the
 * base's head and prints what it changed; the planning lives in
 * guard/rebase.c.
 */
#include "cli/cli.h"
#include "core/err.h"
#include "guard/guard.h"
#include "guard/rebase.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct cli_opt rebase_opts[] = {
	{"onto", 0, "REF", "base branch to rebase onto (default: [git] base, else origin/main or main)"},
	{"dry-run", 'n', NULL, "print what would change, change nothing"},
	{NULL, 0, NULL, NULL},
};

/* The clock for new file names; REVGATE_NOW (seconds since the epoch) pins it. */
static time_t now(void)
{
	const char *pin = getenv("REVGATE_NOW");
	return pin && *pin ? (time_t)strtoll(pin, NULL, 10) : time(NULL);
}

static int run_rebase(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct guard_base base = GUARD_BASE_INIT;
	struct rebase_plan plan = REBASE_PLAN_INIT;
	bool dry = cli_flag(cmd, a, "dry-run");
	const char *onto = cli_value(cmd, a, "onto");
	if (!onto)
		onto = config_get(&app->cfg, "git", "base");
	int ret = guard_base_open(&base, app->migrations_dir, onto, app->name_pattern, &app->limits,
				  &app->layout);
	if (ret < 0)
		goto out;
	if (app->graph.has_cycle) {
		app_report_findings(app, &app->load_findings);
		ret = err_set(ERR_GRAPH, "the revision graph has a cycle (above); fix it first");
		goto out;
	}
	if ((ret = rebase_plan_make(&plan, app->layout.kind, &app->graph, &base.revs, now())) < 0)
		goto out;
	if (!plan.unapplied) {
		app_note(app, "nothing to rebase: every revision is on %s", base.name);
		goto out;
	}
	if (!plan.n) {
		app_note(app, "nothing to rebase: this branch's %zu revision%s already follow%s "
			      "'%s', the head of %s",
			 plan.unapplied, plan.unapplied == 1 ? "" : "s",
			 plan.unapplied == 1 ? "s" : "", plan.onto, base.name);
		goto out;
	}
	if (!dry && (ret = rebase_plan_apply(&plan, app->migrations_dir)) < 0)
		goto out;
	printf("%s onto '%s', the head of %s:\n", dry ? "would rebase" : "rebased", plan.onto,
	       base.name);
	for (size_t i = 0; i < plan.n; i++) {
		const struct rebase_step *s = &plan.v[i];
		printf("  %s: down_revision %s -> %s", s->rev->id, s->old_parents, s->new_parent);
		if (s->new_name)
			printf("; %s -> %s", s->rev->file_name, s->new_name);
		putchar('\n');
	}
	if (!dry && !plan.onto_present)
		app_note(app, "'%s' is not in the working tree yet: until %s is in this branch, the "
			      "pre-commit hook and the pull-request check find its parent missing; "
			      "bring it in first ('git rebase %s', or 'git merge %s')",
			 plan.onto, base.name, base.name, base.name);
	if (!dry)
		app_note(app, "stage the change with 'git add -A %s'", app->migrations_dir);
out:
	rebase_plan_release(&plan);
	guard_base_release(&base);
	return ret;
}

const struct command cmd_rebase = {
	.name = "rebase",
	.run = run_rebase,
	.summary = "re-parent this branch's new revisions onto the base's head",
	.usage = "revgate rebase [--onto REF] [--dry-run]",
	.description =
		"For a linear history after another branch added revisions: each revision of\n"
		"this branch that the base lacks gets the base's head (or the previous one\n"
		"of this branch) as its down_revision, and a new time stamp in its file\n"
		"name. Ids stay; a revision present on the base is never touched.",
	.opts = rebase_opts,
	.needs = NEEDS_REVISIONS,
};
