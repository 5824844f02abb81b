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
#include "core/err.h"
#include "core/xalloc.h"
#include "db/cluster.h"
#include "output/output.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_opt test_opts[] = {
	DBCLI_OPTS,
	{"in-place", 0, NULL, "test in the --url database itself, which must be empty (no objects)"},
	{NULL, 0, NULL, NULL},
};

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
	memset(&ss, 0, sizeof(ss));
	int ret = dbcli_refuse_broken_graph(app);
	if (ret == 0)
		ret = dbcli_settings(app, cmd, a, &s);
	if (ret < 0)
		goto out;
	graph_check_heads(&app->graph, &fs);
	bool in_place = cli_flag(cmd, a, "in-place");
	const char *url_flag = cli_value(cmd, a, "url");
	if (in_place && !(url_flag && *url_flag)) {
		ret = err_set(ERR_USAGE, "--in-place needs --url: the database it "
					 "tests in is named explicitly, never taken from "
					 "DATABASE_URL, .env or the config");
		goto out;
	}
	if (apply_settings_url(&s, url_flag) < 0) {
		app_note(app, "revgate test: no database given; starting a throwaway PostgreSQL");
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
	.usage = "revgate test [--url URL [--in-place]] [--format text|json]",
	.description =
		"Applies every revision one step at a time, snapshotting the schema from the\n"
		"catalog after each; reverts them newest first, checking that each downgrade\n"
		"restores the schema before it; applies them again; and, across a merge,\n"
		"applies the merged branches in the other order and compares the result.\n"
		"Works in a scratch database it creates and drops, and refuses when it cannot\n"
		"create one; without a URL it starts a throwaway PostgreSQL (initdb in a\n"
		"temporary directory) and removes it after. --in-place --url URL tests in\n"
		"that database instead, which must hold no objects; revgate's own tables are\n"
		"dropped after.",
	.opts = test_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json",
};
