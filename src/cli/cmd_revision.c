/* revgate revision -m MSG / revgate merge: write new revision files. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "graph/walk.h"
#include "revision/newrev.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The clock for file names; REVGATE_NOW (seconds since the epoch) pins it for
 * reproducible files. */
static time_t now(void)
{
	const char *pin = getenv("REVGATE_NOW");
	return pin && *pin ? (time_t)strtoll(pin, NULL, 10) : time(NULL);
}

static int refuse_broken_graph(struct app *app)
{
	if (app->graph.has_cycle || !app->graph.complete) {
		app_report_findings(app, &app->load_findings);
		return err_set(ERR_GRAPH, "the revision graph has errors (above); fix them first");
	}
	return 0;
}

static const struct cli_opt revision_opts[] = {
	{"message", 'm', "MSG", "what the revision does (also names the file)"},
	{"head", 0, "REV", "parent revision when there are several heads"},
	{"depends-on", 0, "REVS", "comma-separated revisions that must run first"},
	{"branch-label", 0, "LABEL", "label for a new branch starting here"},
	{"no-transaction", 0, NULL, "mark the revision 'transaction: false'"},
	{NULL, 0, NULL, NULL},
};

/*
 * Linear tools name their migrations by version and have no merges:
 * their own commands write them.
 */
static int check_writable(const struct app *app, const char *what)
{
	const struct layout_settings *ls = &app->layout;
	if (ls->kind == LAYOUT_REVGATE || ls->kind == LAYOUT_ALEMBIC)
		return 0;
	return err_set(ERR_CONFIG,
		       "'revgate %s' writes revgate and Alembic revisions; %s's history is a line "
		       "of versions without merges: write its migrations with %s itself",
		       what, layout_name(ls->kind), layout_name(ls->kind));
}

/* A new revision in the project's own form: a revgate file, or an Alembic
 * .py file next to its first parent (in the first version location for a
 * root). */
static int write_revision(struct app *app, const struct newrev *r, char **path)
{
	const struct layout_settings *ls = &app->layout;
	if (ls->kind == LAYOUT_REVGATE)
		return newrev_write(app->migrations_dir, r, now(), path);
	char *dir = NULL;
	size_t i;
	if (r->parents && r->parents->n && graph_find(&app->graph, r->parents->v[0], &i)) {
		const char *p = app->graph.nodes[i].rev->path;
		const char *slash = strrchr(p, '/');
		dir = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(".");
	} else {
		dir = ls->subdirs.n ? path_join(ls->dir, ls->subdirs.v[0]) : xstrdup(ls->dir);
	}
	int ret = layout_alembic_write(ls, dir, r, now(), path);
	free(dir);
	return ret;
}

static int run_revision(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	const char *msg = cli_value(cmd, a, "message");
	const char *head = cli_value(cmd, a, "head");
	struct strlist parents = STRLIST_INIT, deps = STRLIST_INIT, labels = STRLIST_INIT;
	char *path = NULL;
	int ret = check_writable(app, "revision");
	if (ret == 0)
		ret = refuse_broken_graph(app);
	if (ret < 0)
		goto out;
	if (!msg) {
		ret = err_set(ERR_USAGE, "a revision needs a message: -m \"add orders.status\"");
		goto out;
	}
	if (head) {
		size_t i;
		if ((ret = graph_resolve_one(g, head, &i)) < 0)
			goto out;
		if (i != GRAPH_NONE)
			strlist_push(&parents, g->nodes[i].id);
	} else if (g->heads.n > 1) {
		struct strlist ids = STRLIST_INIT;
		for (size_t k = 0; k < g->heads.n; k++)
			strlist_push(&ids, g->nodes[g->heads.v[k]].id);
		char *joined = strlist_join(&ids, ", ");
		ret = err_set(ERR_USAGE, "the history has several heads (%s): name the parent "
					 "with --head, or run 'revgate merge' first",
			      joined);
		free(joined);
		strlist_release(&ids);
		goto out;
	} else if (g->heads.n == 1) {
		strlist_push(&parents, g->nodes[g->heads.v[0]].id);
	}
	if (cli_value(cmd, a, "depends-on"))
		strlist_split(&deps, cli_value(cmd, a, "depends-on"), ',');
	if (cli_value(cmd, a, "branch-label"))
		strlist_split(&labels, cli_value(cmd, a, "branch-label"), ',');
	struct newrev r = {
		.parents = &parents,
		.depends_on = &deps,
		.branch_labels = &labels,
		.message = msg,
		.non_transactional = cli_flag(cmd, a, "no-transaction"),
	};
	if ((ret = write_revision(app, &r, &path)) < 0)
		goto out;
	printf("%s\n", path);
out:
	free(path);
	strlist_release(&parents);
	strlist_release(&deps);
	strlist_release(&labels);
	return ret;
}

