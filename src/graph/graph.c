/*
 * Builds and validates the revision graph, and answers the questions that
 * need no target grammar: heads, bases, ancestors, descendants and
 * Alembic's topological order. Sets are bitsets so that a 10,000-revision
 * history stays linear or close to it.
 */
#include "graph/graph.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

void idxvec_push(struct idxvec *x, size_t i)
{
	ALLOC_GROW(x->v, x->n + 1, x->alloc);
	x->v[x->n++] = i;
}

bool idxvec_has(const struct idxvec *x, size_t i)
{
	for (size_t k = 0; k < x->n; k++)
		if (x->v[k] == i)
			return true;
	return false;
}

void idxvec_remove_at(struct idxvec *x, size_t pos)
{
	memmove(x->v + pos, x->v + pos + 1, (x->n - pos - 1) * sizeof(*x->v));
	x->n--;
}

void idxvec_copy(struct idxvec *dst, const struct idxvec *src)
{
	dst->n = 0;
	for (size_t k = 0; k < src->n; k++)
		idxvec_push(dst, src->v[k]);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

void idxvec_sort(struct idxvec *x)
{
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), cmp_size);
}

void idxvec_release(struct idxvec *x)
{
	free(x->v);
	x->v = NULL;
	x->n = x->alloc = 0;
}

void bitset_init(struct bitset *b, size_t nbits)
{
	b->nbits = nbits;
	b->w = xcalloc((nbits + 63) / 64 + 1, sizeof(uint64_t));
}

void bitset_release(struct bitset *b)
{
	free(b->w);
	b->w = NULL;
	b->nbits = 0;
}

size_t bitset_count(const struct bitset *b)
{
	size_t c = 0;
	for (size_t i = 0; i < (b->nbits + 63) / 64; i++)
		c += (size_t)__builtin_popcountll(b->w[i]);
	return c;
}

#define BITSET_OP(name, expr)                                                                  \
	void name(struct bitset *dst, const struct bitset *src)                                \
	{                                                                                      \
		for (size_t i = 0; i < (dst->nbits + 63) / 64; i++)                            \
			dst->w[i] = expr;                                                      \
	}
BITSET_OP(bitset_and, dst->w[i] & src->w[i])
BITSET_OP(bitset_or, dst->w[i] | src->w[i])
BITSET_OP(bitset_andnot, dst->w[i] & ~src->w[i])
BITSET_OP(bitset_copy, src->w[i])

bool graph_find(const struct graph *g, const char *id, size_t *idx)
{
	return strmap_get(&g->by_id, id, idx);
}

bool graph_is_branch_point(const struct graph *g, size_t i)
{
	return g->nodes[i].next.n > 1;
}

bool graph_is_merge_point(const struct graph *g, size_t i)
{
	return g->nodes[i].rev->down_revisions.n > 1;
}

void graph_normalized_down(const struct graph *g, size_t i, struct idxvec *out)
{
	const struct graph_node *nd = &g->nodes[i];
	out->n = 0;
	for (size_t k = 0; k < nd->down.n; k++)
		if (!idxvec_has(out, nd->down.v[k]))
			idxvec_push(out, nd->down.v[k]);
	for (size_t k = 0; k < nd->norm_deps.n; k++)
		if (!idxvec_has(out, nd->norm_deps.v[k]))
			idxvec_push(out, nd->norm_deps.v[k]);
}

void graph_ancestors(const struct graph *g, const size_t *from, size_t n, bool include_deps,
		     struct bitset *out)
{
	struct idxvec stack = IDXVEC_INIT;
	for (size_t k = 0; k < n; k++)
		if (from[k] < g->n)
			idxvec_push(&stack, from[k]);
	while (stack.n) {
		size_t i = stack.v[--stack.n];
		if (bitset_test(out, i))
			continue;
		bitset_set(out, i);
		const struct graph_node *nd = &g->nodes[i];
		for (size_t k = 0; k < nd->down.n; k++)
			idxvec_push(&stack, nd->down.v[k]);
		if (include_deps)
			for (size_t k = 0; k < nd->norm_deps.n; k++)
				idxvec_push(&stack, nd->norm_deps.v[k]);
	}
	idxvec_release(&stack);
}

