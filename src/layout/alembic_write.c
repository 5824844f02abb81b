/*
 * Writing Alembic revision files: a merge revision rendered from the
 * project's script.py.mako (the expressions Alembic's templates use) or,
 * when that template asks for more than those, from Alembic's default
 * template; named by alembic.ini's file_template; and a rebase that
 * rewrites a file's down_revision assignment and its "Revises:" line.
 */
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/internal.h"
#include "layout/pytok.h"
#include "revision/newrev.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* Alembic's generic template (script.py.mako of `alembic init`). */
static const char default_template[] =
	"\"\"\"${message}\n"
	"\n"
	"Revision ID: ${up_revision}\n"
	"Revises: ${down_revision | comma,n}\n"
	"Create Date: ${create_date}\n"
	"\n"
	"\"\"\"\n"
	"from alembic import op\n"
	"import sqlalchemy as sa\n"
	"${imports if imports else \"\"}\n"
	"\n"
	"# revision identifiers, used by Alembic.\n"
	"revision = ${repr(up_revision)}\n"
	"down_revision = ${repr(down_revision)}\n"
	"branch_labels = ${repr(branch_labels)}\n"
	"depends_on = ${repr(depends_on)}\n"
	"\n"
	"\n"
	"def upgrade() -> None:\n"
	"    ${upgrades if upgrades else \"pass\"}\n"
	"\n"
	"\n"
	"def downgrade() -> None:\n"
	"    ${downgrades if downgrades else \"pass\"}\n";

/* Python's repr() of a string: single quotes unless the text holds one. */
static void py_repr(struct strbuf *sb, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	strbuf_addch(sb, q);
	for (const char *c = s; *c; c++) {
		if (*c == '\\' || *c == q)
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *c);
	}
	strbuf_addch(sb, q);
}

/* repr() of Alembic's value: None, one string, or a tuple of strings. */
static void repr_list(struct strbuf *sb, const struct strlist *l, bool tuple_for_one)
{
	if (!l || !l->n) {
		strbuf_addstr(sb, "None");
		return;
	}
	if (l->n == 1 && !tuple_for_one) {
		py_repr(sb, l->v[0]);
		return;
	}
	strbuf_addch(sb, '(');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_addstr(sb, ", ");
		py_repr(sb, l->v[i]);
	}
	if (l->n == 1)
		strbuf_addch(sb, ',');
	strbuf_addch(sb, ')');
}

struct render_ctx {
	const struct newrev *r;
	const char *id;
	char *create_date;
};

/* The value of one ${...} expression, or false when it is not one Alembic's
 * templates use (the caller then falls back to the default template). */
static bool expression(const struct render_ctx *x, const char *e, size_t n, struct strbuf *out)
{
	char *expr = xstrndup(e, n);
	/* spaces do not matter in these expressions */
	size_t w = 0;
	for (size_t i = 0; expr[i]; i++)
		if (!isspace((unsigned char)expr[i]))
			expr[w++] = expr[i];
	expr[w] = '\0';
	bool ok = true;
	const struct newrev *r = x->r;
	if (!strcmp(expr, "message"))
		strbuf_addstr(out, r->message ? r->message : "empty message");
	else if (!strcmp(expr, "up_revision"))
		strbuf_addstr(out, x->id);
	else if (!strcmp(expr, "repr(up_revision)"))
		py_repr(out, x->id);
	else if (!strcmp(expr, "down_revision|comma,n") || !strcmp(expr, "down_revision|comma")) {
		for (size_t i = 0; r->parents && i < r->parents->n; i++)
			strbuf_addf(out, "%s%s", i ? ", " : "", r->parents->v[i]);
	} else if (!strcmp(expr, "repr(down_revision)"))
		repr_list(out, r->parents, false);
	else if (!strcmp(expr, "repr(branch_labels)"))
		repr_list(out, r->branch_labels, true);
	else if (!strcmp(expr, "repr(depends_on)"))
		repr_list(out, r->depends_on, false);
	else if (!strcmp(expr, "create_date"))
		strbuf_addstr(out, x->create_date);
	else if (!strcmp(expr, "importsifimportselse\"\"") ||
		 !strcmp(expr, "importsifimportselse''"))
		;
	else if (!strcmp(expr, "upgradesifupgradeselse\"pass\"") ||
		 !strcmp(expr, "upgradesifupgradeselse'pass'") ||
		 !strcmp(expr, "downgradesifdowngradeselse\"pass\"") ||
		 !strcmp(expr, "downgradesifdowngradeselse'pass'"))
		strbuf_addstr(out, "pass");
	else
		ok = false;
	free(expr);
	return ok;
}

