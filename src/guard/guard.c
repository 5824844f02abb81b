/*
 * The git guard (see guard.h). One run:
 *   1. open the repository and settle the base, HEAD and their merge base,
 *      refusing the states where a check would silently pass;
 *   2. list the migrations directory in the three snapshots (names and blob
 *      ids only: no blob is read unless its content matters);
 *   3. compare every applied revision with ours (edits, deletions, renames,
 *      rewritten parents);
 *   4. when the base moved since the merge base, merge the three snapshots
 *      file by file, build the merged graph and look for what the merge
 *      breaks, and compare what both sides added for shared objects.
 * A blob is parsed at most once per run, and files that equal ours reuse the
 * revision the lint command already parsed.
 */
#include "guard/guard.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strmap.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "guard/touched.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

void guard_result_release(struct guard_result *r)
{
	free(r->note);
	r->note = NULL;
}

/* A revision file of one snapshot. */
struct gfile {
	const char *name;      /* borrowed from a gitdir or a revision */
	struct objid blob;
	struct revision *rev;  /* parsed on demand; borrowed */
};

struct side {
	bool present;
	struct gfile *v;
	size_t n, alloc;
};

struct guard_ctx {
	const struct guard_request *req;
	struct gitrepo *repo;
	char *rel;        /* migrations directory relative to the work tree */
	char *base_name;  /* the base ref used */
	struct gitrepo_head head;
	struct objid base_tip, merge_base;
	struct gitdir dirs[3]; /* listings the sides borrow names from */
	struct side ours, base, mb;
	bool mb_listed; /* the merge base differs from the base tip */
	struct revset owned;    /* revisions parsed from blobs */
	struct findings scratch; /* read problems of base-side files: not ours to report */
	struct strlist cache_keys;
	struct strmap cache;    /* "<blob hex>/<name>" -> index in owned */
};

static bool is_revision_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n >= 4 && !strcmp(name + n - 4, ".sql");
}

static int gfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gfile *)a)->name, ((const struct gfile *)b)->name);
}

static struct gfile *side_find(const struct side *s, const char *name)
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

static char *display_path(const struct guard_ctx *c, const char *name)
{
	return path_join(c->req->migrations_dir, name);
}

/* The parsed revision of a file, reading its blob once per run. */
static int file_rev(struct guard_ctx *c, struct gfile *f, struct revision **out)
{
	if (f->rev) {
		*out = f->rev;
		return 0;
	}
	struct gfile *o = side_find(&c->ours, f->name);
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
	int ret = gitrepo_read_blob(c->repo, &f->blob, &sb);
	if (ret < 0) {
		free(key);
		strbuf_release(&sb);
		return ret;
	}
	char *path = display_path(c, f->name);
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

static int settle_base(struct guard_ctx *c, struct guard_result *res, bool *vacuous)
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
	if (ret == ERR_NOTFOUND) {
		/* a repository without any commit: nothing can be applied yet */
		if (c->head.unborn && req->mode != GUARD_BASE && !req->base) {
			*vacuous = true;
			if (req->mode == GUARD_STAGED)
				res->note = xstrfmt("no commit yet on '%s': nothing is applied, the "
						    "git checks have nothing to compare",
						    c->head.branch ? c->head.branch : "HEAD");
			return 0;
		}
		return err_set(ERR_CONFIG, "the base '%s' does not exist in this repository: fetch "
					   "it ('git fetch origin'), or name the base with --base REF "
					   "or '[git] base' in revgate.ini (%s)",
			       c->base_name, fetch_hint);
	}
	if (ret < 0)
		return ret;
	if (c->head.unborn)
		return err_set(ERR_CONFIG, "the branch '%s' has no commit yet, so it shares no "
					   "history with '%s': commit first%s",
			       c->head.branch ? c->head.branch : "HEAD", c->base_name,
			       req->mode == GUARD_BASE ? "" : ", or branch from the base");
	if (shallow && !objid_equal(&c->head.commit, &c->base_tip))
		return shallow_error();
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
		res->note = xstrfmt("HEAD is detached at %s: comparing it with '%s' (%s)", h,
				    c->base_name, b);
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
		char *path = display_path(c, e->name);
		if ((ret = gitrepo_read_blob(c->repo, &e->blob, &sb)) < 0) {
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
		if (f->file && strlist_has(&kept_paths, f->file) && !is_graph_rule(f->rule)) {
			struct finding *n = findings_add(&kept, f->rule, f->severity, f->file, f->line,
							 f->column, "%s", f->message);
			n->end_line = f->end_line;
			n->end_column = f->end_column;
			if (f->hint)
				finding_set_hint(n, "%s", f->hint);
			if (f->excerpt)
				finding_set_excerpt(n, f->excerpt, strlen(f->excerpt));
		}
	}
	findings_release(load_findings);
	findings_move(load_findings, &kept);
	findings_move(load_findings, &found);
	/* the index holds files in byte order: the same order revset_load_dir
	 * uses, and the order side_find() needs */
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
	qsort(wt.v, wt.n, sizeof(*wt.v), gfile_cmp);
	side_from_dir(&c->ours, &c->dirs[0]);
	for (size_t i = 0; i < c->ours.n; i++) {
		struct gfile *w = side_find(&wt, c->ours.v[i].name);
		if (w && objid_equal(&w->blob, &c->ours.v[i].blob))
			c->ours.v[i].rev = w->rev;
	}
	side_release(&wt);
}

