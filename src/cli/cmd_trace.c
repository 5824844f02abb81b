/*
 * revgate trace [REV | FROM:TO]: runs revisions on a throwaway PostgreSQL
 * (or in a scratch database of --url's server) and reports what each
 * statement really took, checked against lint's lock table.
 */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/tracecli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/cluster.h"
#include "output/trace.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt trace_opts[] = {
	{"url", 0, "URL", "a server to trace on, in a scratch database (default: a throwaway cluster)"},
	{"rows", 0, "N", "first fill the tables the revisions touch with N synthetic rows"},
	{"max-lock-ms", 0, "MS",
	 "fail when a lock blocking reads or writes of an existing table is held longer (default 1000)"},
	{"lock-wait", 0, "DURATION", "how long to wait for another run (default 60s)"},
	{NULL, 0, NULL, NULL},
};

static int run_trace(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_plan before = APPLY_PLAN_INIT, traced = APPLY_PLAN_INIT;
	struct pg_cluster cluster = PG_CLUSTER_INIT;
	struct trace_report r = TRACE_REPORT_INIT;
	struct trace_opts o = {0, TRACE_MAX_LOCK_MS_DEFAULT, NULL, NULL};
	const char *what = NULL;
	int ret = dbcli_refuse_broken_graph(app);
	if (ret == 0)
		ret = tracecli_options(cmd, a, &o);
	if (ret == 0)
		ret = app->layout.kind != LAYOUT_REVGATE ? app_require_revgate_layout(app, "trace")
							 : 0;
	if (ret == 0)
		ret = apply_settings_load(&s, &app->cfg, NULL, cli_value(cmd, a, "lock-wait"));
	if (ret == 0)
		ret = tracecli_plans(app, a->npos ? a->pos[0] : NULL, &before, &traced, &what);
	if (ret < 0)
		goto out;
	if (!traced.n) {
		app_note(app, "revgate trace: nothing to trace (%s is already applied by the range's "
			      "start)",
			 what);
		goto out;
	}
	const char *url = cli_value(cmd, a, "url");
	if (url && *url) {
		if ((ret = apply_settings_url(&s, url)) < 0)
			goto out;
	} else {
		app_note(app, "revgate trace: starting a throwaway PostgreSQL");
		if ((ret = pg_cluster_start(&cluster)) < 0)
			goto out;
		s.url = xstrdup(cluster.url);
		s.url_source = "a throwaway cluster";
	}
	app_note(app, "revgate trace: %zu revision%s applied first, then %s traced (%zu)",
		 before.n, before.n == 1 ? "" : "s", what, traced.n);
	if ((ret = tracecli_run(app, &s, &before, &traced, &o, &r)) < 0)
		goto out;
	findings_sort(&r.findings);
	if ((ret = trace_print(stdout, app_format(app), &r, app->color)) < 0)
		goto out;
	if (r.failed)
		ret = err_set(ERR_CHECK, "%zu statement%s failed on the server (above)", r.failed,
			      r.failed == 1 ? "" : "s");
	else if (findings_count(&r.findings, SEV_ERROR))
		ret = err_set(ERR_CHECK, "the trace disagrees with lint or held a lock too long "
					 "(above)");
out:
	pg_cluster_stop(&cluster);
	trace_report_release(&r);
	apply_plan_release(&before);
	apply_plan_release(&traced);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_trace = {
	.name = "trace",
	.run = run_trace,
	.summary = "run revisions on a throwaway server: the locks, rewrites and times they take",
	.usage = "revgate trace [REV | FROM:TO] [--rows N] [--max-lock-ms MS] [--url URL] "
		 "[--format text|json|github|markdown]",
	.description =
		"Starts a throwaway PostgreSQL (initdb in a temporary directory; --url: a scratch\n"
		"database on that server instead), applies the history before the traced\n"
		"revisions, then runs each traced statement in its revision's transaction mode\n"
		"and reports what PostgreSQL really did: the relation locks it took that were\n"
		"not held before it (pg_locks; a statement that must run outside a transaction\n"
		"is watched from other connections), how long each stayed held, the relations\n"
		"it rewrote, the tables it scanned, its catalog effects and its duration.\n"
		"Each statement's locks are held against what lint's lock table predicts:\n"
		"confirmed, CONTRADICTED, or (for a watched statement, which can take and\n"
		"drop a lock between two looks) not observed; a lock on an existing table\n"
		"at SHARE UPDATE EXCLUSIVE or stronger that lint does not predict is marked.\n"
		"--rows N first fills the tables the traced revisions name with N rows that\n"
		"satisfy their constraints, so rewrites, scans and durations mean something.\n"
		"\n"
		"Without an argument it traces the revisions this branch adds to the base\n"
		"branch (every revision without git or a base); REV traces that revision;\n"
		"FROM:TO reads as in 'upgrade --sql': FROM is applied first, untraced, then\n"
		"the revisions after it up to TO are traced.\n"
		"\n"
		"Exit 1 when a statement fails, when PostgreSQL did not take a lock lint\n"
		"predicts (lock-prediction-mismatch), or when a lock that blocks reads or\n"
		"writes of a table that existed before the revision is held longer than\n"
		"--max-lock-ms (lock-held-too-long; default 1000 ms). --format json prints\n"
		"the schema the README describes (\"Tracing what PostgreSQL really takes\");\n"
		"github, one annotation per finding; markdown, a pull-request comment.",
	.opts = trace_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json|github|markdown",
	.max_pos = 1,
};