/* Renders a Mako template of the forms Alembic's own use; false when it
 * holds control lines or expressions beyond them. */
static bool render(const struct render_ctx *x, const char *tpl, struct strbuf *out)
{
	for (const char *l = tpl; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) + 1 : strlen(l);
		const char *p = l;
		while (p < l + n && (*p == ' ' || *p == '\t'))
			p++;
		if (p[0] == '#' && p[1] == '#') { /* a Mako comment line */
			l += n;
			continue;
		}
		if (p[0] == '%' || (p[0] == '<' && p[1] == '%'))
			return false; /* control lines and blocks: beyond this renderer */
		for (size_t i = 0; i < n; i++) {
			if (l[i] == '$' && i + 1 < n && l[i + 1] == '{') {
				const char *close = memchr(l + i, '}', n - i);
				if (!close || !expression(x, l + i + 2, (size_t)(close - l - i - 2), out))
					return false;
				i = (size_t)(close - l);
				continue;
			}
			/* a backslash ending a line joins it with the next, as in Mako */
			if (l[i] == '\\' && i + 1 < n && l[i + 1] == '\n') {
				i++;
				continue;
			}
			strbuf_addch(out, l[i]);
		}
		l += n;
	}
	return true;
}

/* Alembic's slug: the message's words, joined with '_', lower-cased,
 * cut at a word boundary near 40 characters. */
static char *slug_of(const char *message)
{
	struct strbuf sb = STRBUF_INIT;
	bool in_word = false;
	for (const char *c = message ? message : ""; *c; c++) {
		bool w = isalnum((unsigned char)*c) || *c == '_';
		if (w && !in_word && sb.len)
			strbuf_addch(&sb, '_');
		if (w)
			strbuf_addch(&sb, (char)tolower((unsigned char)*c));
		in_word = w;
	}
	if (sb.len > 40) {
		strbuf_setlen(&sb, 40);
		char *u = strrchr(sb.buf, '_');
		if (u)
			strbuf_setlen(&sb, (size_t)(u - sb.buf) + 1);
	}
	return strbuf_detach(&sb, NULL);
}

/* The file name from alembic.ini's file_template (%%(rev)s_%%(slug)s by default). */
static char *file_name(const struct layout_settings *s, const char *id, const char *message,
		       time_t when)
{
	const char *tpl = s->alembic_file_template ? s->alembic_file_template : "%(rev)s_%(slug)s";
	struct tm tm;
	localtime_r(&when, &tm);
	char *slug = slug_of(message);
	struct strbuf sb = STRBUF_INIT;
	for (const char *c = tpl; *c; c++) {
		if (c[0] == '%' && c[1] == '%') {
			c++; /* configparser's escape, as alembic.ini writes it */
			continue;
		}
		if (c[0] != '%' || c[1] != '(') {
			strbuf_addch(&sb, *c);
			continue;
		}
		const char *close = strchr(c, ')');
		if (!close)
			break;
		char *key = xstrndup(c + 2, (size_t)(close - c - 2));
		const char *f = close + 1;
		/* the conversion: s, d, or .2d */
		bool two = !strncmp(f, ".2d", 3);
		c = f + (two ? 3 : 1) - 1;
		long v = -1;
		if (!strcmp(key, "rev"))
			strbuf_addstr(&sb, id);
		else if (!strcmp(key, "slug"))
			strbuf_addstr(&sb, slug);
		else if (!strcmp(key, "epoch"))
			v = (long)when;
		else if (!strcmp(key, "year"))
			v = tm.tm_year + 1900;
		else if (!strcmp(key, "month"))
			v = tm.tm_mon + 1;
		else if (!strcmp(key, "day"))
			v = tm.tm_mday;
		else if (!strcmp(key, "hour"))
			v = tm.tm_hour;
		else if (!strcmp(key, "minute"))
			v = tm.tm_min;
		else if (!strcmp(key, "second"))
			v = tm.tm_sec;
		if (v >= 0)
			strbuf_addf(&sb, two ? "%02ld" : "%ld", v);
		free(key);
	}
	strbuf_addstr(&sb, ".py");
	free(slug);
	return strbuf_detach(&sb, NULL);
}

