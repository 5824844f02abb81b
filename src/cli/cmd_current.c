/* revgate current [--check-heads] [--check-pending]: the revisions the database is at. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/fleetcli.h"
#include "cli/revinfo.h"
#include "core/err.h"
#include "graph/walk.h"
#include "output/jsonw.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt current_opts[] = {
	DBCLI_OPTS,
	FLEETCLI_OPTS,
	{"check-heads", 0, NULL, "exit 1 unless the database is at every head"},
	{"check-pending", 0, NULL, "exit 1 when revisions wait to be applied (a deploy gate)"},
	{"verbose", 'v', NULL, "show each revision in full"},
	{NULL, 0, NULL, NULL},
};

static void print_json(const struct app *app, const struct apply_session *ss)
{
	struct jsonw w;
	jsonw_init(&w, stdout, true);
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < ss->heads.n; i++) {
		size_t idx;
		if (graph_find(&app->graph, ss->heads.v[i], &idx)) {
			revinfo_json(&w, &app->graph, idx, NULL);
		} else {
			jsonw_obj_begin(&w);
			jsonw_kstr(&w, "revision", ss->heads.v[i]);
			jsonw_kbool(&w, "unknown", true);
			jsonw_obj_end(&w);
		}
	}
	jsonw_arr_end(&w);
	jsonw_finish(&w);
}

static bool at_heads(const struct app *app, const struct apply_session *ss)
{
	const struct graph *g = &app->graph;
	if (ss->heads.n != g->heads.n)
		return false;
	for (size_t k = 0; k < g->heads.n; k++)
		if (!strlist_has(&ss->heads, g->nodes[g->heads.v[k]].id))
			return false;
	return true;
}

/*
 * --check-pending: what 'upgrade heads' would apply from here, and the
 * revisions left half-done; either means the database is behind. A
 * database that runs a revision the files lack is not "behind" but
 * unknown: apply_check_heads_known() has already refused it.
 */
static int check_pending(const struct app *app, const struct apply_session *ss, size_t half_done)
{
	struct idxvec steps = IDXVEC_INIT;
	int ret = graph_upgrade_steps(&app->graph, &ss->heads, "heads", &steps);
	if (ret < 0)
		goto out;
	if (steps.n || half_done) {
		for (size_t i = 0; i < steps.n; i++)
			fprintf(stderr, "revgate: pending: %s\n", app->graph.nodes[steps.v[i]].id);
		if (steps.n)
			ret = err_set(ERR_CHECK,
				      "%zu revision%s to apply (run 'revgate upgrade heads')%s",
				      steps.n, steps.n == 1 ? "" : "s",
				      half_done ? "; a revision is half-done" : "");
		else
			ret = err_set(ERR_CHECK, "a revision is half-done (run 'revgate resolve')");
	}
out:
	idxvec_release(&steps);
	return ret;
}

static int run_current(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	memset(&ss, 0, sizeof(ss));
	if (fleetcli_wanted(cmd, a))
		return fleetcli_run(app, cmd, a);
	int ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_NO_LOCK);
	if (ret < 0)
		goto out;
	if (!strcmp(app_format(app), "json")) {
		print_json(app, &ss);
	} else {
		for (size_t i = 0; i < ss.heads.n; i++) {
			size_t idx;
			if (!graph_find(&app->graph, ss.heads.v[i], &idx))
				printf("%s (not in the migrations directory)\n", ss.heads.v[i]);
			else if (cli_flag(cmd, a, "verbose"))
				revinfo_verbose(stdout, &app->graph, idx, 0);
			else
				revinfo_line(stdout, &app->graph, idx, REVINFO_DOC);
		}
		if (!ss.heads.n)
			app_note(app, "the database is empty (base)");
	}
	struct apply_pending *p = NULL;
	size_t n = 0;
	if (apply_pending_list(&ss, &p, &n) == 0 && n)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "revgate: revision '%s' is half-done (run 'revgate resolve')\n",
				p[i].revision);
	err_clear();
	apply_pending_free(p, n);
	if ((ret = apply_check_heads_known(&ss)) < 0)
		goto out;
	if (cli_flag(cmd, a, "check-pending") && (ret = check_pending(app, &ss, n)) < 0)
		goto out;
	if (cli_flag(cmd, a, "check-heads") && !at_heads(app, &ss))
		ret = err_set(ERR_CHECK, "the database is not at the head revisions (run 'revgate "
					 "upgrade heads')");
out:
	dbcli_close(&ss);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_current = {
	.name = "current",
	.run = run_current,
	.summary = "show the revisions the database is at",
	.usage = "revgate current [--check-heads] [--check-pending] [--url URL] [--format text|json] [--targets FILE ...] [--jobs N]",
	.description = "Reads the version table (one row per head the database is at). With\n"
		       "--check-heads, exits 1 unless those are exactly the history's heads.\n"
		       "With --check-pending, exits 1 when 'upgrade heads' has revisions to\n"
		       "apply or a revision is half-done, naming each: a deploy gate or a\n"
		       "health probe.\n"
		       FLEETCLI_HELP,
	.opts = current_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json",
};