void graph_descendants(const struct graph *g, const size_t *from, size_t n, bool include_deps,
		       bool omit_immediate_deps, struct bitset *out)
{
	struct bitset start = BITSET_INIT;
	struct idxvec stack = IDXVEC_INIT;
	bitset_init(&start, g->n);
	for (size_t k = 0; k < n; k++) {
		if (from[k] >= g->n)
			continue;
		bitset_set(&start, from[k]);
		idxvec_push(&stack, from[k]);
	}
	while (stack.n) {
		size_t i = stack.v[--stack.n];
		if (bitset_test(out, i))
			continue;
		bitset_set(out, i);
		const struct graph_node *nd = &g->nodes[i];
		bool all = omit_immediate_deps ? !bitset_test(&start, i) : include_deps;
		const struct idxvec *kids = all ? &nd->all_next : &nd->next;
		for (size_t k = 0; k < kids->n; k++)
			idxvec_push(&stack, kids->v[k]);
	}
	idxvec_release(&stack);
	bitset_release(&start);
}

/* ---- building ---- */

static void resolve_parents(struct graph *g, struct findings *out)
{
	for (size_t i = 0; i < g->n; i++) {
		struct graph_node *nd = &g->nodes[i];
		const struct revision *rev = nd->rev;
		for (size_t k = 0; k < rev->down_revisions.n; k++) {
			const char *pid = rev->down_revisions.v[k];
			size_t p;
			if (graph_find(g, pid, &p)) {
				idxvec_push(&nd->down, p);
			} else {
				struct finding *f = findings_add(
					out, RULE_MISSING_PARENT, SEV_ERROR, rev->path, rev->down_line, 1,
					"revision '%s' names parent '%s', which does not exist", nd->id,
					pid);
				finding_set_hint(f, "check for a typo in down_revision, or restore the "
						    "parent's file");
				g->complete = false;
			}
		}
		for (size_t k = 0; k < rev->depends_on.n; k++) {
			const char *did = rev->depends_on.v[k];
			size_t d;
			if (graph_find(g, did, &d) || strmap_get(&g->by_label, did, &d)) {
				if (!idxvec_has(&nd->deps, d))
					idxvec_push(&nd->deps, d);
			} else {
				findings_add(out, RULE_MISSING_DEPENDENCY, SEV_ERROR, rev->path,
					     rev->depends_line, 1,
					     "revision '%s' depends on '%s', which is neither a "
					     "revision nor a branch label",
					     nd->id, did);
				g->complete = false;
			}
		}
	}
	for (size_t i = 0; i < g->n; i++) {
		struct graph_node *nd = &g->nodes[i];
		for (size_t k = 0; k < nd->down.n; k++) {
			struct graph_node *p = &g->nodes[nd->down.v[k]];
			if (!idxvec_has(&p->next, i))
				idxvec_push(&p->next, i);
			if (!idxvec_has(&p->all_next, i))
				idxvec_push(&p->all_next, i);
		}
		for (size_t k = 0; k < nd->deps.n; k++) {
			struct graph_node *p = &g->nodes[nd->deps.v[k]];
			if (!idxvec_has(&p->all_next, i))
				idxvec_push(&p->all_next, i);
		}
	}
}

/* Revisions of a cycle named in its message; the rest are counted. */
#define CYCLE_SHOWN 16

/* Colours for the iterative depth-first search. */
enum { WHITE, GREY, BLACK };

static void detect_cycles(struct graph *g, struct findings *out)
{
	unsigned char *colour = xcalloc(g->n, 1);
	size_t *edge_pos = xcalloc(g->n, sizeof(size_t));
	struct idxvec stack = IDXVEC_INIT;
	for (size_t root = 0; root < g->n; root++) {
		if (colour[root] != WHITE)
			continue;
		idxvec_push(&stack, root);
		colour[root] = GREY;
		while (stack.n) {
			size_t i = stack.v[stack.n - 1];
			const struct graph_node *nd = &g->nodes[i];
			size_t ne = nd->down.n + nd->deps.n;
			if (edge_pos[i] == ne) {
				colour[i] = BLACK;
				stack.n--;
				continue;
			}
			size_t e = edge_pos[i]++;
			size_t j = e < nd->down.n ? nd->down.v[e] : nd->deps.v[e - nd->down.n];
			if (colour[j] == WHITE) {
				colour[j] = GREY;
				idxvec_push(&stack, j);
			} else if (colour[j] == GREY) {
				/* the stack from j up to i is the cycle */
				size_t from = stack.n;
				while (from > 0 && stack.v[from - 1] != j)
					from--;
				from--;
				/* a long cycle shows its ends: a 10,000-revision one
				 * would be a 100 KB message */
				struct strbuf sb = STRBUF_INIT;
				size_t len = stack.n - from;
				for (size_t k = from; k < stack.n; k++) {
					size_t at = k - from;
					if (len > CYCLE_SHOWN && at == CYCLE_SHOWN / 2)
						strbuf_addf(&sb, "... (%zu more) -> ",
							    len - CYCLE_SHOWN);
					if (len > CYCLE_SHOWN && at >= CYCLE_SHOWN / 2 &&
					    at < len - CYCLE_SHOWN / 2)
						continue;
					strbuf_addf(&sb, "%s -> ", g->nodes[stack.v[k]].id);
				}
				strbuf_addstr(&sb, g->nodes[j].id);
				const struct revision *rev = g->nodes[j].rev;
				struct finding *f = findings_add(
					out, RULE_REVISION_CYCLE, SEV_ERROR, rev->path, rev->down_line, 1,
					"the revisions form a cycle: %s (each must run after the next, "
					"through down_revision or depends_on)",
					sb.buf);
				finding_set_hint(f, "one of these down_revision or depends_on lines "
						    "is wrong");
				strbuf_release(&sb);
				g->has_cycle = true;
			}
		}
	}
	idxvec_release(&stack);
	free(edge_pos);
	free(colour);
}

