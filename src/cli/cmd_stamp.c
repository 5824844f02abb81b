/* revgate stamp REV... [--purge]: set the version table without running SQL. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/fleetcli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "graph/walk.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt stamp_opts[] = {
	DBCLI_OPTS,
	FLEETCLI_OPTS,
	{"purge", 0, NULL, "empty the version table first (also clears unknown revisions)"},
	{NULL, 0, NULL, NULL},
};

/*
 * Alembic's stamp: each target replaces the current heads on its line of
 * history (its ancestors and descendants) and keeps the others; 'base'
 * clears the table.
 */
static int stamp_heads(const struct graph *g, const struct strlist *current, char **targets,
		       size_t n, bool purge, struct strlist *out)
{
	struct strlist dests = STRLIST_INIT;
	bool base = false;
	int ret = 0;
	for (size_t t = 0; t < n && ret == 0; t++) {
		struct idxvec found = IDXVEC_INIT;
		ret = graph_resolve(g, GIDENT_STR(targets[t]), &found);
		for (size_t k = 0; ret == 0 && k < found.n; k++) {
			if (found.v[k] == GRAPH_NONE)
				base = true;
			else if (!strlist_has(&dests, g->nodes[found.v[k]].id))
				strlist_push(&dests, g->nodes[found.v[k]].id);
		}
		if (ret == 0 && !found.n)
			base = true;
		idxvec_release(&found);
	}
	if (ret < 0)
		goto out;
	/* two targets on one line of history would both become rows: the
	 * version table would claim a revision and its own ancestor as heads */
	for (size_t i = 0; i < dests.n; i++) {
		size_t d, e;
		graph_find(g, dests.v[i], &d);
		for (size_t k = 0; k < dests.n; k++) {
			if (k == i)
				continue;
			graph_find(g, dests.v[k], &e);
			if (graph_shares_lineage(g, d, &e, 1, true)) {
				ret = err_set(ERR_USAGE, "Requested revision %s overlaps with other "
							 "requested revisions %s",
					      dests.v[i], dests.v[k]);
				goto out;
			}
		}
	}
	if (!purge && !base) {
		for (size_t i = 0; i < current->n; i++) {
			size_t h;
			bool keep = graph_find(g, current->v[i], &h);
			for (size_t k = 0; keep && k < dests.n; k++) {
				size_t d;
				graph_find(g, dests.v[k], &d);
				if (graph_shares_lineage(g, d, &h, 1, true))
					keep = false;
			}
			if (keep && !strlist_has(out, current->v[i]))
				strlist_push(out, current->v[i]);
		}
	}
	for (size_t k = 0; k < dests.n; k++)
		if (!strlist_has(out, dests.v[k]))
			strlist_push(out, dests.v[k]);
out:
	strlist_release(&dests);
	return ret;
}

static int run_stamp(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct strlist heads = STRLIST_INIT;
	bool purge = cli_flag(cmd, a, "purge");
	memset(&ss, 0, sizeof(ss));
	if (fleetcli_wanted(cmd, a))
		return fleetcli_run(app, cmd, a);
	int ret = dbcli_refuse_broken_graph(app);
	if (ret == 0)
		ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_CREATE | APPLY_OPEN_NEW_HISTORY);
	if (ret < 0 || (!purge && (ret = apply_check_heads_known(&ss)) < 0))
		goto out;
	if ((ret = stamp_heads(&app->graph, &ss.heads, a->pos, a->npos, purge, &heads)) < 0 ||
	    (ret = apply_stamp(&ss, &heads)) < 0)
		goto out;
	char *h = strlist_join(&ss.heads, ", ");
	app_note(app, "stamped: the database is at %s", ss.heads.n ? h : "base (empty)");
	free(h);
out:
	dbcli_close(&ss);
	strlist_release(&heads);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_stamp = {
	.name = "stamp",
	.run = run_stamp,
	.summary = "set the version table to revisions without running them",
	.usage = "revgate stamp REV... [--purge] [--url URL] [--targets FILE ...] [--jobs N]",
	.description = "Like Alembic's stamp: each REV replaces the heads on its line of history;\n"
		       "'base' empties the table. The history records the stamp and each\n"
		       "stamped file's checksum.\n" FLEETCLI_HELP,
	.opts = stamp_opts,
	.needs = NEEDS_REVISIONS,
	.min_pos = 1,
	.max_pos = 16,
	.args = "REV",
};
