/* Re-parenting this branch's revisions onto the base's head (see rebase.h). */
#include "guard/rebase.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "git/gitrepo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rebase_plan_release(struct rebase_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].old_parents);
		free(p->v[i].new_parent);
		free(p->v[i].new_name);
	}
	free(p->v);
	free(p->onto);
	memset(p, 0, sizeof(*p));
}

/* YYYYMMDD_HHMM_ at the start of a name: the part a rebase re-stamps. */
static bool has_stamp(const char *name)
{
	for (int i = 0; i < 14; i++) {
		bool sep = i == 8 || i == 13;
		if (sep ? name[i] != '_' : !isdigit((unsigned char)name[i]))
			return false;
	}
	return true;
}

static char *restamp(const char *name, time_t when)
{
	if (strlen(name) < 14 || !has_stamp(name))
		return NULL;
	struct tm tm;
	gmtime_r(&when, &tm);
	return xstrfmt("%04d%02d%02d_%02d%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		       tm.tm_hour, tm.tm_min, name + 13);
}

int rebase_plan_make(struct rebase_plan *p, enum layout_kind kind, const struct graph *ours,
		     const struct revset *base, time_t now)
{
	p->kind = kind;
	if (layout_is_linear(kind))
		return err_set(ERR_CONFIG,
			       "%s's order is its versions: rebase this branch by renaming its "
			       "migrations to versions after the base's newest",
			       layout_name(kind));
	struct revision **usable = xcalloc(base->n ? base->n : 1, sizeof(*usable));
	struct findings ignored = FINDINGS_INIT;
	struct graph gb = GRAPH_INIT;
	struct idxvec order = IDXVEC_INIT;
	int ret = 0;
	size_t nu = 0;
	for (size_t i = 0; i < base->n; i++)
		if (base->v[i]->usable)
			usable[nu++] = base->v[i];
	graph_build(&gb, usable, nu, &ignored);
	if (!gb.n) {
		ret = err_set(ERR_GRAPH, "the base has no revisions to rebase onto");
		goto out;
	}
	if (gb.heads.n != 1) {
		ret = err_set(ERR_GRAPH, "the base has %zu heads: join them there first ('revgate "
					 "merge' on the base branch)",
			      gb.heads.n);
		goto out;
	}
	const char *head = gb.nodes[gb.heads.v[0]].id;
	p->onto = xstrdup(head);
	size_t idx;
	p->onto_present = graph_find(ours, head, &idx);

	/* this branch's revisions, oldest first */
	graph_history(ours, &order);
	const char *prev = head;
	size_t k = 0;
	for (size_t o = order.n; o-- > 0;) {
		const struct graph_node *n = &ours->nodes[order.v[o]];
		if (graph_find(&gb, n->id, &idx))
			continue; /* on the base: applied, never touched */
		p->unapplied++;
		const struct revision *r = n->rev;
		bool linked = r->down_revisions.n == 1 && !strcmp(r->down_revisions.v[0], prev);
		if (!linked) {
			if (!r->down_line) {
				ret = err_set(ERR_GRAPH, "'%s' has no down_revision line to rewrite",
					      r->path);
				goto out;
			}
			ALLOC_GROW(p->v, p->n + 1, p->alloc);
			struct rebase_step *s = &p->v[p->n++];
			memset(s, 0, sizeof(*s));
			s->rev = r;
			s->old_parents = r->down_revisions.n ? strlist_join(&r->down_revisions, ", ")
							     : xstrdup("none");
			s->new_parent = xstrdup(prev);
			/* Alembic's names carry no order: only revgate's are restamped */
			s->new_name = kind == LAYOUT_REVGATE
					      ? restamp(r->file_name, now + 60 * (time_t)k++)
					      : NULL;
			if (s->new_name && !strcmp(s->new_name, r->file_name)) {
				free(s->new_name);
				s->new_name = NULL;
			}
		}
		prev = n->id;
	}
out:
	idxvec_release(&order);
	graph_release(&gb);
	findings_release(&ignored);
	free(usable);
	return ret;
}

/* The file's text with its down_revision line replaced. */
static char *rewrite(const struct revision *r, const char *parent)
{
	struct line_index li = LINE_INDEX_INIT;
	size_t start, end;
	line_index_build(&li, r->text, r->len);
	line_index_line(&li, r->down_line, &start, &end);
	line_index_release(&li);
	/* keep a CRLF file's line ending: the line range excludes the break */
	size_t cut = end;
	if (cut > start && r->text[cut - 1] == '\r')
		cut--;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, r->text, start);
	strbuf_addf(&sb, "-- down_revision: %s", parent);
	strbuf_add(&sb, r->text + cut, r->len - cut);
	return strbuf_detach(&sb, NULL);
}

/*
 * git's index lock means another git command is at work on this work tree
 * (a commit, a checkout, a rebase of git's own), or one died before it
 * finished: files rewritten under it could be lost or half staged, and
 * the 'git add' that follows a rebase would fail anyway. So nothing is
 * written while it is there.
 */
static int check_unlocked(const char *dir)
{
	struct gitrepo *r = NULL;
	char *lock = NULL;
	int ret = gitrepo_open(&r, dir);
	if (ret == 0 && r)
		ret = gitrepo_index_lock(r, &lock);
	gitrepo_free(r);
	if (ret < 0 || !lock)
		return ret;
	ret = err_set(ERR_CONFIG, "'%s' exists: another git command is running in this "
				  "repository, or one stopped before it finished; nothing was "
				  "changed: when no git command is running, remove '%s' and run "
				  "'revgate rebase' again",
		      lock, lock);
	free(lock);
	return ret;
}

int rebase_plan_apply(const struct rebase_plan *p, const char *dir)
{
	int ret = check_unlocked(dir);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < p->n; i++) {
		const struct rebase_step *s = &p->v[i];
		char *text = p->kind == LAYOUT_ALEMBIC
				     ? layout_alembic_set_parent(s->rev->text, s->rev->len, s->new_parent)
				     : rewrite(s->rev, s->new_parent);
		if (!text)
			return err_set(ERR_IO, "'%s' has no down_revision assignment to rewrite",
				       s->rev->path);
		char *target = s->new_name ? path_join(dir, s->new_name) : xstrdup(s->rev->path);
		ret = file_write_atomic(target, text, strlen(text), s->new_name != NULL);
		if (ret == 0 && s->new_name && unlink(s->rev->path) < 0)
			ret = err_set(ERR_IO, "cannot remove '%s': %s", s->rev->path, strerror(errno));
		free(text);
		free(target);
		if (ret < 0)
			return ret;
	}
	return 0;
}
