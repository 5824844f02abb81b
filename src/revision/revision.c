/*
 * Reads revision files: header keys, section markers, file-wide ignore
 * directives. Every problem becomes a finding with a line and column; the
 * parser never fails and never trusts its input to be text.
 */
#include "revision/revision.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/suggest.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "match/match.h"
#include "revision/hcache.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char revision_default_name_pattern[] =
	"^[0-9]{8}_[0-9]{4}_(?<revision>[A-Za-z0-9]+)(?:_[^/]*)?\\.sql$";

enum header_key {
	KEY_REVISION,
	KEY_DOWN_REVISION,
	KEY_DEPENDS_ON,
	KEY_BRANCH_LABELS,
	KEY_MESSAGE,
	KEY_CREATED,
	KEY_TRANSACTION,
	KEY_IRREVERSIBLE,
	KEY_IMPORTED_FROM,
	KEY_REVGATE,
	KEY__COUNT
};

static const char *const key_names[KEY__COUNT] = {
	"revision", "down_revision", "depends_on",   "branch_labels", "message",
	"created",  "transaction",   "irreversible", "imported_from", "revgate",
};

bool revision_id_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_')
			return false;
	return n >= 1 && n <= 32;
}

bool revision_label_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("_-.", s[n]))
			return false;
	return n >= 1 && n <= 64;
}

/* Levenshtein distance, capped: enough to suggest "down_revision" for a typo. */
/* Reports the first byte that is not valid UTF-8, or returns len. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			min = 0x10000;
		} else {
			return i;
		}
		unsigned cp = c & (0x3F >> n);
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

struct line {
	size_t start, end; /* [start,end) without the line break (and without \r) */
	size_t next;       /* start of the following line */
	unsigned no;
};

static bool next_line(const char *text, size_t len, size_t pos, unsigned no, struct line *l)
{
	if (pos >= len)
		return false;
	const char *nl = memchr(text + pos, '\n', len - pos);
	size_t end = nl ? (size_t)(nl - text) : len;
	l->start = pos;
	l->next = nl ? end + 1 : len;
	if (end > pos && text[end - 1] == '\r')
		end--;
	l->end = end;
	l->no = no;
	return true;
}

static void trim(const char *text, size_t *a, size_t *b)
{
	while (*a < *b && isspace((unsigned char)text[*a]))
		(*a)++;
	while (*b > *a && isspace((unsigned char)text[*b - 1]))
		(*b)--;
}

/* "-- +upgrade" / "-- +downgrade" (any blanks around): 1, 2, or 0. */
static int section_marker(const char *text, const struct line *l)
{
	size_t a = l->start, b = l->end;
	trim(text, &a, &b);
	if (b - a < 2 || text[a] != '-' || text[a + 1] != '-')
		return 0;
	a += 2;
	trim(text, &a, &b);
	if (b - a == 8 && !memcmp(text + a, "+upgrade", 8))
		return 1;
	if (b - a == 10 && !memcmp(text + a, "+downgrade", 10))
		return 2;
	return 0;
}

static bool is_comment_or_blank(const char *text, const struct line *l)
{
	size_t a = l->start, b = l->end;
	trim(text, &a, &b);
	return a == b || (b - a >= 2 && text[a] == '-' && text[a + 1] == '-');
}

struct parse_state {
	struct revision *rev;
	struct findings *out;
	unsigned key_line[KEY__COUNT];
	/* built on the first finding: a file with 50,000 bad header lines
	 * must not cost a scan from the start of the file per finding */
	struct line_index li;
	bool li_built;
};

