/*
 * dbmate: one file per migration, NNNN_slug.sql, directly in the migrations
 * directory, ordered by file name. The file holds '-- migrate:up' and
 * '-- migrate:down' blocks; 'transaction:false' after a marker runs that
 * block outside a transaction. Files dbmate would ignore are findings here.
 */
#include "core/fileio.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i];
		size_t n = strlen(name);
		if (strchr(name, '/') || n < 4 || strcmp(name + n - 4, ".sql"))
			continue;
		char *version = layout_leading_digits(name);
		if (!version || name[strlen(version)] != '_') {
			char *path = path_join(t->settings->dir, name);
			struct finding *f = findings_add(
				fs, RULE_FILE_NAME, SEV_WARNING, path, 0, 0,
				"'%s' is not named VERSION_slug.sql: dbmate ignores it", name);
			finding_set_hint(f, "name dbmate migrations like 20240131120000_add_users.sql");
			free(path);
			free(version);
			continue;
		}
		struct layout_unit *u = layout_unit_push(out, name);
		u->version = version;
		u->id = layout_id_from_version(version);
		char *slug = xstrndup(name + strlen(version) + 1, n - strlen(version) - 5);
		u->message = layout_message_from_slug(slug);
		free(slug);
		u->created = layout_created_from_version(version);
	}
	return 0;
}

/* A '-- migrate:up' / '-- migrate:down' line: 1 up, 2 down, 0 neither;
 * `no_tx` when its options include transaction:false. */
static int marker(const char *s, size_t len, bool *no_tx)
{
	size_t i = 0;
	*no_tx = false;
	if (len < 2 || s[0] != '-' || s[1] != '-')
		return 0;
	i = 2;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	int kind = 0;
	if (len - i >= 10 && !memcmp(s + i, "migrate:up", 10)) {
		kind = 1;
		i += 10;
	} else if (len - i >= 12 && !memcmp(s + i, "migrate:down", 12)) {
		kind = 2;
		i += 12;
	} else {
		return 0;
	}
	if (i < len && !isspace((unsigned char)s[i]))
		return 0;
	const char *opt = memmem(s + i, len - i, "transaction:false", 17);
	*no_tx = opt != NULL;
	return kind;
}

static bool blank_or_comment(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	return i == len || (len - i >= 2 && s[i] == '-' && s[i + 1] == '-');
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	layout_rev_from_unit(t, u, rev);
	int ret = layout_read_main(t, u->name, rev, fs);
	if (ret <= 0) {
		rev->usable = false;
		return ret;
	}
	const char *text = rev->text;
	size_t pos = rev->body_start, line = 1;
	bool outside_reported = false;
	while (pos < rev->len) {
		const char *nl = memchr(text + pos, '\n', rev->len - pos);
		size_t end = nl ? (size_t)(nl - text) : rev->len, next = nl ? end + 1 : rev->len;
		size_t le = end > pos && text[end - 1] == '\r' ? end - 1 : end;
		bool no_tx;
		int m = marker(text + pos, le - pos, &no_tx);
		struct rev_section *s = m == 1 ? &rev->upgrade : m == 2 ? &rev->downgrade : NULL;
		if (s && !s->present) {
			if (m == 2 && rev->upgrade.present)
				rev->upgrade.end = pos;
			s->present = true;
			s->marker_line = (unsigned)line;
			s->start = next;
			s->end = rev->len;
			if (m == 1 && no_tx)
				rev->transactional = false;
		} else if (s) {
			findings_add_at(fs, RULE_DUPLICATE_SECTION, SEV_ERROR, rev->path, text, rev->len,
					pos, "a second '-- migrate:%s' block", m == 1 ? "up" : "down");
		} else if (!rev->upgrade.present && !rev->downgrade.present && !outside_reported &&
			   !blank_or_comment(text + pos, le - pos)) {
			struct finding *f = findings_add_at(
				fs, RULE_TEXT_OUTSIDE_SECTION, SEV_ERROR, rev->path, text, rev->len, pos,
				"SQL before the '-- migrate:up' marker: dbmate refuses it");
			finding_set_hint(f, "move it below '-- migrate:up'");
			outside_reported = true;
		}
		pos = next;
		line++;
	}
	if (rev->downgrade.present && rev->upgrade.present &&
	    rev->downgrade.start < rev->upgrade.start) {
		findings_add(fs, RULE_MISSING_UPGRADE, SEV_ERROR, rev->path,
			     rev->downgrade.marker_line, 1,
			     "the '-- migrate:down' block comes before '-- migrate:up': dbmate "
			     "refuses it");
		rev->downgrade.end = rev->upgrade.start;
		/* the up block runs to the end: keep the down block out of it */
	}
	if (!rev->upgrade.present) {
		struct finding *f = findings_add(fs, RULE_MISSING_UPGRADE, SEV_ERROR, rev->path, 1,
						 1, "the file has no '-- migrate:up' block");
		finding_set_hint(f, "put the upgrade SQL after a line '-- migrate:up'");
	}
	return 0;
}

const struct layout_ops layout_dbmate = {
	.kind = LAYOUT_DBMATE,
	.name = "dbmate",
	.linear = true,
	.depth = 0,
	.list = list,
	.parse = parse,
};
