/*
 * Alembic's target grammar and walks, ported function by function from
 * alembic/script/revision.py (RevisionMap) so that revgate answers exactly
 * as Alembic does on the same graph: get_revisions, _walk,
 * _parse_upgrade_target, _parse_downgrade_target, _collect_upgrade_revisions,
 * _collect_downgrade_revisions and iterate_revisions. Comments name the
 * Alembic function each piece mirrors.
 */
#include "graph/walk.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "core/suggest.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* _walk may end on the literal "base" rather than on None */
#define WALK_BASE ((size_t)-2)

static void bs_init(const struct graph *g, struct bitset *b)
{
	bitset_init(b, g->n);
}

/* A key of Alembic's revision map: an id, or a branch label. */
static bool lookup_key(const struct graph *g, const char *key, size_t *idx)
{
	return graph_find(g, key, idx) || strmap_get(&g->by_label, key, idx);
}

bool graph_shares_lineage(const struct graph *g, size_t target, const size_t *against, size_t n,
			  bool include_deps)
{
	if (n == 0)
		return true;
	struct bitset desc = BITSET_INIT, anc = BITSET_INIT;
	bs_init(g, &desc);
	bs_init(g, &anc);
	graph_descendants(g, &target, 1, include_deps, false, &desc);
	graph_ancestors(g, &target, 1, include_deps, &anc);
	bool found = false;
	for (size_t k = 0; k < n && !found; k++)
		found = against[k] < g->n &&
			(bitset_test(&desc, against[k]) || bitset_test(&anc, against[k]));
	bitset_release(&desc);
	bitset_release(&anc);
	return found;
}

static int revision_for_ident(const struct graph *g, const char *rid, const char *check_branch,
			      size_t *out);

/* _resolve_branch */
static int resolve_branch(const struct graph *g, const char *label, size_t *out)
{
	if (strmap_get(&g->by_label, label, out))
		return 0;
	if (revision_for_ident(g, label, NULL, out) < 0 || *out == GRAPH_NONE)
		return err_set(ERR_NOTFOUND, "no such branch: '%s'", label);
	return 0;
}

/* filter_for_lineage(targets, check_against) with check_against a plain label or id */
static int filter_for_lineage(const struct graph *g, const struct idxvec *targets,
			      const char *check_against, bool include_deps, struct idxvec *out);

/* What follows "no such revision or branch 'X'": "; did you mean 'head'?"
 * when X looks like a typo of a target keyword, a revision id or a branch
 * label, else the four-character rule for a short X, else "" (fresh
 * string). */
static char *not_found_hint(const struct graph *g, const char *rid)
{
	static const char *const keywords[] = {"head", "heads", "base"};
	struct suggest sg;
	suggest_init(&sg, rid);
	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
		suggest_add(&sg, keywords[i]);
	for (size_t i = 0; i < g->n; i++) {
		suggest_add(&sg, g->nodes[i].id);
		for (size_t k = 0; k < g->nodes[i].labels.n; k++)
			suggest_add(&sg, g->nodes[i].labels.v[k]);
	}
	char *hint = suggest_hint(&sg);
	if (!*hint && strlen(rid) < 4) {
		free(hint);
		hint = xstrdup("; a partial id needs at least four characters");
	}
	return hint;
}

