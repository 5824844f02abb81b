/* revgate history [-r A:B] [--indicate-current]: newest first, in Alembic's
 * order. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/revinfo.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "graph/walk.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt history_opts[] = {
	{"rev-range", 'r', "A:B", "only revisions from A (exclusive of its ancestors) to B"},
	{"verbose", 'v', NULL, "show each revision in full"},
	{"indicate-current", 'i', NULL, "mark the revisions the database is at (connects to it)"},
	DBCLI_OPTS,
	{NULL, 0, NULL, NULL},
};

/* The database's heads, read without the lock, as 'revgate current' reads them. */
static int read_current(struct app *app, const struct command *cmd, struct cli_args *a,
			struct strlist *heads)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	memset(&ss, 0, sizeof(ss));
	int ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_NO_LOCK);
	for (size_t i = 0; ret == 0 && i < ss.heads.n; i++)
		strlist_push(heads, ss.heads.v[i]);
	apply_close(&ss);
	apply_settings_release(&s);
	return ret;
}

static int run_history(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	struct idxvec list = IDXVEC_INIT;
	struct strlist current = STRLIST_INIT;
	bool indicate = cli_flag(cmd, a, "indicate-current");
	const char *range = cli_value(cmd, a, "rev-range");
	int ret = 0;
	if (g->has_cycle) {
		app_report_findings(app, &app->load_findings);
		return err_set(ERR_GRAPH, "the revision graph has a cycle");
	}
	if (range) {
		const char *colon = strchr(range, ':');
		if (!colon)
			return err_set(ERR_USAGE, "a history range is [start]:[end], [start]: or :[end]");
		char *base = xstrndup(range, (size_t)(colon - range));
		const char *head = colon + 1;
		struct walk_opts o = {.inclusive = true, .assert_relative_length = false};
		ret = graph_iterate(g, GIDENT_STR(*head ? head : "heads"),
				    GIDENT_STR(*base ? base : "base"), &o, &list);
		free(base);
	} else {
		graph_history(g, &list);
	}
	if (ret == 0 && indicate)
		ret = read_current(app, cmd, a, &current);
	if (ret == 0) {
		if (!strcmp(app_format(app), "json")) {
			revinfo_json_list(stdout, g, &list, indicate ? &current : NULL);
		} else {
			for (size_t k = 0; k < list.n; k++) {
				unsigned flags = strlist_has(&current, g->nodes[list.v[k]].id)
							 ? REVINFO_CURRENT
							 : 0;
				if (cli_flag(cmd, a, "verbose"))
					revinfo_verbose(stdout, g, list.v[k], flags);
				else
					revinfo_line(stdout, g, list.v[k],
						     flags | REVINFO_PARENTS | REVINFO_DOC | REVINFO_TREE);
			}
		}
		app_report_findings(app, &app->load_findings);
		if (app_load_failed(app))
			ret = err_set(ERR_CHECK, "the migrations directory has errors (above)");
	}
	idxvec_release(&list);
	strlist_release(&current);
	return ret;
}

const struct command cmd_history = {
	.name = "history",
	.run = run_history,
	.summary = "list revisions, newest first",
	.usage = "revgate history [-r START:END] [--verbose] [--indicate-current [--url URL]] "
		 "[--format text|json]",
	.description =
		"Prints the revisions in the order Alembic's 'history' prints them: every\n"
		"revision before its parents, siblings by file name. -r takes Alembic's range\n"
		"syntax: 'ae10:', ':head', 'base:3f2e', relative forms such as '-3:'.\n"
		"--indicate-current reads the version table (the URL as for 'current') and\n"
		"marks the revisions the database is at with (current); in JSON, is_current.",
	.opts = history_opts,
	.needs = NEEDS_HEADERS,
	.formats = "text|json",
};