static struct finding *report(struct parse_state *ps, const char *rule, size_t offset,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct finding *report(struct parse_state *ps, const char *rule, size_t offset,
			      const char *fmt, ...)
{
	struct revision *rev = ps->rev;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
	if (!ps->li_built) {
		line_index_build(&ps->li, rev->text, rev->len);
		ps->li_built = true;
	}
	unsigned line, col;
	line_index_pos(&ps->li, offset, &line, &col);
	struct finding *f = findings_add(ps->out, rule, SEV_ERROR, rev->path, line, col, "%s", msg);
	free(msg);
	/* the excerpt is the line up to its break, as findings_add_at cuts it
	 * (and finding_set_excerpt shortens it further) */
	size_t ls = ps->li.starts[line - 1], le = ls;
	while (le < rev->len && le - ls <= 400 && rev->text[le] != '\n' && rev->text[le] != '\r')
		le++;
	finding_set_excerpt(f, rev->text + ls, le - ls);
	return f;
}

static void parse_id_list(struct parse_state *ps, const char *key, const char *value,
			  size_t offset, struct strlist *into, bool allow_none)
{
	if (allow_none && !strcmp(value, "none"))
		return;
	struct strlist items = STRLIST_INIT;
	strlist_split(&items, value, ',');
	if (items.n == 0)
		report(ps, RULE_INVALID_HEADER_VALUE, offset, "'%s' is empty%s", key,
		       allow_none ? " (write 'none' for a root revision)" : "");
	for (size_t i = 0; i < items.n; i++) {
		if (!revision_id_valid(items.v[i])) {
			struct finding *f = report(ps, RULE_INVALID_HEADER_VALUE, offset,
						   "'%s' lists '%s', which is not a revision id",
						   key, items.v[i]);
			finding_set_hint(f, "revision ids are 1 to 32 letters, digits or '_'%s",
					 allow_none ? "; a root has 'none'" : "");
		} else if (strlist_has(into, items.v[i])) {
			report(ps, RULE_INVALID_HEADER_VALUE, offset, "'%s' lists '%s' twice", key,
			       items.v[i]);
		} else {
			strlist_push(into, items.v[i]);
		}
	}
	strlist_release(&items);
}

static void parse_directive(struct parse_state *ps, const char *value, size_t offset,
			    struct strlist *into)
{
	/* "ignore rule-a, rule-b" */
	if (strncmp(value, "ignore", 6) || (value[6] && !isspace((unsigned char)value[6]))) {
		struct finding *f = report(ps, RULE_INVALID_HEADER_VALUE, offset,
					   "unknown revgate directive '%s'", value);
		finding_set_hint(f, "the only directive is '-- revgate: ignore rule-a, rule-b'");
		return;
	}
	struct strlist rules = STRLIST_INIT;
	strlist_split(&rules, value + 6, ',');
	if (rules.n == 0)
		report(ps, RULE_INVALID_HEADER_VALUE, offset,
		       "'revgate: ignore' names no rule");
	for (size_t i = 0; i < rules.n; i++)
		strlist_push(into, rules.v[i]);
	strlist_release(&rules);
}

static void header_line(struct parse_state *ps, const struct line *l)
{
	struct revision *rev = ps->rev;
	const char *t = rev->text;
	size_t a = l->start, b = l->end;
	trim(t, &a, &b);
	a += 2; /* the "--" */
	while (a < b && isspace((unsigned char)t[a]))
		a++;
	size_t ks = a;
	while (a < b && (isalnum((unsigned char)t[a]) || t[a] == '_' || t[a] == '-'))
		a++;
	size_t ke = a;
	while (a < b && (t[a] == ' ' || t[a] == '\t'))
		a++;
	if (ke == ks || a >= b || t[a] != ':')
		return; /* a plain comment */
	size_t vs = a + 1, ve = b;
	trim(t, &vs, &ve);
	char *key = xstrndup(t + ks, ke - ks);
	char *value = xstrndup(t + vs, ve - vs);
	int k = 0;
	while (k < KEY__COUNT && strcmp(key, key_names[k]))
		k++;

	if (k == KEY__COUNT) {
		struct finding *f = report(ps, RULE_UNKNOWN_HEADER_KEY, ks,
					   "unknown header key '%s'", key);
		unsigned best = 99;
		int best_k = -1;
		for (int j = 0; j < KEY__COUNT; j++) {
			unsigned d = suggest_distance(key, key_names[j]);
			if (d < best) {
				best = d;
				best_k = j;
			}
		}
		if (best_k >= 0 && best <= 3)
			finding_set_hint(f, "did you mean '%s'? An unknown key is refused so that "
					    "a typo never changes the graph",
					 key_names[best_k]);
		else
			finding_set_hint(f, "known keys: revision, down_revision, depends_on, "
					    "branch_labels, message, created, transaction, "
					    "irreversible, imported_from");
		goto out;
	}
	if (k == KEY_REVGATE) {
		parse_directive(ps, value, vs, &rev->ignore_rules);
		goto out;
	}
	if (ps->key_line[k]) {
		char prev[32];
		snprintf(prev, sizeof(prev), "%u", ps->key_line[k]);
		report(ps, RULE_DUPLICATE_HEADER_KEY, ks,
		       "header key '%s' appears twice (first on line %s)", key, prev);
		goto out;
	}
	ps->key_line[k] = l->no;
	for (size_t i = 0; value[i]; i++) {
		unsigned char c = (unsigned char)value[i];
		/* a lone CR ends a SQL comment for PostgreSQL's lexer: a value
		 * copied into a comment of a generated script would become SQL */
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			struct finding *f = report(ps, RULE_INVALID_HEADER_VALUE, vs + i,
						   "'%s' contains a control character (byte 0x%02x)",
						   key, c);
			finding_set_hint(f, "header values are one line of text; remove the "
					    "character (a stray carriage return?)");
			goto out;
		}
	}

	switch ((enum header_key)k) {
	case KEY_REVISION:
		rev->id_line = l->no;
		if (!revision_id_valid(value)) {
			struct finding *f = report(ps, RULE_INVALID_HEADER_VALUE, vs,
						   "'%s' is not a valid revision id", value);
			finding_set_hint(f, "revision ids are 1 to 32 letters, digits or '_'");
		} else {
			rev->id = xstrdup(value);
		}
		break;
	case KEY_DOWN_REVISION:
		rev->down_line = l->no;
		parse_id_list(ps, key, value, vs, &rev->down_revisions, true);
		break;
	case KEY_DEPENDS_ON:
		rev->depends_line = l->no;
		parse_id_list(ps, key, value, vs, &rev->depends_on, false);
		break;
	case KEY_BRANCH_LABELS: {
		rev->labels_line = l->no;
		struct strlist items = STRLIST_INIT;
		strlist_split(&items, value, ',');
		for (size_t i = 0; i < items.n; i++) {
			if (revision_label_valid(items.v[i]))
				strlist_push(&rev->branch_labels, items.v[i]);
			else
				report(ps, RULE_INVALID_HEADER_VALUE, vs,
				       "'%s' is not a valid branch label", items.v[i]);
		}
		strlist_release(&items);
		break;
	}
	case KEY_MESSAGE:
		free(rev->message);
		rev->message = xstrdup(value);
		break;
	case KEY_CREATED:
		free(rev->created);
		rev->created = xstrdup(value);
		break;
	case KEY_TRANSACTION:
		if (!strcmp(value, "false"))
			rev->transactional = false;
		else if (!strcmp(value, "true"))
			rev->transactional = true;
		else
			report(ps, RULE_INVALID_HEADER_VALUE, vs,
			       "'transaction' must be true or false, not '%s'", value);
		break;
	case KEY_IRREVERSIBLE:
		if (!value[0])
			report(ps, RULE_INVALID_HEADER_VALUE, vs,
			       "'irreversible' needs a reason");
		else
			rev->irreversible = xstrdup(value);
		break;
	case KEY_IMPORTED_FROM:
		/* "<layout> <version>": what 'revgate adopt' matches a tool's records by */
		if (!strchr(value, ' '))
			report(ps, RULE_INVALID_HEADER_VALUE, vs,
			       "'imported_from' is '<layout> <version>', not '%s'", value);
		else
			rev->imported_from = xstrdup(value);
		break;
	case KEY_REVGATE:
	case KEY__COUNT:
		break;
	}
out:
	free(key);
	free(value);
}