const struct command cmd_revision = {
	.name = "revision",
	.run = run_revision,
	.summary = "write a new revision file on the current head",
	.usage = "revgate revision -m MSG [--head REV] [--depends-on REVS] [--branch-label L]",
	.description = "Creates YYYYMMDD_HHMM_<id>_<slug>.sql in the migrations directory with a\n"
		       "random 12-digit id, the current head as its parent, and empty upgrade and\n"
		       "downgrade sections. Prints the path.",
	.opts = revision_opts,
	.needs = NEEDS_REVISIONS,
};

static const struct cli_opt merge_opts[] = {
	{"message", 'm', "MSG", "message of the merge revision (default: merge heads)"},
	{NULL, 0, NULL, NULL},
};

static int run_merge(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const struct graph *g = &app->graph;
	struct strlist parents = STRLIST_INIT;
	char *path = NULL;
	int ret = check_writable(app, "merge");
	if (ret == 0)
		ret = refuse_broken_graph(app);
	if (ret < 0)
		goto out;
	if (a->npos) {
		for (size_t k = 0; k < a->npos; k++) {
			struct idxvec found = IDXVEC_INIT;
			ret = graph_resolve(g, GIDENT_STR(a->pos[k]), &found);
			for (size_t q = 0; ret == 0 && q < found.n; q++)
				if (found.v[q] != GRAPH_NONE &&
				    !strlist_has(&parents, g->nodes[found.v[q]].id))
					strlist_push(&parents, g->nodes[found.v[q]].id);
			idxvec_release(&found);
			if (ret < 0)
				goto out;
		}
	} else {
		for (size_t k = 0; k < g->heads.n; k++)
			strlist_push(&parents, g->nodes[g->heads.v[k]].id);
	}
	if (parents.n < 2) {
		ret = err_set(ERR_USAGE, "nothing to merge: %s", a->npos ? "name at least two "
									   "revisions"
									 : "the history has one head");
		goto out;
	}
	const char *msg = cli_value(cmd, a, "message");
	char *dflt = NULL;
	if (!msg) {
		char *joined = strlist_join(&parents, " and ");
		dflt = xstrfmt("merge %s", joined);
		free(joined);
		msg = dflt;
	}
	struct newrev r = {.parents = &parents, .message = msg};
	ret = write_revision(app, &r, &path);
	free(dflt);
	if (ret < 0)
		goto out;
	printf("%s\n", path);
	app_note(app, "wrote merge revision over %zu heads", parents.n);
out:
	free(path);
	strlist_release(&parents);
	return ret;
}

const struct command cmd_merge = {
	.name = "merge",
	.run = run_merge,
	.summary = "write a merge revision over the current heads",
	.usage = "revgate merge [-m MSG] [REV...]",
	.description = "Joins several heads into one with a revision whose down_revision lists\n"
		       "them all and whose sections are empty. Without REVs, merges every head.",
	.opts = merge_opts,
	.needs = NEEDS_REVISIONS,
	.max_pos = 64,
	.args = "REV",
};
