/*
 * The range a trace covers, and a trace in a scratch database: the
 * history before the range is applied by the applier as `upgrade` would
 * (untraced), then src/trace runs the range.
 */
#include "cli/tracecli.h"
#include "cli/dbcli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "graph/walk.h"
#include "guard/guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A non-negative number of at most `max`; ERR_USAGE otherwise. */
static int number(const char *opt, const char *v, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long n = v ? strtol(v, &end, 10) : -1;
	if (!v || !*v || *end || errno || n < 0 || n > max)
		return err_set(ERR_USAGE, "--%s needs a whole number from 0 to %ld, not '%s'", opt,
			       max, v ? v : "");
	*out = n;
	return 0;
}

int tracecli_options(const struct command *cmd, struct cli_args *a, struct trace_opts *o)
{
	const char *rows = cli_value(cmd, a, "rows"), *ms = cli_value(cmd, a, "max-lock-ms");
	int ret = rows ? number("rows", rows, 100000000L, &o->rows) : 0;
	if (ret == 0 && ms)
		ret = number("max-lock-ms", ms, 86400000L, &o->max_lock_ms);
	return ret;
}

/* Appends the steps that bring `heads` up to `target`. */
static int plan_up_to(const struct graph *g, struct apply_plan *p, struct strlist *heads,
		      const char *target)
{
	struct idxvec steps = IDXVEC_INIT;
	int ret = graph_upgrade_steps(g, heads, target, &steps);
	for (size_t k = 0; ret == 0 && k < steps.n; k++)
		ret = apply_plan_add(p, heads, steps.v[k], APPLY_UP);
	idxvec_release(&steps);
	return ret;
}

/* The revisions the base branch has, as the heads among them; false when
 * there is no base to compare with or this branch adds nothing. */
static bool branch_base(struct app *app, struct strlist *from)
{
	struct guard_base b = GUARD_BASE_INIT;
	bool added = false;
	const struct graph *g = &app->graph;
	if (guard_base_open(&b, app->migrations_dir, NULL, app->name_pattern, &app->limits,
			    &app->layout) < 0 || !b.revs.n) {
		err_clear();
		guard_base_release(&b);
		return false;
	}
	bool *on_base = xcalloc(g->n + 1, sizeof(bool));
	for (size_t i = 0; i < b.revs.n; i++) {
		size_t idx;
		if (b.revs.v[i]->id && graph_find(g, b.revs.v[i]->id, &idx))
			on_base[idx] = true;
	}
	for (size_t i = 0; i < g->n; i++)
		added |= !on_base[i];
	for (size_t i = 0; added && i < g->n; i++) {
		if (!on_base[i])
			continue;
		bool child_on_base = false;
		for (size_t k = 0; k < g->nodes[i].all_next.n; k++)
			child_on_base |= on_base[g->nodes[i].all_next.v[k]];
		if (!child_on_base)
			strlist_push(from, g->nodes[i].id);
	}
	free(on_base);
	guard_base_release(&b);
	return added;
}

int tracecli_plans(struct app *app, const char *range, struct apply_plan *before,
		   struct apply_plan *traced, const char **what)
{
	const struct graph *g = &app->graph;
	struct strlist from = STRLIST_INIT, heads = STRLIST_INIT;
	char *to = NULL;
	int ret = 0;
	before->g = g;
	before->dir = APPLY_UP;
	*what = "every revision";
	if (!range) {
		if (branch_base(app, &from))
			*what = "the revisions this branch adds";
		to = xstrdup("heads");
	} else if (strchr(range, ':')) {
		const char *colon = strrchr(range, ':');
		char *f = xstrndup(range, (size_t)(colon - range));
		strlist_split(&from, f, ',');
		free(f);
		to = xstrdup(colon[1] ? colon + 1 : "heads");
		*what = "the range";
	} else {
		size_t idx;
		if ((ret = graph_resolve_one(g, range, &idx)) < 0)
			goto out;
		if (idx == GRAPH_NONE) {
			ret = err_set(ERR_USAGE, "'%s' names no revision to trace", range);
			goto out;
		}
		for (size_t k = 0; k < g->nodes[idx].down.n; k++)
			strlist_push(&from, g->nodes[g->nodes[idx].down.v[k]].id);
		for (size_t k = 0; k < g->nodes[idx].deps.n; k++)
			strlist_push(&from, g->nodes[g->nodes[idx].deps.v[k]].id);
		to = xstrdup(g->nodes[idx].id);
		*what = "the revision";
	}
	for (size_t i = 0; ret == 0 && i < from.n; i++)
		if (*from.v[i])
			ret = plan_up_to(g, before, &heads, from.v[i]);
	if (ret == 0)
		ret = apply_plan_build(traced, g, &heads, to, APPLY_UP);
out:
	free(to);
	strlist_release(&from);
	strlist_release(&heads);
	return ret;
}

int tracecli_run(struct app *app, struct apply_settings *s, struct apply_plan *before,
		 const struct apply_plan *traced, struct trace_opts *o, struct trace_report *r)
{
	struct apply_session ss;
	struct apply_failure fail = {0};
	char *scratch = NULL;
	bool opened = false;
	memset(&ss, 0, sizeof(ss));
	char *saved = s->dbname;
	int ret = dbcli_scratch_create(s, "revgate trace", &scratch);
	if (ret < 0)
		goto out;
	s->dbname = scratch;
	ret = apply_open(&ss, s, &app->graph, "trace", APPLY_OPEN_CREATE, dbcli_event, app);
	opened = true;
	if (ret == 0 && before->n) {
		struct apply_run_opts ro = {false};
		ret = apply_run(&ss, before, &ro, &fail);
		if (fail.set) {
			dbcli_print_failure(app, &fail);
			ret = err_set(ERR_CHECK, "the history before the traced revisions does not "
						 "apply (above)");
		}
	}
	if (ret == 0) {
		o->url = s->url;
		o->dbname = scratch;
		ret = trace_run(&ss, before, traced, o, r);
	}
out:;
	char *msg = ret < 0 ? xstrdup(err_msg()) : NULL;
	if (opened)
		apply_close(&ss);
	if (scratch)
		dbcli_scratch_drop(s, "revgate trace", scratch);
	s->dbname = saved;
	if (msg) {
		err_set(ret, "%s", msg);
		free(msg);
	}
	free(scratch);
	apply_failure_release(&fail);
	return ret;
}