static void init_rev(struct revision *rev, const char *path, char *text, size_t len)
{
	memset(rev, 0, sizeof(*rev));
	rev->path = xstrdup(path);
	rev->file_name = xstrdup(path_basename(path));
	rev->text = text;
	rev->len = len;
	rev->transactional = true;
}

bool revision_text_ok(const char *path, const char *text, size_t len, size_t *body_start,
		      struct findings *out)
{
	*body_start = 0;
	if (len == 0) {
		findings_add(out, RULE_INVALID_FILE, SEV_ERROR, path, 1, 1, "the file is empty");
		return false;
	}
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		struct finding *f = findings_add_at(out, RULE_INVALID_FILE, SEV_ERROR, path, text,
						    len, (size_t)(nul - text),
						    "the file contains a NUL byte: it is binary, not text");
		free(f->excerpt);
		f->excerpt = NULL;
		return false;
	}
	size_t bad = utf8_invalid_at((const unsigned char *)text, len);
	if (bad < len) {
		struct finding *f = findings_add_at(out, RULE_INVALID_FILE, SEV_ERROR, path, text,
						    len, bad, "invalid UTF-8 (byte 0x%02x at offset %zu)",
						    (unsigned char)text[bad], bad);
		free(f->excerpt);
		f->excerpt = NULL;
		finding_set_hint(f, "save the file as UTF-8");
		return false;
	}
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		*body_start = 3;
	return true;
}

