/*
 * The graph builder on arbitrary header sets: the input is several revision
 * files separated by lines "====" (see build_corpus.sh). Builds the graph,
 * checks heads, prints history and resolves a few targets, and checks that
 * history lists every revision once, each before its parents.
 */
#include "fuzz_util.h"

#include "core/err.h"
#include "core/finding.h"
#include "graph/graph.h"
#include "graph/walk.h"
#include "revision/revision.h"

#define SEP "\n====\n"
#define MAX_REVS 256

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_history(const struct graph *g)
{
	struct idxvec h = IDXVEC_INIT;
	graph_history(g, &h);
	if (g->has_cycle) {
		FUZZ_ASSERT(h.n == 0);
		idxvec_release(&h);
		return;
	}
	FUZZ_ASSERT(h.n == g->n);
	size_t *pos = xcalloc(g->n ? g->n : 1, sizeof(size_t));
	for (size_t k = 0; k < g->n; k++)
		pos[k] = SIZE_MAX;
	for (size_t k = 0; k < h.n; k++) {
		FUZZ_ASSERT(h.v[k] < g->n && pos[h.v[k]] == SIZE_MAX);
		pos[h.v[k]] = k;
	}
	for (size_t i = 0; i < g->n; i++)
	{
		for (size_t k = 0; k < g->nodes[i].down.n; k++)
			FUZZ_ASSERT(pos[i] < pos[g->nodes[i].down.v[k]]);
		for (size_t k = 0; k < g->nodes[i].norm_deps.n; k++)
			FUZZ_ASSERT(pos[i] < pos[g->nodes[i].norm_deps.v[k]]);
	}
	free(pos);
	idxvec_release(&h);
}

static void try_targets(const struct graph *g)
{
	const char *fixed[] = {"head", "heads", "base", "head-1", "+1", "-1", "heads-1"};
	struct idxvec out = IDXVEC_INIT;
	for (size_t k = 0; k < sizeof(fixed) / sizeof(*fixed); k++) {
		out.n = 0;
		(void)graph_resolve_target(g, fixed[k], false, &out);
		out.n = 0;
		(void)graph_resolve_target(g, fixed[k], true, &out);
		err_clear();
	}
	struct strlist none = STRLIST_INIT, heads = STRLIST_INIT;
	for (size_t k = 0; k < g->heads.n; k++)
		strlist_push(&heads, g->nodes[g->heads.v[k]].id);
	out.n = 0;
	(void)graph_upgrade_steps(g, &none, "heads", &out);
	out.n = 0;
	(void)graph_downgrade_steps(g, &heads, "base", &out);
	err_clear();
	/* a few per-node targets: a prefix, id+1, label@head */
	for (size_t i = 0; i < g->n && i < 4; i++) {
		const char *id = g->nodes[i].id;
		char buf[128];
		snprintf(buf, sizeof(buf), "%.4s", id);
		out.n = 0;
		(void)graph_resolve_target(g, buf, false, &out);
		snprintf(buf, sizeof(buf), "%s+2", id);
		out.n = 0;
		(void)graph_resolve_target(g, buf, false, &out);
		snprintf(buf, sizeof(buf), "%s-1", id);
		out.n = 0;
		(void)graph_resolve_target(g, buf, true, &out);
		if (g->nodes[i].labels.n) {
			snprintf(buf, sizeof(buf), "%s@head", g->nodes[i].labels.v[0]);
			out.n = 0;
			(void)graph_resolve_target(g, buf, false, &out);
		}
		struct strlist cur = STRLIST_INIT;
		strlist_push(&cur, id);
		out.n = 0;
		(void)graph_upgrade_steps(g, &cur, "heads", &out);
		out.n = 0;
		(void)graph_downgrade_steps(g, &cur, "base", &out);
		strlist_release(&cur);
		err_clear();
	}
	strlist_release(&none);
	strlist_release(&heads);
	idxvec_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all = fuzz_text(data, size);
	struct revision *revs[MAX_REVS];
	struct findings fs = FINDINGS_INIT;
	size_t n = 0;
	const char *p = all, *end = all + size;
	while (p <= end && n < MAX_REVS) {
		const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		const char *e = sep ? sep : end;
		char path[64];
		snprintf(path, sizeof(path), "migrations/20250101_0000_r%zu_x.sql", n);
		revs[n] = xcalloc(1, sizeof(struct revision));
		revision_parse(revs[n], path, fuzz_text((const uint8_t *)p, (size_t)(e - p)),
			       (size_t)(e - p), NULL, &fs);
		n++;
		if (!sep)
			break;
		p = sep + strlen(SEP);
	}

	struct graph g;
	graph_build(&g, revs, n, &fs);
	graph_check_heads(&g, &fs);
	check_history(&g);
	for (size_t i = 0; i < g.n; i++) {
		(void)graph_is_branch_point(&g, i);
		(void)graph_is_merge_point(&g, i);
	}
	try_targets(&g);
	graph_release(&g);

	for (size_t i = 0; i < n; i++) {
		revision_release(revs[i]);
		free(revs[i]);
	}
	findings_release(&fs);
	free(all);
	err_clear();
	return 0;
}
