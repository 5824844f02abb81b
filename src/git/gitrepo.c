/*
 * The libgit2 wrapper (see gitrepo.h). Every libgit2 call that can fail goes
 * through git_fail(), which turns git_error_last() into the error slot, or
 * object_fail() where an object could not be read: that names the fix.
 */
#include "git/gitrepo.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "git/loose.h"

#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gitrepo {
	git_repository *repo;
	git_index *index; /* loaded on first use */
};

static const char *git_message(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown git error";
}

static int git_fail(const char *what)
{
	return err_set(ERR_GIT, "%s: %s", what, git_message());
}

/* A partial clone (--filter) leaves objects out on purpose, and only the
 * git command line fetches them on demand. */
static bool is_partial_clone(struct gitrepo *r);

/*
 * An object that could not be read (libgit2 returned `rc`): missing or
 * damaged. Either way no check can run, and the fix lies in the repository.
 */
static int object_fail(struct gitrepo *r, const char *what, int rc)
{
	char *msg = xstrdup(git_message());
	if (rc == GIT_ENOTFOUND && is_partial_clone(r))
		rc = err_set(ERR_GIT, "%s: %s; this is a partial clone, and revgate cannot fetch "
				      "what its filter left out: clone or fetch without --filter "
				      "(in GitHub Actions: no 'filter' in actions/checkout)",
			     what, msg);
	else
		rc = err_set(ERR_GIT, "%s: %s; the repository is damaged: 'git fsck' lists what "
				      "is broken, and a fresh clone restores it",
			     what, msg);
	free(msg);
	return rc;
}

/* libgit2 is started on first use only: its start-up (certificate bundle,
 * dynamic linking) costs ~17 ms that commands without git should not pay. */
static bool git_started;

static void start_git(void)
{
	if (!git_started) {
		git_libgit2_init();
		/* the order in which repositories opened later ask their object
		 * stores: packs, then the check of loose objects, then the loose
		 * reader it protects (see loose.h) */
		git_libgit2_opts(GIT_OPT_SET_ODB_PACKED_PRIORITY, LOOSE_PACKED_PRIORITY);
		git_libgit2_opts(GIT_OPT_SET_ODB_LOOSE_PRIORITY, LOOSE_READER_PRIORITY);
		/* revgate reads each tree and blob once; the commits the merge
		 * base walks through are parsed by the walk, never read again:
		 * libgit2's object cache only kept them (100,000 commits: 28 MB
		 * and a fifth of the walk's time) */
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
		git_started = true;
	}
}

void gitrepo_global_shutdown(void)
{
	if (git_started)
		git_libgit2_shutdown();
	git_started = false;
}

bool objid_equal(const struct objid *a, const struct objid *b)
{
	return !memcmp(a->raw, b->raw, OBJID_RAWSZ);
}

bool objid_is_zero(const struct objid *id)
{
	static const struct objid zero;
	return objid_equal(id, &zero);
}

void objid_hex(const struct objid *id, char out[OBJID_HEXSZ + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < OBJID_RAWSZ; i++) {
		out[2 * i] = hex[id->raw[i] >> 4];
		out[2 * i + 1] = hex[id->raw[i] & 15];
	}
	out[OBJID_HEXSZ] = '\0';
}

void gitrepo_short_id(const struct objid *id, char out[8])
{
	char hex[OBJID_HEXSZ + 1];
	objid_hex(id, hex);
	memcpy(out, hex, 7);
	out[7] = '\0';
}

static void from_oid(struct objid *out, const git_oid *oid)
{
	memcpy(out->raw, oid->id, OBJID_RAWSZ);
}

static void to_oid(git_oid *out, const struct objid *id)
{
	memcpy(out->id, id->raw, OBJID_RAWSZ);
}

void objid_hash_blob(const void *data, size_t len, struct objid *out)
{
	git_oid oid;
	start_git();
	/* git_odb_hash only fails on an invalid object type */
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0)
		BUG("git_odb_hash failed on a blob");
	from_oid(out, &oid);
}

