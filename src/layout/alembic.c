/*
 * Alembic revision files (the .py files of its versions directory), read statically: the module-level
 * assignments of revision, down_revision, branch_labels and depends_on in
 * any of the forms real projects write (type annotations, either quote, a
 * tuple or list, a one-element tuple, None), the docstring's first
 * paragraph as the message and its "Create Date:" line. A value that is
 * not a literal (a name, a call, an f-string) is a finding on its line,
 * never a guess. Every .py file but __init__.py is a revision, as for
 * Alembic itself, which refuses to load a file without one.
 */
#include "layout/alembic.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/internal.h"
#include "layout/pytok.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/*
 * Alembic's walk of a directory (os.walk, top down): a directory's files,
 * sorted, before its subdirectories, sorted. Names are compared part by
 * part; at the first difference a file (the last part) comes first.
 */
static int walk_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
		bool fa = !a[na], fb = !b[nb];
		if (fa != fb)
			return fa ? -1 : 1;
		size_t n = na < nb ? na : nb;
		int c = strncmp(a, b, n);
		if (c || na != nb)
			return c ? c : (na < nb ? -1 : 1);
		if (fa)
			return 0;
		a += na + 1;
		b += nb + 1;
	}
}

static int unit_walk_cmp(const void *x, const void *y)
{
	return walk_cmp(((const struct layout_unit *)x)->name, ((const struct layout_unit *)y)->name);
}

static bool is_revision_file(const char *name)
{
	const char *base = path_basename(name);
	/* Alembic's own rule: every .py file but __init__ and editor lock
	 * files (.#x.py) */
	return has_suffix(base, ".py") && strncmp(base, "__init__", 8) && base[0] != '.';
}

/* The files of one version location (`dir`, "" for the top) in walk order. */
static void list_location(const struct layout_tree *t, const char *dir, struct layout_units *out)
{
	size_t first = out->n, n = strlen(dir);
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i];
		if (n && (strncmp(name, dir, n) || name[n] != '/'))
			continue;
		const char *rest = n ? name + n + 1 : name;
		if (!t->settings->recursive && strchr(rest, '/'))
			continue; /* another location's, below this one */
		if (!is_revision_file(name))
			continue;
		bool dup = false;
		for (size_t k = 0; k < first && !dup; k++)
			dup = !strcmp(out->v[k].name, name);
		if (!dup)
			layout_unit_push(out, name);
	}
	if (out->n - first > 1)
		qsort(out->v + first, out->n - first, sizeof(*out->v), unit_walk_cmp);
}

/* Every revision file, location by location in alembic.ini's order, as
 * Alembic reads them: that order breaks ties in its history. */
static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	(void)fs;
	const struct strlist *subdirs = &t->settings->subdirs;
	if (!subdirs->n)
		list_location(t, "", out);
	for (size_t i = 0; i < subdirs->n; i++)
		list_location(t, subdirs->v[i], out);
	return 0;
}

/* What a value of the file reads as. */
enum pyvalue { PV_NONE, PV_LIST, PV_UNREADABLE };

/*
 * Reads tokens [i, end) as a literal: None, a string (adjacent strings
 * join), or a tuple, list or set of strings (with or without brackets).
 */
static enum pyvalue read_value(const char *text, const struct pytoks *toks, size_t i, size_t end,
			       struct strlist *out)
{
	/* a comment at the end of the line is no part of the value */
	while (end > i && toks->v[end - 1].kind == PY_COMMENT)
		end--;
	if (i >= end)
		return PV_UNREADABLE;
	if (i + 1 == end && pytok_is(text, &toks->v[i], "None"))
		return PV_NONE;
	char open = 0;
	if (toks->v[i].kind == PY_OP && strchr("([{", text[toks->v[i].start])) {
		open = text[toks->v[i].start];
		static const char pairs[] = "()[]{}";
		char close = strchr(pairs, open)[1];
		if (!(toks->v[end - 1].kind == PY_OP && text[toks->v[end - 1].start] == close))
			return PV_UNREADABLE;
		i++;
		end--;
	}
	struct strbuf cur = STRBUF_INIT;
	bool have = false, comma = false;
	enum pyvalue ret = PV_LIST;
	for (size_t k = i; k < end; k++) {
		const struct pytok *t = &toks->v[k];
		if (t->kind == PY_COMMENT)
			continue;
		if (t->kind == PY_STRING) {
			if (!pytok_string_value(text, t, &cur)) {
				ret = PV_UNREADABLE;
				break;
			}
			have = true;
			continue;
		}
		if (pytok_is(text, t, ",") && have) {
			strlist_push(out, cur.buf);
			strbuf_reset(&cur);
			have = false;
			comma = true;
			continue;
		}
		ret = PV_UNREADABLE;
		break;
	}
	if (ret == PV_LIST && have)
		strlist_push(out, cur.buf);
	/* "(x)" is x itself in Python; "()" an empty tuple */
	(void)comma;
	strbuf_release(&cur);
	return ret;
}

