/*
 * The git guard (see guard.h). One run:
 *   1. open the repository and settle the base, HEAD and their merge base,
 *      refusing the states where a check would silently pass;
 *   2. list the migrations directory in the three snapshots (names and blob
 *      ids only: no blob is read unless its content matters);
 *   3. compare every applied revision with ours (edits, deletions, renames,
 *      rewritten parents): applied.c;
 *   4. when the base moved since the merge base, merge the three snapshots
 *      file by file, build the merged graph and look for what the merge
 *      breaks, and compare what both sides added for shared objects:
 *      merge.c.
 * A blob is parsed at most once per run, and files that equal ours reuse the
 * revision the lint command already parsed.
 */
#include "guard/guard.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "guard/context.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Adds one remark to the result's note line ("; " between remarks). */
static void note_add(struct guard_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_add(struct guard_result *res, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	if (res->note)
		strbuf_addf(&sb, "%s; ", res->note);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(res->note);
	res->note = strbuf_detach(&sb, NULL);
}

void guard_result_release(struct guard_result *r)
{
	free(r->note);
	r->note = NULL;
	strlist_release(&r->changed);
}

/* What this change adds or edits: ours' files the base tip lacks or holds otherwise. */
static void list_changed(const struct guard_ctx *c, struct strlist *out)
{
	for (size_t i = 0; i < c->ours.n; i++) {
		const struct gfile *o = &c->ours.v[i];
		const struct gfile *b = guard_side_find(&c->base, o->name);
		if (!b || !objid_equal(&b->blob, &o->blob))
			strlist_push_owned(out, guard_display_path(c, o->name));
	}
}

static bool is_revision_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n >= 4 && !strcmp(name + n - 4, ".sql");
}

static int gfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gfile *)a)->name, ((const struct gfile *)b)->name);
}

struct gfile *guard_side_find(const struct side *s, const char *name)
{
	struct gfile key = {.name = name};
	if (!s->n)
		return NULL;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), gfile_cmp);
}

static void side_push(struct side *s, const char *name, const struct objid *blob,
		      struct revision *rev)
{
	ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n].name = name;
	s->v[s->n].blob = *blob;
	s->v[s->n].rev = rev;
	s->n++;
}

static void side_from_dir(struct side *s, const struct gitdir *d)
{
	s->present = d->present;
	for (size_t i = 0; i < d->n; i++)
		if (is_revision_name(d->v[i].name))
			side_push(s, d->v[i].name, &d->v[i].blob, NULL);
	/* gitdir is sorted by name already */
}