/* _revision_for_ident */
static int revision_for_ident(const struct graph *g, const char *rid, const char *check_branch,
			      size_t *out)
{
	size_t branch_rev = GRAPH_NONE;
	int ret;
	if (check_branch && (ret = resolve_branch(g, check_branch, &branch_rev)) < 0)
		return ret;
	if (!rid) {
		*out = GRAPH_NONE;
		return 0;
	}
	size_t rev;
	if (!lookup_key(g, rid, &rev) && strlen(rid) < 4) {
		/* Alembic matches any prefix; a short one resolving by luck is how a
		 * deploy reaches the wrong revision, so revgate wants four characters */
		char *hint = not_found_hint(g, rid);
		ret = err_set(ERR_NOTFOUND, "no such revision or branch '%s'%s", rid, hint);
		free(hint);
		return ret;
	}
	if (!lookup_key(g, rid, &rev)) {
		struct idxvec cands = IDXVEC_INIT;
		size_t rl = strlen(rid);
		for (size_t i = 0; i < g->n; i++) {
			const char *id = g->nodes[i].id;
			if (strlen(id) > 3 && !strncmp(id, rid, rl))
				idxvec_push(&cands, i);
		}
		/* labels are keys of Alembic's map too, after every id */
		for (size_t i = 0; i < g->n; i++) {
			const struct strlist *labels = &g->nodes[i].rev->branch_labels;
			for (size_t k = 0; k < labels->n; k++) {
				size_t owner;
				if (strlen(labels->v[k]) > 3 && !strncmp(labels->v[k], rid, rl) &&
				    strmap_get(&g->by_label, labels->v[k], &owner) && owner == i)
					idxvec_push(&cands, i);
			}
		}
		if (check_branch && cands.n) {
			struct idxvec f = IDXVEC_INIT;
			ret = filter_for_lineage(g, &cands, check_branch, false, &f);
			idxvec_release(&cands);
			if (ret < 0) {
				idxvec_release(&f);
				return ret;
			}
			cands = f;
		}
		if (cands.n == 0) {
			idxvec_release(&cands);
			char *hint = not_found_hint(g, rid);
			ret = err_set(ERR_NOTFOUND, "no such revision or branch '%s'%s", rid, hint);
			free(hint);
			return ret;
		}
		if (cands.n > 1) {
			struct strbuf sb = STRBUF_INIT;
			for (size_t k = 0; k < cands.n; k++)
				strbuf_addf(&sb, "%s'%s'", k ? ", " : "", g->nodes[cands.v[k]].id);
			err_set(ERR_AMBIGUOUS, "several revisions start with '%s': %s", rid, sb.buf);
			strbuf_release(&sb);
			idxvec_release(&cands);
			return ERR_AMBIGUOUS;
		}
		rev = cands.v[0];
		idxvec_release(&cands);
	}
	if (check_branch && !graph_shares_lineage(g, rev, &branch_rev, 1, false))
		return err_set(ERR_NOTFOUND, "revision %s is not a member of branch '%s'",
			       g->nodes[rev].id, check_branch);
	*out = rev;
	return 0;
}

struct resolved {
	struct strlist ids;
	char *label;
};

static void resolved_release(struct resolved *r)
{
	strlist_release(&r->ids);
	free(r->label);
	r->label = NULL;
}

static int get_current_head(const struct graph *g, const char *label, struct strlist *out);

/* _resolve_revision_number */
static int resolve_number(const struct graph *g, const char *id, struct resolved *r)
{
	memset(r, 0, sizeof(*r));
	const char *at = id ? strchr(id, '@') : NULL;
	if (at) {
		r->label = xstrndup(id, (size_t)(at - id));
		id = at + 1;
	}
	if (id && !strcmp(id, "heads")) {
		if (r->label) {
			struct idxvec f = IDXVEC_INIT;
			int ret = filter_for_lineage(g, &g->heads, r->label, false, &f);
			for (size_t k = 0; k < f.n; k++)
				strlist_push(&r->ids, g->nodes[f.v[k]].id);
			idxvec_release(&f);
			return ret;
		}
		for (size_t k = 0; k < g->real_heads.n; k++)
			strlist_push(&r->ids, g->nodes[g->real_heads.v[k]].id);
		return 0;
	}
	if (id && !strcmp(id, "head"))
		return get_current_head(g, r->label, &r->ids);
	if (!id || !strcmp(id, "base"))
		return 0;
	strlist_push(&r->ids, id);
	return 0;
}

static int filter_for_lineage(const struct graph *g, const struct idxvec *targets,
			      const char *check_against, bool include_deps, struct idxvec *out)
{
	struct resolved r;
	int ret = resolve_number(g, check_against, &r);
	struct idxvec shares = IDXVEC_INIT;
	if (ret < 0)
		goto out;
	if (r.label) {
		size_t s;
		if ((ret = revision_for_ident(g, r.label, NULL, &s)) < 0)
			goto out;
		idxvec_push(&shares, s);
	}
	for (size_t k = 0; k < r.ids.n; k++) {
		size_t s;
		if ((ret = revision_for_ident(g, r.ids.v[k], NULL, &s)) < 0)
			goto out;
		if (s != GRAPH_NONE)
			idxvec_push(&shares, s);
	}
	for (size_t k = 0; k < targets->n; k++) {
		size_t t = targets->v[k];
		if (t == GRAPH_NONE || t >= g->n)
			continue;
		if (graph_shares_lineage(g, t, shares.v, shares.n, include_deps))
			idxvec_push(out, t);
	}
out:
	idxvec_release(&shares);
	resolved_release(&r);
	return ret;
}

/* get_current_head */
static int get_current_head(const struct graph *g, const char *label, struct strlist *out)
{
	struct idxvec heads = IDXVEC_INIT;
	int ret = 0;
	if (label) {
		if ((ret = filter_for_lineage(g, &g->heads, label, false, &heads)) < 0)
			goto out;
	} else {
		idxvec_copy(&heads, &g->heads);
	}
	if (heads.n > 1) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t k = 0; k < heads.n; k++)
			strbuf_addf(&sb, "%s%s", k ? ", " : "", g->nodes[heads.v[k]].id);
		ret = err_set(ERR_AMBIGUOUS,
			      "several heads are present for '%s%s': %s; name one, use "
			      "'<branch>@head', or 'heads' for all of them",
			      label ? label : "", label ? "@head" : "head", sb.buf);
		strbuf_release(&sb);
		goto out;
	}
	if (heads.n == 1)
		strlist_push(out, g->nodes[heads.v[0]].id);
