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
	{"allow-cluster-changes", 0, NULL,
	 "with --url: run revisions that change roles, databases, tablespaces or ALTER SYSTEM"},
	{NULL, 0, NULL, NULL},
};

/* Creates the scratch database; 0 with `*name` set, or ERR_DB naming why
 * the server would not and what to do instead. */
static int scratch_create(const struct apply_settings *s, char **name)
{
	struct db *db = NULL;
	*name = NULL;
	int ret = db_connect(&db, s->url, NULL, "revgate test");
	if (ret < 0)
		return ret;
	char *n = xstrfmt("revgate_test_%ld", (long)getpid());
	char *q = db_quote_ident(db, NULL, n);
	char *sql = xstrfmt("CREATE DATABASE %s", q);
	ret = db_exec(db, sql);
	if (ret == 0) {
		*name = n;
		n = NULL;
	} else {
		char *why = xstrdup(err_msg());
		ret = err_set(ERR_DB, "cannot create a scratch database on %s (the URL from %s): "
				      "%s; refusing to run the downgrades anywhere else (grant the "
				      "role CREATEDB, or pass --in-place --url URL to test in an "
				      "empty database)",
			      db_where(db), s->url_source ? s->url_source : "?", why);
		free(why);
	}
	free(sql);
	free(q);
	free(n);
	db_close(db);
	return ret;
}

static void scratch_drop(const struct apply_settings *s, const char *name)
{
	struct db *db = NULL;
	if (db_connect(&db, s->url, NULL, "revgate test") == 0) {
		char *q = db_quote_ident(db, NULL, name);
		char *sql = xstrfmt("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
		if (db_exec(db, sql) < 0)
			err_clear();
		free(sql);
		free(q);
	}
	err_clear();
	db_close(db);
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
		if ((ret = scratch_create(&s, &scratch)) < 0)
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
		scratch_drop(&s, scratch);
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
	.usage = "revgate test [--url URL [--in-place] [--allow-cluster-changes]] [--format text|json]",
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
		"says which server it uses.",
	.opts = test_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json",
};