static int list_sides(struct guard_ctx *c, struct revset *set, struct findings *load_findings,
		      struct guard_result *res)
{
	int ret;
	switch (c->req->mode) {
	case GUARD_WORKTREE:
		ours_from_set(c, set);
		break;
	case GUARD_STAGED:
		if ((ret = gitrepo_list_index(c->repo, c->rel, &c->dirs[0])) < 0)
			return ret;
		if ((ret = load_staged(c, set, load_findings)) < 0)
			return ret;
		res->lint_set_replaced = true;
		break;
	case GUARD_BASE:
		if ((ret = gitrepo_list_commit(c->repo, &c->head.commit, c->rel, &c->dirs[0])) < 0)
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
	return 0;
}

/* ---- step 3: applied revisions ---- */

static void one_line(struct strbuf *out, const char *text, size_t start, size_t len)
{
	size_t max = 60, n = 0;
	bool space = false;
	for (size_t i = start; i < start + len && n < max; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			space = true;
			continue;
		}
		if (space && n) {
			strbuf_addch(out, ' ');
			n++;
		}
		space = false;
		strbuf_addch(out, (char)ch);
		n++;
	}
	if (n >= max)
		strbuf_addstr(out, "...");
}

struct stmts {
	struct sql_script script;
	struct strbuf *streams;
};