int gitrepo_open(struct gitrepo **out, const char *dir)
{
	git_repository *repo = NULL;
	*out = NULL;
	start_git();
	int rc = git_repository_open_ext(&repo, dir, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return git_fail("cannot open the git repository");
	if (git_repository_is_bare(repo)) {
		git_repository_free(repo);
		return err_set(ERR_CONFIG, "the git repository holding '%s' is bare: run revgate "
					   "in a work tree",
			       dir);
	}
	if (loose_check_add(repo) < 0) {
		rc = git_fail("cannot open the git object store");
		git_repository_free(repo);
		return rc;
	}
	struct gitrepo *r = xcalloc(1, sizeof(*r));
	r->repo = repo;
	*out = r;
	return 0;
}

void gitrepo_free(struct gitrepo *r)
{
	if (!r)
		return;
	git_index_free(r->index);
	git_repository_free(r->repo);
	free(r);
}

const char *gitrepo_workdir(const struct gitrepo *r)
{
	return git_repository_workdir(r->repo);
}

bool gitrepo_is_shallow(const struct gitrepo *r)
{
	return git_repository_is_shallow(r->repo) == 1;
}

int gitrepo_relpath(const struct gitrepo *r, const char *dir, char **out)
{
	char real_dir[PATH_MAX], real_root[PATH_MAX];
	const char *root = gitrepo_workdir(r);
	if (!realpath(dir, real_dir))
		return err_set(ERR_IO, "cannot resolve '%s'", dir);
	if (!realpath(root, real_root))
		return err_set(ERR_IO, "cannot resolve '%s'", root);
	size_t n = strlen(real_root);
	if (!strcmp(real_dir, real_root)) {
		*out = xstrdup("");
		return 0;
	}
	if (strncmp(real_dir, real_root, n) || (real_root[n - 1] != '/' && real_dir[n] != '/'))
		return err_set(ERR_CONFIG, "'%s' lies outside the work tree '%s'", dir, root);
	*out = xstrdup(real_dir + n + (real_root[n - 1] == '/' ? 0 : 1));
	return 0;
}

int gitrepo_head(struct gitrepo *r, struct gitrepo_head *out)
{
	memset(out, 0, sizeof(*out));
	git_reference *head = NULL;
	int rc = git_repository_head(&head, r->repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
		git_error_clear();
		out->unborn = true;
		/* the branch HEAD will create on the first commit */
		git_reference *sym = NULL;
		if (git_reference_lookup(&sym, r->repo, "HEAD") == 0) {
			const char *t = git_reference_symbolic_target(sym);
			if (t && !strncmp(t, "refs/heads/", 11))
				out->branch = xstrdup(t + 11);
			git_reference_free(sym);
		}
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return err_set(ERR_GIT, "cannot read HEAD: %s; the repository is damaged: 'git "
					"fsck' lists what is broken",
			       git_message());
	out->detached = git_repository_head_detached(r->repo) == 1;
	if (!out->detached && git_reference_is_branch(head))
		out->branch = xstrdup(git_reference_shorthand(head));
	git_object *obj = NULL;
	rc = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT);
	git_reference_free(head);
	if (rc < 0)
		return object_fail(r, "cannot read the commit HEAD points at", rc);
	from_oid(&out->commit, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

void gitrepo_head_release(struct gitrepo_head *h)
{
	free(h->branch);
	memset(h, 0, sizeof(*h));
}

/* Whether `spec` names a reference (a branch, a remote branch, a tag, HEAD)
 * and which object it points at. */
static bool ref_names_object(struct gitrepo *r, const char *spec, git_oid *target)
{
	git_reference *ref = NULL, *direct = NULL;
	bool found = false;
	if (git_reference_dwim(&ref, r->repo, spec) == 0 &&
	    git_reference_resolve(&direct, ref) == 0 && git_reference_target(direct)) {
		git_oid_cpy(target, git_reference_target(direct));
		found = true;
	}
	git_reference_free(direct);
	git_reference_free(ref);
	git_error_clear();
	return found;
}

int gitrepo_resolve(struct gitrepo *r, const char *spec, struct objid *out)
{
	git_object *obj = NULL, *commit = NULL;
	git_oid target;
	int rc;
	/* a reference is looked up here, not by revparse: that way a missing
	 * object is told from a missing name (and libgit2 1.5's revparse
	 * leaks the reference on that path) */
	if (ref_names_object(r, spec, &target)) {
		rc = git_object_lookup(&obj, r->repo, &target, GIT_OBJECT_ANY);
		if (rc < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), &target);
			char *what = xstrfmt("'%s' points at object %.7s, which cannot be read", spec,
					     hex);
			rc = object_fail(r, what, rc);
			free(what);
			return rc;
		}
	} else {
		rc = git_revparse_single(&obj, r->repo, spec);
	}
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC) {
		git_error_clear();
		return ERR_NOTFOUND;
	}
	if (rc < 0) {
		char *what = xstrfmt("cannot read '%s'", spec);
		rc = object_fail(r, what, rc);
		free(what);
		return rc;
	}
	rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc == GIT_EPEEL || rc == GIT_EINVALIDSPEC || rc == GIT_EINVALID) {
		git_error_clear();
		return ERR_NOTFOUND; /* names a tree or a blob */
	}
	if (rc < 0) {
		char *what = xstrfmt("cannot read the commit '%s' names", spec);
		rc = object_fail(r, what, rc);
		free(what);
		return rc;
	}
	from_oid(out, git_object_id(commit));
	git_object_free(commit);
	return 0;
}

