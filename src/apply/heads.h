/*
 * The version table's rows as Alembic's HeadMaintainer keeps them: one row
 * per current head. Each upgrade or downgrade step changes the rows in one
 * of five ways (insert a new branch, update one row, merge several rows
 * into one, unmerge one row into several, delete a branch), decided from
 * the step's revision, its normalized parents and the heads before it,
 * exactly as alembic/runtime/migration.py does. Pure: no I/O.
 *
 * Ownership: a vchange owns its op array; the ids in it are borrowed from
 * the graph. The heads list is the caller's and is updated in place.
 */
#ifndef REVGATE_APPLY_HEADS_H
#define REVGATE_APPLY_HEADS_H

#include "core/strlist.h"
#include "graph/graph.h"

#include <stdbool.h>
#include <stddef.h>

enum vop_kind {
	VOP_INSERT, /* INSERT `to` */
	VOP_DELETE, /* DELETE `from` */
	VOP_UPDATE, /* UPDATE `from` to `to` */
};

struct vop {
	enum vop_kind kind;
	const char *from, *to;
};

struct vchange {
	const char *kind; /* "insert", "update", "merge", "unmerge" or "delete" */
	struct vop *ops;
	size_t n, alloc;
};
#define VCHANGE_INIT {NULL, NULL, 0, 0}
void vchange_release(struct vchange *c);

/*
 * The rows change for running node `node` up (`upgrade`) or down from
 * `heads`; applies it to `heads`. ERR_GRAPH when the rows cannot take the
 * step (an UPDATE whose source row is ambiguous or missing), with Alembic's
 * reason.
 */
int heads_step(const struct graph *g, struct strlist *heads, size_t node, bool upgrade,
	       struct vchange *out);

/* Removes `id` from `l` (first occurrence); false when absent. */
bool strlist_remove(struct strlist *l, const char *id);
/* A sorted copy of `src` into `dst` (appended). */
void strlist_sorted_copy(struct strlist *dst, const struct strlist *src);

#endif