static void normalize_deps(struct graph *g)
{
	struct bitset anc = BITSET_INIT;
	bitset_init(&anc, g->n);
	for (size_t i = 0; i < g->n; i++) {
		struct graph_node *nd = &g->nodes[i];
		if (!nd->deps.n)
			continue;
		memset(anc.w, 0, ((g->n + 63) / 64) * sizeof(uint64_t));
		graph_ancestors(g, &i, 1, false, &anc);
		for (size_t k = 0; k < nd->deps.n; k++) {
			size_t d = nd->deps.v[k];
			bool implied = false;
			for (size_t a = 0; a < g->n && !implied; a++) {
				if (a == i || !bitset_test(&anc, a))
					continue;
				implied = idxvec_has(&g->nodes[a].deps, d);
			}
			if (!implied)
				idxvec_push(&nd->norm_deps, d);
		}
	}
	bitset_release(&anc);
}

static void add_label(struct graph_node *nd, const struct strlist *labels)
{
	for (size_t k = 0; k < labels->n; k++)
		if (!strlist_has(&nd->labels, labels->v[k]))
			strlist_push(&nd->labels, labels->v[k]);
}

/* Alembic's _add_branches: a label covers its revision's descendants and the
 * ancestors down to the branch point. */
static void propagate_labels(struct graph *g)
{
	struct bitset desc = BITSET_INIT;
	bitset_init(&desc, g->n);
	for (size_t i = 0; i < g->n; i++) {
		const struct strlist *labels = &g->nodes[i].rev->branch_labels;
		if (!labels->n)
			continue;
		memset(desc.w, 0, ((g->n + 63) / 64) * sizeof(uint64_t));
		graph_descendants(g, &i, 1, false, false, &desc);
		for (size_t k = 0; k < g->n; k++)
			if (bitset_test(&desc, k))
				add_label(&g->nodes[k], labels);
		size_t p = i;
		for (;;) {
			struct graph_node *pn = &g->nodes[p];
			if (pn->all_next.n > 1 || graph_is_merge_point(g, p))
				break;
			add_label(pn, labels);
			if (pn->down.n != 1)
				break;
			p = pn->down.v[0];
		}
	}
	bitset_release(&desc);
}