struct assignment {
	const char *key;
	unsigned line; /* 0: not assigned */
	enum pyvalue value;
	struct strlist items;
};

enum { A_REVISION, A_DOWN, A_LABELS, A_DEPENDS, A_COUNT };

/* An id or a parent that cannot be read leaves the revision out of the
 * graph: an error. Labels and dependencies leave it in, without them. */
static void report_unreadable(struct findings *fs, const char *path, const char *key,
			      unsigned line, unsigned col)
{
	bool placed = !strcmp(key, "branch_labels") || !strcmp(key, "depends_on");
	struct finding *f = findings_add(fs, RULE_UNREADABLE_REVISION,
					 placed ? SEV_WARNING : SEV_ERROR, path, line, col,
					 "'%s' is not a literal revgate can read without running "
					 "Python%s",
					 key, placed ? ": the revision is read without it" : "");
	finding_set_hint(f, "write it as a string, None, or a tuple of strings, as Alembic's "
			    "template does");
}

/* The module docstring's first paragraph and its "Create Date:" value. */
static void read_docstring(const char *text, const struct pytoks *toks, struct revision *rev)
{
	size_t i = 0;
	while (i < toks->n && toks->v[i].kind == PY_COMMENT)
		i++;
	if (i + 1 >= toks->n || toks->v[i].kind != PY_STRING || toks->v[i + 1].kind != PY_NEWLINE)
		return;
	struct strbuf doc = STRBUF_INIT;
	if (!pytok_string_value(text, &toks->v[i], &doc)) {
		strbuf_release(&doc);
		return;
	}
	/* the message: the first paragraph, lines joined (as Alembic's doc) */
	const char *s = doc.buf;
	while (*s && isspace((unsigned char)*s))
		s++;
	const char *para = strstr(s, "\n\n");
	size_t n = para ? (size_t)(para - s) : strlen(s);
	char *msg = xstrndup(s, n);
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	for (size_t k = strlen(msg); k > 0 && msg[k - 1] == ' '; k--)
		msg[k - 1] = '\0';
	if (*msg) {
		free(rev->message);
		rev->message = msg;
	} else {
		free(msg);
	}
	const char *cd = strstr(doc.buf, "Create Date:");
	if (cd) {
		cd += 12;
		while (*cd == ' ' || *cd == '\t')
			cd++;
		size_t k = strcspn(cd, "\r\n");
		while (k && isspace((unsigned char)cd[k - 1]))
			k--;
		char *created = xstrndup(cd, k);
		/* "2024-01-31 12:00:00.123456" as ISO 8601 */
		if (strlen(created) > 10 && created[10] == ' ')
			created[10] = 'T';
		free(rev->created);
		rev->created = created;
	}
	strbuf_release(&doc);
}