bool gitrepo_ref_exists(struct gitrepo *r, const char *spec)
{
	struct objid id;
	return gitrepo_resolve(r, spec, &id) == 0;
}

struct glob_hits {
	struct gitrepo *r;
	struct strlist *names;
	struct objid **v;
	size_t *n, alloc;
};

static int on_glob_ref(const char *name, void *payload)
{
	struct glob_hits *h = payload;
	struct objid id;
	/* a ref that names no commit (a tag of a blob) has nothing to list */
	if (gitrepo_resolve(h->r, name, &id) < 0) {
		err_clear();
		return 0;
	}
	strlist_push(h->names, name);
	ALLOC_GROW(*h->v, *h->n + 1, h->alloc);
	(*h->v)[(*h->n)++] = id;
	return 0;
}

int gitrepo_refs_matching(struct gitrepo *r, const char *pattern, struct strlist *names,
			  struct objid **out, size_t *n)
{
	struct glob_hits h = {r, names, out, n, *n};
	char *globs[4] = {NULL};
	if (!strncmp(pattern, "refs/", 5)) {
		globs[0] = xstrdup(pattern);
	} else {
		globs[0] = xstrfmt("refs/tags/%s", pattern);
		globs[1] = xstrfmt("refs/heads/%s", pattern);
		globs[2] = xstrfmt("refs/remotes/*/%s", pattern);
	}
	int ret = 0;
	for (size_t i = 0; i < 4 && globs[i]; i++) {
		int rc = git_reference_foreach_glob(r->repo, globs[i], on_glob_ref, &h);
		if (rc < 0 && ret == 0)
			ret = git_fail("cannot list the references matching the pattern");
	}
	for (size_t i = 0; i < 4; i++)
		free(globs[i]);
	return ret;
}

int gitrepo_merge_base(struct gitrepo *r, const struct objid *a, const struct objid *b,
		       struct objid *out)
{
	git_oid oa, ob, base;
	to_oid(&oa, a);
	to_oid(&ob, b);
	int rc = git_merge_base(&base, r->repo, &oa, &ob);
	const git_error *e = git_error_last();
	if (rc == GIT_ENOTFOUND && (!e || e->klass != GIT_ERROR_MERGE)) {
		/* a commit of the history is missing, not the common ancestor */
		return object_fail(r, "cannot walk the history to the merge base", rc);
	}
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return ERR_NOTFOUND;
	}
	if (rc < 0)
		return object_fail(r, "cannot walk the history to the merge base", rc);
	from_oid(out, &base);
	return 0;
}

