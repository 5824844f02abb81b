/* revgate show REV: one revision in full. */
#include "cli/cli.h"
#include "cli/revinfo.h"
#include "core/err.h"
#include "graph/walk.h"

#include <string.h>

static const struct cli_opt show_opts[] = {
	{NULL, 0, NULL, NULL},
};

static int run_show(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	struct idxvec list = IDXVEC_INIT, found = IDXVEC_INIT;
	int ret = graph_resolve(g, GIDENT_STR(a->pos[0]), &list);
	if (ret < 0)
		goto out;
	for (size_t k = 0; k < list.n; k++)
		if (list.v[k] != GRAPH_NONE)
			idxvec_push(&found, list.v[k]);
	if (!found.n) {
		ret = err_set(ERR_NOTFOUND, "'%s' names no revision", a->pos[0]);
		goto out;
	}
	if (!strcmp(app_format(app), "json")) {
		revinfo_json_list(stdout, g, &found, NULL);
	} else {
		for (size_t k = 0; k < found.n; k++) {
			revinfo_verbose(stdout, g, found.v[k], 0);
		}
	}
out:
	idxvec_release(&list);
	idxvec_release(&found);
	/* as heads and history: what could not be read is said, and fails the run */
	app_report_findings(app, &app->load_findings);
	if (ret == 0 && app_load_failed(app))
		ret = err_set(ERR_CHECK, "the migrations directory has errors (above)");
	return ret;
}

const struct command cmd_show = {
	.name = "show",
	.run = run_show,
	.summary = "show one revision (id, prefix, head, label@head, ...)",
	.usage = "revgate show REV [--format text|json]",
	.opts = show_opts,
	.needs = NEEDS_HEADERS,
	.formats = "text|json",
	.min_pos = 1,
	.max_pos = 1,
	.args = "REV",
};