/* Rejects what is not text. Returns false when the file cannot be parsed. */
static bool check_text(struct parse_state *ps)
{
	struct revision *rev = ps->rev;
	return revision_text_ok(rev->path, rev->text, rev->len, &rev->body_start, ps->out);
}

static bool name_carries_id(const char *file_name, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = strstr(file_name, id); p; p = strstr(p + 1, id)) {
		bool left = p == file_name || p[-1] == '_';
		bool right = p[n] == '_' || !strcmp(p + n, ".sql");
		if (left && right && p != file_name)
			return true;
	}
	return false;
}

void revision_parse(struct revision *rev, const char *path, char *text, size_t len,
		    const char *name_id, struct findings *out)
{
	init_rev(rev, path, text, len);
	struct parse_state ps = {.rev = rev, .out = out};
	if (!check_text(&ps))
		return;

	struct line l;
	size_t pos = rev->body_start;
	unsigned no = 1;
	bool in_header = true;
	struct rev_section *cur = NULL;
	bool reported_outside = false;

	while (next_line(text, len, pos, no, &l)) {
		int marker = section_marker(text, &l);
		if (marker) {
			in_header = false;
			struct rev_section *s = marker == 1 ? &rev->upgrade : &rev->downgrade;
			if (cur)
				cur->end = l.start;
			if (s->present) {
				char prev[32];
				snprintf(prev, sizeof(prev), "%u", s->marker_line);
				report(&ps, RULE_DUPLICATE_SECTION, l.start,
				       "a second '-- +%s' section (the first is on line %s)",
				       marker == 1 ? "upgrade" : "downgrade", prev);
				cur = NULL; /* the duplicate's text belongs to no section */
			} else {
				s->present = true;
				s->marker_line = l.no;
				s->start = l.next;
				s->end = len;
				cur = s;
			}
		} else if (in_header) {
			if (!is_comment_or_blank(text, &l)) {
				in_header = false;
				report(&ps, RULE_TEXT_OUTSIDE_SECTION, l.start,
				       "SQL before the '-- +upgrade' marker");
				reported_outside = true;
			} else {
				size_t a = l.start, b = l.end;
				trim(text, &a, &b);
				if (b > a)
					header_line(&ps, &l);
			}
		} else if (!cur && !rev->upgrade.present && !reported_outside &&
			   !is_comment_or_blank(text, &l)) {
			report(&ps, RULE_TEXT_OUTSIDE_SECTION, l.start,
			       "SQL before the '-- +upgrade' marker");
			reported_outside = true;
		}
		pos = l.next;
		no++;
	}

	if (!ps.key_line[KEY_REVISION]) {
		struct finding *f = findings_add(out, RULE_MISSING_HEADER_KEY, SEV_ERROR, rev->path,
						 1, 1, "the header has no 'revision' key");
		finding_set_hint(f, "start the file with '-- revision: <id>'");
	}
	if (!ps.key_line[KEY_DOWN_REVISION]) {
		struct finding *f = findings_add(out, RULE_MISSING_HEADER_KEY, SEV_ERROR, rev->path,
						 1, 1, "the header has no 'down_revision' key");
		finding_set_hint(f, "add '-- down_revision: <parent id>' ('none' for a root)");
	}
	if (!rev->upgrade.present) {
		struct finding *f = findings_add(out, RULE_MISSING_UPGRADE, SEV_ERROR, rev->path,
						 1, 1, "the file has no '-- +upgrade' section");
		finding_set_hint(f, "put the upgrade SQL after a line '-- +upgrade'");
	}
	if (rev->id) {
		bool matches = name_id ? !strcmp(name_id, rev->id) ||
						 name_carries_id(rev->file_name, rev->id)
				       : name_carries_id(rev->file_name, rev->id);
		if (!matches) {
			struct finding *f = findings_add(
				out, RULE_REVISION_ID_MISMATCH, SEV_ERROR, rev->path, rev->id_line, 1,
				"the header says revision '%s' but the file name carries '%s'", rev->id,
				name_id ? name_id : "no id");
			finding_set_hint(f, "rename the file to YYYYMMDD_HHMM_%s_<slug>.sql", rev->id);
		}
	}
	rev->usable = rev->id && ps.key_line[KEY_DOWN_REVISION];
	line_index_release(&ps.li);
}