void gitdir_release(struct gitdir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gitdir_entry *)a)->name, ((const struct gitdir_entry *)b)->name);
}

const struct gitdir_entry *gitdir_find(const struct gitdir *d, const char *name)
{
	struct gitdir_entry key = {.name = (char *)name};
	if (!d->n)
		return NULL;
	return bsearch(&key, d->v, d->n, sizeof(*d->v), entry_cmp);
}

static void gitdir_push(struct gitdir *d, const char *name, size_t len, const git_oid *oid)
{
	ALLOC_GROW(d->v, d->n + 1, d->alloc);
	d->v[d->n].name = xstrndup(name, len);
	from_oid(&d->v[d->n].blob, oid);
	d->n++;
}

/* object_fail() with "<prefix><the commit's short id>" as what failed */
static int fail_at(struct gitrepo *r, const char *prefix, const struct objid *commit, int rc)
{
	char hex[8];
	gitrepo_short_id(commit, hex);
	char *what = xstrfmt("%s%s", prefix, hex);
	rc = object_fail(r, what, rc);
	free(what);
	return rc;
}

/* A commit and its root tree. */
static int read_commit_tree(struct gitrepo *r, const struct objid *commit, git_commit **c,
			    git_tree **root)
{
	git_oid oid;
	to_oid(&oid, commit);
	int rc = git_commit_lookup(c, r->repo, &oid);
	if (rc < 0)
		return fail_at(r, "cannot read commit ", commit, rc);
	rc = git_commit_tree(root, *c);
	if (rc < 0)
		return fail_at(r, "cannot read the tree of commit ", commit, rc);
	return 0;
}

/* The files of `dir` into `out`, names under `prefix`, subtrees `depth` deep. */
static int list_tree(struct gitrepo *r, git_tree *dir, const char *prefix, unsigned depth,
		     struct gitdir *out)
{
	size_t n = git_tree_entrycount(dir);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(dir, i);
		git_filemode_t mode = git_tree_entry_filemode(e);
		const char *name = git_tree_entry_name(e);
		if (mode == GIT_FILEMODE_TREE && depth && name[0] != '.') {
			git_tree *sub = NULL;
			int rc = git_tree_lookup(&sub, r->repo, git_tree_entry_id(e));
			if (rc < 0)
				return rc;
			char *p = xstrfmt("%s%s/", prefix, name);
			rc = list_tree(r, sub, p, depth - 1, out);
			free(p);
			git_tree_free(sub);
			if (rc < 0)
				return rc;
			continue;
		}
		if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
			continue;
		char *full = xstrfmt("%s%s", prefix, name);
		gitdir_push(out, full, strlen(full), git_tree_entry_id(e));
		free(full);
	}
	return 0;
}

int gitrepo_list_commit(struct gitrepo *r, const struct objid *commit, const char *rel,
			struct gitdir *out)
{
	git_commit *c = NULL;
	git_tree *root = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	int ret = 0, rc;
	if ((rc = read_commit_tree(r, commit, &c, &root)) < 0) {
		ret = rc;
		goto out;
	}
	git_tree *dir = root;
	if (*rel) {
		rc = git_tree_entry_bypath(&te, root, rel);
		/* a missing subtree on the way is "not found" too: tell it from
		 * a path that is not there */
		if (rc == GIT_ENOTFOUND && git_error_last() &&
		    git_error_last()->klass == GIT_ERROR_TREE) {
			git_error_clear();
			goto out; /* present stays false */
		}
		if (rc == 0 && git_tree_entry_filemode(te) == GIT_FILEMODE_COMMIT) {
			out->submodule = true;
			goto out;
		}
		if (rc == 0 && git_tree_entry_type(te) != GIT_OBJECT_TREE)
			goto out;
		if (rc == 0)
			rc = git_tree_lookup(&sub, r->repo, git_tree_entry_id(te));
		if (rc < 0) {
			char *prefix = xstrfmt("cannot read '%s' at commit ", rel);
			ret = fail_at(r, prefix, commit, rc);
			free(prefix);
			goto out;
		}
		dir = sub;
	}
	out->present = true;
	if ((rc = list_tree(r, dir, "", out->depth, out)) < 0) {
		char *prefix = xstrfmt("cannot read '%s' at commit ", rel);
		ret = fail_at(r, prefix, commit, rc);
		free(prefix);
		goto out;
	}
	/* git orders trees with an implied '/' after directory names; only
	 * files are kept, so a plain sort gives strcmp order */
	if (out->n > 1) /* qsort must not see the NULL of an empty listing */
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
out:
	git_tree_entry_free(te);
	git_tree_free(sub);
	git_tree_free(root);
	git_commit_free(c);
	return ret;
}