out:
	idxvec_release(&heads);
	return ret;
}

/*
 * strtol saturates at LONG_MIN, whose negation overflows: clamp to
 * -LONG_MAX. No history is that long, so the walk fails as for any
 * number beyond its length.
 */
static long clamp_steps(long n)
{
	return n == LONG_MIN ? -LONG_MAX : n;
}

static bool parse_int(const char *s, long *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return false;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return false;
	*out = clamp_steps(strtol(s, NULL, 10));
	return true;
}

static int walk(const struct graph *g, size_t start, long steps, const char *label,
		bool no_overwalk, size_t *out);

static int get_revisions_str(const struct graph *g, const char *id, struct idxvec *out)
{
	struct resolved r;
	int ret = resolve_number(g, id, &r);
	if (ret < 0)
		goto out;
	long rint;
	if (r.ids.n == 1 && parse_int(r.ids.v[0], &rint) && rint < 0) {
		/* branch@-n: walk down from the heads */
		struct idxvec heads = IDXVEC_INIT;
		for (size_t k = 0; k < g->real_heads.n; k++) {
			size_t h = g->real_heads.v[k];
			if (!r.label || strlist_has(&g->nodes[h].labels, r.label))
				idxvec_push(&heads, h);
		}
		for (size_t k = 0; k < heads.n && ret == 0; k++) {
			size_t w;
			ret = walk(g, heads.v[k], rint, NULL, true, &w);
			if (ret == 0)
				idxvec_push(out, w == WALK_BASE ? GRAPH_NONE : w);
		}
		idxvec_release(&heads);
		goto out;
	}
	for (size_t k = 0; k < r.ids.n; k++) {
		size_t rev;
		if ((ret = revision_for_ident(g, r.ids.v[k], r.label, &rev)) < 0)
			goto out;
		idxvec_push(out, rev);
	}
out:
	resolved_release(&r);
	return ret;
}