void graph_build(struct graph *g, struct revision *const *revs, size_t n, struct findings *out)
{
	memset(g, 0, sizeof(*g));
	g->complete = true;
	g->nodes = xcalloc(n ? n : 1, sizeof(*g->nodes));
	strmap_reserve(&g->by_id, n);
	for (size_t i = 0; i < n; i++) {
		const struct revision *rev = revs[i];
		if (!rev->usable) {
			/* a file the graph cannot place: what it would have added is
			 * unknown, so nothing may be applied from this graph */
			g->complete = false;
			continue;
		}
		size_t prev;
		if (graph_find(g, rev->id, &prev)) {
			struct finding *f = findings_add(
				out, RULE_DUPLICATE_REVISION, SEV_ERROR, rev->path, rev->id_line, 1,
				"revision id '%s' is also used by '%s'", rev->id,
				g->nodes[prev].rev->path);
			finding_set_hint(f, "give one of them a new id (e.g. 'revgate revision' "
					    "makes one) and update its children");
			g->complete = false;
			continue;
		}
		struct graph_node *nd = &g->nodes[g->n];
		nd->rev = rev;
		nd->id = rev->id;
		nd->is_base = rev->down_revisions.n == 0;
		nd->is_real_base = nd->is_base && rev->depends_on.n == 0;
		strmap_put(&g->by_id, rev->id, g->n);
		g->n++;
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct revision *rev = g->nodes[i].rev;
		for (size_t k = 0; k < rev->branch_labels.n; k++) {
			const char *label = rev->branch_labels.v[k];
			size_t other;
			if (strmap_get(&g->by_label, label, &other)) {
				findings_add(out, RULE_DUPLICATE_BRANCH_LABEL, SEV_ERROR, rev->path,
					     rev->labels_line, 1,
					     "branch label '%s' is already used by revision '%s'", label,
					     g->nodes[other].id);
				g->complete = false;
			} else if (graph_find(g, label, &other)) {
				findings_add(out, RULE_DUPLICATE_BRANCH_LABEL, SEV_ERROR, rev->path,
					     rev->labels_line, 1,
					     "branch label '%s' is also a revision id", label);
				g->complete = false;
			} else {
				strmap_put(&g->by_label, label, i);
			}
		}
	}
	resolve_parents(g, out);
	detect_cycles(g, out);
	if (!g->has_cycle) {
		normalize_deps(g);
		propagate_labels(g);
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct graph_node *nd = &g->nodes[i];
		if (!nd->next.n)
			idxvec_push(&g->heads, i);
		if (!nd->all_next.n)
			idxvec_push(&g->real_heads, i);
		if (nd->is_base)
			idxvec_push(&g->bases, i);
		if (nd->is_real_base)
			idxvec_push(&g->real_bases, i);
	}
	if (g->bases.n > 1) {
		struct strlist ids = STRLIST_INIT;
		for (size_t k = 0; k < g->bases.n; k++)
			strlist_push(&ids, g->nodes[g->bases.v[k]].id);
		char *joined = strlist_join(&ids, ", ");
		const struct revision *rev = g->nodes[g->bases.v[1]].rev;
		struct finding *f = findings_add(out, RULE_MULTIPLE_BASES, SEV_WARNING, rev->path,
						 rev->down_line, 1,
						 "the history has %zu roots: %s", g->bases.n, joined);
		finding_set_hint(f, "several roots are allowed, but usually a down_revision "
				    "was left at 'none' by mistake");
		free(joined);
		strlist_release(&ids);
	}
}

void graph_check_heads(const struct graph *g, struct findings *out)
{
	if (g->heads.n <= 1)
		return;
	/* several heads are fine when each is its own labelled branch */
	bool labelled = true;
	for (size_t a = 0; a < g->heads.n && labelled; a++) {
		const struct graph_node *x = &g->nodes[g->heads.v[a]];
		if (!x->labels.n)
			labelled = false;
		for (size_t b = a + 1; b < g->heads.n && labelled; b++) {
			const struct graph_node *y = &g->nodes[g->heads.v[b]];
			for (size_t k = 0; k < x->labels.n; k++)
				if (strlist_has(&y->labels, x->labels.v[k]))
					labelled = false;
		}
	}
	if (labelled)
		return;
	struct strlist ids = STRLIST_INIT;
	for (size_t k = 0; k < g->heads.n; k++)
		strlist_push(&ids, g->nodes[g->heads.v[k]].id);
	char *joined = strlist_join(&ids, ", ");
	for (size_t k = 0; k < g->heads.n; k++) {
		const struct revision *rev = g->nodes[g->heads.v[k]].rev;
		struct finding *f = findings_add(out, RULE_MULTIPLE_HEADS, SEV_ERROR, rev->path,
						 rev->id_line, 1,
						 "the history has %zu heads (%s): 'upgrade head' cannot "
						 "choose between them",
						 g->heads.n, joined);
		finding_set_hint(f, "run 'revgate merge' to join them, or 'revgate rebase' to "
				    "put this branch's revisions after the base's head");
	}
	free(joined);
	strlist_release(&ids);
}

void graph_release(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct graph_node *nd = &g->nodes[i];
		idxvec_release(&nd->down);
		idxvec_release(&nd->deps);
		idxvec_release(&nd->norm_deps);
		idxvec_release(&nd->next);
		idxvec_release(&nd->all_next);
		strlist_release(&nd->labels);
	}
	free(g->nodes);
	strmap_release(&g->by_id);
	strmap_release(&g->by_label);
	idxvec_release(&g->heads);
	idxvec_release(&g->real_heads);
	idxvec_release(&g->bases);
	idxvec_release(&g->real_bases);
	memset(g, 0, sizeof(*g));
}

/* ---- Alembic's topological order ---- */