void revision_parse_plain(struct revision *rev, const char *path, char *text, size_t len,
			  struct findings *out)
{
	init_rev(rev, path, text, len);
	rev->plain_sql = true;
	struct parse_state ps = {.rev = rev, .out = out};
	if (!check_text(&ps))
		return;
	rev->upgrade.present = true;
	rev->upgrade.marker_line = 0;
	rev->upgrade.start = rev->body_start;
	rev->upgrade.end = len;
}

void revision_release(struct revision *rev)
{
	if (!rev)
		return;
	free(rev->path);
	free(rev->file_name);
	free(rev->id);
	strlist_release(&rev->down_revisions);
	strlist_release(&rev->depends_on);
	strlist_release(&rev->branch_labels);
	strlist_release(&rev->ignore_rules);
	free(rev->message);
	free(rev->created);
	free(rev->irreversible);
	free(rev->text);
	free(rev->rel_name);
	free(rev->source);
	free(rev->tool_version);
	free(rev->imported_from);
	for (size_t i = 0; i < rev->nspans; i++) {
		free(rev->spans[i].path);
		free(rev->spans[i].excerpt);
		free(rev->spans[i].quote);
	}
	free(rev->spans);
	memset(rev, 0, sizeof(*rev));
}

const char *revision_source(const struct revision *rev, size_t *len)
{
	if (rev->source) {
		*len = rev->source_len;
		return rev->source;
	}
	*len = rev->len;
	return rev->text;
}

const char *revision_rel_name(const struct revision *rev)
{
	return rev->rel_name ? rev->rel_name : rev->file_name;
}

struct rev_span *revision_add_span(struct revision *rev, size_t start, size_t end,
				   const char *path, unsigned first_line)
{
	if (rev->nspans && start < rev->spans[rev->nspans - 1].start)
		BUG("spans must be added in text order");
	rev->spans = xrealloc(rev->spans, (rev->nspans + 1) * sizeof(*rev->spans));
	struct rev_span *sp = &rev->spans[rev->nspans++];
	memset(sp, 0, sizeof(*sp));
	sp->start = start;
	sp->end = end;
	unsigned col;
	text_pos(rev->text, rev->len, start, &sp->text_line, &col);
	sp->path = xstrdup(path);
	sp->first_line = first_line;
	return sp;
}

