/*
 * The git guard: the "git" family of lint findings (DESIGN.md, "Lint" and
 * "Git"). A revision file present at the base tip counts as applied and must
 * not change; revisions added on this branch and on the base since they
 * split must merge into a graph with one head. Everything is read through
 * git/gitrepo.h, blobs straight from the object store, without a checkout.
 *
 * Three snapshots take part: "ours" (the working tree, the index with
 * --staged, or HEAD with --base), the base tip (what counts as applied) and
 * the merge base of HEAD and the base. The merged graph is built in memory
 * from the three, file by file, as a merge would combine them.
 *
 * Ownership: the caller owns the request's strings, the lint set and both
 * findings lists; guard_run() adds to `out` and, with --staged, replaces the
 * contents of the lint set and its load findings. A guard_result owns its
 * note; a guard_base owns everything in it.
 */
#ifndef REVGATE_GUARD_GUARD_H
#define REVGATE_GUARD_GUARD_H

#include "core/finding.h"
#include "git/gitrepo.h"
#include "layout/layout.h"
#include "revision/revision.h"

#include <stdbool.h>

/* Rule ids of the git family; the lint team's registry lists them. */
#define RULE_APPLIED_EDITED "applied-revision-edited"
#define RULE_APPLIED_COSMETIC "applied-revision-cosmetic-edit"
#define RULE_APPLIED_DELETED "applied-revision-deleted"
#define RULE_APPLIED_RENAMED "applied-revision-renamed"
#define RULE_HISTORY_REWRITTEN "history-rewritten"
#define RULE_HEADS_AFTER_MERGE "heads-after-merge"
#define RULE_SIBLING_CONFLICT "sibling-conflict"

enum guard_mode {
	GUARD_WORKTREE = 0, /* the working tree (default) */
	GUARD_STAGED,       /* what the index holds: the pre-commit case */
	GUARD_BASE,         /* HEAD against an explicit base ref: the CI case */
};

struct guard_request {
	enum guard_mode mode;
	/* The base ref (--base, or [git] base). NULL: origin/main when it
	 * exists, else main. */
	const char *base;
	/* What counts as applied ([git] applied): a ref, or a glob naming tags
	 * or branches ("deploy/<glob>"), whose revision files are the applied
	 * ones. NULL: the base tip's. */
	const char *applied;
	const char *migrations_dir; /* as shown to the user */
	const struct matcher *name_pattern;
	const struct revision_limits *limits;
	const struct layout_settings *layout; /* how the directory is read */
	const char *cache_dir; /* Alembic: where the SQL of revisions is cached, or NULL */
};

struct guard_result {
	bool in_repo; /* the migrations directory lies in a git work tree */
	bool checked; /* the git checks ran */
	bool lint_set_replaced; /* --staged: the caller must rebuild its graph */
	/* One line for stderr about an unusual state (detached HEAD, no commit
	 * yet), or NULL. Owned. */
	char *note;
	/* When checked: the paths (as the lint set names them) of ours'
	 * revision files that the base tip does not hold byte for byte, that is
	 * what this change adds or edits. */
	struct strlist changed;
};
void guard_result_release(struct guard_result *r);

/*
 * Runs the git checks on `lint_set` (the revisions the lint command read
 * from the working tree) and adds their findings to `out`.
 *
 * - GUARD_WORKTREE outside a git repository: returns 0 with in_repo false.
 * - GUARD_STAGED first replaces the contents of `lint_set` with the files
 *   the index holds in the migrations directory (unchanged files are kept,
 *   not re-read) and `load_findings` with the findings of reading them;
 *   graph findings are dropped, since the caller rebuilds its graph.
 * - GUARD_BASE compares HEAD's files with the base; `lint_set` is not
 *   changed.
 * - When the base holds no revision file at the migrations directory's path
 *   but ours holds some, the base's revisions are looked for by id wherever
 *   its tree keeps them (a moved directory, a wrong 'migrations', a symbolic
 *   link); when the base holds revision files but none with ours' ids, an
 *   applied-revision-deleted error says what is applied cannot be told.
 *
 * - A branch without a commit yet: with no base either (a new repository),
 *   nothing is applied and the run returns 0 with a note; with a base (an
 *   orphan branch), the index or the working tree is compared with the base
 *   tip, and there is no merge base to merge from.
 *
 * Errors (exit 2, with a message naming the fix): not a repository (for
 * --staged and --base), a shallow clone (with GUARD_WORKTREE only when
 * HEAD is not the base tip), a missing base ref, HEAD and the
 * base sharing no history, an unborn branch with --base, a migrations
 * directory missing from HEAD or lying in a submodule that is not checked
 * out, an unresolved conflict in the index. ERR_GIT for repository
 * failures, among them an object that cannot be read.
 */
int guard_run(const struct guard_request *req, struct revset *lint_set,
	      struct findings *load_findings, struct guard_result *res, struct findings *out);

/*
 * The base as the merge-head helper needs it: the repository, the base ref's
 * name and tip, and the revisions the base tip holds in the migrations
 * directory (parsed from blobs; read problems dropped).
 */
struct guard_base {
	struct gitrepo *repo;
	char *name;        /* the ref used, e.g. "origin/main" */
	struct objid tip;
	struct revset revs; /* the base tip's revision files */
};
#define GUARD_BASE_INIT {NULL, NULL, {{0}}, REVSET_INIT}

/* Opens the repository and reads the base (`base` NULL: the default),
 * without walking the history to the merge base: the rebase needs the base
 * tip alone. When the base holds no revision file in the migrations
 * directory, its revisions are looked for by HEAD's ids wherever its tree
 * keeps them. Same errors as guard_run() but for the shared history, and
 * ERR_CONFIG when the base holds revision files but none with HEAD's ids
 * (what is applied cannot be told). */
int guard_base_open(struct guard_base *b, const char *migrations_dir, const char *base,
		    const struct matcher *name_pattern, const struct revision_limits *limits,
		    const struct layout_settings *layout);
void guard_base_release(struct guard_base *b);

#endif
