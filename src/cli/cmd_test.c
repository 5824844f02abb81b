/*
 * revgate test: the CI check of a history against a real server (see
 * apply/check.c). With a URL it works in a scratch database it creates and
 * drops; without one it starts a throwaway cluster and removes it after.
 *
 * The test runs every downgrade, so it must never land in a database that
 * holds data: when the scratch database cannot be created it refuses, and
 * only `--in-place --url URL` (both explicit, never DATABASE_URL or .env)
 * tests in the given database, which must then hold no objects at all.
 */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/tracecli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/cluster.h"
#include "output/output.h"
#include "output/trace.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_opt test_opts[] = {
	DBCLI_OPTS,
	{"in-place", 0, NULL, "test in the --url database itself, which must be empty (no objects)"},
	{"allow-cluster-changes", 0, NULL,
	 "with --url: run revisions that change roles, databases, tablespaces or ALTER SYSTEM"},
	{"trace", 0, NULL, "then trace the revisions this branch adds, as 'revgate trace' does"},
	{"max-lock-ms", 0, "MS", "with --trace: as 'revgate trace --max-lock-ms' (default 1000)"},
	{"rows", 0, "N", "with --trace: as 'revgate trace --rows'"},
	{NULL, 0, NULL, NULL},
};

/*
 * --trace, after a round trip that passed: the revisions this branch adds
 * (all without a base) traced in another scratch database of the same
 * server. The trace is printed in text and its findings join the test's;
 * a statement that failed when traced is ERR_CHECK.
 */
static int test_trace(struct app *app, struct apply_settings *s, struct trace_opts *o,
		      struct findings *fs)
{
	struct apply_plan before = APPLY_PLAN_INIT, traced = APPLY_PLAN_INIT;
	struct trace_report r = TRACE_REPORT_INIT;
	const char *what = NULL;
	int ret = tracecli_plans(app, NULL, &before, &traced, &what);
	if (ret == 0 && traced.n) {
		app_note(app, "revgate test: tracing %s (%zu)", what, traced.n);
		ret = tracecli_run(app, s, &before, &traced, o, &r);
	}
	if (ret == 0 && r.n && !strcmp(app_format(app), "text"))
		ret = trace_print(stdout, "text", &r, app->color);
	if (ret == 0)
		findings_move(fs, &r.findings);
	if (ret == 0 && r.failed)
		ret = err_set(ERR_CHECK, "%zu statement%s failed when traced (above)", r.failed,
			      r.failed == 1 ? "" : "s");
	trace_report_release(&r);
	apply_plan_release(&before);
	apply_plan_release(&traced);
	return ret;
}

/* A server that is not throwaway keeps its roles, databases and settings:
 * the revisions that change them are refused before anything runs. */
static int refuse_cluster_changes(struct app *app, bool allowed)
{
	struct strlist found = STRLIST_INIT;
	apply_test_cluster_changes(&app->graph, &found);
	int ret = 0;
	if (found.n && !allowed) {
		for (size_t i = 0; i < found.n; i++)
			fprintf(stderr, "%s\n", found.v[i]);
		ret = err_set(ERR_CHECK, "%zu statement%s above change%s the whole server, not only "
					 "the database under test: revgate test runs every upgrade and "
					 "downgrade there; test without --url (a throwaway cluster), or "
					 "pass --allow-cluster-changes if this server is yours to change",
			      found.n, found.n == 1 ? "" : "s", found.n == 1 ? "s" : "");
	}
	strlist_release(&found);
	return ret;
}

