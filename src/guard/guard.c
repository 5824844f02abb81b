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
		if (!gfile_same(b, o))
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

bool gfile_same(const struct gfile *a, const struct gfile *b)
{
	if (!a || !b)
		return !a && !b;
	return objid_equal(&a->key, &b->key);
}

struct gfile *guard_side_find(const struct side *s, const char *name)
{
	struct gfile key = {.name = name};
	if (!s->n)
		return NULL;
	return bsearch(&key, s->v, s->n, sizeof(*s->v), gfile_cmp);
}

static void side_push(struct side *s, const char *name, const struct objid *blob,
		      const struct objid *key, struct revision *rev)
{
	ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n].name = name;
	s->v[s->n].blob = *blob;
	s->v[s->n].key = *key;
	s->v[s->n].rev = rev;
	s->v[s->n].unit = NULL;
	s->n++;
}

static void side_sort(struct side *s)
{
	if (s->n > 1) /* an empty directory: no array for qsort */
		qsort(s->v, s->n, sizeof(*s->v), gfile_cmp);
}

/*
 * The identity of a revision across snapshots (see struct gfile): the main
 * blob alone when nothing else defines it.
 */
static void unit_key(const struct objid *main, const struct objid *down, const char *parent,
		     struct objid *out)
{
	if (!down && !parent) {
		*out = *main;
		return;
	}
	char a[OBJID_HEXSZ + 1], b[OBJID_HEXSZ + 1] = "";
	objid_hex(main, a);
	if (down)
		objid_hex(down, b);
	char *k = xstrfmt("revgate unit\n%s\n%s\n%s\n", a, b, parent ? parent : "");
	objid_hash_blob(k, strlen(k), out);
	free(k);
}

/* The identity of a revision read from the working tree, as unit_key()
 * gives it for a snapshot's listing. */
static void rev_key(const struct guard_ctx *c, const struct revision *rev, struct objid *blob,
		    struct objid *key)
{
	size_t len;
	const char *src = revision_source(rev, &len);
	objid_hash_blob(src, len, blob);
	enum layout_kind kind = c->req->layout->kind;
	struct objid down;
	bool has_down = layout_has_down_file(kind) && rev->nspans >= 2;
	if (has_down)
		objid_hash_blob(rev->text + rev->spans[1].start,
				rev->spans[1].end - rev->spans[1].start, &down);
	const char *parent = layout_is_linear(kind) && rev->down_revisions.n
				     ? rev->down_revisions.v[0]
				     : NULL;
	unit_key(blob, has_down ? &down : NULL, parent, key);
}

static int read_side_blob(const struct layout_tree *t, const char *name, struct strbuf *out)
{
	const struct side *s = t->data;
	const struct gitdir_entry *e = s->dir ? gitdir_find(s->dir, name) : NULL;
	const struct revision_limits *lim = s->c->req->limits;
	size_t max = lim && lim->max_file_size ? lim->max_file_size : REVISION_MAX_FILE_SIZE_DEFAULT;
	char *path = guard_display_path(s->c, name);
	int ret = 0;
	if (!e)
		ret = err_set(ERR_IO, "'%s' is not %s", path, s->label);
	else if ((ret = gitrepo_read_blob(s->c->repo, &e->blob, out)) < 0)
		ret = err_wrap(ret, "'%s' %s", path, s->label);
	else if (out->len > max)
		ret = err_set(ERR_IO, "'%s' %s is larger than max_file_size (%zu bytes)", path,
			      s->label, max);
	free(path);
	return ret;
}

/*
 * A snapshot's listing as the layout reads it: its migrations in the
 * tool's terms, each known by its main file. What the listing itself
 * finds wrong goes to `fs`.
 */
static int side_from_dir(struct guard_ctx *c, struct side *s, const struct gitdir *d,
			 const char *label, struct findings *fs)
{
	const struct layout_settings *ls = c->req->layout;
	s->c = c;
	s->dir = d;
	s->label = label;
	s->present = d->present;
	s->tree.settings = ls;
	s->tree.read = read_side_blob;
	s->tree.data = s;
	for (size_t i = 0; i < d->n; i++)
		if (ls->kind == LAYOUT_REVGATE ? is_revision_name(d->v[i].name)
					       : layout_wants_path(ls, d->v[i].name))
			strlist_push(&s->tree.names, d->v[i].name);
	int ret = layout_list(&s->tree, &s->units, fs);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < s->units.n; i++) {
		const struct layout_unit *u = &s->units.v[i];
		const struct gitdir_entry *e = gitdir_find(d, u->name);
		const struct gitdir_entry *down = u->down_name ? gitdir_find(d, u->down_name) : NULL;
		struct objid blob = {{0}}, key;
		if (e)
			blob = e->blob;
		unit_key(&blob, down ? &down->blob : NULL, u->parent, &key);
		side_push(s, u->name, &blob, &key, NULL);
		s->v[s->n - 1].unit = u;
	}
	side_sort(s);
	return 0;
}