struct walk_ctx {
	gitrepo_file_fn *fn;
	void *data;
	int ret;
	struct strbuf dir;
};

static int walk_one(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(e);
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	/* libgit2 gives the directory with a trailing '/' ("" at the root) */
	strbuf_reset(&w->dir);
	strbuf_addstr(&w->dir, root);
	if (w->dir.len)
		strbuf_setlen(&w->dir, w->dir.len - 1);
	struct objid id;
	from_oid(&id, git_tree_entry_id(e));
	int ret = w->fn(w->dir.buf, git_tree_entry_name(e), &id, w->data);
	if (ret < 0) {
		w->ret = ret;
		return -1;
	}
	return 0;
}

int gitrepo_walk_commit(struct gitrepo *r, const struct objid *commit, gitrepo_file_fn *fn,
			void *data)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	struct walk_ctx w = {.fn = fn, .data = data, .dir = STRBUF_INIT};
	int ret = 0;
	int rc = read_commit_tree(r, commit, &c, &root);
	if (rc < 0) {
		ret = rc;
		goto out;
	}
	rc = git_tree_walk(root, GIT_TREEWALK_PRE, walk_one, &w);
	if (w.ret < 0)
		ret = w.ret;
	else if (rc < 0)
		ret = fail_at(r, "cannot read the tree of commit ", commit, rc);
out:
	strbuf_release(&w.dir);
	git_tree_free(root);
	git_commit_free(c);
	return ret;
}

static char *shown_path(const struct gitrepo *r, const char *dir, const char *name);

static int load_index(struct gitrepo *r)
{
	/* during 'git commit -a' or 'git commit PATH' the hooks see a temporary
	 * index named by GIT_INDEX_FILE: that is what the commit will hold */
	const char *env = getenv("GIT_INDEX_FILE");
	if (!r->index && env && *env) {
		if (git_index_open(&r->index, env) < 0)
			return err_set(ERR_GIT, "cannot read the index '%s' (GIT_INDEX_FILE): %s",
				       env, git_message());
	} else if (!r->index && git_repository_index(&r->index, r->repo) < 0) {
		char *path = shown_path(r, git_repository_path(r->repo), "index");
		int rc = err_set(ERR_GIT, "cannot read the index '%s': %s; if it is damaged, 'git "
					  "reset' writes it again from HEAD (staged changes are lost, "
					  "the working tree is kept)",
				 path, git_message());
		free(path);
		return rc;
	}
	return 0;
}

static bool is_gitlink(const git_index_entry *e)
{
	return e && (e->mode & 0170000) == 0160000;
}

