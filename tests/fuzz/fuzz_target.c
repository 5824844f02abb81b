/*
 * The target grammar on fixed graphs: the fixtures of tests/fixtures/graphs
 * are loaded once; the first input byte picks one, the rest is up to two
 * target strings separated by a newline (an upper and a lower target, or a
 * target and a current revision).
 */
#include "fuzz_util.h"

#include "core/err.h"
#include "core/finding.h"
#include "graph/graph.h"
#include "graph/walk.h"
#include "revision/revision.h"

static const char *const fixtures[] = {
	"branch_merge", "dependencies", "diamond_of_merges", "linear",     "multiple_bases",
	"out_of_order_names", "random_dag", "several_merges",  "two_heads",
};
#define NFIX (sizeof(fixtures) / sizeof(*fixtures))

static struct revset sets[NFIX];
static struct graph graphs[NFIX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *root = getenv("FUZZ_FIXTURES");
	if (!root)
		root = "tests/fixtures/graphs"; /* run.sh starts targets from the top directory */
	for (size_t k = 0; k < NFIX; k++) {
		char dir[512];
		struct findings fs = FINDINGS_INIT;
		snprintf(dir, sizeof(dir), "%s/%s/migrations", root, fixtures[k]);
		sets[k] = (struct revset)REVSET_INIT;
		if (revset_load_dir(&sets[k], dir, NULL, NULL, &fs) < 0 || sets[k].n == 0) {
			fprintf(stderr, "fuzz_target: cannot load '%s' (run from the top directory "
					"or set FUZZ_FIXTURES)\n",
				dir);
			exit(1);
		}
		graph_build(&graphs[k], sets[k].v, sets[k].n, &fs);
		findings_release(&fs);
	}
	return 0;
}

static void check_out(const struct graph *g, const struct idxvec *out)
{
	for (size_t k = 0; k < out->n; k++)
		FUZZ_ASSERT(out->v[k] < g->n || out->v[k] == GRAPH_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct graph *g = &graphs[data[0] % NFIX];
	char *text = fuzz_text(data + 1, size - 1);
	char *second = strchr(text, '\n');
	if (second)
		*second++ = '\0';
	struct idxvec out = IDXVEC_INIT;
	size_t one;

	(void)graph_resolve_target(g, text, false, &out);
	check_out(g, &out);
	out.n = 0;
	(void)graph_resolve_target(g, text, true, &out);
	check_out(g, &out);
	out.n = 0;
	(void)graph_resolve(g, GIDENT_STR(text), &out);
	check_out(g, &out);
	if (graph_resolve_one(g, text, &one) == 0)
		FUZZ_ASSERT(one < g->n || one == GRAPH_NONE);
	(void)graph_target_is_relative_down(text);
	err_clear();

	/* upgrade and downgrade from the heads, from nothing, and from `second` */
	struct strlist heads = STRLIST_INIT, none = STRLIST_INIT, cur = STRLIST_INIT;
	for (size_t k = 0; k < g->heads.n; k++)
		strlist_push(&heads, g->nodes[g->heads.v[k]].id);
	if (second)
		strlist_split(&cur, second, ',');
	const struct strlist *froms[] = {&none, &heads, &cur};
	for (size_t f = 0; f < 3; f++) {
		out.n = 0;
		(void)graph_upgrade_steps(g, froms[f], text, &out);
		check_out(g, &out);
		out.n = 0;
		(void)graph_downgrade_steps(g, froms[f], text, &out);
		check_out(g, &out);
		err_clear();
	}
	if (second) {
		struct walk_opts o = {.inclusive = true};
		out.n = 0;
		(void)graph_iterate(g, GIDENT_STR(text), GIDENT_STR(second), &o, &out);
		check_out(g, &out);
		o.select_for_downgrade = true;
		out.n = 0;
		(void)graph_iterate(g, GIDENT_STR(second), GIDENT_STR(text), &o, &out);
		check_out(g, &out);
		err_clear();
	}
	strlist_release(&heads);
	strlist_release(&none);
	strlist_release(&cur);
	idxvec_release(&out);
	free(text);
	return 0;
}