static int split_section(const struct revision *r, const struct rev_section *s, struct stmts *out)
{
	struct sql_error err = {0};
	memset(out, 0, sizeof(*out));
	int ret = sql_split(r->text, s->start, s->end, &out->script, &err);
	sql_error_release(&err);
	if (ret < 0)
		return ret;
	out->streams = xcalloc(out->script.n ? out->script.n : 1, sizeof(*out->streams));
	for (size_t i = 0; i < out->script.n; i++) {
		strbuf_init(&out->streams[i], 0);
		ret = sql_token_stream(r->text, out->script.v[i].start, out->script.v[i].len,
				       &out->streams[i], &err);
		sql_error_release(&err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void stmts_release(struct stmts *s)
{
	for (size_t i = 0; s->streams && i < s->script.n; i++)
		strbuf_release(&s->streams[i]);
	free(s->streams);
	sql_script_release(&s->script);
}

enum change { SAME, COSMETIC, CHANGED };

static void set_edit_hint(struct finding *f, const struct guard_ctx *c, const char *old_path)
{
	finding_set_hint(f, "a revision on the base branch has already run somewhere: restore "
			    "it with 'git checkout %s -- %s' and put the change in a new "
			    "revision ('revgate revision -m ...')",
			 c->base_name, old_path);
}

/* Reports each statement of one section that changed in meaning. */
static void report_statements(struct guard_ctx *c, const struct revision *old,
			      const struct revision *new, const char *section, enum severity sev,
			      const struct stmts *so, const struct stmts *sn, const char *old_path,
			      struct findings *out)
{
	size_t no = so->script.n, nn = sn->script.n, pre = 0, suf = 0;
	while (pre < no && pre < nn && !strcmp(so->streams[pre].buf, sn->streams[pre].buf))
		pre++;
	while (suf < no - pre && suf < nn - pre &&
	       !strcmp(so->streams[no - 1 - suf].buf, sn->streams[nn - 1 - suf].buf))
		suf++;
	size_t ko = no - suf, kn = nn - suf;
	for (size_t k = pre; k < ko || k < kn; k++) {
		struct strbuf was = STRBUF_INIT, now = STRBUF_INIT;
		unsigned ol = 0, oc = 0;
		struct finding *f;
		if (k < ko) {
			const struct sql_stmt *s = &so->script.v[k];
			one_line(&was, old->text, s->start, s->len);
			text_pos(old->text, old->len, s->start, &ol, &oc);
		}
		if (k < ko && k < kn) {
			const struct sql_stmt *s = &sn->script.v[k];
			one_line(&now, new->text, s->start, s->len);
			f = findings_add_at(out, RULE_APPLIED_EDITED, sev, new->path, new->text,
					    new->len, s->start,
					    "applied revision '%s' changed statement %zu of its %s: "
					    "was '%s' at %u:%u on %s, now '%s'",
					    new->id, k + 1, section, was.buf, ol, oc, c->base_name,
					    now.buf);
		} else if (k < kn) {
			const struct sql_stmt *s = &sn->script.v[k];
			one_line(&now, new->text, s->start, s->len);
			f = findings_add_at(out, RULE_APPLIED_EDITED, sev, new->path, new->text,
					    new->len, s->start,
					    "applied revision '%s' gained statement %zu in its %s: '%s' "
					    "is not on %s",
					    new->id, k + 1, section, now.buf, c->base_name);
		} else {
			/* a removed statement: point where it used to follow */
			size_t at = k < nn ? sn->script.v[k].start
				    : kn ? sn->script.v[kn - 1].start
					 : (!strcmp(section, "upgrade") ? new->upgrade.start
									: new->downgrade.start);
			f = findings_add_at(out, RULE_APPLIED_EDITED, sev, new->path, new->text,
					    new->len, at,
					    "applied revision '%s' lost statement %zu of its %s: '%s' "
					    "(at %u:%u on %s)",
					    new->id, k + 1, section, was.buf, ol, oc, c->base_name);
		}
		set_edit_hint(f, c, old_path);
		strbuf_release(&was);
		strbuf_release(&now);
	}
}

/* Whether two sections have the same token stream as a whole. */
static bool same_section_stream(const struct revision *old, const struct rev_section *so,
				const struct revision *new, const struct rev_section *sn)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct sql_error err = {0};
	bool same = false;
	if (sql_token_stream(old->text, so->start, so->present ? so->end - so->start : 0, &a,
			     &err) == 0 &&
	    sql_token_stream(new->text, sn->start, sn->present ? sn->end - sn->start : 0, &b,
			     &err) == 0)
		same = !strcmp(a.buf, b.buf);
	sql_error_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
	return same;
}

static enum change compare_section(struct guard_ctx *c, const struct revision *old,
				   const struct revision *new, bool upgrade, const char *old_path,
				   struct findings *out)
{
	const struct rev_section *so = upgrade ? &old->upgrade : &old->downgrade;
	const struct rev_section *sn = upgrade ? &new->upgrade : &new->downgrade;
	const char *section = upgrade ? "upgrade" : "downgrade";
	/* an applied downgrade has not run yet: editing it is risky, not wrong */
	enum severity sev = upgrade ? SEV_ERROR : SEV_WARNING;
	size_t lo = so->present ? so->end - so->start : 0;
	size_t ln = sn->present ? sn->end - sn->start : 0;
	if (lo == ln && (!lo || !memcmp(old->text + so->start, new->text + sn->start, lo)))
		return SAME;
	struct stmts a = {0}, b = {0};
	enum change result = CHANGED;
	static const struct rev_section none = {0};
	int ra = split_section(old, so->present ? so : &none, &a);
	int rb = split_section(new, sn->present ? sn : &none, &b);
	if (ra < 0 || rb < 0) {
		/* a section the scanner rejects cannot be judged cosmetic */
		size_t at = sn->present ? sn->start : new->body_start;
		struct finding *f = findings_add_at(
			out, RULE_APPLIED_EDITED, sev, new->path, new->text, new->len, at,
			"applied revision '%s' changed its %s (it no longer scans as SQL)", new->id,
			section);
		set_edit_hint(f, c, old_path);
		goto out;
	}
	bool equal = a.script.n == b.script.n;
	for (size_t i = 0; equal && i < a.script.n; i++)
		equal = !strcmp(a.streams[i].buf, b.streams[i].buf);
	if (equal && !same_section_stream(old, so, new, sn)) {
		/* the splitter left out text that does not scan as a statement:
		 * judge the whole section, never call it cosmetic */
		size_t at = sn->present ? sn->start : new->body_start;
		struct finding *f = findings_add_at(
			out, RULE_APPLIED_EDITED, sev, new->path, new->text, new->len, at,
			"applied revision '%s' changed its %s", new->id, section);
		set_edit_hint(f, c, old_path);
		goto out;
	}
	if (equal) {
		result = COSMETIC;
		goto out;
	}
	report_statements(c, old, new, section, sev, &a, &b, old_path, out);
out:
	stmts_release(&a);
	stmts_release(&b);
	return result;
}

static bool same_ids(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!strlist_has(b, a->v[i]))
			return false;
	return true;
}

static char *ids_or_none(const struct strlist *l)
{
	return l->n ? strlist_join(l, ", ") : xstrdup("none");
}

static void check_applied_one(struct guard_ctx *c, const struct revision *old,
			      const struct revision *new, struct findings *out)
{
	char *old_path = display_path(c, old->file_name);
	if (strcmp(old->file_name, new->file_name)) {
		struct finding *f = findings_add(out, RULE_APPLIED_RENAMED, SEV_INFO, new->path,
						 new->id_line, new->id_line ? 1 : 0,
						 "applied revision '%s' was renamed from '%s' on %s; "
						 "its id is kept, so databases still know it",
						 new->id, old->file_name, c->base_name);
		finding_set_hint(f, "nothing to do unless the rename was unintended");
	}
	if (!same_ids(&old->down_revisions, &new->down_revisions) ||
	    !same_ids(&old->depends_on, &new->depends_on)) {
		char *was = ids_or_none(&old->down_revisions), *now = ids_or_none(&new->down_revisions);
		char *dwas = ids_or_none(&old->depends_on), *dnow = ids_or_none(&new->depends_on);
		bool parents = !same_ids(&old->down_revisions, &new->down_revisions);
		unsigned line = parents ? new->down_line : new->depends_line;
		struct finding *f = findings_add(
			out, RULE_HISTORY_REWRITTEN, SEV_ERROR, new->path, line, line ? 1 : 0,
			"applied revision '%s' changed its %s: was '%s' on %s, now '%s'", new->id,
			parents ? "parents (down_revision)" : "dependencies (depends_on)",
			parents ? was : dwas, c->base_name, parents ? now : dnow);
		finding_set_hint(f, "databases recorded '%s' after its old parents; restore the "
				    "header from %s and move this branch's new revisions instead "
				    "('revgate rebase')",
				 new->id, c->base_name);
		free(was);
		free(now);
		free(dwas);
		free(dnow);
	}
	enum change up = compare_section(c, old, new, true, old_path, out);
	enum change down = compare_section(c, old, new, false, old_path, out);
	bool bytes_differ = old->len != new->len || memcmp(old->text, new->text, old->len);
	if (up != CHANGED && down != CHANGED && bytes_differ &&
	    same_ids(&old->down_revisions, &new->down_revisions)) {
		size_t i = 0;
		while (i < old->len && i < new->len && old->text[i] == new->text[i])
			i++;
		struct finding *f = findings_add_at(
			out, RULE_APPLIED_COSMETIC, SEV_WARNING, new->path, new->text, new->len, i,
			"applied revision '%s' changed only in comments, whitespace or letter case "
			"(compared with %s)",
			new->id, c->base_name);
		finding_set_hint(f, "harmless to the schema, but the file's checksum changes: "
				    "restore it with 'git checkout %s -- %s' unless the change is "
				    "worth it",
				 c->base_name, old_path);
	}
	free(old_path);
}

static int check_applied(struct guard_ctx *c, struct findings *out)
{
	struct strmap ours_by_id = STRMAP_INIT;
	int ret = 0;
	for (size_t i = 0; i < c->ours.n; i++) {
		struct revision *r;
		if ((ret = file_rev(c, &c->ours.v[i], &r)) < 0)
			goto out;
		if (r->id)
			strmap_put(&ours_by_id, r->id, i);
	}
	for (size_t i = 0; i < c->base.n; i++) {
		struct gfile *b = &c->base.v[i];
		struct gfile *o = side_find(&c->ours, b->name);
		if (o && objid_equal(&o->blob, &b->blob))
			continue; /* unchanged: the common case costs no read */
		/* what this branch did not touch is the base's to change: a file
		 * the base added or edited since the split merges cleanly */
		struct gfile *x = c->mb_listed ? side_find(&c->mb, b->name) : b;
		if ((!o && !x) || (o && x && objid_equal(&o->blob, &x->blob)))
			continue;
		struct revision *old;
		if ((ret = file_rev(c, b, &old)) < 0)
			goto out;
		if (!old->id || !old->usable)
			continue; /* broken on the base: nothing reliable to protect */
		size_t k;
		if (!strmap_get(&ours_by_id, old->id, &k)) {
			char *path = display_path(c, b->name);
			struct finding *f;
			if (o && o->rev && o->rev->id)
				f = findings_add(out, RULE_APPLIED_DELETED, SEV_ERROR, path, 0, 0,
						 "applied revision '%s' is gone: the file now carries "
						 "the id '%s' (it is '%s' on %s)",
						 old->id, o->rev->id, old->id, c->base_name);
			else
				f = findings_add(out, RULE_APPLIED_DELETED, SEV_ERROR, path, 0, 0,
						 "applied revision '%s' was deleted (it is on %s)",
						 old->id, c->base_name);
			finding_set_hint(f, "databases have run it: restore it with 'git checkout "
					    "%s -- %s'; to undo its changes, write a new revision that "
					    "reverses them",
					 c->base_name, path);
			free(path);
			continue;
		}
		check_applied_one(c, old, c->ours.v[k].rev, out);
	}
out:
	strmap_release(&ours_by_id);
	return ret;
}

/* ---- step 4: the merged graph and siblings ---- */

/* How `git merge` combines one path: the side that changed it wins. */
static const struct gfile *merged_file(const struct gfile *mb, const struct gfile *b,
				       const struct gfile *o)
{
#define SAME_FILE(x, y) ((!(x) && !(y)) || ((x) && (y) && objid_equal(&(x)->blob, &(y)->blob)))
	if (SAME_FILE(o, mb))
		return b;
	if (SAME_FILE(b, mb))
		return o;
	return o; /* both changed it: a conflict git will stop at; ours stands in */
#undef SAME_FILE
}

struct merged {
	struct revision **revs;
	bool *from_ours;  /* the file is ours and not on the merge base: this branch added it */
	bool *from_base;  /* the file came from the base and is not on the merge base */
	size_t n, alloc;
};

static void merged_release(struct merged *m)
{
	free(m->revs);
	free(m->from_ours);
	free(m->from_base);
	memset(m, 0, sizeof(*m));
}

static int build_merged(struct guard_ctx *c, struct merged *m)
{
	size_t io = 0, ib = 0, im = 0;
	int ret;
	/* walk the three sorted listings together */
	for (;;) {
		const char *name = NULL;
		if (io < c->ours.n)
			name = c->ours.v[io].name;
		if (ib < c->base.n && (!name || strcmp(c->base.v[ib].name, name) < 0))
			name = c->base.v[ib].name;
		if (im < c->mb.n && (!name || strcmp(c->mb.v[im].name, name) < 0))
			name = c->mb.v[im].name;
		if (!name)
			break;
		struct gfile *o = io < c->ours.n && !strcmp(c->ours.v[io].name, name) ? &c->ours.v[io++]
										   : NULL;
		struct gfile *b = ib < c->base.n && !strcmp(c->base.v[ib].name, name) ? &c->base.v[ib++]
										   : NULL;
		struct gfile *x = im < c->mb.n && !strcmp(c->mb.v[im].name, name) ? &c->mb.v[im++]
										 : NULL;
		struct gfile *f = (struct gfile *)merged_file(x, b, o);
		if (!f)
			continue;
		struct revision *r;
		if ((ret = file_rev(c, f, &r)) < 0)
			return ret;
		ALLOC_GROW(m->revs, m->n + 1, m->alloc);
		m->from_ours = xrealloc(m->from_ours, m->alloc * sizeof(bool));
		m->from_base = xrealloc(m->from_base, m->alloc * sizeof(bool));
		m->revs[m->n] = r;
		m->from_ours[m->n] = f == o && !x;
		m->from_base[m->n] = f == b && !x && !(o && objid_equal(&o->blob, &b->blob));
		m->n++;
	}
	return 0;
}

static size_t usable_revs(struct revision **in, size_t n, struct revision **out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (in[i]->usable)
			out[k++] = in[i];
	return k;
}

static bool has_rule(const struct findings *fs, const char *rule)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].rule, rule))
			return true;
	return false;
}

