/*
 * The libgit2 wrapper (see gitrepo.h). Every libgit2 call that can fail goes
 * through git_fail(), which turns git_error_last() into the error slot.
 */
#include "git/gitrepo.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct gitrepo {
	git_repository *repo;
	git_index *index; /* loaded on first use */
};

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	return err_set(ERR_GIT, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

/* libgit2 is started on first use only: its start-up (certificate bundle,
 * dynamic linking) costs ~17 ms that commands without git should not pay. */
static bool git_started;

static void start_git(void)
{
	if (!git_started) {
		git_libgit2_init();
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
		return git_fail("cannot read HEAD");
	out->detached = git_repository_head_detached(r->repo) == 1;
	if (!out->detached && git_reference_is_branch(head))
		out->branch = xstrdup(git_reference_shorthand(head));
	git_object *obj = NULL;
	rc = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT);
	git_reference_free(head);
	if (rc < 0)
		return git_fail("cannot read the commit HEAD points at");
	from_oid(&out->commit, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

void gitrepo_head_release(struct gitrepo_head *h)
{
	free(h->branch);
	memset(h, 0, sizeof(*h));
}

int gitrepo_resolve(struct gitrepo *r, const char *spec, struct objid *out)
{
	git_object *obj = NULL, *commit = NULL;
	int rc = git_revparse_single(&obj, r->repo, spec);
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC) {
		git_error_clear();
		return ERR_NOTFOUND;
	}
	if (rc < 0)
		return git_fail("cannot resolve a git revision");
	rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc < 0) {
		git_error_clear();
		return ERR_NOTFOUND;
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

int gitrepo_merge_base(struct gitrepo *r, const struct objid *a, const struct objid *b,
		       struct objid *out)
{
	git_oid oa, ob, base;
	to_oid(&oa, a);
	to_oid(&ob, b);
	int rc = git_merge_base(&base, r->repo, &oa, &ob);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return ERR_NOTFOUND;
	}
	if (rc < 0)
		return git_fail("cannot compute the merge base");
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

int gitrepo_list_commit(struct gitrepo *r, const struct objid *commit, const char *rel,
			struct gitdir *out)
{
	git_oid oid;
	git_commit *c = NULL;
	git_tree *root = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	int ret = 0;
	to_oid(&oid, commit);
	if (git_commit_lookup(&c, r->repo, &oid) < 0) {
		ret = git_fail("cannot read a commit");
		goto out;
	}
	if (git_commit_tree(&root, c) < 0) {
		ret = git_fail("cannot read a commit's tree");
		goto out;
	}
	git_tree *dir = root;
	if (*rel) {
		int rc = git_tree_entry_bypath(&te, root, rel);
		if (rc == GIT_ENOTFOUND) {
			git_error_clear();
			goto out; /* present stays false */
		}
		if (rc < 0) {
			ret = git_fail("cannot read a tree");
			goto out;
		}
		if (git_tree_entry_type(te) != GIT_OBJECT_TREE)
			goto out;
		if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(te)) < 0) {
			ret = git_fail("cannot read a tree");
			goto out;
		}
		dir = sub;
	}
	out->present = true;
	size_t n = git_tree_entrycount(dir);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(dir, i);
		git_filemode_t mode = git_tree_entry_filemode(e);
		if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
			continue;
		const char *name = git_tree_entry_name(e);
		gitdir_push(out, name, strlen(name), git_tree_entry_id(e));
	}
	/* git orders trees with an implied '/' after directory names; only
	 * files are kept, so a plain sort gives strcmp order */
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
	git_oid oid;
	git_commit *c = NULL;
	git_tree *root = NULL;
	struct walk_ctx w = {.fn = fn, .data = data, .dir = STRBUF_INIT};
	int ret = 0;
	to_oid(&oid, commit);
	if (git_commit_lookup(&c, r->repo, &oid) < 0) {
		ret = git_fail("cannot read a commit");
		goto out;
	}
	if (git_commit_tree(&root, c) < 0) {
		ret = git_fail("cannot read a commit's tree");
		goto out;
	}
	int rc = git_tree_walk(root, GIT_TREEWALK_PRE, walk_one, &w);
	if (w.ret < 0)
		ret = w.ret;
	else if (rc < 0)
		ret = git_fail("cannot read a tree");
out:
	strbuf_release(&w.dir);
	git_tree_free(root);
	git_commit_free(c);
	return ret;
}

int gitrepo_list_index(struct gitrepo *r, const char *rel, struct gitdir *out)
{
	/* during 'git commit -a' or 'git commit PATH' the hooks see a temporary
	 * index named by GIT_INDEX_FILE: that is what the commit will hold */
	const char *env = getenv("GIT_INDEX_FILE");
	if (!r->index && env && *env) {
		if (git_index_open(&r->index, env) < 0)
			return git_fail("cannot read the index named by GIT_INDEX_FILE");
	} else if (!r->index && git_repository_index(&r->index, r->repo) < 0) {
		return git_fail("cannot read the index");
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
		if (strchr(name, '/'))
			continue; /* inside a subdirectory */
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
	if (git_blob_lookup(&b, r->repo, &oid) < 0)
		return git_fail("cannot read a file from git");
	strbuf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return 0;
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
	if (rc == GIT_ENOTFOUND && !value)
		git_error_clear();
	else if (rc < 0)
		ret = git_fail("cannot write the git configuration");
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
