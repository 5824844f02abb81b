/*
 * The merge-head helper's rebase: re-parent this branch's revisions that
 * are not on the base onto the base's head, one after the other, so the
 * history stays linear. Only the down_revision header line and the time
 * stamp at the start of the file name change; ids stay; a revision present
 * on the base is never touched.
 *
 * Ownership: a rebase_plan owns its strings and borrows the revisions it
 * names from the caller's revset, which must outlive it.
 */
#ifndef REVGATE_GUARD_REBASE_H
#define REVGATE_GUARD_REBASE_H

#include "graph/graph.h"
#include "layout/layout.h"
#include "revision/revision.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct rebase_step {
	const struct revision *rev; /* borrowed */
	char *old_parents;          /* "a, b" or "none", for the report */
	char *new_parent;
	char *new_name;             /* NULL: the name stays */
};

struct rebase_plan {
	enum layout_kind kind; /* how the files are written */
	char *onto;         /* the base head's id */
	bool onto_present;  /* the working tree already has the base head's file */
	size_t unapplied;   /* revisions of this branch not on the base */
	struct rebase_step *v;
	size_t n, alloc;
};
#define REBASE_PLAN_INIT {LAYOUT_REVGATE, NULL, false, 0, NULL, 0, 0}

/*
 * Plans the rebase of the revisions in `ours` (the working tree's graph)
 * that `base` (the base tip's revisions) lacks, onto the base's only head.
 * `now` stamps the new file names (one minute apart, in chain order).
 * Errors: ERR_GRAPH when the base has no revision or several heads, or a
 * revision to move has no down_revision line; ERR_CONFIG for a linear
 * tool's layout, whose order is its file names.
 */
int rebase_plan_make(struct rebase_plan *p, enum layout_kind kind, const struct graph *ours,
		     const struct revset *base, time_t now);
/* Rewrites and renames the files of `p` in `dir`. ERR_CONFIG, before any
 * write, while git's index lock (.git/index.lock) exists; ERR_IO. */
int rebase_plan_apply(const struct rebase_plan *p, const char *dir);
void rebase_plan_release(struct rebase_plan *p);

#endif