/* Alembic refuses these in ids; revgate's targets use them as operators too. */
static bool alembic_id_ok(const char *id)
{
	if (!*id)
		return false;
	for (const char *c = id; *c; c++)
		if (*c == '@' || *c == '-' || *c == '+' || *c == ',' || *c == ':' ||
		    isspace((unsigned char)*c))
			return false;
	return true;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	int ret = layout_read_unit(t, u, rev, fs);
	if (ret <= 0)
		return ret;
	struct pytoks toks = PYTOKS_INIT;
	pytok_scan(rev->text, rev->len, &toks);
	struct assignment as[A_COUNT] = {
		{"revision", 0, PV_NONE, STRLIST_INIT},
		{"down_revision", 0, PV_NONE, STRLIST_INIT},
		{"branch_labels", 0, PV_NONE, STRLIST_INIT},
		{"depends_on", 0, PV_NONE, STRLIST_INIT},
	};
	read_docstring(rev->text, &toks, rev);
	for (size_t i = 0; i < toks.n; i++) {
		const struct pytok *tk = &toks.v[i];
		if (!tk->line_start || tk->indent || tk->kind != PY_NAME)
			continue;
		int which = -1;
		for (int k = 0; k < A_COUNT; k++)
			if (pytok_is(rev->text, tk, as[k].key))
				which = k;
		if (which < 0)
			continue;
		/* NAME [: annotation] = value NEWLINE */
		size_t j = i + 1, stop = i + 1;
		while (stop < toks.n && toks.v[stop].kind != PY_NEWLINE)
			stop++;
		if (j < stop && pytok_is(rev->text, &toks.v[j], ":"))
			while (j < stop && !pytok_is(rev->text, &toks.v[j], "="))
				j++;
		if (j >= stop || !pytok_is(rev->text, &toks.v[j], "="))
			continue; /* a use of the name, not an assignment */
		struct assignment *a = &as[which];
		if (a->line) {
			struct finding *f = findings_add(
				fs, RULE_DUPLICATE_HEADER_KEY, SEV_WARNING, rev->path, tk->line, tk->col,
				"'%s' is assigned again (first on line %u): Python keeps this one",
				a->key, a->line);
			finding_set_hint(f, "assign each of revision, down_revision, branch_labels "
					    "and depends_on once");
		}
		strlist_release(&a->items);
		a->line = tk->line;
		a->value = read_value(rev->text, &toks, j + 1, stop, &a->items);
		if (a->value == PV_UNREADABLE)
			report_unreadable(fs, rev->path, a->key, tk->line, tk->col);
		i = stop;
	}
	if (toks.error_line) {
		struct finding *f = findings_add(fs, RULE_UNREADABLE_REVISION, SEV_ERROR, rev->path,
						 toks.error_line, 1,
						 "a string that never ends: Python cannot load this file");
		finding_set_hint(f, "close the string");
	}
	bool ok = true;
	const struct assignment *r = &as[A_REVISION], *d = &as[A_DOWN];
	if (!r->line) {
		struct finding *f = findings_add(fs, RULE_MISSING_HEADER_KEY, SEV_ERROR, rev->path, 1,
						 1, "no 'revision = ...' assignment: Alembic cannot "
						    "load this file as a revision");
		finding_set_hint(f, "every .py file of the versions directory but __init__.py is "
				    "a revision to Alembic; move other modules elsewhere");
		ok = false;
	} else if (r->value == PV_LIST && r->items.n == 1 && alembic_id_ok(r->items.v[0])) {
		rev->id = xstrdup(r->items.v[0]);
		rev->id_line = r->line;
	} else if (r->value != PV_UNREADABLE) {
		struct finding *f = findings_add(
			fs, RULE_INVALID_HEADER_VALUE, SEV_ERROR, rev->path, r->line, 1,
			"'revision' must be one id without '@', '-', '+', ',' ':' or spaces");
		finding_set_hint(f, "Alembic refuses such ids too");
		ok = false;
	} else {
		ok = false;
	}
	if (!d->line && r->line) {
		struct finding *f = findings_add(fs, RULE_MISSING_HEADER_KEY, SEV_ERROR, rev->path, 1,
						 1, "no 'down_revision = ...' assignment");
		finding_set_hint(f, "add 'down_revision = None' for a root, or the parent's id");
		ok = false;
	} else if (!d->line || d->value == PV_UNREADABLE) {
		ok = false;
	} else {
		rev->down_line = d->line;
		for (size_t k = 0; k < d->items.n; k++) {
			if (!alembic_id_ok(d->items.v[k])) {
				findings_add(fs, RULE_INVALID_HEADER_VALUE, SEV_ERROR, rev->path, d->line,
					     1, "'%s' in down_revision is not a revision id",
					     d->items.v[k]);
				ok = false;
				continue;
			}
			strlist_push(&rev->down_revisions, d->items.v[k]);
		}
	}
	const struct assignment *lb = &as[A_LABELS], *dp = &as[A_DEPENDS];
	rev->labels_line = lb->line;
	for (size_t k = 0; k < lb->items.n; k++) {
		if (revision_label_valid(lb->items.v[k]))
			strlist_push(&rev->branch_labels, lb->items.v[k]);
		else
			findings_add(fs, RULE_INVALID_HEADER_VALUE, SEV_ERROR, rev->path, lb->line, 1,
				     "'%s' is not a usable branch label", lb->items.v[k]);
	}
	rev->depends_line = dp->line;
	for (size_t k = 0; k < dp->items.n; k++)
		strlist_push(&rev->depends_on, dp->items.v[k]);
	/* a computed branch_labels or depends_on is reported on its line, and
	 * the revision keeps its place: its id and parents were read */
	rev->usable = ok && r->value != PV_UNREADABLE;
	for (int k = 0; k < A_COUNT; k++)
		strlist_release(&as[k].items);
	pytoks_release(&toks);
	return 0;
}

bool layout_source_differs(const struct revision *a, const struct revision *b, size_t *at_b)
{
	size_t la, lb;
	const char *sa = revision_source(a, &la), *sb = revision_source(b, &lb);
	return pytok_differ(sa, la, sb, lb, at_b);
}

/* ---- op calls, for placing generated statements ---- */