static bool ours_has_id(const struct guard_ctx *c, const char *id)
{
	for (size_t i = 0; i < c->ours.n; i++)
		if (c->ours.v[i].rev && c->ours.v[i].rev->id && !strcmp(c->ours.v[i].rev->id, id))
			return true;
	return false;
}

static char *sorted_parents(const struct revision *r)
{
	struct strlist l = STRLIST_INIT;
	for (size_t i = 0; i < r->down_revisions.n; i++)
		strlist_push(&l, r->down_revisions.v[i]);
	strlist_sort(&l);
	char *s = strlist_join(&l, ",");
	strlist_release(&l);
	return s;
}

static void check_merge(struct guard_ctx *c, const struct merged *m, struct findings *out)
{
	struct revision **usable = xcalloc(m->n ? m->n : 1, sizeof(*usable));
	struct revision **ours_revs = xcalloc(c->ours.n ? c->ours.n : 1, sizeof(*ours_revs));
	struct findings gfs = FINDINGS_INIT, ofs = FINDINGS_INIT, mh = FINDINGS_INIT,
			oh = FINDINGS_INIT;
	struct graph gm = GRAPH_INIT, go = GRAPH_INIT;
	size_t nu = usable_revs(m->revs, m->n, usable);
	graph_build(&gm, usable, nu, &gfs);
	for (size_t i = 0; i < c->ours.n; i++)
		ours_revs[i] = c->ours.v[i].rev;
	size_t no = usable_revs(ours_revs, c->ours.n, ours_revs);
	graph_build(&go, ours_revs, no, &ofs);

	/* duplicate ids: the same id added on both sides in different files */
	for (size_t i = 0; i < m->n; i++) {
		const struct revision *r = m->revs[i];
		if (!m->from_ours[i] || !r->id)
			continue;
		for (size_t j = 0; j < m->n; j++) {
			const struct revision *s = m->revs[j];
			if (!m->from_base[j] || !s->id || strcmp(r->id, s->id))
				continue;
			struct finding *f = findings_add(
				out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, r->path, r->id_line,
				r->id_line ? 1 : 0,
				"merging %s will give two revisions the id '%s': this file and '%s'",
				c->base_name, r->id, s->file_name);
			finding_set_hint(f, "give this branch's revision a new id: write it again "
					    "with 'revgate revision -m ...' and move the SQL over");
		}
	}
	/* dangling parents: a parent this branch relies on is gone from the base */
	for (size_t i = 0; i < m->n; i++) {
		const struct revision *r = m->revs[i];
		if (!m->from_ours[i] || !r->usable)
			continue;
		for (size_t k = 0; k < r->down_revisions.n; k++) {
			const char *p = r->down_revisions.v[k];
			size_t idx;
			if (graph_find(&gm, p, &idx) || !ours_has_id(c, p))
				continue;
			struct finding *f = findings_add(
				out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, r->path, r->down_line,
				r->down_line ? 1 : 0,
				"merging %s will leave '%s' without its parent '%s', which %s deleted",
				c->base_name, r->id, p, c->base_name);
			finding_set_hint(f, "run 'revgate rebase' to put this branch's revisions on "
					    "the head of %s",
					 c->base_name);
		}
	}
	/* two merge revisions over the same parents, one from each side */
	bool same_merge = false;
	for (size_t i = 0; i < m->n; i++) {
		const struct revision *r = m->revs[i];
		if (!m->from_ours[i] || r->down_revisions.n < 2)
			continue;
		char *pr = sorted_parents(r);
		for (size_t j = 0; j < m->n; j++) {
			const struct revision *s = m->revs[j];
			if (!m->from_base[j] || s->down_revisions.n < 2)
				continue;
			char *ps = sorted_parents(s);
			if (!strcmp(pr, ps)) {
				struct finding *f = findings_add(
					out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, r->path, r->down_line,
					r->down_line ? 1 : 0,
					"merge revision '%s' joins the same heads as '%s' on %s: after "
					"the merge both will be heads",
					r->id, s->id, c->base_name);
				finding_set_hint(f, "delete this branch's merge revision '%s' ('git rm "
						    "%s'): '%s' already joins those heads",
						 r->id, r->path, s->id);
				same_merge = true;
			}
			free(ps);
		}
		free(pr);
	}
	/* several heads after the merge, where this branch alone has one (a
	 * duplicate merge revision, reported above, is the better explanation) */
	graph_check_heads(&gm, &mh);
	graph_check_heads(&go, &oh);
	if (!same_merge && has_rule(&mh, RULE_MULTIPLE_HEADS) &&
	    !has_rule(&oh, RULE_MULTIPLE_HEADS)) {
		struct strlist names = STRLIST_INIT;
		const struct revision *at = NULL;
		for (size_t k = 0; k < gm.heads.n; k++) {
			const struct graph_node *n = &gm.nodes[gm.heads.v[k]];
			bool mine = false;
			for (size_t i = 0; i < m->n; i++)
				if (m->revs[i] == n->rev && m->from_ours[i])
					mine = true;
			if (mine && !at)
				at = n->rev;
			char *s = xstrfmt("'%s' (%s)", n->id, mine ? "this branch" : c->base_name);
			strlist_push_owned(&names, s);
		}
		char *joined = strlist_join(&names, ", ");
		struct finding *f;
		if (at)
			f = findings_add(out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, at->path, at->down_line,
					 at->down_line ? 1 : 0,
					 "merging %s will leave %zu heads: %s", c->base_name,
					 gm.heads.n, joined);
		else
			f = findings_add(out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, NULL, 0, 0,
					 "merging %s will leave %zu heads: %s", c->base_name,
					 gm.heads.n, joined);
		finding_set_hint(f, "before merging, run 'revgate rebase' to put this branch's "
				    "revisions on the head of %s (a linear history); or merge, then "
				    "run 'revgate merge' to join the heads",
				 c->base_name);
		free(joined);
		strlist_release(&names);
	}
	graph_release(&gm);
	graph_release(&go);
	findings_release(&gfs);
	findings_release(&ofs);
	findings_release(&mh);
	findings_release(&oh);
	free(usable);
	free(ours_revs);
}