/* The span holding text line `line`: the last one starting on or before it. */
static const struct rev_span *span_at_line(const struct revision *rev, unsigned line)
{
	const struct rev_span *found = NULL;
	size_t lo = 0, hi = rev->nspans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rev->spans[mid].text_line <= line) {
			found = &rev->spans[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return found;
}

unsigned revision_file_line(const struct revision *rev, unsigned line)
{
	const struct rev_span *sp = rev->nspans ? span_at_line(rev, line) : NULL;
	if (!sp)
		return line;
	return sp->fixed ? sp->first_line : line - sp->text_line + sp->first_line;
}

void revision_remap_findings(const struct revision *rev, struct findings *fs, size_t from)
{
	if (!rev->nspans)
		return;
	for (size_t i = from; i < fs->n; i++) {
		struct finding *f = &fs->v[i];
		if (!f->file || !f->line || strcmp(f->file, rev->path))
			continue;
		const struct rev_span *sp = span_at_line(rev, f->line);
		if (!sp)
			continue;
		free(f->file);
		f->file = xstrdup(sp->path);
		if (!sp->fixed) {
			unsigned delta = sp->first_line - sp->text_line;
			f->line += delta;
			if (f->end_line)
				f->end_line += delta;
			continue;
		}
		f->line = sp->first_line;
		f->column = sp->column;
		f->end_line = f->end_column = 0;
		free(f->excerpt);
		f->excerpt = sp->excerpt ? xstrdup(sp->excerpt) : NULL;
		if (sp->quote) {
			char *m = xstrfmt("%s (statement: %s)", f->message, sp->quote);
			free(f->message);
			f->message = m;
		}
	}
}

char *revision_section_dup(const struct revision *rev, const struct rev_section *s)
{
	if (!s->present || s->end <= s->start)
		return xstrdup("");
	return xstrndup(rev->text + s->start, s->end - s->start);
}

bool revision_ignores(const struct revision *rev, const char *rule)
{
	return strlist_has(&rev->ignore_rules, rule);
}

char *revision_name_id(const char *file_name, const struct matcher *pattern)
{
	char *id = NULL;
	if (!matcher_match_group(pattern, file_name, "revision", &id))
		return NULL;
	return id;
}

static bool inside_dir(const char *dir, const char *path)
{
	char *rd = realpath(dir, NULL), *rp = realpath(path, NULL);
	bool ok = rd && rp && !strncmp(rd, rp, strlen(rd)) && rp[strlen(rd)] == '/';
	free(rd);
	free(rp);
	return ok;
}

void revset_add_text(struct revset *set, const char *path, char *text, size_t len,
		     const struct matcher *name_pattern, struct findings *out)
{
	struct revision *rev = xcalloc(1, sizeof(*rev));
	revision_parse_file(rev, path, text, len, name_pattern, out);
	ALLOC_GROW(set->v, set->n + 1, set->alloc);
	set->v[set->n++] = rev;
}

void revision_parse_file(struct revision *rev, const char *path, char *text, size_t len,
			 const struct matcher *name_pattern, struct findings *out)
{
	const char *base = path_basename(path);
	char *name_id = revision_name_id(base, name_pattern);
	if (!name_id) {
		struct finding *f = findings_add(out, RULE_FILE_NAME, SEV_ERROR, path, 0, 0,
						 "the file name does not match the pattern '%s'",
						 matcher_pattern(name_pattern));
		finding_set_hint(f, "name revision files YYYYMMDD_HHMM_<revision>_<slug>.sql, "
				    "or set file_name_pattern in revgate.ini");
	}
	revision_parse(rev, path, text, len, name_id, out);
	free(name_id);
	/*
	 * A file name is echoed into messages, CI annotations and comments of
	 * generated SQL, where a line break or a lone CR would end the comment:
	 * such a file is not placed in the graph (which then refuses to apply).
	 */
	for (const char *c = base; *c; c++) {
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
			struct finding *f = findings_add(
				out, RULE_INVALID_FILE, SEV_ERROR, path, 0, 0,
				"the file name contains a control character (byte 0x%02x)",
				(unsigned char)*c);
			finding_set_hint(f, "rename the file: revision file names are one line of "
					    "printable text");
			rev->usable = false;
			break;
		}
	}
}

/* What reading one file left: the revision, and for the header cache the
 * file's status and whether it parsed without a finding. */
struct load_slot {
	struct revision *rev; /* NULL when the file was refused */
	struct stat st;
	bool stat_ok;
	bool fresh_clean;
};

/* One reader's share of a directory: files [from, to) of the sorted names. */
struct load_job {
	const char *dir;
	const struct strlist *names, *links;
	const struct matcher *name_pattern;
	const struct hcache *cache; /* NULL: read every file */
	int dirfd;                  /* the directory, for fstatat without a path walk */
	size_t max, from, to;
	struct load_slot *out;
	struct findings findings;
};

static void load_one(struct load_job *job, size_t i, struct strbuf *sb)
{
	const char *name = job->names->v[i];
	struct load_slot *slot = &job->out[i];
	char *path = path_join(job->dir, name);
	struct stat st;
	if (job->cache && fstatat(job->dirfd, name, &st, 0) == 0) {
		slot->st = st;
		slot->stat_ok = true;
		if (!strlist_has(job->links, name)) {
			slot->rev = hcache_lookup(job->cache, name, path, &st);
			if (slot->rev) {
				free(path);
				return;
			}
		}
	}
	size_t before = job->findings.n;
	if (strlist_has(job->links, name) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    !inside_dir(job->dir, path)) {
		struct finding *f = findings_add(
			&job->findings, RULE_INVALID_FILE, SEV_ERROR, path, 0, 0,
			"'%s' is a symbolic link that leads outside the migrations directory", name);
		finding_set_hint(f, "copy the revision into the directory instead");
	} else if (file_read(path, job->max, sb) < 0) {
		findings_add(&job->findings, RULE_INVALID_FILE, SEV_ERROR, path, 0, 0, "%s",
			     err_msg());
		err_clear();
	} else {
		size_t len;
		char *text = strbuf_detach(sb, &len);
		struct revset one = REVSET_INIT;
		revset_add_text(&one, path, text, len, job->name_pattern, &job->findings);
		slot->rev = one.v[0];
		free(one.v);
		slot->fresh_clean = job->findings.n == before && !strlist_has(job->links, name);
	}
	free(path);
}