static int run_test(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct pg_cluster cluster = PG_CLUSTER_INIT;
	struct findings fs = FINDINGS_INIT;
	struct apply_failure fail = {0};
	char *scratch = NULL;
	size_t steps = 0;
	bool opened = false, created = false;
	struct trace_opts o = {0, TRACE_MAX_LOCK_MS_DEFAULT, NULL, NULL};
	memset(&ss, 0, sizeof(ss));
	int ret = dbcli_refuse_broken_graph(app);
	if (ret == 0)
		ret = dbcli_settings(app, cmd, a, &s);
	if (ret < 0)
		goto out;
	graph_check_heads(&app->graph, &fs);
	bool in_place = cli_flag(cmd, a, "in-place"), trace = cli_flag(cmd, a, "trace");
	const char *url_flag = cli_value(cmd, a, "url");
	if (!trace && (cli_value(cmd, a, "max-lock-ms") || cli_value(cmd, a, "rows"))) {
		ret = err_set(ERR_USAGE, "--max-lock-ms and --rows go with --trace");
		goto out;
	}
	if (trace && in_place) {
		ret = err_set(ERR_USAGE, "--trace needs a scratch database of its own: not with "
					 "--in-place");
		goto out;
	}
	if (trace && (ret = tracecli_options(cmd, a, &o)) < 0)
		goto out;
	if (in_place && !(url_flag && *url_flag)) {
		ret = err_set(ERR_USAGE, "--in-place needs --url: the database it "
					 "tests in is named explicitly, never taken from "
					 "DATABASE_URL, .env or the config");
		goto out;
	}
	/* never DATABASE_URL, .env or the config: the test runs every
	 * downgrade, and a revision's DROP ROLE reaches the whole server */
	if (url_flag && *url_flag) {
		if ((ret = refuse_cluster_changes(app, cli_flag(cmd, a, "allow-cluster-changes"))) <
			0 ||
		    (ret = apply_settings_url(&s, url_flag)) < 0)
			goto out;
		char *where = db_url_redact(s.url);
		app_note(app, "revgate test: on the server at %s (--url), %s", where,
			 in_place ? "in that database itself (--in-place)"
				  : "in a scratch database it creates and drops");
		free(where);
	} else {
		app_note(app, "revgate test: on a throwaway PostgreSQL cluster it starts and removes "
			      "(no --url given)");
		if ((ret = pg_cluster_start(&cluster)) < 0)
			goto out;
		s.url = xstrdup(cluster.url);
		s.url_source = "a throwaway cluster";
	}
	if (in_place) {
		/* look before the tables are created: an in-place run needs a
		 * catalog without a single object of its own */
		ret = apply_open(&ss, &s, &app->graph, "test", APPLY_OPEN_NO_LOCK, dbcli_event,
				 app);
		opened = true;
		if (ret == 0)
			ret = apply_test_check_empty(&ss);
		if (ret == 0)
			ret = apply_lock(&ss, true);
		if (ret == 0)
			created = true;
	} else {
		if ((ret = dbcli_scratch_create(&s, "revgate test", &scratch)) < 0)
			goto out;
		s.dbname = xstrdup(scratch);
		ret = apply_open(&ss, &s, &app->graph, "test", APPLY_OPEN_CREATE, dbcli_event,
				 app);
		opened = true;
	}
	if (ret < 0 || (ret = apply_test(&ss, &fs, &fail, &steps)) < 0)
		goto out;
	if (fail.set)
		dbcli_print_failure(app, &fail);
	if (trace && !findings_count(&fs, SEV_ERROR) &&
	    (ret = test_trace(app, &s, &o, &fs)) < 0)
		goto out;
	findings_sort(&fs);
	struct printer p;
	if ((ret = printer_open(&p, app_format(app), stdout, app->color)) < 0)
		goto out;
	printer_print(&p, &fs);
	if (findings_count(&fs, SEV_ERROR))
		ret = err_set(ERR_CHECK, "the history failed the test (above)");
	else
		app_note(app, "revgate test: %zu revisions, %zu steps: up, down and up again with the "
			      "same schema at every step",
			 app->graph.n, steps);
out:;
	/* the clean-up below may talk to the server: keep this run's error */
	char *msg = ret < 0 ? xstrdup(err_msg()) : NULL;
	if (created && apply_drop_tables(&ss) < 0) {
		app_note(app, "revgate test: could not drop revgate's tables: %s", err_msg());
		err_clear();
	}
	if (opened)
		apply_close(&ss);
	if (scratch)
		dbcli_scratch_drop(&s, "revgate test", scratch);
	pg_cluster_stop(&cluster);
	if (msg) {
		err_set(ret, "%s", msg);
		free(msg);
	}
	free(scratch);
	apply_failure_release(&fail);
	findings_release(&fs);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_test = {
	.name = "test",
	.run = run_test,
	.summary = "check the history on a real server: up, down, up, both merge orders",
	.usage = "revgate test [--url URL [--in-place] [--allow-cluster-changes]] [--trace "
		 "[--max-lock-ms MS] [--rows N]] [--format text|json]",
	.description =
		"Applies every revision one step at a time, snapshotting the schema from the\n"
		"catalog after each; reverts them newest first, checking that each downgrade\n"
		"restores the schema before it; applies them again; and, across a merge,\n"
		"applies the merged branches in the other order and compares the result.\n"
		"Without --url it always starts a throwaway PostgreSQL (initdb in a temporary\n"
		"directory) and removes it after; DATABASE_URL, .env and the config are never\n"
		"used. With --url it works in a scratch database it creates and drops, and\n"
		"refuses when it cannot create one, or when a revision changes the whole server\n"
		"(roles, databases, tablespaces, ALTER SYSTEM) unless --allow-cluster-changes.\n"
		"--in-place --url URL tests in that database instead, which must hold no\n"
		"objects of any kind; revgate's own tables are dropped after. The first line\n"
		"says which server it uses.\n"
		"\n"
		"--trace then runs 'revgate trace' on the same server (see 'revgate help\n"
		"trace'): the revisions this branch adds, each statement's locks checked\n"
		"against lint's lock table and against --max-lock-ms.",
	.opts = test_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json",
};
