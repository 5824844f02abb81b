/*
 * What merging the base will do to the revision graph (see context.h): the
 * three snapshots are combined file by file as git's merge combines them,
 * the merged graph is built in memory, and what breaks it is reported:
 * several heads, a duplicate id, two merge revisions over the same parents,
 * a dangling parent. Revisions both sides added since the split are also
 * compared for the tables, columns and indexes they touch.
 */
#include "guard/context.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "guard/touched.h"

#include <stdlib.h>
#include <string.h>

/* How `git merge` combines one path: the side that changed it wins. */
static const struct gfile *merged_file(const struct gfile *mb, const struct gfile *b,
				       const struct gfile *o)
{
	if (gfile_same(o, mb))
		return b;
	if (gfile_same(b, mb))
		return o;
	return o; /* both changed it: a conflict git will stop at; ours stands in */
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

/* The name of a side's file at `i`, or NULL past its end. */
static const char *name_at(const struct side *s, size_t i)
{
	return i < s->n ? s->v[i].name : NULL;
}

/* Byte order, with NULL (a listing at its end) after every name. */
static int name_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* The side's file at `*i` when it is named `name` (then *i moves on), else NULL. */
static struct gfile *take(const struct side *s, size_t *i, const char *name)
{
	const char *here = name_at(s, *i);
	if (!here || strcmp(here, name))
		return NULL;
	return &s->v[(*i)++];
}

static int build_merged(struct guard_ctx *c, struct merged *m)
{
	size_t io = 0, ib = 0, im = 0;
	int ret;
	/* walk the three sorted listings together, a name at a time; the
	 * NULL checks stay in name_cmp() and take(), where the analyzer sees
	 * them */
	for (;;) {
		const char *name = name_at(&c->ours, io);
		if (name_cmp(name_at(&c->base, ib), name) < 0)
			name = name_at(&c->base, ib);
		if (name_cmp(name_at(&c->mb, im), name) < 0)
			name = name_at(&c->mb, im);
		if (!name)
			break;
		struct gfile *o = take(&c->ours, &io, name);
		struct gfile *b = take(&c->base, &ib, name);
		struct gfile *x = take(&c->mb, &im, name);
		struct gfile *f = (struct gfile *)merged_file(x, b, o);
		if (!f)
			continue;
		struct revision *r;
		if ((ret = guard_file_rev(c, f, &r)) < 0)
			return ret;
		ALLOC_GROW(m->revs, m->n + 1, m->alloc);
		m->from_ours = xrealloc(m->from_ours, m->alloc * sizeof(bool));
		m->from_base = xrealloc(m->from_base, m->alloc * sizeof(bool));
		m->revs[m->n] = r;
		m->from_ours[m->n] = f == o && !x;
		m->from_base[m->n] = f == b && !x && !(o && gfile_same(o, b));
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
		enum layout_kind kind = c->req->layout->kind;
		if (at && layout_is_linear(kind)) {
			/* a linear tool has no merge revisions: the versions collide */
			f = findings_add(out, RULE_HEADS_AFTER_MERGE, SEV_ERROR, at->path, 0, 0,
					 "this branch and %s both add migrations after the same one: "
					 "%s; after the merge, a database that ran one side's meets "
					 "the other's out of order, and %s skips or refuses it",
					 c->base_name, joined, layout_name(kind));
			finding_set_hint(f, "give this branch's migrations versions after %s's newest "
					    "(rename the files) before merging",
					 c->base_name);
			free(joined);
			strlist_release(&names);
			goto done;
		}
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
done:
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
				size_t before = out->n;
				struct finding *f = findings_add_at(
					out, RULE_SIBLING_CONFLICT, SEV_WARNING, r->path, r->text,
					r->len, mine.v[k].offset,
					"'%s' (this branch) and '%s' (added on %s since the branches "
					"split) both touch %s: their order matters",
					r->id, m->revs[j]->id, c->base_name, mine.v[k].object);
				finding_set_hint(f, "check that '%s' still does the right thing after "
						    "'%s'; 'revgate rebase' makes it run after it",
						 r->id, m->revs[j]->id);
				revision_remap_findings(r, out, before);
				break; /* one finding per pair of revisions */
			}
		}
		touched_set_release(&mine);
	}
	for (size_t j = 0; j < m->n; j++)
		touched_set_release(&theirs[j]);
	free(theirs);
}

int guard_check_merge(struct guard_ctx *c, struct findings *out)
{
	struct merged m = {0};
	int ret = build_merged(c, &m);
	if (ret == 0) {
		check_merge(c, &m, out);
		check_siblings(c, &m, out);
	}
	merged_release(&m);
	return ret;
}
