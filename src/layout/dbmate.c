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

/* One line of a dbmate file: a block marker, or SQL that must come after one. */
static int dbmate_line(void *ctx, struct revision *rev, size_t pos, size_t len, size_t next,
		       struct findings *fs)
{
	bool *outside_reported = ctx;
	bool no_tx;
	(void)next;
	int m = marker(rev->text + pos, len, &no_tx);
	if (m == LAYOUT_MARK_UP && no_tx && !rev->upgrade.present)
		rev->transactional = false;
	if (!m && !rev->upgrade.present && !rev->downgrade.present && !*outside_reported &&
	    !blank_or_comment(rev->text + pos, len)) {
		struct finding *f = findings_add_at(
			fs, RULE_TEXT_OUTSIDE_SECTION, SEV_ERROR, rev->path, rev->text, rev->len, pos,
			"SQL before the '-- migrate:up' marker: dbmate refuses it");
		finding_set_hint(f, "move it below '-- migrate:up'");
		*outside_reported = true;
	}
	return m;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	int ret = layout_read_unit(t, u, rev, fs);
	if (ret <= 0)
		return ret;
	bool outside_reported = false;
	layout_marked_sections(rev, dbmate_line, &outside_reported, "-- migrate:up",
			       "-- migrate:down", fs);
	if (rev->downgrade.present && rev->upgrade.present &&
	    rev->downgrade.start < rev->upgrade.start)
		findings_add(fs, RULE_MISSING_UPGRADE, SEV_ERROR, rev->path,
			     rev->downgrade.marker_line, 1,
			     "the '-- migrate:down' block comes before '-- migrate:up': dbmate "
			     "refuses it");
	return 0;
}

const struct layout_ops layout_dbmate = {
	.kind = LAYOUT_DBMATE,
	.name = "dbmate",
	.downgrade_how = "under '-- migrate:down'",
	.linear = true,
	.depth = 0,
	.list = list,
	.parse = parse,
};