static void check_siblings(struct guard_ctx *c, const struct merged *m, struct findings *out)
{
	size_t nb = 0;
	struct touched_set *theirs = xcalloc(m->n ? m->n : 1, sizeof(*theirs));
	for (size_t j = 0; j < m->n; j++)
		if (m->from_base[j] && m->revs[j]->usable) {
			touched_collect(m->revs[j], &theirs[j]);
			nb++;
		}
	for (size_t i = 0; nb && i < m->n; i++) {
		const struct revision *r = m->revs[i];
		if (!m->from_ours[i] || !r->usable)
			continue;
		struct touched_set mine = TOUCHED_SET_INIT;
		touched_collect(r, &mine);
		for (size_t j = 0; j < m->n; j++) {
			for (size_t k = 0; k < mine.n; k++) {
				if (!touched_find(&theirs[j], mine.v[k].object))
					continue;
				struct finding *f = findings_add_at(
					out, RULE_SIBLING_CONFLICT, SEV_WARNING, r->path, r->text,
					r->len, mine.v[k].offset,
					"'%s' (this branch) and '%s' (added on %s since the branches "
					"split) both touch %s: their order matters",
					r->id, m->revs[j]->id, c->base_name, mine.v[k].object);
				finding_set_hint(f, "check that '%s' still does the right thing after "
						    "'%s'; 'revgate rebase' makes it run after it",
						 r->id, m->revs[j]->id);
				break; /* one finding per pair of revisions */
			}
		}
		touched_set_release(&mine);
	}
	for (size_t j = 0; j < m->n; j++)
		touched_set_release(&theirs[j]);
	free(theirs);
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
	free(c->rel);
	gitrepo_free(c->repo);
}