void graph_topo_sort(const struct graph *g, const struct bitset *todo_in, const struct idxvec *heads,
		     struct idxvec *out)
{
	struct bitset todo = BITSET_INIT;
	struct idxvec cur = IDXVEC_INIT, norm = IDXVEC_INIT, add = IDXVEC_INIT;
	struct bitset *anc = NULL;
	size_t nanc = 0, anc_alloc = 0;

	bitset_init(&todo, g->n);
	bitset_copy(&todo, todo_in);
	for (size_t k = 0; k < heads->n; k++)
		if (bitset_test(&todo, heads->v[k]) && !idxvec_has(&cur, heads->v[k]))
			idxvec_push(&cur, heads->v[k]);
	idxvec_sort(&cur);
	ALLOC_GROW(anc, cur.n + 1, anc_alloc);
	for (size_t k = 0; k < cur.n; k++) {
		bitset_init(&anc[nanc], g->n);
		graph_ancestors(g, &cur.v[k], 1, true, &anc[nanc]);
		nanc++;
	}

	size_t ci = 0;
again:
	while (cur.n) {
		size_t cand = cur.v[ci];
		size_t other = SIZE_MAX;
		for (size_t h = 0; h < nanc; h++) {
			if (h != ci && bitset_test(&anc[h], cand)) {
				other = h;
				break;
			}
		}
		if (other != SIZE_MAX) {
			/* another head descends from us: it goes first */
			ci = other;
			continue;
		}
		if (bitset_test(&todo, cand)) {
			idxvec_push(out, cand);
			bitset_clear(&todo, cand);
		}
		graph_normalized_down(g, cand, &norm);
		add.n = 0;
		for (size_t k = 0; k < norm.n; k++)
			if (bitset_test(&todo, norm.v[k]) && !idxvec_has(&cur, norm.v[k]))
				idxvec_push(&add, norm.v[k]);
		if (!add.n) {
			idxvec_remove_at(&cur, ci);
			bitset_release(&anc[ci]);
			memmove(anc + ci, anc + ci + 1, (nanc - ci - 1) * sizeof(*anc));
			nanc--;
			ci = ci > 0 ? ci - 1 : 0;
		} else if (!g->nodes[cand].norm_deps.n && g->nodes[cand].rev->down_revisions.n == 1) {
			cur.v[ci] = add.v[0];
			bitset_clear(&anc[ci], cand);
		} else {
			cur.v[ci] = add.v[0];
			memset(anc[ci].w, 0, ((g->n + 63) / 64) * sizeof(uint64_t));
			graph_ancestors(g, &add.v[0], 1, true, &anc[ci]);
			for (size_t k = 1; k < add.n; k++) {
				idxvec_push(&cur, add.v[k]);
				ALLOC_GROW(anc, nanc + 1, anc_alloc);
				bitset_init(&anc[nanc], g->n);
				graph_ancestors(g, &add.v[k], 1, true, &anc[nanc]);
				nanc++;
			}
		}
	}
	/*
	 * Heads that lie outside `todo` can leave revisions unreached (Alembic
	 * fails an assertion there): carry on from the tips of what is left.
	 */
	if (bitset_count(&todo)) {
		struct bitset has_child = BITSET_INIT;
		bitset_init(&has_child, g->n);
		for (size_t i = 0; i < g->n; i++) {
			if (!bitset_test(&todo, i))
				continue;
			graph_normalized_down(g, i, &norm);
			for (size_t k = 0; k < norm.n; k++)
				bitset_set(&has_child, norm.v[k]);
		}
		for (size_t i = 0; i < g->n; i++) {
			if (bitset_test(&todo, i) && !bitset_test(&has_child, i)) {
				idxvec_push(&cur, i);
				ALLOC_GROW(anc, nanc + 1, anc_alloc);
				bitset_init(&anc[nanc], g->n);
				graph_ancestors(g, &i, 1, true, &anc[nanc]);
				nanc++;
			}
		}
		bitset_release(&has_child);
		ci = 0;
		if (cur.n)
			goto again;
	}
	for (size_t h = 0; h < nanc; h++)
		bitset_release(&anc[h]);
	free(anc);
	idxvec_release(&cur);
	idxvec_release(&norm);
	idxvec_release(&add);
	bitset_release(&todo);
}

void graph_history(const struct graph *g, struct idxvec *out)
{
	struct bitset all = BITSET_INIT;
	bitset_init(&all, g->n);
	if (!g->has_cycle) {
		graph_ancestors(g, g->real_heads.v, g->real_heads.n, true, &all);
		graph_topo_sort(g, &all, &g->real_heads, out);
	}
	bitset_release(&all);
}
