/*
 * Alembic's HeadMaintainer.update_to_step and RevisionStep's should_* rules,
 * transcribed. Where Alembic iterates a Python set (merge and unmerge pick
 * "the last" of a set), revgate takes the parents' declared order: the rows
 * after the step are the same either way, and revgate's choice is stable.
 */
#include "apply/heads.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "graph/walk.h"

#include <stdlib.h>
#include <string.h>

void vchange_release(struct vchange *c)
{
	free(c->ops);
	c->ops = NULL;
	c->n = c->alloc = 0;
	c->kind = NULL;
}

bool strlist_remove(struct strlist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->v[i], id)) {
			free(l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(char *));
			l->n--;
			return true;
		}
	}
	return false;
}

void strlist_sorted_copy(struct strlist *dst, const struct strlist *src)
{
	struct strlist tmp = STRLIST_INIT;
	for (size_t i = 0; i < src->n; i++)
		strlist_push(&tmp, src->v[i]);
	strlist_sort(&tmp);
	for (size_t i = 0; i < tmp.n; i++)
		strlist_push(dst, tmp.v[i]);
	strlist_release(&tmp);
}

static void add_op(struct vchange *c, enum vop_kind kind, const char *from, const char *to)
{
	ALLOC_GROW(c->ops, c->n + 1, c->alloc);
	c->ops[c->n++] = (struct vop){kind, from, to};
}

/* The ids of `down` (node indices) that are not ancestors of any head other
 * than those in `except` — Alembic's "x.difference(ancestors(other_heads))". */
static void not_under_other_heads(const struct graph *g, const struct strlist *heads,
				  const struct idxvec *except, const char *except_id,
				  const struct idxvec *down, struct idxvec *out)
{
	struct idxvec others = IDXVEC_INIT;
	for (size_t i = 0; i < heads->n; i++) {
		size_t h;
		if (!graph_find(g, heads->v[i], &h))
			continue;
		if ((except && idxvec_has(except, h)) || (except_id && !strcmp(heads->v[i], except_id)))
			continue;
		idxvec_push(&others, h);
	}
	struct bitset anc = BITSET_INIT;
	bitset_init(&anc, g->n);
	if (others.n)
		graph_ancestors(g, others.v, others.n, true, &anc);
	for (size_t k = 0; k < down->n; k++)
		if (!bitset_test(&anc, down->v[k]))
			idxvec_push(out, down->v[k]);
	bitset_release(&anc);
	idxvec_release(&others);
}

static size_t count_in_heads(const struct graph *g, const struct strlist *heads,
			     const struct idxvec *down, size_t *last)
{
	size_t n = 0;
	for (size_t k = 0; k < down->n; k++) {
		if (strlist_has(heads, g->nodes[down->v[k]].id)) {
			n++;
			*last = down->v[k];
		}
	}
	return n;
}

static int apply_ops(struct strlist *heads, const struct vchange *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct vop *op = &c->ops[i];
		if (op->kind != VOP_INSERT && !strlist_remove(heads, op->from))
			return err_set(ERR_GRAPH, "the version table has no row '%s' to %s", op->from,
				       op->kind == VOP_DELETE ? "delete" : "update");
		if (op->kind != VOP_DELETE) {
			if (strlist_has(heads, op->to))
				return err_set(ERR_GRAPH, "the version table already has a row '%s'",
					       op->to);
			strlist_push(heads, op->to);
		}
	}
	return 0;
}

static int upgrade_change(const struct graph *g, const struct strlist *heads, size_t node,
			  const struct idxvec *down, struct vchange *c)
{
	const char *rev = g->nodes[node].id;
	size_t last = GRAPH_NONE;
	size_t present = count_in_heads(g, heads, down, &last);
	if (!down->n || !present) {
		c->kind = "insert";
		add_op(c, VOP_INSERT, NULL, rev);
	} else if (down->n > 1 && present > 1) {
		struct idxvec from = IDXVEC_INIT;
		not_under_other_heads(g, heads, down, NULL, down, &from);
		if (!from.n) {
			idxvec_release(&from);
			return err_set(ERR_GRAPH, "cannot merge into '%s': no parent row to update", rev);
		}
		c->kind = "merge";
		for (size_t k = 0; k + 1 < from.n; k++)
			add_op(c, VOP_DELETE, g->nodes[from.v[k]].id, NULL);
		add_op(c, VOP_UPDATE, g->nodes[from.v[from.n - 1]].id, rev);
		idxvec_release(&from);
	} else {
		size_t src = down->v[0];
		if (down->n > 1) {
			if (present != 1)
				return err_set(ERR_GRAPH, "cannot update the version table to '%s': its "
							  "parent row is ambiguous",
					       rev);
			src = last;
		}
		c->kind = "update";
		add_op(c, VOP_UPDATE, g->nodes[src].id, rev);
	}
	return 0;
}

static int downgrade_change(const struct graph *g, const struct strlist *heads, size_t node,
			    const struct idxvec *down, struct vchange *c)
{
	const char *rev = g->nodes[node].id;
	bool in_heads = strlist_has(heads, rev);
	struct idxvec to = IDXVEC_INIT;
	int ret = 0;
	if (in_heads && down->n)
		not_under_other_heads(g, heads, NULL, rev, down, &to);
	if (in_heads && (!down->n || !to.n)) {
		c->kind = "delete";
		add_op(c, VOP_DELETE, rev, NULL);
	} else if (in_heads && down->n > 1) {
		c->kind = "unmerge";
		for (size_t k = 0; k + 1 < to.n; k++)
			add_op(c, VOP_INSERT, NULL, g->nodes[to.v[k]].id);
		add_op(c, VOP_UPDATE, rev, g->nodes[to.v[to.n - 1]].id);
	} else {
		size_t dst = down->n ? down->v[0] : GRAPH_NONE;
		if (down->n > 1) {
			size_t last = GRAPH_NONE;
			if (count_in_heads(g, heads, down, &last) != 1) {
				ret = err_set(ERR_GRAPH, "cannot update the version table from '%s': "
							 "its parent row is ambiguous",
					      rev);
				goto out;
			}
			dst = last;
		}
		if (dst == GRAPH_NONE) {
			ret = err_set(ERR_GRAPH, "cannot downgrade '%s': it is not a current head", rev);
			goto out;
		}
		c->kind = "update";
		add_op(c, VOP_UPDATE, rev, g->nodes[dst].id);
	}
out:
	idxvec_release(&to);
	return ret;
}

int heads_step(const struct graph *g, struct strlist *heads, size_t node, bool upgrade,
	       struct vchange *out)
{
	struct idxvec down = IDXVEC_INIT;
	graph_normalized_down(g, node, &down);
	int ret = upgrade ? upgrade_change(g, heads, node, &down, out)
			  : downgrade_change(g, heads, node, &down, out);
	if (ret == 0)
		ret = apply_ops(heads, out);
	idxvec_release(&down);
	return ret;
}