static const char *mode_option(enum guard_mode mode)
{
	return mode == GUARD_STAGED ? "--staged" : "--base";
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
	return gitrepo_relpath(c->repo, c->req->migrations_dir, &c->rel);
}

int guard_run(const struct guard_request *req, struct revset *lint_set,
	      struct findings *load_findings, struct guard_result *res, struct findings *out)
{
	struct guard_ctx c = {.req = req};
	struct merged m = {0};
	bool vacuous;
	memset(res, 0, sizeof(*res));
	int ret = open_repo(&c, res);
	if (ret < 0 || !c.repo)
		goto out;
	if ((ret = settle_base(&c, res, &vacuous)) < 0 || vacuous)
		goto out;
	if ((ret = list_sides(&c, lint_set, load_findings, res)) < 0)
		goto out;
	if ((ret = check_applied(&c, out)) < 0)
		goto out;
	if (c.mb_listed) {
		if ((ret = build_merged(&c, &m)) < 0)
			goto out;
		check_merge(&c, &m, out);
		check_siblings(&c, &m, out);
	}
	res->checked = true;
out:
	merged_release(&m);
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
	if ((ret = settle_base(&c, &res, &vacuous)) < 0)
		goto out;
	if ((ret = gitrepo_list_commit(c.repo, &c.base_tip, c.rel, &c.dirs[1])) < 0)
		goto out;
	side_from_dir(&c.base, &c.dirs[1]);
	for (size_t i = 0; i < c.base.n; i++) {
		struct revision *r;
		if ((ret = file_rev(&c, &c.base.v[i], &r)) < 0)
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
