/*
 * The libgit2 wrapper: the only module that includes git2.h. It opens the
 * repository that holds the migrations directory, resolves the base ref and
 * the merge base, and lists and reads the files of one directory as a commit,
 * the index or the working tree holds them, without a checkout. libgit2's
 * errors are translated here, once, into messages that name the fix.
 *
 * Ownership: a gitrepo owns the libgit2 repository (and its index);
 * gitrepo_free() releases it. A gitdir owns its entries and their names.
 * Object ids are plain values.
 *
 * Errors: ERR_CONFIG when the repository cannot answer the question asked
 * (not a repository, a shallow clone, an unborn branch, a missing base ref,
 * a lock file in the way: exit 2 with a message saying what to do); ERR_GIT
 * for libgit2 failures. An object that cannot be read (missing, or damaged:
 * a truncated or overwritten loose object, a broken pack) is ERR_GIT with a
 * message naming it and the fix ('git fsck', a fresh clone, a fetch without
 * --filter); a truncated loose object is caught before libgit2 reads it
 * (see loose.h).
 */
#ifndef REVGATE_GIT_GITREPO_H
#define REVGATE_GIT_GITREPO_H

#include "core/strbuf.h"
#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

/* A git object id (SHA-1, as Debian's libgit2 1.5 supports). */
#define OBJID_RAWSZ 20
#define OBJID_HEXSZ 40
struct objid {
	unsigned char raw[OBJID_RAWSZ];
};
bool objid_equal(const struct objid *a, const struct objid *b);
bool objid_is_zero(const struct objid *id);
/* 40 hex digits and a NUL. */
void objid_hex(const struct objid *id, char out[OBJID_HEXSZ + 1]);
/* The id git gives `data` as a blob (what `git hash-object` prints). */
void objid_hash_blob(const void *data, size_t len, struct objid *out);

/* libgit2 starts on the first call that needs it; main() calls this at exit. */
void gitrepo_global_shutdown(void);

struct gitrepo;

/*
 * Opens the non-bare repository whose work tree holds `dir` (searching
 * upwards). `*out` is NULL and the call returns 0 when `dir` is not inside a
 * repository. Errors: ERR_CONFIG for a bare repository, ERR_GIT.
 */
int gitrepo_open(struct gitrepo **out, const char *dir);
void gitrepo_free(struct gitrepo *r);

/* The work tree's root, with a trailing '/' (borrowed). */
const char *gitrepo_workdir(const struct gitrepo *r);
bool gitrepo_is_shallow(const struct gitrepo *r);

/*
 * The path of `dir` relative to the work tree's root ("" for the root), no
 * trailing '/'. `dir` must exist. Errors: ERR_CONFIG when it lies outside
 * the work tree, ERR_IO.
 */
int gitrepo_relpath(const struct gitrepo *r, const char *dir, char **out);

/* What HEAD points at. */
struct gitrepo_head {
	bool unborn;    /* the branch has no commit yet */
	bool detached;  /* HEAD names a commit, not a branch */
	char *branch;   /* short branch name, or NULL when detached (owned) */
	struct objid commit; /* zero when unborn */
};
int gitrepo_head(struct gitrepo *r, struct gitrepo_head *out);
void gitrepo_head_release(struct gitrepo_head *h);

/*
 * Resolves `spec` (a branch, remote branch, tag or commit) to a commit.
 * Returns ERR_NOTFOUND, with no message set, when it names nothing; ERR_GIT.
 */
int gitrepo_resolve(struct gitrepo *r, const char *spec, struct objid *out);
/* Whether `spec` resolves to a commit. */
bool gitrepo_ref_exists(struct gitrepo *r, const char *spec);
/* The commits of the tags and branches whose names match the glob
 * `pattern` (for "deploy/<glob>": refs/tags/deploy/..., refs/heads/deploy/...
 * and refs/remotes/<remote>/deploy/...; a pattern starting with "refs/" as
 * given), appended to `out` (grown; `*n` entries) with their names in
 * `names`. ERR_GIT. */
int gitrepo_refs_matching(struct gitrepo *r, const char *pattern, struct strlist *names,
			  struct objid **out, size_t *n);

/*
 * The best common ancestor of two commits. ERR_NOTFOUND, with no message
 * set, when they share no history; ERR_GIT.
 */