static void side_release(struct side *s)
{
	free(s->v);
	layout_units_release(&s->units);
	layout_tree_release(&s->tree);
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

/* The side holding `f` (sides own their files in one array each). */
static struct side *side_of(struct guard_ctx *c, const struct gfile *f)
{
	struct side *sides[] = {&c->ours, &c->base, &c->mb};
	for (size_t i = 0; i < ARRAY_SIZE(sides); i++)
		if (sides[i]->n && f >= sides[i]->v && f < sides[i]->v + sides[i]->n)
			return sides[i];
	BUG("a file of no side");
}

/* The parsed revision of a file, reading its blobs once per run. */
int guard_file_rev(struct guard_ctx *c, struct gfile *f, struct revision **out)
{
	if (f->rev) {
		*out = f->rev;
		return 0;
	}
	struct gfile *o = guard_side_find(&c->ours, f->name);
	if (o && o != f && o->rev && gfile_same(o, f)) {
		*out = f->rev = o->rev;
		return 0;
	}
	char hex[OBJID_HEXSZ + 1];
	objid_hex(&f->key, hex);
	char *key = xstrfmt("%s/%s", hex, f->name);
	size_t idx;
	if (strmap_get(&c->cache, key, &idx)) {
		free(key);
		*out = f->rev = c->owned.v[idx];
		return 0;
	}
	struct side *s = side_of(c, f);
	if (!f->unit)
		BUG("a file without a revision or a way to read one");
	struct revision *rev;
	int ret = layout_parse(&s->tree, f->unit, &rev, &c->scratch);
	if (ret < 0) {
		free(key);
		return ret;
	}
	/* an Alembic revision's SQL, when this machine has seen its file */
	if (c->req->layout->kind == LAYOUT_ALEMBIC)
		layout_alembic_sql_cached(c->req->layout, rev, c->req->cache_dir);
	ALLOC_GROW(c->owned.v, c->owned.n + 1, c->owned.alloc);
	c->owned.v[c->owned.n++] = rev;
	strlist_push_owned(&c->cache_keys, key);
	strmap_put(&c->cache, key, c->owned.n - 1);
	*out = f->rev = rev;
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

/* Ours from the lint set (working tree): blob ids hashed from the files. */
static void ours_from_set(struct guard_ctx *c, const struct revset *set)
{
	c->ours.present = true;
	c->ours.c = c;
	c->ours.label = "in the working tree";
	for (size_t i = 0; i < set->n; i++) {
		struct objid blob, key;
		rev_key(c, set->v[i], &blob, &key);
		side_push(&c->ours, revision_rel_name(set->v[i]), &blob, &key, set->v[i]);
	}
	side_sort(&c->ours);
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
 * entries. A revision whose index files equal the working tree's keeps its
 * parsed revision; the others are read from the object store.
 */
static int load_staged(struct guard_ctx *c, struct revset *set, struct findings *load_findings)
{
	struct revset fresh = REVSET_INIT;
	struct findings kept = FINDINGS_INIT, found = FINDINGS_INIT;
	struct strmap by_name = STRMAP_INIT;
	struct strlist kept_paths = STRLIST_INIT;
	int ret = side_from_dir(c, &c->ours, &c->dirs[0], "in the index", &found);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < set->n; i++)
		strmap_put(&by_name, revision_rel_name(set->v[i]), i);
	for (size_t i = 0; i < c->ours.n; i++) {
		struct gfile *g = &c->ours.v[i];
		size_t k;
		if (strmap_get(&by_name, g->name, &k) && set->v[k]) {
			struct objid blob, key;
			rev_key(c, set->v[k], &blob, &key);
			if (objid_equal(&key, &g->key)) {
				ALLOC_GROW(fresh.v, fresh.n + 1, fresh.alloc);
				fresh.v[fresh.n++] = set->v[k];
				strlist_push(&kept_paths, set->v[k]->path);
				g->rev = set->v[k];
				set->v[k] = NULL;
				continue;
			}
		}
		struct revision *rev;
		if ((ret = layout_parse(&c->ours.tree, g->unit, &rev, &found)) < 0)
			goto out;
		ALLOC_GROW(fresh.v, fresh.n + 1, fresh.alloc);
		fresh.v[fresh.n++] = rev;
		g->rev = rev;
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

/* --base: ours is HEAD's tree; revisions equal to the working tree's reuse their parse. */
static int ours_from_head(struct guard_ctx *c, const struct revset *set)
{
	int ret = side_from_dir(c, &c->ours, &c->dirs[0], "at HEAD", &c->scratch);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < set->n; i++) {
		struct gfile *g = guard_side_find(&c->ours, revision_rel_name(set->v[i]));
		struct objid blob, key;
		rev_key(c, set->v[i], &blob, &key);
		if (g && objid_equal(&key, &g->key))
			g->rev = set->v[i];
	}
	return 0;
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
	const char *label = s->label;
	side_release(s);
	gitdir_release(d);
	d->depth = layout_list_depth(c->req->layout);
	int ret = gitrepo_list_commit(c->repo, commit, rel, d);
	if (ret == 0)
		ret = side_from_dir(c, s, d, label, &c->scratch);
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
	if (c->base.n || !c->ours.n || !c->req->name_pattern ||
	    c->req->layout->kind != LAYOUT_REVGATE)
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
	unsigned depth = layout_list_depth(c->req->layout);
	for (size_t i = 0; i < ARRAY_SIZE(c->dirs); i++)
		c->dirs[i].depth = depth;
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
		if ((ret = ours_from_head(c, set)) < 0)
			return ret;
		break;
	}
	if ((ret = gitrepo_list_commit(c->repo, &c->base_tip, c->rel, &c->dirs[1])) < 0)
		return ret;
	c->base_label = xstrfmt("on %s", c->base_name);
	if ((ret = side_from_dir(c, &c->base, &c->dirs[1], c->base_label, &c->scratch)) < 0)
		return ret;
	if (!objid_equal(&c->merge_base, &c->base_tip)) {
		if ((ret = gitrepo_list_commit(c->repo, &c->merge_base, c->rel, &c->dirs[2])) < 0)
			return ret;
		if ((ret = side_from_dir(c, &c->mb, &c->dirs[2], "at the merge base", &c->scratch)) <
		    0)
			return ret;
		c->mb_listed = true;
	}
	return find_base_elsewhere(c, res);
}

/*
 * [git] applied: a team that deploys from tags (or a branch) says what has
 * run anywhere; a revision merged to the base but not deployed may still be
 * edited. The ids of the revision files at each matching ref, from their
 * file names.
 */
static int list_applied(struct guard_ctx *c)
{
	const char *spec = c->req->applied;
	struct strlist names = STRLIST_INIT;
	struct objid *commits = NULL;
	size_t n = 0;
	int ret;
	if (strpbrk(spec, "*?[")) {
		ret = gitrepo_refs_matching(c->repo, spec, &names, &commits, &n);
	} else {
		commits = xcalloc(1, sizeof(*commits));
		ret = gitrepo_resolve(c->repo, spec, &commits[0]);
		if (ret == ERR_NOTFOUND)
			ret = err_set(ERR_CONFIG, "[git] applied: '%s' names no commit (a branch, a "
						  "tag, or a pattern such as 'deploy/*')",
				      spec);
		n = ret == 0;
	}
	c->applied_set = true;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct gitdir d = GITDIR_INIT;
		if ((ret = gitrepo_list_commit(c->repo, &commits[i], c->rel, &d)) == 0) {
			for (size_t k = 0; k < d.n; k++) {
				char *id = revision_name_id(d.v[k].name, c->req->name_pattern);
				if (id && !strmap_get(&c->applied_ids, id, NULL)) {
					strlist_push_owned(&c->applied_keys, id);
					strmap_put(&c->applied_ids, id, 0);
				} else {
					free(id);
				}
			}
		}
		gitdir_release(&d);
	}
	free(commits);
	strlist_release(&names);
	return ret;
}

bool guard_applied(const struct guard_ctx *c, const char *id)
{
	return !c->applied_set || strmap_get(&c->applied_ids, id, NULL);
}

static void ctx_release(struct guard_ctx *c)
{
	strmap_release(&c->applied_ids);
	strlist_release(&c->applied_keys);
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
	free(c->base_label);
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
	if (req->applied && (ret = list_applied(&c)) < 0)
		goto out;
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
		    const struct matcher *name_pattern, const struct revision_limits *limits,
		    const struct layout_settings *layout)
{
	struct guard_request req = {
		.mode = GUARD_BASE,
		.base = base,
		.migrations_dir = migrations_dir,
		.name_pattern = name_pattern,
		.limits = limits,
		.layout = layout,
	};
	struct guard_result res = {0};
	struct guard_ctx c = {.req = &req};
	bool vacuous;
	int ret = open_repo(&c, &res);
	if (ret < 0)
		goto out;
	if ((ret = settle_base(&c, &res, false, &vacuous)) < 0)
		goto out;
	c.dirs[0].depth = c.dirs[1].depth = layout_list_depth(layout);
	if ((ret = gitrepo_list_commit(c.repo, &c.base_tip, c.rel, &c.dirs[1])) < 0)
		goto out;
	c.base_label = xstrfmt("on %s", c.base_name);
	if ((ret = side_from_dir(&c, &c.base, &c.dirs[1], c.base_label, &c.scratch)) < 0)
		goto out;
	if (!c.base.n && (ret = check_not_submodule(&c)) < 0)
		goto out;
	if (!c.base.n) {
		/* the base may keep its revisions elsewhere (see
		 * find_base_elsewhere): HEAD's revisions name them by id */
		if ((ret = gitrepo_list_commit(c.repo, &c.head.commit, c.rel, &c.dirs[0])) < 0)
			goto out;
		if ((ret = side_from_dir(&c, &c.ours, &c.dirs[0], "at HEAD", &c.scratch)) < 0)
			goto out;
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
