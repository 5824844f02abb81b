/*
 * Another tool's history as revgate revision files: one file per
 * migration, in the tool's order, the upgrade and downgrade SQL byte for
 * byte, the no-transaction markers as 'transaction: false', the created
 * time from the version, and the original version in 'imported_from' so
 * 'revgate adopt' can match the tool's records. Ids follow
 * layout_id_from_version(), so importing the same history twice gives the
 * same ids.
 */
#include "core/err.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/internal.h"
#include "revision/newrev.h"
#include "sql/sql.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void layout_import_release(struct layout_import *im)
{
	strlist_release(&im->names);
	strlist_release(&im->texts);
	memset(im, 0, sizeof(*im));
}

/* "2024-01-31T12:00:00..." as a time (UTC); 0 when it is no such time. */
static time_t parse_created(const char *s)
{
	if (!s || strlen(s) < 16)
		return 0;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char *end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		return 0;
	return timegm(&tm);
}

static void refuse(struct findings *fs, const struct revision *rev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(struct findings *fs, const struct revision *rev, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	char *msg = strbuf_detach(&sb, NULL);
	struct finding *f = findings_add(fs, RULE_UNSUPPORTED_MIGRATION, SEV_ERROR, rev->path, 0, 0,
					 "%s", msg);
	finding_set_hint(f, "nothing was written; fix the source, or leave this history with "
			    "its tool");
	free(msg);
}

/*
 * Whether PostgreSQL's parser takes every statement of the section; the
 * first that it refuses becomes the finding (psql's backslash commands,
 * which only psql understands, end here too).
 */
static bool section_parses(const struct revision *rev, const struct rev_section *s,
			   struct findings *fs)
{
	if (!s->present)
		return true;
	struct sql_script sc = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	bool ok = sql_split(rev->text, s->start, s->end, &sc, &err) == 0;
	for (size_t i = 0; ok && i < sc.n; i++) {
		struct sql_tree *tree = NULL;
		ok = sql_parse(rev->text, sc.v[i].start, sc.v[i].len, &tree, &err) == 0;
		sql_tree_free(tree);
	}
	if (!ok) {
		size_t before = fs->n;
		struct finding *f = findings_add_at(
			fs, RULE_UNSUPPORTED_MIGRATION, SEV_ERROR, rev->path, rev->text, rev->len,
			err.offset, "PostgreSQL's parser refuses this, so revgate could not run it: %s",
			err.message ? err.message : "a statement that does not scan");
		finding_set_hint(f, "nothing was written; rewrite it as SQL (psql's backslash "
				    "commands run only in psql)");
		revision_remap_findings(rev, fs, before);
	}
	sql_error_release(&err);
	sql_script_release(&sc);
	return ok;
}

static char *section(const struct revision *rev, const struct rev_section *s)
{
	return s->present ? xstrndup(rev->text + s->start, s->end - s->start) : NULL;
}

/* 2000-01-01T00:00:00Z */
#define IMPORT_EPOCH ((time_t)946684800)

int layout_import_render(enum layout_kind kind, const struct revset *set,
			 struct layout_import *out, struct findings *fs)
{
	size_t refused = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct revision *rev = set->v[i];
		if (!rev->usable || !rev->id) {
			refuse(fs, rev, "this migration cannot be placed in the history (see the "
					"findings above)");
			refused++;
			continue;
		}
		if (!rev->upgrade.present) {
			refuse(fs, rev, "%s has no SQL revgate can read: it cannot be imported",
			       rev->file_name);
			refused++;
			continue;
		}
		if (!revision_id_valid(rev->id)) {
			refuse(fs, rev,
			       "its id '%s' is not a revgate id (1 to 32 letters, digits or '_')",
			       rev->id);
			refused++;
			continue;
		}
		if (memmem(rev->text, rev->len, "${", 2) &&
		    (kind == LAYOUT_FLYWAY || kind == LAYOUT_GOOSE)) {
			refuse(fs, rev, "%s holds a ${...} placeholder the tool replaces before it "
					"runs: write the value in the SQL first",
			       rev->file_name);
			refused++;
			continue;
		}
		if (!section_parses(rev, &rev->upgrade, fs) ||
		    !section_parses(rev, &rev->downgrade, fs)) {
			refused++;
			continue;
		}
		char *up = section(rev, &rev->upgrade), *down = section(rev, &rev->downgrade);
		char *from = xstrfmt("%s %s", layout_name(kind),
				     rev->tool_version ? rev->tool_version : rev->id);
		/* a version without a date gets a name from a fixed start, a minute
		 * apart in the tool's order: the same history imports to the same
		 * names, and no time is made up in the header */
		time_t when = parse_created(rev->created);
		if (!when)
			when = IMPORT_EPOCH + 60 * (time_t)i;
		struct newrev nr = {
			.id = rev->id,
			.parents = &rev->down_revisions,
			.depends_on = &rev->depends_on,
			.branch_labels = &rev->branch_labels,
			.message = rev->message ? rev->message : rev->id,
			.non_transactional = !rev->transactional,
			.upgrade = up,
			.downgrade = down,
			.created = rev->created,
			.irreversible = rev->irreversible,
			.imported_from = from,
			.verbatim = true,
		};
		if (newrev_check(&nr) < 0) {
			refuse(fs, rev, "%s", err_msg());
			err_clear();
			refused++;
		} else {
			strlist_push_owned(&out->names, newrev_file_name(when, rev->id, nr.message));
			strlist_push_owned(&out->texts, newrev_render(&nr, when));
		}
		free(up);
		free(down);
		free(from);
	}
	if (refused)
		return err_set(ERR_CHECK, "%zu of %zu migrations cannot be imported (above); nothing "
					  "was written",
			       refused, set->n);
	return 0;
}