int graph_resolve(const struct graph *g, struct gident id, struct idxvec *out)
{
	if (g->has_cycle)
		return err_set(ERR_GRAPH, "the revision graph has a cycle; run 'revgate lint'");
	if (id.str)
		return get_revisions_str(g, id.str, out);
	if (!id.ids)
		return 0;
	for (size_t k = 0; k < id.ids->n; k++) {
		int ret = get_revisions_str(g, id.ids->v[k], out);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int graph_resolve_one(const struct graph *g, const char *target, size_t *out)
{
	if (g->has_cycle)
		return err_set(ERR_GRAPH, "the revision graph has a cycle; run 'revgate lint'");
	struct resolved r;
	int ret = resolve_number(g, target, &r);
	if (ret < 0)
		goto out;
	if (r.ids.n > 1) {
		char *joined = strlist_join(&r.ids, ", ");
		ret = err_set(ERR_AMBIGUOUS,
			      "'%s' names several revisions (%s); name one, or use "
			      "'<branch>@head'",
			      target, joined);
		free(joined);
		goto out;
	}
	ret = revision_for_ident(g, r.ids.n ? r.ids.v[0] : NULL, r.label, out);
out:
	resolved_release(&r);
	return ret;
}

static int ids_to_nodes(const struct graph *g, const struct strlist *ids, struct idxvec *out)
{
	for (size_t k = 0; k < ids->n; k++) {
		size_t i;
		int ret = revision_for_ident(g, ids->v[k], NULL, &i);
		if (ret < 0)
			return ret;
		idxvec_push(out, i);
	}
	return 0;
}

/* _walk. `start` is a node, GRAPH_NONE (before the bases) or WALK_BASE. */
static int walk(const struct graph *g, size_t start, long steps, const char *label,
		bool no_overwalk, size_t *out)
{
	size_t initial = start;
	long n = steps < 0 ? -steps : steps;
	struct idxvec kids = IDXVEC_INIT;
	int ret = 0;
	for (long s = 0; s < n; s++) {
		kids.n = 0;
		if (steps > 0) {
			struct idxvec up = IDXVEC_INIT;
			if (initial == GRAPH_NONE)
				idxvec_copy(&up, &g->bases);
			else
				idxvec_copy(&up, &g->nodes[initial].next);
			if (label)
				ret = filter_for_lineage(g, &up, label, false, &kids);
			else
				idxvec_copy(&kids, &up);
			idxvec_release(&up);
			if (ret < 0)
				goto out;
		} else if (initial != WALK_BASE) {
			if (initial == GRAPH_NONE) {
				idxvec_copy(&kids, &g->heads);
			} else {
				ret = ids_to_nodes(g, &g->nodes[initial].rev->down_revisions, &kids);
				if (ret < 0)
					goto out;
			}
			if (!kids.n)
				idxvec_push(&kids, WALK_BASE);
		}
		if (!kids.n) {
			*out = no_overwalk ? GRAPH_NONE : initial;
			goto out;
		}
		if (kids.n > 1) {
			ret = err_set(ERR_USAGE, "ambiguous walk: %s branches here; name the "
						 "revision or use '<branch>@%+ld'",
				      initial == GRAPH_NONE ? "the history" : g->nodes[initial].id,
				      steps);
			goto out;
		}
		initial = kids.v[0];
	}
	*out = initial;
out:
	idxvec_release(&kids);
	return ret;
}

/* _relative_destination: (?:(.+?)@)?(\w+)?((?:\+|-)\d+), matched whole */
struct relative {
	char *label;
	char *symbol;
	long rel;
	char *rel_str;
};

static void relative_release(struct relative *r)
{
	free(r->label);
	free(r->symbol);
	free(r->rel_str);
}

static bool parse_relative(const char *s, struct relative *r)
{
	memset(r, 0, sizeof(*r));
	size_t n = strlen(s), d = n;
	while (d > 0 && isdigit((unsigned char)s[d - 1]))
		d--;
	if (d == n || d == 0 || (s[d - 1] != '+' && s[d - 1] != '-'))
		return false;
	size_t sign = d - 1;
	const char *at = NULL;
	for (size_t i = 0; i < sign; i++)
		if (s[i] == '@')
			at = s + i;
	size_t sym_start = at ? (size_t)(at - s) + 1 : 0;
	if (at == s)
		return false; /* "(.+?)@" needs a label */
	for (size_t i = sym_start; i < sign; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	if (at)
		r->label = xstrndup(s, (size_t)(at - s));
	if (sign > sym_start)
		r->symbol = xstrndup(s + sym_start, sign - sym_start);
	r->rel_str = xstrdup(s + sign);
	r->rel = clamp_steps(strtol(s + sign, NULL, 10));
	return true;
}

static int not_produced(const char *rel_str, long rel)
{
	return err_set(ERR_USAGE, "relative revision %s didn't produce %ld migrations", rel_str,
		       rel < 0 ? -rel : rel);
}

/* _get_all_current */
static void get_all_current(const struct graph *g, const struct idxvec *top_in, struct idxvec *out)
{
	struct bitset top = BITSET_INIT, desc = BITSET_INIT;
	bs_init(g, &top);
	bs_init(g, &desc);
	struct idxvec valid = IDXVEC_INIT;
	for (size_t k = 0; k < top_in->n; k++)
		if (top_in->v[k] < g->n)
			idxvec_push(&valid, top_in->v[k]);
	graph_ancestors(g, valid.v, valid.n, true, &top);
	for (size_t i = 0; i < g->n; i++) {
		if (!bitset_test(&top, i))
			continue;
		memset(desc.w, 0, ((g->n + 63) / 64) * sizeof(uint64_t));
		graph_descendants(g, &i, 1, false, false, &desc);
		bitset_clear(&desc, i);
		bitset_and(&desc, &top);
		if (!bitset_count(&desc))
			idxvec_push(out, i);
	}
	idxvec_release(&valid);
	bitset_release(&top);
	bitset_release(&desc);
}

static void to_tuple(struct gident id, struct strlist *out)
{
	if (id.str)
		strlist_push(out, id.str);
	else if (id.ids)
		for (size_t k = 0; k < id.ids->n; k++)
			strlist_push(out, id.ids->v[k]);
}

/* _parse_downgrade_target: the branch label and the target (node, GRAPH_NONE or WALK_BASE). */
static int parse_downgrade_target(const struct graph *g, struct gident current, const char *target,
				  bool assert_rel, char **label_out, size_t *rev_out)
{
	*label_out = NULL;
	*rev_out = GRAPH_NONE;
	if (!target)
		return 0;
	struct relative m;
	int ret = 0;
	struct strlist cr = STRLIST_INIT;
	if (parse_relative(target, &m)) {
		if (m.rel >= 0) {
			if (!m.symbol) {
				ret = not_produced(m.rel_str, m.rel);
				goto rel_out;
			}
			size_t start;
			if ((ret = graph_resolve_one(g, m.symbol, &start)) < 0)
				goto rel_out;
			if ((ret = walk(g, start, m.rel, m.label, assert_rel, rev_out)) < 0)
				goto rel_out;
			if (*rev_out == GRAPH_NONE) {
				ret = err_set(ERR_USAGE, "walked too far: '%s' goes beyond the "
							 "history",
					      target);
				goto rel_out;
			}
			*label_out = m.label;
			m.label = NULL;
			goto rel_out;
		}
		bool relative_revision = m.symbol == NULL;
		char *symbol = m.symbol ? xstrdup(m.symbol) : NULL;
		char *label = m.label ? xstrdup(m.label) : NULL;
		if (relative_revision) {
			to_tuple(current, &cr);
			if (label) {
				struct idxvec nodes = IDXVEC_INIT, f = IDXVEC_INIT;
				if ((ret = ids_to_nodes(g, &cr, &nodes)) == 0)
					ret = filter_for_lineage(g, &nodes, label, false, &f);
				if (ret == 0 && !f.n) {
					struct idxvec all = IDXVEC_INIT;
					get_all_current(g, &nodes, &all);
					ret = filter_for_lineage(g, &all, label, false, &f);
					idxvec_release(&all);
				}
				if (ret == 0 && f.n != 1)
					ret = err_set(ERR_USAGE,
						      "cannot tell which current revision of branch "
						      "'%s' to walk from",
						      label);
				if (ret == 0)
					symbol = xstrdup(g->nodes[f.v[0]].id);
				idxvec_release(&nodes);
				idxvec_release(&f);
			} else {
				if (!cr.n) {
					ret = not_produced(m.rel_str, m.rel);
				} else {
					symbol = xstrdup(cr.v[0]);
					label = xstrdup(symbol);
				}
			}
		}
		if (ret == 0) {
			size_t start;
			if (label) {
				char *t = xstrfmt("%s@%s", label, symbol);
				ret = graph_resolve_one(g, t, &start);
				free(t);
			} else {
				ret = graph_resolve_one(g, symbol, &start);
			}
			if (ret == 0)
				ret = walk(g, start, m.rel, NULL, assert_rel, rev_out);
			if (ret == 0 && *rev_out == GRAPH_NONE)
				ret = relative_revision
					      ? not_produced(m.rel_str, m.rel)
					      : err_set(ERR_USAGE, "walked too far: '%s' goes beyond "
								   "the history",
							target);
		}
		free(symbol);
		if (ret == 0)
			*label_out = label;
		else
			free(label);
	rel_out:
		relative_release(&m);
		strlist_release(&cr);
		return ret;
	}
	/* absolute: label@symbol, split at the last '@' */
	const char *at = strrchr(target, '@');
	const char *symbol = at ? at + 1 : target;
	if (at && at > target)
		*label_out = xstrndup(target, (size_t)(at - target));
	return graph_resolve_one(g, symbol, rev_out);
}

/* _parse_upgrade_target */
static int parse_upgrade_target(const struct graph *g, struct gident current, struct gident target,
				bool assert_rel, struct idxvec *out)
{
	struct relative m;
	if (!target.str || !parse_relative(target.str, &m))
		return graph_resolve(g, target, out);
	int ret = 0;
	struct strlist cur = STRLIST_INIT;
	to_tuple(current, &cur);
	struct idxvec start_revs = IDXVEC_INIT, curnodes = IDXVEC_INIT;
	size_t rev;
	if (m.rel > 0) {
		if (!m.symbol) {
			if ((ret = ids_to_nodes(g, &cur, &curnodes)) < 0)
				goto out;
			if (!curnodes.n)
				idxvec_push(&curnodes, GRAPH_NONE);
			if (m.label) {
				if ((ret = filter_for_lineage(g, &curnodes, m.label, false,
							      &start_revs)) < 0)
					goto out;
				if (!start_revs.n) {
					/* the branch is not a head: back up to its branch point */
					struct bitset anc = BITSET_INIT;
					bs_init(g, &anc);
					struct idxvec valid = IDXVEC_INIT, ancv = IDXVEC_INIT,
						      active = IDXVEC_INIT, norm = IDXVEC_INIT;
					for (size_t k = 0; k < curnodes.n; k++)
						if (curnodes.v[k] < g->n)
							idxvec_push(&valid, curnodes.v[k]);
					graph_ancestors(g, valid.v, valid.n, true, &anc);
					for (size_t i = 0; i < g->n; i++)
						if (bitset_test(&anc, i))
							idxvec_push(&ancv, i);
					ret = filter_for_lineage(g, &ancv, m.label, false, &active);
					struct bitset downs = BITSET_INIT;
					bs_init(g, &downs);
					for (size_t k = 0; k < active.n; k++) {
						graph_normalized_down(g, active.v[k], &norm);
						for (size_t q = 0; q < norm.n; q++)
							bitset_set(&downs, norm.v[q]);
					}
					for (size_t k = 0; k < active.n; k++)
						if (!bitset_test(&downs, active.v[k]))
							idxvec_push(&start_revs, active.v[k]);
					if (!start_revs.n)
						idxvec_push(&start_revs, GRAPH_NONE);
					bitset_release(&downs);
					bitset_release(&anc);
					idxvec_release(&valid);
					idxvec_release(&ancv);
					idxvec_release(&active);
					idxvec_release(&norm);
					if (ret < 0)
						goto out;
				}
			} else {
				idxvec_copy(&start_revs, &curnodes);
			}
			if (start_revs.n > 1) {
				ret = err_set(ERR_USAGE, "ambiguous upgrade from several current "
							 "revisions; name a branch: '<branch>@%s'",
					      m.rel_str);
				goto out;
			}
			if ((ret = walk(g, start_revs.v[0], m.rel, m.label, assert_rel, &rev)) < 0)
				goto out;
			if (rev == GRAPH_NONE) {
				ret = not_produced(m.rel_str, m.rel);
				goto out;
			}
			idxvec_push(out, rev);
		} else {
			size_t start;
			if ((ret = graph_resolve_one(g, m.symbol, &start)) < 0)
				goto out;
			if ((ret = walk(g, start, m.rel, m.label, assert_rel, &rev)) < 0)
				goto out;
			if (rev == GRAPH_NONE) {
				ret = not_produced(m.rel_str, m.rel);
				goto out;
			}
			idxvec_push(out, rev);
		}
	} else {
		if (!m.symbol) {
			ret = not_produced(m.rel_str, m.rel);
			goto out;
		}
		size_t start;
		if (m.label) {
			char *t = xstrfmt("%s@%s", m.label, m.symbol);
			ret = graph_resolve_one(g, t, &start);
			free(t);
		} else {
			ret = graph_resolve_one(g, m.symbol, &start);
		}
		if (ret < 0)
			goto out;
		if ((ret = walk(g, start, m.rel, NULL, assert_rel, &rev)) < 0)
			goto out;
		idxvec_push(out, rev == WALK_BASE ? GRAPH_NONE : rev);
	}
out:
	idxvec_release(&start_revs);
	idxvec_release(&curnodes);
	strlist_release(&cur);
	relative_release(&m);
	return ret;
}

static int check_overlap(const struct graph *g, const struct idxvec *targets)
{
	struct bitset anc = BITSET_INIT;
	bs_init(g, &anc);
	int ret = 0;
	for (size_t k = 0; k < targets->n && !ret; k++) {
		if (targets->v[k] >= g->n)
			continue;
		memset(anc.w, 0, ((g->n + 63) / 64) * sizeof(uint64_t));
		graph_ancestors(g, &targets->v[k], 1, true, &anc);
		for (size_t q = 0; q < targets->n; q++) {
			if (q != k && targets->v[q] != targets->v[k] &&
			    bitset_test(&anc, targets->v[q])) {
				ret = err_set(ERR_USAGE,
					      "requested revision %s overlaps with other requested "
					      "revision %s",
					      g->nodes[targets->v[k]].id, g->nodes[targets->v[q]].id);
				break;
			}
		}
	}
	bitset_release(&anc);
	return ret;
}

static int not_ancestor(const struct graph *g, struct gident lower, struct gident upper)
{
	struct strlist a = STRLIST_INIT, b = STRLIST_INIT;
	to_tuple(lower, &a);
	to_tuple(upper, &b);
	char *ja = strlist_join(&a, ", "), *jb = strlist_join(&b, ", ");
	int ret = err_set(ERR_USAGE, "revision %s is not an ancestor of revision %s",
			  a.n ? ja : "base", b.n ? jb : "base");
	free(ja);
	free(jb);
	strlist_release(&a);
	strlist_release(&b);
	return ret;
}

/* _collect_upgrade_revisions */
static int collect_upgrade(const struct graph *g, struct gident upper, struct gident lower,
			   const struct walk_opts *o, struct bitset *needs, struct idxvec *targets)
{
	struct idxvec parsed = IDXVEC_INIT, current = IDXVEC_INIT;
	struct bitset required = BITSET_INIT, cur_set = BITSET_INIT;
	struct strlist lower_override = STRLIST_INIT;
	bool lower_is_none = false;
	int ret = parse_upgrade_target(g, lower, upper, o->assert_relative_length, &parsed);
	if (ret < 0)
		goto out;
	for (size_t k = 0; k < parsed.n; k++) {
		if (parsed.v[k] >= g->n) {
			ret = err_set(ERR_USAGE, "'%s' does not name a revision to upgrade to",
				      upper.str ? upper.str : "target");
			goto out;
		}
		if (!idxvec_has(targets, parsed.v[k]))
			idxvec_push(targets, parsed.v[k]);
	}
	if (lower.str && strchr(lower.str, '@')) {
		char *branch = xstrndup(lower.str, (size_t)(strchr(lower.str, '@') - lower.str));
		size_t br;
		if (graph_resolve_one(g, branch, &br) == 0 && br != GRAPH_NONE &&
		    !strcmp(g->nodes[br].id, branch) && g->nodes[br].rev->branch_labels.n == 1) {
			free(branch);
			branch = xstrdup(g->nodes[br].rev->branch_labels.v[0]);
		}
		err_clear();
		struct idxvec keep = IDXVEC_INIT;
		for (size_t k = 0; k < targets->n; k++)
			if (strlist_has(&g->nodes[targets->v[k]].labels, branch))
				idxvec_push(&keep, targets->v[k]);
		idxvec_release(targets);
		*targets = keep;
		free(branch);
	}
	if ((ret = check_overlap(g, targets)) < 0)
		goto out;
	bs_init(g, &required);
	graph_ancestors(g, targets->v, targets->n, true, &required);

	if ((ret = graph_resolve(g, lower, &current)) < 0)
		goto out;
	if (!o->implicit_base) {
		for (size_t k = 0; k < current.n; k++) {
			if (current.v[k] != GRAPH_NONE && !bitset_test(&required, current.v[k])) {
				ret = not_ancestor(g, lower, upper);
				goto out;
			}
		}
	}
	if (current.n && current.v[0] == GRAPH_NONE) {
		/* lower is a relative target that walked off the history */
		char *label = NULL;
		size_t rev;
		ret = parse_downgrade_target(g, upper, lower.str, o->assert_relative_length, &label,
					     &rev);
		free(label);
		if (ret < 0)
			goto out;
		current.n = 0;
		if (rev == WALK_BASE || rev == GRAPH_NONE) {
			lower_is_none = true;
		} else {
			idxvec_push(&current, rev);
			strlist_push(&lower_override, g->nodes[rev].id);
		}
	}
	bs_init(g, &cur_set);
	if (current.n) {
		if ((ret = check_overlap(g, &current)) < 0)
			goto out;
		graph_ancestors(g, current.v, current.n, true, &cur_set);
	}
	bitset_copy(needs, &required);
	bitset_andnot(needs, &cur_set);
	if (o->inclusive && !lower_is_none) {
		struct idxvec low = IDXVEC_INIT;
		ret = lower_override.n ? graph_resolve(g, GIDENT_IDS(&lower_override), &low)
				       : graph_resolve(g, lower, &low);
		for (size_t k = 0; k < low.n; k++)
			if (low.v[k] < g->n)
				bitset_set(needs, low.v[k]);
		idxvec_release(&low);
		if (ret < 0)
			goto out;
	}
	if (current.n && !o->implicit_base) {
		struct bitset desc = BITSET_INIT;
		bs_init(g, &desc);
		graph_descendants(g, current.v, current.n, false, false, &desc);
		bitset_and(needs, &desc);
		bitset_release(&desc);
	}
out:
	strlist_release(&lower_override);
	idxvec_release(&parsed);
	idxvec_release(&current);
	bitset_release(&required);
	bitset_release(&cur_set);
	return ret;
}

/* _collect_downgrade_revisions */
static int collect_downgrade(const struct graph *g, struct gident upper, struct gident target,
			     const struct walk_opts *o, struct bitset *drop, struct idxvec *heads)
{
	char *label = NULL;
	size_t trev;
	struct idxvec roots = IDXVEC_INIT;
	struct bitset active = BITSET_INIT;
	int ret = parse_downgrade_target(g, upper, target.str, o->assert_relative_length, &label,
					 &trev);
	if (ret < 0)
		goto out;
	if (trev == WALK_BASE)
		trev = GRAPH_NONE;
	if (trev == GRAPH_NONE) {
		for (size_t i = 0; i < g->n; i++)
			if (g->nodes[i].is_base)
				idxvec_push(&roots, i);
	} else if (o->inclusive) {
		idxvec_push(&roots, trev);
	} else {
		idxvec_copy(&roots, &g->nodes[trev].next);
	}
	if (label && roots.n > 1) {
		size_t br;
		if ((ret = resolve_branch(g, label, &br)) < 0)
			goto out;
		struct bitset anc = BITSET_INIT;
		bs_init(g, &anc);
		graph_ancestors(g, &br, 1, false, &anc);
		struct idxvec keep = IDXVEC_INIT;
		for (size_t k = 0; k < roots.n; k++)
			if (bitset_test(&anc, roots.v[k]))
				idxvec_push(&keep, roots.v[k]);
		bitset_release(&anc);
		idxvec_release(&roots);
		roots = keep;
		if (!roots.n) {
			ret = err_set(ERR_USAGE, "not a valid downgrade target from the current "
						 "heads");
			goto out;
		}
	}
	if ((ret = graph_resolve(g, upper, heads)) < 0)
		goto out;
	struct idxvec valid_heads = IDXVEC_INIT;
	for (size_t k = 0; k < heads->n; k++)
		if (heads->v[k] < g->n)
			idxvec_push(&valid_heads, heads->v[k]);
	graph_descendants(g, roots.v, roots.n, true, false, drop);
	bs_init(g, &active);
	graph_ancestors(g, valid_heads.v, valid_heads.n, true, &active);
	bitset_and(drop, &active);
	if (o->implicit_base) {
		struct bitset ranc = BITSET_INIT, extra = BITSET_INIT;
		bs_init(g, &ranc);
		bs_init(g, &extra);
		graph_ancestors(g, roots.v, roots.n, true, &ranc);
		bitset_copy(&extra, &active);
		bitset_andnot(&extra, &ranc);
		bitset_or(drop, &extra);
		bitset_release(&ranc);
		bitset_release(&extra);
	}
	if (trev != GRAPH_NONE && !bitset_count(drop) && !idxvec_has(&valid_heads, trev))
		ret = err_set(ERR_USAGE, "nothing to drop: '%s' is not below the current "
					 "revisions",
			      target.str ? target.str : g->nodes[trev].id);
	idxvec_release(&valid_heads);
out:
	free(label);
	idxvec_release(&roots);
	bitset_release(&active);
	return ret;
}

int graph_iterate(const struct graph *g, struct gident upper, struct gident lower,
		  const struct walk_opts *opts, struct idxvec *out)
{
	if (g->has_cycle)
		return err_set(ERR_GRAPH, "the revision graph has a cycle; run 'revgate lint'");
	struct bitset set = BITSET_INIT;
	struct idxvec heads = IDXVEC_INIT;
	bs_init(g, &set);
	int ret = opts->select_for_downgrade ? collect_downgrade(g, upper, lower, opts, &set, &heads)
					     : collect_upgrade(g, upper, lower, opts, &set, &heads);
	if (ret == 0) {
		struct idxvec valid = IDXVEC_INIT;
		for (size_t k = 0; k < heads.n; k++)
			if (heads.v[k] < g->n)
				idxvec_push(&valid, heads.v[k]);
		graph_topo_sort(g, &set, &valid, out);
		idxvec_release(&valid);
	}
	idxvec_release(&heads);
	bitset_release(&set);
	return ret;
}

int graph_upgrade_steps(const struct graph *g, const struct strlist *current, const char *target,
			struct idxvec *out)
{
	struct walk_opts o = {.implicit_base = true, .assert_relative_length = true};
	struct idxvec revs = IDXVEC_INIT;
	int ret = graph_iterate(g, GIDENT_STR(target), GIDENT_IDS(current), &o, &revs);
	for (size_t k = revs.n; ret == 0 && k > 0; k--)
		idxvec_push(out, revs.v[k - 1]);
	idxvec_release(&revs);
	return ret;
}

int graph_downgrade_steps(const struct graph *g, const struct strlist *current, const char *target,
			  struct idxvec *out)
{
	struct walk_opts o = {.select_for_downgrade = true, .assert_relative_length = true};
	return graph_iterate(g, GIDENT_IDS(current), GIDENT_STR(target), &o, out);
}

int graph_resolve_target(const struct graph *g, const char *target, bool downgrade,
			 struct idxvec *out)
{
	if (g->has_cycle)
		return err_set(ERR_GRAPH, "the revision graph has a cycle; run 'revgate lint'");
	int ret;
	if (downgrade) {
		char *label = NULL;
		size_t rev;
		ret = parse_downgrade_target(g, GIDENT_IDS(NULL), target, true, &label, &rev);
		free(label);
		if (ret == 0 && rev < g->n)
			idxvec_push(out, rev);
		return ret;
	}
	struct idxvec all = IDXVEC_INIT;
	ret = parse_upgrade_target(g, GIDENT_IDS(NULL), GIDENT_STR(target), true, &all);
	for (size_t k = 0; ret == 0 && k < all.n; k++)
		if (all.v[k] < g->n)
			idxvec_push(out, all.v[k]);
	idxvec_release(&all);
	return ret;
}

bool graph_target_is_relative_down(const char *target)
{
	struct relative m;
	if (!parse_relative(target, &m))
		return false;
	bool down = m.rel < 0;
	relative_release(&m);
	return down;
}