int gitrepo_list_index(struct gitrepo *r, const char *rel, struct gitdir *out)
{
	int rc = load_index(r);
	if (rc < 0)
		return rc;
	if (*rel && is_gitlink(git_index_get_bypath(r->index, rel, 0))) {
		out->submodule = true;
		return 0;
	}
	struct strbuf prefix = STRBUF_INIT;
	if (*rel)
		strbuf_addf(&prefix, "%s/", rel);
	size_t pos = 0;
	int ret = 0;
	if (prefix.len && git_index_find_prefix(&pos, r->index, prefix.buf) < 0) {
		git_error_clear();
		goto out; /* nothing staged under the directory */
	}
	size_t n = git_index_entrycount(r->index);
	for (size_t i = pos; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(r->index, i);
		if (strncmp(e->path, prefix.buf, prefix.len))
			break;
		const char *name = e->path + prefix.len;
		out->present = true;
		unsigned levels = 0;
		for (const char *c = name; *c; c++)
			levels += *c == '/';
		if (levels > out->depth)
			continue; /* deeper than the listing reaches */
		if (GIT_INDEX_ENTRY_STAGE(e) != 0) {
			ret = err_set(ERR_CONFIG, "'%s' has an unresolved merge conflict: resolve it "
						  "and 'git add' it first",
				      e->path);
			goto out;
		}
		if ((e->mode & 0170000) != 0100000)
			continue; /* a symbolic link or a submodule */
		gitdir_push(out, name, strlen(name), &e->id);
	}
	if (out->n > 1) /* qsort must not see the NULL of an empty listing */
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
out:
	strbuf_release(&prefix);
	return ret;
}

int gitrepo_read_blob(struct gitrepo *r, const struct objid *id, struct strbuf *out)
{
	git_oid oid;
	git_blob *b = NULL;
	to_oid(&oid, id);
	int rc = git_blob_lookup(&b, r->repo, &oid);
	if (rc < 0) {
		char hex[8];
		gitrepo_short_id(id, hex);
		char *what = xstrfmt("cannot read blob %s", hex);
		rc = object_fail(r, what, rc);
		free(what);
		return rc;
	}
	strbuf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return 0;
}

/* `dir` + `name`, relative to the work tree's root when it lies inside
 * (".git/index.lock"), else absolute. Fresh string. */
static char *shown_path(const struct gitrepo *r, const char *dir, const char *name)
{
	const char *root = gitrepo_workdir(r);
	size_t n = root ? strlen(root) : 0;
	if (n && !strncmp(dir, root, n))
		return xstrfmt("%s%s", dir + n, name);
	return xstrfmt("%s%s", dir, name);
}

int gitrepo_index_lock(struct gitrepo *r, char **out)
{
	const char *env = getenv("GIT_INDEX_FILE");
	char *lock = env && *env ? xstrfmt("%s.lock", env)
				 : xstrfmt("%sindex.lock", git_repository_path(r->repo));
	*out = NULL;
	if (access(lock, F_OK) == 0)
		*out = env && *env ? xstrdup(lock)
				   : shown_path(r, git_repository_path(r->repo), "index.lock");
	free(lock);
	return 0;
}

int gitrepo_gitlink_at(struct gitrepo *r, const char *rel, char **out)
{
	*out = NULL;
	if (!*rel)
		return 0;
	int rc = load_index(r);
	if (rc < 0)
		return rc;
	/* rel itself or a directory above it */
	char *path = xstrdup(rel);
	for (char *end = path + strlen(path); end;) {
		*end = '\0';
		if (is_gitlink(git_index_get_bypath(r->index, path, 0))) {
			*out = xstrdup(path);
			break;
		}
		end = strrchr(path, '/');
	}
	free(path);
	return 0;
}

char *gitrepo_unfetched_submodule(const char *dir)
{
	/* the nearest directory above `dir` that exists, and the path below it */
	char *near = xstrdup(dir);
	const char *at = near, *rest = "";
	struct stat st;
	while (stat(at, &st) < 0) {
		char *slash = strrchr(near, '/');
		if (!slash) {
			at = ".";
			rest = dir;
			break;
		}
		*slash = '\0';
		rest = dir + (slash - near) + 1;
		if (!*near) {
			at = "/";
			break;
		}
	}
	struct gitrepo *repo = NULL;
	char *rel = NULL, *link = NULL;
	if (gitrepo_open(&repo, at) == 0 && repo && gitrepo_relpath(repo, at, &rel) == 0) {
		char *full = *rel ? xstrfmt("%s/%s", rel, rest) : xstrdup(rest);
		(void)gitrepo_gitlink_at(repo, full, &link);
		free(full);
	}
	err_clear();
	free(rel);
	gitrepo_free(repo);
	free(near);
	return link;
}