int layout_alembic_write(const struct layout_settings *s, const char *dir, const struct newrev *r,
			 time_t when, char **path_out)
{
	char idbuf[13];
	const char *id = r->id;
	int ret;
	if (!id) {
		if ((ret = newrev_random_id(idbuf)) < 0)
			return ret;
		id = idbuf;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	localtime_r(&when, &tm);
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	struct render_ctx x = {.r = r, .id = id,
			       .create_date = xstrfmt("%s.%06ld", date, (long)tv.tv_usec)};
	struct strbuf text = STRBUF_INIT, tpl = STRBUF_INIT;
	char *mako = s->alembic_script_dir ? path_join(s->alembic_script_dir, "script.py.mako")
					   : NULL;
	bool rendered = false;
	if (mako && file_read(mako, 0, &tpl) == 0)
		rendered = render(&x, tpl.buf, &text);
	err_clear();
	if (!rendered) {
		strbuf_reset(&text);
		render(&x, default_template, &text);
	}
	char *name = file_name(s, id, r->message, when);
	char *path = path_join(dir, name);
	ret = file_write_atomic(path, text.buf, text.len, true);
	if (ret == 0)
		*path_out = path;
	else
		free(path);
	free(name);
	free(mako);
	free(x.create_date);
	strbuf_release(&text);
	strbuf_release(&tpl);
	return ret;
}

char *layout_alembic_set_parent(const char *py, size_t len, const char *parent)
{
	struct pytoks toks = PYTOKS_INIT;
	pytok_scan(py, len, &toks);
	size_t from = len, to = len, value_at = len;
	for (size_t i = 0; i < toks.n; i++) {
		const struct pytok *t = &toks.v[i];
		if (!t->line_start || t->indent || !pytok_is(py, t, "down_revision"))
			continue;
		size_t j = i + 1;
		while (j < toks.n && toks.v[j].kind != PY_NEWLINE && !pytok_is(py, &toks.v[j], "="))
			j++;
		if (j >= toks.n || !pytok_is(py, &toks.v[j], "="))
			continue;
		from = t->start;
		value_at = toks.v[j].end;
		size_t k = j + 1;
		while (k < toks.n && toks.v[k].kind != PY_NEWLINE)
			k++;
		/* the value ends with its last token; a trailing comment stays */
		size_t last = k;
		while (last > j + 1 && toks.v[last - 1].kind == PY_COMMENT)
			last--;
		to = last > j + 1 ? toks.v[last - 1].end : value_at;
	}
	pytoks_release(&toks);
	if (from == len)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, py, value_at);
	strbuf_addch(&sb, ' ');
	py_repr(&sb, parent);
	strbuf_add(&sb, py + to, len - to);
	/* the docstring's "Revises:" line follows, as Alembic writes it */
	char *out = strbuf_detach(&sb, NULL);
	char *rv = strstr(out, "\nRevises:");
	if (rv && rv < out + from) {
		char *eol = strchr(rv + 1, '\n');
		struct strbuf fixed = STRBUF_INIT;
		strbuf_add(&fixed, out, (size_t)(rv - out));
		strbuf_addf(&fixed, "\nRevises: %s", parent);
		strbuf_addstr(&fixed, eol ? eol : "");
		free(out);
		out = strbuf_detach(&fixed, NULL);
	}
	return out;
}
