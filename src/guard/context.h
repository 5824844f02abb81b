/*
 * What the guard's checks share inside one run (see guard.h): the three
 * snapshots of the migrations directory, each file known by name and blob
 * id and parsed only when its content matters. Internal to src/guard/.
 *
 * Ownership: a guard_ctx owns the repository, the listings, and every
 * revision it parsed from a blob (in `owned`); sides borrow names from the
 * listings and revisions from `owned` or from the caller's lint set.
 */
#ifndef REVGATE_GUARD_CONTEXT_H
#define REVGATE_GUARD_CONTEXT_H

#include "core/strmap.h"
#include "guard/guard.h"
#include "layout/layout.h"

/*
 * A revision of one snapshot: its main file, and what makes it equal to
 * the same revision in another snapshot. For revgate's and Alembic's
 * files that is the file's blob; for other tools it also covers the file
 * holding the downgrade and the parent the tool's order gives (a
 * migration inserted before an applied one changes that one's parent).
 */
struct gfile {
	const char *name;      /* relative to the migrations directory; borrowed */
	struct objid blob;     /* the main file's blob */
	struct objid key;      /* equal in two snapshots when the revision is */
	struct revision *rev;  /* parsed on demand; borrowed */
	const struct layout_unit *unit; /* how to read it; NULL when rev came with it */
};

struct guard_ctx;

struct side {
	bool present;
	struct gfile *v;
	size_t n, alloc;
	/* the snapshot as the layout reads it */
	struct guard_ctx *c;
	const struct gitdir *dir;
	const char *label; /* "on main", "at the merge base", ... */
	struct layout_tree tree;
	struct layout_units units;
};

struct guard_ctx {
	const struct guard_request *req;
	struct gitrepo *repo;
	char *rel;        /* migrations directory relative to the work tree */
	char *base_name;  /* the base ref used */
	char *base_label; /* "on <base_name>", for messages */
	struct gitrepo_head head;
	struct objid base_tip, merge_base;
	struct gitdir dirs[3]; /* listings the sides borrow names from */
	struct side ours, base, mb;
	bool mb_listed; /* the merge base differs from the base tip */
	/* When the base holds no revision file at `rel` but keeps this
	 * branch's revisions elsewhere: that directory (owned), else NULL. */
	char *base_rel;
	/* When the base holds revision files, none at `rel` and none with this
	 * branch's ids: one of them, for the error (owned), else NULL. */
	char *base_lost;
	/* with req->applied: the ids of the revision files at those refs (the
	 * keys are owned by applied_keys); only they are guarded */
	bool applied_set;
	struct strmap applied_ids;
	struct strlist applied_keys;
	struct revset owned;    /* revisions parsed from blobs */
	struct findings scratch; /* read problems of base-side files: not ours to report */
	struct strlist cache_keys;
	struct strmap cache;    /* "<blob hex>/<name>" -> index in owned */
};

/* Whether two snapshots hold the same revision for `a` and `b` (either may be NULL). */
bool gfile_same(const struct gfile *a, const struct gfile *b);
/* The file named `name` in a side, or NULL (binary search: sides are sorted). */
struct gfile *guard_side_find(const struct side *s, const char *name);
/* The path of a file of the migrations directory as shown to the user (fresh string). */
char *guard_display_path(const struct guard_ctx *c, const char *name);
/* The path to name a base file by in 'git checkout BASE -- PATH' (fresh string). */
char *guard_base_path(const struct guard_ctx *c, const char *name);
/* The parsed revision of a file, reading its blob at most once per run. ERR_GIT. */
int guard_file_rev(struct guard_ctx *c, struct gfile *f, struct revision **out);

/* Whether revision `id` counts as applied: on the applied refs ([git]
 * applied), else (no such setting) every revision at the base tip. */
bool guard_applied(const struct guard_ctx *c, const char *id);
/* Applied revisions against ours: edits, deletions, renames, rewritten parents (applied.c). */
int guard_check_applied(struct guard_ctx *c, struct findings *out);
/* The merged graph and the siblings both sides added (merge.c); runs only when
 * the base moved since the merge base. ERR_GIT. */
int guard_check_merge(struct guard_ctx *c, struct findings *out);

#endif