/* The operations of alembic.op, as a revision may import them by name. */
static bool is_op_name(const char *text, const struct pytok *t)
{
	static const char *const names[] = {
		"add_column", "alter_column", "batch_alter_table", "bulk_insert",
		"create_check_constraint", "create_exclude_constraint", "create_foreign_key",
		"create_index", "create_primary_key", "create_table", "create_table_comment",
		"create_unique_constraint", "drop_column", "drop_constraint", "drop_index",
		"drop_table", "drop_table_comment", "execute", "rename_table",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (pytok_is(text, t, names[i]))
			return true;
	return false;
}

/* The index one past the matching close bracket of the open at `i`. */
static size_t skip_brackets(const char *text, const struct pytoks *toks, size_t i)
{
	unsigned depth = 0;
	for (; i < toks->n; i++) {
		const struct pytok *t = &toks->v[i];
		if (t->kind != PY_OP)
			continue;
		char c = text[t->start];
		if (strchr("([{", c))
			depth++;
		else if (strchr(")]}", c) && --depth == 0)
			return i + 1;
	}
	return toks->n;
}

void alembic_calls_read(const char *text, size_t len, const char *fn, struct alembic_calls *out)
{
	struct pytoks toks = PYTOKS_INIT;
	pytok_scan(text, len, &toks);
	size_t i = 0, end = toks.n;
	for (; i + 1 < toks.n; i++) {
		if (toks.v[i].line_start && toks.v[i].indent == 0 && pytok_is(text, &toks.v[i], "def") &&
		    pytok_is(text, &toks.v[i + 1], fn)) {
			out->def_line = toks.v[i].line;
			break;
		}
	}
	if (!out->def_line) {
		pytoks_release(&toks);
		return;
	}
	/* the body: up to the next statement at the module's level */
	for (size_t k = i + 2; k < toks.n; k++) {
		if (toks.v[k].line_start && toks.v[k].indent == 0) {
			end = k;
			break;
		}
	}
	char *batch = NULL;
	unsigned batch_indent = 0;
	size_t stmt = i; /* the first token of the current logical line */
	for (size_t k = i; k + 1 < end; k++) {
		const struct pytok *t = &toks.v[k];
		if (t->line_start)
			stmt = k;
		if (batch && t->line_start && t->indent <= batch_indent) {
			free(batch);
			batch = NULL;
		}
		/* NAME ( : an op call as op.X / batch_op.X, a bare X imported from
		 * alembic.op, or SQL sent through any .execute( (a connection's) */
		if (t->kind != PY_NAME || !pytok_is(text, &toks.v[k + 1], "("))
			continue;
		bool dotted = k > i && pytok_is(text, &toks.v[k - 1], ".");
		const struct pytok *recv = dotted && k >= 2 ? &toks.v[k - 2] : NULL;
		bool op_recv = recv && (pytok_is(text, recv, "op") || pytok_is(text, recv, "batch_op")) &&
			       !(k >= 3 && pytok_is(text, &toks.v[k - 3], "."));
		bool execute = pytok_is(text, t, "execute");
		if (!(op_recv || (dotted && execute) || (!dotted && is_op_name(text, t))))
			continue;
		/* the place to point at: `op` of op.X, the statement otherwise */
		const struct pytok *at = op_recv ? recv : &toks.v[stmt];
		size_t close = skip_brackets(text, &toks, k + 1);
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		struct alembic_call *c = &out->v[out->n++];
		memset(c, 0, sizeof(*c));
		c->name = xstrndup(text + t->start, t->end - t->start);
		c->line = at->line;
		c->col = at->col;
		for (size_t a = k + 2; a < close; a++) {
			struct strbuf v = STRBUF_INIT;
			if (toks.v[a].kind == PY_STRING && pytok_string_value(text, &toks.v[a], &v))
				strlist_push(&c->args, v.buf);
			strbuf_release(&v);
		}
		if (!strcmp(c->name, "batch_alter_table")) {
			/* `with op.batch_alter_table("t") as batch_op:` */
			free(batch);
			batch = c->args.n ? xstrdup(c->args.v[0]) : NULL;
			batch_indent = t->indent;
		} else if (batch && recv && pytok_is(text, recv, "batch_op")) {
			c->batch_table = xstrdup(batch);
		}
		k = close - 1;
	}
	free(batch);
	pytoks_release(&toks);
}

void alembic_calls_release(struct alembic_calls *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		strlist_release(&c->v[i].args);
		free(c->v[i].batch_table);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const struct layout_ops layout_alembic = {
	.kind = LAYOUT_ALEMBIC,
	.name = "alembic",
	.downgrade_how = "in the revision's def downgrade()",
	.linear = false,
	.depth = 0,
	.list = list,
	.parse = parse,
};
