/* revgate heads / branches: read the graph, no database. */
#include "cli/cli.h"
#include "cli/revinfo.h"
#include "core/err.h"

#include <string.h>

static const struct cli_opt heads_opts[] = {
	{"verbose", 'v', NULL, "show each head in full"},
	{"resolve-dependencies", 0, NULL, "leave out heads that another revision depends on"},
	{NULL, 0, NULL, NULL},
};

static const struct cli_opt branches_opts[] = {
	{"verbose", 'v', NULL, "show each branch point in full"},
	{NULL, 0, NULL, NULL},
};

/* Load problems go to stderr; the answer still comes from what could be read. */
static int finish(struct app *app)
{
	app_report_findings(app, &app->load_findings);
	if (app->graph.has_cycle)
		return err_set(ERR_GRAPH, "the revision graph has a cycle");
	return app_load_failed(app) ? err_set(ERR_CHECK, "the migrations directory has errors "
							 "(above)")
				    : 0;
}

static int run_heads(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	const struct idxvec *heads =
		cli_flag(cmd, a, "resolve-dependencies") ? &g->real_heads : &g->heads;
	if (!strcmp(app_format(app), "json")) {
		revinfo_json_list(stdout, g, heads, NULL);
	} else {
		for (size_t k = 0; k < heads->n; k++) {
			if (cli_flag(cmd, a, "verbose"))
				revinfo_verbose(stdout, g, heads->v[k], 0);
			else
				revinfo_line(stdout, g, heads->v[k], 0);
		}
	}
	return finish(app);
}

const struct command cmd_heads = {
	.name = "heads",
	.run = run_heads,
	.summary = "list the current heads of the revision graph",
	.usage = "revgate heads [--verbose] [--resolve-dependencies] [--format text|json]",
	.description = "A head is a revision that no other revision names as its parent. More than\n"
		       "one head means 'upgrade head' is ambiguous: join them with 'revgate merge'.",
	.opts = heads_opts,
	.needs = NEEDS_HEADERS,
	.formats = "text|json",
};

static int run_branches(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	/* newest first, as Alembic lists them */
	struct idxvec points = IDXVEC_INIT, order = IDXVEC_INIT;
	graph_history(g, &order);
	for (size_t k = 0; k < order.n; k++)
		if (graph_is_branch_point(g, order.v[k]))
			idxvec_push(&points, order.v[k]);
	idxvec_release(&order);
	if (!strcmp(app_format(app), "json")) {
		revinfo_json_list(stdout, g, &points, NULL);
	} else {
		for (size_t k = 0; k < points.n; k++) {
			size_t i = points.v[k];
			if (cli_flag(cmd, a, "verbose"))
				revinfo_verbose(stdout, g, i, 0);
			else
				revinfo_line(stdout, g, i, REVINFO_PARENTS | REVINFO_DOC | REVINFO_TREE);
			const struct graph_node *nd = &g->nodes[i];
			for (size_t c = 0; c < nd->next.n; c++) {
				fputs("    -> ", stdout);
				revinfo_line(stdout, g, nd->next.v[c], REVINFO_DOC | REVINFO_TREE);
			}
		}
	}
	idxvec_release(&points);
	return finish(app);
}

const struct command cmd_branches = {
	.name = "branches",
	.run = run_branches,
	.summary = "list branch points (revisions with several children)",
	.usage = "revgate branches [--verbose] [--format text|json]",
	.opts = branches_opts,
	.needs = NEEDS_HEADERS,
	.formats = "text|json",
};