static void *load_range(void *arg)
{
	struct load_job *job = arg;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = job->from; i < job->to; i++)
		load_one(job, i, &sb);
	strbuf_release(&sb);
	return NULL;
}

/* Large directories are read by two threads: the cost is system calls per file. */
#define LOAD_PARALLEL_MIN 256
/* A file changed less than this many seconds before it was read may have
 * changed again within the same clock tick: it is never cached. */
#define HCACHE_RACY_SECONDS 2

static int load_dir(struct revset *set, const char *dir, struct hcache *cache,
		    const struct matcher *name_pattern, const struct revision_limits *limits,
		    struct findings *out)
{
	struct strlist names = STRLIST_INIT, links = STRLIST_INIT;
	struct matcher *own = NULL;
	struct load_slot *slots = NULL;
	time_t started = time(NULL);
	int ret = dir_list_suffix(dir, ".sql", &names, &links);
	if (ret)
		goto out;
	if (!name_pattern) {
		ret = matcher_compile(&own, revision_default_name_pattern, "file name pattern");
		if (ret)
			goto out;
		name_pattern = own;
	}
	slots = xcalloc(names.n ? names.n : 1, sizeof(*slots));
	int dirfd = cache ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	struct load_job jobs[2] = {{0}};
	size_t njobs = names.n >= LOAD_PARALLEL_MIN ? 2 : 1;
	for (size_t j = 0; j < njobs; j++) {
		jobs[j] = (struct load_job){
			.dir = dir,
			.names = &names,
			.links = &links,
			.name_pattern = name_pattern,
			.cache = dirfd >= 0 ? cache : NULL,
			.dirfd = dirfd,
			.max = limits && limits->max_file_size ? limits->max_file_size
							       : REVISION_MAX_FILE_SIZE_DEFAULT,
			.from = names.n * j / njobs,
			.to = names.n * (j + 1) / njobs,
			.out = slots,
		};
	}
	pthread_t helper;
	bool threaded = njobs == 2 && pthread_create(&helper, NULL, load_range, &jobs[1]) == 0;
	load_range(&jobs[0]);
	if (threaded)
		pthread_join(helper, NULL);
	else if (njobs == 2)
		load_range(&jobs[1]);
	if (dirfd >= 0)
		close(dirfd);
	for (size_t j = 0; j < njobs; j++)
		findings_move(out, &jobs[j].findings);
	for (size_t i = 0; i < names.n; i++) {
		struct load_slot *sl = &slots[i];
		if (!sl->rev)
			continue;
		if (cache && sl->fresh_clean && sl->stat_ok &&
		    sl->st.st_ctim.tv_sec < started - HCACHE_RACY_SECONDS)
			hcache_store(cache, names.v[i], &sl->st, sl->rev);
		ALLOC_GROW(set->v, set->n + 1, set->alloc);
		set->v[set->n++] = sl->rev;
	}
	if (cache)
		hcache_save(cache, (const char *const *)names.v, names.n);
out:
	free(slots);
	matcher_free(own);
	strlist_release(&names);
	strlist_release(&links);
	return ret;
}

int revset_load_dir(struct revset *set, const char *dir, const struct matcher *name_pattern,
		    const struct revision_limits *limits, struct findings *out)
{
	return load_dir(set, dir, NULL, name_pattern, limits, out);
}

int revset_load_headers(struct revset *set, const char *dir, const char *cache_dir,
			const struct matcher *name_pattern, const struct revision_limits *limits,
			struct findings *out)
{
	struct hcache cache;
	hcache_open(&cache, cache_dir, dir, NULL);
	int ret = load_dir(set, dir, cache_dir ? &cache : NULL, name_pattern, limits, out);
	hcache_release(&cache);
	return ret;
}

void revset_release(struct revset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		revision_release(set->v[i]);
		free(set->v[i]);
	}
	free(set->v);
	set->v = NULL;
	set->n = set->alloc = 0;
}