int gitrepo_submodule_error(const char *dir, const char *link)
{
	return err_set(ERR_CONFIG,
		       "the migrations directory '%s' is in the git submodule '%s', which is not "
		       "checked out here: run 'git submodule update --init %s' (in GitHub Actions: "
		       "'submodules: true' in actions/checkout)",
		       dir, link, link);
}

/* remote.<name>.promisor = true: git marks the remote a partial clone
 * came from so. Read entry by entry: libgit2 1.5's git_config_foreach_match
 * leaks its regex match data. */
static bool has_promisor(git_config *cfg)
{
	static const char suffix[] = ".promisor";
	git_config_iterator *it = NULL;
	git_config_entry *e;
	bool found = false;
	if (git_config_iterator_new(&it, cfg) < 0)
		return false;
	while (!found && git_config_next(&e, it) == 0) {
		size_t n = strlen(e->name);
		int on = 0;
		found = !strncmp(e->name, "remote.", 7) && n > sizeof(suffix) - 1 &&
			!strcmp(e->name + n - (sizeof(suffix) - 1), suffix) &&
			git_config_parse_bool(&on, e->value) == 0 && on;
	}
	git_config_iterator_free(it);
	return found;
}

static bool is_partial_clone(struct gitrepo *r)
{
	git_config *cfg = NULL;
	git_buf buf = {0};
	bool partial = false;
	if (git_repository_config_snapshot(&cfg, r->repo) == 0) {
		partial = git_config_get_string_buf(&buf, cfg, "extensions.partialclone") == 0 ||
			  has_promisor(cfg);
		git_buf_dispose(&buf);
		git_config_free(cfg);
	}
	git_error_clear();
	return partial;
}

int gitrepo_config_set(struct gitrepo *r, const char *key, const char *value)
{
	git_config *cfg = NULL, *local = NULL;
	int ret = 0;
	if (git_repository_config(&cfg, r->repo) < 0)
		return git_fail("cannot read the git configuration");
	if (git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0) {
		ret = git_fail("cannot open the repository's git configuration");
		goto out;
	}
	int rc = value ? git_config_set_string(local, key, value) : git_config_delete_entry(local, key);
	if (rc == GIT_ENOTFOUND && !value) {
		git_error_clear();
	} else if (rc == GIT_ELOCKED) {
		char *lock = shown_path(r, git_repository_commondir(r->repo), "config.lock");
		ret = err_set(ERR_CONFIG, "cannot set %s: '%s' exists, so another git command is "
					  "changing the configuration, or one stopped before it "
					  "finished; when none is running, remove '%s' and run again",
			      key, lock, lock);
		free(lock);
	} else if (rc < 0) {
		ret = git_fail("cannot write the git configuration");
	}
out:
	git_config_free(local);
	git_config_free(cfg);
	return ret;
}

int gitrepo_hooks_dir(struct gitrepo *r, char **out)
{
	git_config *cfg = NULL;
	git_buf buf = {0};
	int ret = 0;
	if (git_repository_config_snapshot(&cfg, r->repo) < 0)
		return git_fail("cannot read the git configuration");
	int rc = git_config_get_path(&buf, cfg, "core.hooksPath");
	if (rc == 0 && buf.size) {
		/* git runs hooks from the work tree's root: a relative path is relative to it */
		if (buf.ptr[0] == '/')
			*out = xstrdup(buf.ptr);
		else
			*out = xstrfmt("%s%s", gitrepo_workdir(r), buf.ptr);
	} else if (rc == 0 || rc == GIT_ENOTFOUND) {
		git_error_clear();
		*out = xstrfmt("%shooks", git_repository_commondir(r->repo));
	} else {
		ret = git_fail("cannot read core.hooksPath");
	}
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return ret;
}