static void side_release(struct side *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

char *guard_display_path(const struct guard_ctx *c, const char *name)
{
	return path_join(c->req->migrations_dir, name);
}

char *guard_base_path(const struct guard_ctx *c, const char *name)
{
	/* ':/' makes git read the path from the work tree's top */
	if (c->base_rel)
		return *c->base_rel ? xstrfmt(":/%s/%s", c->base_rel, name) : xstrfmt(":/%s", name);
	return guard_display_path(c, name);
}

/* Which snapshot a file belongs to, for messages ("on main"). Fresh string. */
static char *side_label(const struct guard_ctx *c, const struct gfile *f)
{
	static const char *const ours[] = {
		[GUARD_WORKTREE] = "in the working tree",
		[GUARD_STAGED] = "in the index",
		[GUARD_BASE] = "at HEAD",
	};
	if (guard_side_find(&c->ours, f->name) == f)
		return xstrdup(ours[c->req->mode]);
	if (guard_side_find(&c->base, f->name) == f)
		return xstrfmt("on %s", c->base_name);
	return xstrdup("at the merge base");
}

/* The parsed revision of a file, reading its blob once per run. */
int guard_file_rev(struct guard_ctx *c, struct gfile *f, struct revision **out)
{
	if (f->rev) {
		*out = f->rev;
		return 0;
	}
	struct gfile *o = guard_side_find(&c->ours, f->name);
	if (o && o != f && o->rev && objid_equal(&o->blob, &f->blob)) {
		*out = f->rev = o->rev;
		return 0;
	}
	char hex[OBJID_HEXSZ + 1];
	objid_hex(&f->blob, hex);
	char *key = xstrfmt("%s/%s", hex, f->name);
	size_t idx;
	if (strmap_get(&c->cache, key, &idx)) {
		free(key);
		*out = f->rev = c->owned.v[idx];
		return 0;
	}
	struct strbuf sb = STRBUF_INIT;
	char *path = guard_display_path(c, f->name);
	int ret = gitrepo_read_blob(c->repo, &f->blob, &sb);
	if (ret < 0) {
		char *side = side_label(c, f);
		ret = err_wrap(ret, "'%s' %s", path, side);
		free(side);
		free(path);
		free(key);
		strbuf_release(&sb);
		return ret;
	}
	size_t len;
	char *text = strbuf_detach(&sb, &len);
	revset_add_text(&c->owned, path, text, len, c->req->name_pattern, &c->scratch);
	free(path);
	strlist_push_owned(&c->cache_keys, key);
	strmap_put(&c->cache, key, c->owned.n - 1);
	*out = f->rev = c->owned.v[c->owned.n - 1];
	return 0;
}

/* ---- step 1: repository, base, HEAD, merge base ---- */

static const char fetch_hint[] = "in GitHub Actions: 'fetch-depth: 0' in actions/checkout";

static int shallow_error(void)
{
	return err_set(ERR_CONFIG, "the repository is a shallow clone: revgate needs the history "
				   "back to the merge base with the base branch to know what is "
				   "applied; run 'git fetch --unshallow' (%s)",
		       fetch_hint);
}

/*
 * `need_merge_base`: the merge base is computed (walking the history back to
 * it) only where the checks use it; the rebase reads the base tip alone.
 */
static int settle_base(struct guard_ctx *c, struct guard_result *res, bool need_merge_base,
		       bool *vacuous)
{
	const struct guard_request *req = c->req;
	int ret;
	*vacuous = false;
	if ((ret = gitrepo_head(c->repo, &c->head)) < 0)
		return ret;
	bool shallow = gitrepo_is_shallow(c->repo);
	/* --staged and --base are the hook and CI checks: a shallow clone
	 * stops them outright. Plain lint stops only where the cut history
	 * matters, when HEAD is not the base tip itself (see below). */
	if (shallow && req->mode != GUARD_WORKTREE)
		return shallow_error();
	if (req->base) {
		c->base_name = xstrdup(req->base);
	} else {
		c->base_name = xstrdup(gitrepo_ref_exists(c->repo, "origin/main") ? "origin/main"
										 : "main");
	}
	ret = gitrepo_resolve(c->repo, c->base_name, &c->base_tip);
	const char *branch = c->head.branch ? c->head.branch : "HEAD";
	if (ret == ERR_NOTFOUND) {
		/* no commit yet and no base (a new repository, even with a base
		 * named in revgate.ini): nothing can be applied yet, and refusing
		 * would stop the first commit in the pre-commit hook */
		if (c->head.unborn && req->mode != GUARD_BASE) {
			*vacuous = true;
			if (req->mode == GUARD_STAGED)
				note_add(res, "no commit yet on '%s': nothing is applied, the git "
					      "checks have nothing to compare",
					 branch);
			return 0;
		}
		return err_set(ERR_CONFIG, "the base '%s' does not exist in this repository: fetch "
					   "it ('git fetch origin'), or name the base with --base REF "
					   "or '[git] base' in revgate.ini (%s)",
			       c->base_name, fetch_hint);
	}
	if (ret < 0)
		return ret;
	if (c->head.unborn && req->mode == GUARD_BASE)
		return err_set(ERR_CONFIG, "the branch '%s' has no commit yet, so it shares no "
					   "history with '%s': commit first",
			       branch, c->base_name);
	if (c->head.unborn) {
		/* an orphan branch ('git checkout --orphan'): its first commit
		 * is judged against what the base has applied; there is no
		 * merge base, so nothing to merge */
		c->merge_base = c->base_tip;
		note_add(res, "no commit yet on '%s': comparing %s with '%s'", branch,
			 req->mode == GUARD_STAGED ? "the index" : "the working tree", c->base_name);
		return 0;
	}
	if (shallow && !objid_equal(&c->head.commit, &c->base_tip))
		return shallow_error();
	if (!need_merge_base) {
		c->merge_base = c->base_tip;
		return 0;
	}
	ret = gitrepo_merge_base(c->repo, &c->head.commit, &c->base_tip, &c->merge_base);
	if (ret == ERR_NOTFOUND)
		return err_set(ERR_CONFIG, "HEAD and '%s' share no history: revgate cannot tell "
					   "what this branch added; fetch the full history (%s)",
			       c->base_name, fetch_hint);
	if (ret < 0)
		return ret;
	if (c->head.detached) {
		char h[8], b[8];
		gitrepo_short_id(&c->head.commit, h);
		gitrepo_short_id(&c->base_tip, b);
		note_add(res, "HEAD is detached at %s: comparing it with '%s' (%s)", h, c->base_name,
			 b);
	}
	return 0;
}

/* ---- step 2: the three snapshots ---- */

/* Ours from the lint set (working tree): blob ids hashed from the text. */
static void ours_from_set(struct guard_ctx *c, const struct revset *set)
{
	c->ours.present = true;
	for (size_t i = 0; i < set->n; i++) {
		struct objid id;
		objid_hash_blob(set->v[i]->text, set->v[i]->len, &id);
		side_push(&c->ours, set->v[i]->file_name, &id, set->v[i]);
	}
	if (c->ours.n > 1) /* an empty directory: no array for qsort */
		qsort(c->ours.v, c->ours.n, sizeof(*c->ours.v), gfile_cmp);
}

static bool is_graph_rule(const char *rule)
{
	static const char *const rules[] = {
		RULE_DUPLICATE_REVISION, RULE_MISSING_PARENT,  RULE_MISSING_DEPENDENCY,
		RULE_REVISION_CYCLE,     RULE_MULTIPLE_HEADS,  RULE_MULTIPLE_BASES,
		RULE_DUPLICATE_BRANCH_LABEL,
	};
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (!strcmp(rule, rules[i]))
			return true;
	return false;
}

/*
 * --staged: the lint set becomes what the index holds, and ours the index's
 * entries. A file whose index blob equals the working tree's keeps its
 * parsed revision; the others are read from the object store.
 */
static int load_staged(struct guard_ctx *c, struct revset *set, struct findings *load_findings)
{
	const struct gitdir *d = &c->dirs[0];
	struct revset fresh = REVSET_INIT;
	struct findings kept = FINDINGS_INIT, found = FINDINGS_INIT;
	struct strmap by_name = STRMAP_INIT;
	struct strlist kept_paths = STRLIST_INIT;
	int ret = 0;
	size_t max = c->req->limits && c->req->limits->max_file_size
			     ? c->req->limits->max_file_size
			     : REVISION_MAX_FILE_SIZE_DEFAULT;
	for (size_t i = 0; i < set->n; i++)
		strmap_put(&by_name, set->v[i]->file_name, i);
	for (size_t i = 0; i < d->n; i++) {
		const struct gitdir_entry *e = &d->v[i];
		if (!is_revision_name(e->name))
			continue;
		size_t k;
		if (strmap_get(&by_name, e->name, &k) && set->v[k]) {
			struct objid wt;
			objid_hash_blob(set->v[k]->text, set->v[k]->len, &wt);
			if (objid_equal(&wt, &e->blob)) {
				ALLOC_GROW(fresh.v, fresh.n + 1, fresh.alloc);
				fresh.v[fresh.n++] = set->v[k];
				strlist_push(&kept_paths, set->v[k]->path);
				side_push(&c->ours, e->name, &e->blob, set->v[k]);
				set->v[k] = NULL;
				continue;
			}
		}
		struct strbuf sb = STRBUF_INIT;
		char *path = guard_display_path(c, e->name);
		if ((ret = gitrepo_read_blob(c->repo, &e->blob, &sb)) < 0) {
			ret = err_wrap(ret, "'%s' in the index", path);
			free(path);
			strbuf_release(&sb);
			goto out;
		}
		if (sb.len > max) {
			struct finding *f = findings_add(
				&found, RULE_INVALID_FILE, SEV_ERROR, path, 0, 0,
				"the staged file is larger than max_file_size (%zu bytes)", max);
			finding_set_hint(f, "split the revision, or raise max_file_size in revgate.ini");
			strbuf_release(&sb);
		} else {
			size_t len;
			char *text = strbuf_detach(&sb, &len);
			revset_add_text(&fresh, path, text, len, c->req->name_pattern, &found);
			side_push(&c->ours, e->name, &e->blob, fresh.v[fresh.n - 1]);
		}
		free(path);
	}
	/* findings about kept files stay, except the graph's: it is rebuilt */
	for (size_t i = 0; i < load_findings->n; i++) {
		const struct finding *f = &load_findings->v[i];
		if (f->file && strlist_has(&kept_paths, f->file) && !is_graph_rule(f->rule))
			findings_add_copy(&kept, f);
	}
	findings_release(load_findings);
	findings_move(load_findings, &kept);
	findings_move(load_findings, &found);
	/* the index holds files in byte order: the same order revset_load_dir
	 * uses, and the order guard_side_find() needs */
	c->ours.present = true;
	revset_release(set);
	*set = fresh;
	memset(&fresh, 0, sizeof(fresh));
out:
	revset_release(&fresh);
	findings_release(&kept);
	findings_release(&found);
	strmap_release(&by_name);
	strlist_release(&kept_paths);
	return ret;
}

/* --base: ours is HEAD's tree; files equal to the working tree reuse its parse. */
static void ours_from_head(struct guard_ctx *c, const struct revset *set)
{
	struct side wt = {0};
	for (size_t i = 0; i < set->n; i++) {
		struct objid id;
		objid_hash_blob(set->v[i]->text, set->v[i]->len, &id);
		side_push(&wt, set->v[i]->file_name, &id, set->v[i]);
	}
	if (wt.n > 1)
		qsort(wt.v, wt.n, sizeof(*wt.v), gfile_cmp);
	side_from_dir(&c->ours, &c->dirs[0]);
	for (size_t i = 0; i < c->ours.n; i++) {
		struct gfile *w = guard_side_find(&wt, c->ours.v[i].name);
		if (w && objid_equal(&w->blob, &c->ours.v[i].blob))
			c->ours.v[i].rev = w->rev;
	}
	side_release(&wt);
}

/* ---- a base that keeps its revisions somewhere else ---- */

struct base_search {
	const struct matcher *pattern;
	const struct strmap *ids; /* ours' revision ids */
	struct strlist hits;      /* the directory of each base file carrying one */
	char *example;            /* the first base file named like a revision */
};

static int search_one(const char *dir, const char *name, const struct objid *blob, void *data)
{
	struct base_search *s = data;
	(void)blob;
	if (!is_revision_name(name))
		return 0;
	char *id = revision_name_id(name, s->pattern);
	if (!id)
		return 0;
	size_t k;
	if (strmap_get(s->ids, id, &k))
		strlist_push(&s->hits, dir);
	if (!s->example)
		s->example = *dir ? xstrfmt("%s/%s", dir, name) : xstrdup(name);
	free(id);
	return 0;
}

/* The directory most hits name; the first in byte order on a tie. */
static const char *most_hit(const struct strlist *hits)
{
	const char *best = NULL;
	size_t best_n = 0;
	for (size_t i = 0; i < hits->n; i++) {
		size_t n = 0;
		for (size_t j = 0; j < hits->n; j++)
			n += !strcmp(hits->v[i], hits->v[j]);
		if (n > best_n || (n == best_n && strcmp(hits->v[i], best) < 0)) {
			best = hits->v[i];
			best_n = n;
		}
	}
	return best;
}

static int relist(struct guard_ctx *c, const struct objid *commit, const char *rel,
		  struct gitdir *d, struct side *s)
{
	side_release(s);
	gitdir_release(d);
	int ret = gitrepo_list_commit(c->repo, commit, rel, d);
	if (ret == 0)
		side_from_dir(s, d);
	return ret;
}

/*
 * The base holds no revision file at the configured path while ours holds
 * some: the directory moved on this branch, 'migrations' is wrong, or the
 * base has it as a symbolic link. Taking that for "nothing is applied" would
 * let any edit of an applied revision through, so the base's revisions are
 * looked for by id wherever its tree keeps them (ids are unique), and the
 * base (and merge base) are listed there instead. When the base holds
 * revision files but none with our ids, c->base_lost names one and the run
 * reports that what is applied cannot be told. A base without any revision
 * file (the first revisions of a project) has nothing applied.
 */
static int find_base_elsewhere(struct guard_ctx *c, struct guard_result *res)
{
	if (c->base.n || !c->ours.n || !c->req->name_pattern)
		return 0;
	struct strmap ids = STRMAP_INIT;
	struct strlist id_keys = STRLIST_INIT;
	struct base_search s = {.pattern = c->req->name_pattern, .ids = &ids,
				.hits = STRLIST_INIT};
	int ret = 0;
	/* ids from file names, as the search reads the base's: no blob is read */
	for (size_t i = 0; i < c->ours.n; i++) {
		char *id = revision_name_id(c->ours.v[i].name, c->req->name_pattern);
		if (!id)
			continue;
		strlist_push_owned(&id_keys, id);
		strmap_put(&ids, id, i);
	}
	if ((ret = gitrepo_walk_commit(c->repo, &c->base_tip, search_one, &s)) < 0)
		goto out;
	if (!s.hits.n) {
		c->base_lost = s.example;
		s.example = NULL;
		goto out;
	}
	c->base_rel = xstrdup(most_hit(&s.hits));
	if ((ret = relist(c, &c->base_tip, c->base_rel, &c->dirs[1], &c->base)) < 0)
		goto out;
	if (c->mb_listed && !c->mb.n &&
	    (ret = relist(c, &c->merge_base, c->base_rel, &c->dirs[2], &c->mb)) < 0)
		goto out;
	note_add(res, "'%s' keeps its revisions in '%s', not in '%s': comparing with those",
		 c->base_name, *c->base_rel ? c->base_rel : ".", *c->rel ? c->rel : ".");
out:
	free(s.example);
	strlist_release(&s.hits);
	strmap_release(&ids);
	strlist_release(&id_keys);
	return ret;
}

static void report_base_lost(const struct guard_ctx *c, struct findings *out)
{
	struct finding *f = findings_add(
		out, RULE_APPLIED_DELETED, SEV_ERROR, c->req->migrations_dir, 0, 0,
		"'%s' has no revision files in '%s' and none with this branch's revision ids "
		"elsewhere (it has '%s'): revgate cannot tell which revisions are applied",
		c->base_name, *c->rel ? c->rel : ".", c->base_lost);
	finding_set_hint(f, "check 'migrations' in revgate.ini; a moved directory must keep its "
			    "revision files, with their ids, as they are on '%s'",
			 c->base_name);
}

/*
 * A migrations directory in a submodule that is not checked out is an empty
 * directory (or none) of the superproject: linting it would pass on nothing.
 * Asked only when ours holds no revision, so the common case reads no index.
 */
static int check_not_submodule(struct guard_ctx *c)
{
	char *link = NULL;
	int ret = gitrepo_gitlink_at(c->repo, c->rel, &link);
	if (ret < 0 || !link)
		return ret;
	ret = gitrepo_submodule_error(c->req->migrations_dir, link);
	free(link);
	return ret;
}

static int list_sides(struct guard_ctx *c, struct revset *set, struct findings *load_findings,
		      struct guard_result *res)
{
	int ret;
	switch (c->req->mode) {
	case GUARD_WORKTREE:
		ours_from_set(c, set);
		if (!c->ours.n && (ret = check_not_submodule(c)) < 0)
			return ret;
		break;
	case GUARD_STAGED:
		if ((ret = gitrepo_list_index(c->repo, c->rel, &c->dirs[0])) < 0)
			return ret;
		if ((ret = load_staged(c, set, load_findings)) < 0)
			return ret;
		if (!c->ours.n && (ret = check_not_submodule(c)) < 0)
			return ret;
		res->lint_set_replaced = true;
		break;
	case GUARD_BASE:
		if ((ret = gitrepo_list_commit(c->repo, &c->head.commit, c->rel, &c->dirs[0])) < 0)
			return ret;
		if (!c->dirs[0].present && (ret = check_not_submodule(c)) < 0)
			return ret;
		if (!c->dirs[0].present)
			return err_set(ERR_CONFIG, "HEAD has no migrations directory '%s': there is "
						   "nothing to check (is 'migrations' in revgate.ini "
						   "right?)",
				       c->rel);
		ours_from_head(c, set);
		break;
	}
	if ((ret = gitrepo_list_commit(c->repo, &c->base_tip, c->rel, &c->dirs[1])) < 0)
		return ret;
	side_from_dir(&c->base, &c->dirs[1]);
	if (!objid_equal(&c->merge_base, &c->base_tip)) {
		if ((ret = gitrepo_list_commit(c->repo, &c->merge_base, c->rel, &c->dirs[2])) < 0)
			return ret;
		side_from_dir(&c->mb, &c->dirs[2]);
		c->mb_listed = true;
	}
	return find_base_elsewhere(c, res);
}

static void ctx_release(struct guard_ctx *c)
{
	side_release(&c->ours);
	side_release(&c->base);
	side_release(&c->mb);
	for (size_t i = 0; i < ARRAY_SIZE(c->dirs); i++)
		gitdir_release(&c->dirs[i]);
	strmap_release(&c->cache);
	strlist_release(&c->cache_keys);
	revset_release(&c->owned);
	findings_release(&c->scratch);
	gitrepo_head_release(&c->head);
	free(c->base_name);
	free(c->base_rel);
	free(c->base_lost);
	free(c->rel);
	gitrepo_free(c->repo);
}

static const char *mode_option(enum guard_mode mode)
{
	return mode == GUARD_STAGED ? "--staged" : "--base";
}

/*
 * The migrations directory lies in a checked-out submodule while revgate
 * runs in the superproject: the checks read the submodule's HEAD, index
 * and branches, which is worth a word, since --base names a branch there.
 */
static void note_submodule(const struct guard_ctx *c, struct guard_result *res)
{
	struct gitrepo *outer = NULL;
	char *here = NULL, *rel = NULL, *link = NULL;
	if (gitrepo_relpath(c->repo, ".", &here) == 0)
		goto out; /* revgate runs inside that repository */
	if (gitrepo_open(&outer, ".") == 0 && outer &&
	    gitrepo_relpath(outer, gitrepo_workdir(c->repo), &rel) == 0 &&
	    gitrepo_gitlink_at(outer, rel, &link) == 0 && link)
		note_add(res, "'%s' is in the git submodule '%s': the git checks read the "
			      "submodule's HEAD, index and branches",
			 c->req->migrations_dir, link);
out:
	err_clear(); /* only a remark: its failures do not matter */
	free(link);
	free(rel);
	free(here);
	gitrepo_free(outer);
}

static int open_repo(struct guard_ctx *c, struct guard_result *res)
{
	int ret = gitrepo_open(&c->repo, c->req->migrations_dir);
	if (ret < 0)
		return ret;
	if (!c->repo) {
		if (c->req->mode != GUARD_WORKTREE)
			return err_set(ERR_CONFIG, "%s needs a git repository, and '%s' is not inside "
						   "one",
				       mode_option(c->req->mode), c->req->migrations_dir);
		return 0;
	}
	res->in_repo = true;
	note_submodule(c, res);
	return gitrepo_relpath(c->repo, c->req->migrations_dir, &c->rel);
}

int guard_run(const struct guard_request *req, struct revset *lint_set,
	      struct findings *load_findings, struct guard_result *res, struct findings *out)
{
	struct guard_ctx c = {.req = req};
	bool vacuous;
	memset(res, 0, sizeof(*res));
	int ret = open_repo(&c, res);
	if (ret < 0 || !c.repo)
		goto out;
	if ((ret = settle_base(&c, res, true, &vacuous)) < 0 || vacuous)
		goto out;
	if ((ret = list_sides(&c, lint_set, load_findings, res)) < 0)
		goto out;
	list_changed(&c, &res->changed);
	if (c.base_lost)
		report_base_lost(&c, out);
	if ((ret = guard_check_applied(&c, out)) < 0)
		goto out;
	if (c.mb_listed && (ret = guard_check_merge(&c, out)) < 0)
		goto out;
	res->checked = true;
out:
	ctx_release(&c);
	return ret;
}

int guard_base_open(struct guard_base *b, const char *migrations_dir, const char *base,
		    const struct matcher *name_pattern, const struct revision_limits *limits)
{
	struct guard_request req = {
		.mode = GUARD_BASE,
		.base = base,
		.migrations_dir = migrations_dir,
		.name_pattern = name_pattern,
		.limits = limits,
	};
	struct guard_result res = {0};
	struct guard_ctx c = {.req = &req};
	bool vacuous;
	int ret = open_repo(&c, &res);
	if (ret < 0)
		goto out;
	if ((ret = settle_base(&c, &res, false, &vacuous)) < 0)
		goto out;
	if ((ret = gitrepo_list_commit(c.repo, &c.base_tip, c.rel, &c.dirs[1])) < 0)
		goto out;
	side_from_dir(&c.base, &c.dirs[1]);
	if (!c.base.n && (ret = check_not_submodule(&c)) < 0)
		goto out;
	if (!c.base.n) {
		/* the base may keep its revisions elsewhere (see
		 * find_base_elsewhere): HEAD's revisions name them by id */
		if ((ret = gitrepo_list_commit(c.repo, &c.head.commit, c.rel, &c.dirs[0])) < 0)
			goto out;
		side_from_dir(&c.ours, &c.dirs[0]);
		if ((ret = find_base_elsewhere(&c, &res)) < 0)
			goto out;
		if (c.base_lost) {
			ret = err_set(ERR_CONFIG, "'%s' has no revision files in '%s' and none "
						  "with this branch's revision ids elsewhere (it has "
						  "'%s'): cannot tell which revisions are applied; "
						  "check 'migrations' in revgate.ini",
				      c.base_name, *c.rel ? c.rel : ".", c.base_lost);
			goto out;
		}
	}
	for (size_t i = 0; i < c.base.n; i++) {
		struct revision *r;
		if ((ret = guard_file_rev(&c, &c.base.v[i], &r)) < 0)
			goto out;
	}
	/* hand the parsed revisions and the repository over */
	b->revs = c.owned;
	memset(&c.owned, 0, sizeof(c.owned));
	b->repo = c.repo;
	c.repo = NULL;
	b->name = c.base_name;
	c.base_name = NULL;
	b->tip = c.base_tip;
out:
	guard_result_release(&res);
	ctx_release(&c);
	return ret;
}

void guard_base_release(struct guard_base *b)
{
	revset_release(&b->revs);
	gitrepo_free(b->repo);
	free(b->name);
	memset(b, 0, sizeof(*b));
}