int gitrepo_merge_base(struct gitrepo *r, const struct objid *a, const struct objid *b,
		       struct objid *out);

/* The abbreviated id of a commit, for messages (7 hex digits). */
void gitrepo_short_id(const struct objid *id, char out[8]);

/* One file of a directory as some snapshot holds it. */
struct gitdir_entry {
	char *name;        /* file name; "sub/name" below a subdirectory */
	struct objid blob; /* its content's blob id */
};

/* The regular files inside one directory of a snapshot, sorted by name. */
struct gitdir {
	bool present; /* false when the snapshot has no such directory */
	bool submodule; /* the snapshot has a submodule (a gitlink) at the path */
	/* Set before listing: how many levels of subdirectories to list too
	 * (0: the directory's own files). */
	unsigned depth;
	struct gitdir_entry *v;
	size_t n, alloc;
};
#define GITDIR_INIT {false, false, 0, NULL, 0, 0}
void gitdir_release(struct gitdir *d);
/* The entry named `name`, or NULL (binary search). */
const struct gitdir_entry *gitdir_find(const struct gitdir *d, const char *name);

/* `rel` (relative to the work tree, "" for the root) at commit `commit`;
 * `submodule` is set instead of `present` when `rel` is a gitlink there.
 * ERR_GIT. */
int gitrepo_list_commit(struct gitrepo *r, const struct objid *commit, const char *rel,
			struct gitdir *out);
/*
 * Calls `fn` for every regular file in the tree of `commit`, in git's tree
 * order, with the file's directory relative to the work tree ("" for the
 * root, no trailing '/'), its name and its blob id. A negative return from
 * `fn` stops the walk and is returned. Used where a directory has to be
 * found by what it holds (guard: a base that keeps its revisions elsewhere).
 * ERR_GIT.
 */
typedef int gitrepo_file_fn(const char *dir, const char *name, const struct objid *blob,
			    void *data);
int gitrepo_walk_commit(struct gitrepo *r, const struct objid *commit, gitrepo_file_fn *fn,
			void *data);
/* `rel` as the index holds it (stage 0); GIT_INDEX_FILE, which git sets for
 * its hooks, names the index when set; `submodule` is set instead of
 * `present` when `rel` is a gitlink there. ERR_CONFIG when a file in it
 * has an unresolved merge conflict; ERR_GIT. */
int gitrepo_list_index(struct gitrepo *r, const char *rel, struct gitdir *out);

/*
 * The index's lock file (".git/index.lock", or GIT_INDEX_FILE's) when it
 * exists: another git command is writing the index, or one stopped before
 * it finished. `*out` is a fresh path to show (relative to the work tree's
 * root when inside it), or NULL when there is no lock. Never fails.
 */
int gitrepo_index_lock(struct gitrepo *r, char **out);

/*
 * The submodule (a gitlink in the index) at `rel` or at a directory above
 * it, as a fresh path relative to the work tree's root; NULL when there is
 * none. A migrations directory there is a submodule that is not checked
 * out: its files are in another repository. ERR_GIT when the index cannot
 * be read.
 */
int gitrepo_gitlink_at(struct gitrepo *r, const char *rel, char **out);

/*
 * The submodule not checked out that directory `dir` (which need not exist)
 * lies in, found from the nearest directory above it that exists: a fresh
 * path relative to the work tree's root, or NULL. Only a hint for a
 * message, so any failure on the way means NULL and clears the error slot.
 */
char *gitrepo_unfetched_submodule(const char *dir);

/* ERR_CONFIG: the migrations directory `dir` lies in the submodule `link`,
 * which is not checked out, and the message says how to fetch it. */
int gitrepo_submodule_error(const char *dir, const char *link);

/* Appends the content of blob `id` to `out`. ERR_GIT. */
int gitrepo_read_blob(struct gitrepo *r, const struct objid *id, struct strbuf *out);

/* Sets `key` in the repository's own configuration (.git/config), or
 * removes it when `value` is NULL (removing an unset key is no error).
 * ERR_CONFIG when .git/config.lock is in the way (the message names it);
 * ERR_GIT. */
int gitrepo_config_set(struct gitrepo *r, const char *key, const char *value);

/* The hooks directory: core.hooksPath (relative to the work tree) when set,
 * else .git/hooks. Fresh string. ERR_GIT. */
int gitrepo_hooks_dir(struct gitrepo *r, char **out);

#endif
