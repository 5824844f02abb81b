/*
 * Applied revisions against ours (see context.h): a revision file present
 * at the base tip has run somewhere. Only what this branch changed is
 * judged; each section is compared statement by statement on libpg_query's
 * token stream, so comments, whitespace and keyword case are cosmetic.
 */
#include "guard/context.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

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

static char *ids_or_none(const struct strlist *l)
{
	return l->n ? strlist_join(l, ", ") : xstrdup("none");
}

/*
 * An Alembic revision: its upgrade() and downgrade() are Python, judged on
 * Python's tokens; comments, the docstring and spacing are cosmetic.
 */
static enum change compare_python(struct guard_ctx *c, const struct revision *old,
				  const struct revision *new, const char *old_path,
				  struct findings *out)
{
	size_t lo, ln, at;
	const char *so = revision_source(old, &lo), *sn = revision_source(new, &ln);
	if (lo == ln && !memcmp(so, sn, lo))
		return SAME;
	if (!layout_source_differs(old, new, &at))
		return COSMETIC;
	struct finding *f = findings_add_at(out, RULE_APPLIED_EDITED, SEV_ERROR, new->path, sn, ln,
					    at, "applied revision '%s' changed in meaning since %s",
					    new->id, c->base_name);
	set_edit_hint(f, c, old_path);
	return CHANGED;
}

static void check_applied_one(struct guard_ctx *c, const struct revision *old,
			      const struct revision *new, struct findings *out)
{
	const char *old_name = revision_rel_name(old), *new_name = revision_rel_name(new);
	char *old_path = guard_base_path(c, old_name);
	if (strcmp(old_name, new_name)) {
		struct finding *f = findings_add(out, RULE_APPLIED_RENAMED, SEV_INFO, new->path,
						 new->id_line, new->id_line ? 1 : 0,
						 "applied revision '%s' was renamed from '%s' on %s; "
						 "its id is kept, so databases still know it",
						 new->id, old_name, c->base_name);
		finding_set_hint(f, "nothing to do unless the rename was unintended");
	}
	if (!strlist_same_set(&old->down_revisions, &new->down_revisions) ||
	    !strlist_same_set(&old->depends_on, &new->depends_on)) {
		char *was = ids_or_none(&old->down_revisions), *now = ids_or_none(&new->down_revisions);
		char *dwas = ids_or_none(&old->depends_on), *dnow = ids_or_none(&new->depends_on);
		bool parents = !strlist_same_set(&old->down_revisions, &new->down_revisions);
		unsigned line = parents ? new->down_line : new->depends_line;
		enum layout_kind kind = c->req->layout->kind;
		if (parents && layout_is_linear(kind)) {
			/* the tool's order gives the parents: a migration was added
			 * before this applied one, or one before it was removed */
			struct finding *f = findings_add(
				out, RULE_HISTORY_REWRITTEN, SEV_ERROR, new->path, 0, 0,
				"applied migration '%s' now follows '%s' instead of '%s' (on %s): a "
				"migration was added before an applied one; databases that ran '%s' "
				"will never run '%s' in order (%s skips or refuses it)",
				new->tool_version ? new->tool_version : new->id, now, was, c->base_name,
				new->id, now, layout_name(kind));
			finding_set_hint(f, "give the new migration a version after the newest "
					    "applied one (rename its file)");
			free(was);
			free(now);
			free(dwas);
			free(dnow);
			goto edits;
		}
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
edits:;
	size_t before = out->n;
	enum change up, down;
	if (c->req->layout->kind == LAYOUT_ALEMBIC) {
		/* judged on the .py file itself: positions are the file's */
		up = down = compare_python(c, old, new, old_path, out);
	} else {
		up = compare_section(c, old, new, true, old_path, out);
		down = compare_section(c, old, new, false, old_path, out);
		revision_remap_findings(new, out, before);
	}
	size_t lo, ln;
	const char *so = revision_source(old, &lo), *sn = revision_source(new, &ln);
	bool bytes_differ = lo != ln || memcmp(so, sn, lo);
	if (up != CHANGED && down != CHANGED && bytes_differ &&
	    strlist_same_set(&old->down_revisions, &new->down_revisions)) {
		size_t i = 0;
		while (i < lo && i < ln && so[i] == sn[i])
			i++;
		struct finding *f = findings_add_at(
			out, RULE_APPLIED_COSMETIC, SEV_WARNING, new->path, sn, ln, i,
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

int guard_check_applied(struct guard_ctx *c, struct findings *out)
{
	struct strmap ours_by_id = STRMAP_INIT;
	int ret = 0;
	for (size_t i = 0; i < c->ours.n; i++) {
		struct revision *r;
		if ((ret = guard_file_rev(c, &c->ours.v[i], &r)) < 0)
			goto out;
		if (r->id)
			strmap_put(&ours_by_id, r->id, i);
	}
	for (size_t i = 0; i < c->base.n; i++) {
		struct gfile *b = &c->base.v[i];
		struct gfile *o = guard_side_find(&c->ours, b->name);
		if (o && gfile_same(o, b))
			continue; /* unchanged: the common case costs no read */
		/* what this branch did not touch is the base's to change: a file
		 * the base added or edited since the split merges cleanly */
		struct gfile *x = c->mb_listed ? guard_side_find(&c->mb, b->name) : b;
		if ((!o && !x) || (o && x && gfile_same(o, x)))
			continue;
		struct revision *old;
		if ((ret = guard_file_rev(c, b, &old)) < 0)
			goto out;
		if (!old->id || !old->usable || !guard_applied(c, old->id))
			continue; /* broken on the base, or not deployed: nothing to protect */
		size_t k;
		if (!strmap_get(&ours_by_id, old->id, &k)) {
			char *path = guard_display_path(c, b->name);
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
