/* New revision files: ids, names, template. */
#include "revision/newrev.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int newrev_random_id(char out[13])
{
	unsigned char b[6];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set(ERR_IO, "cannot read random bytes: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < 6; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[12] = '\0';
	return 0;
}

char *newrev_file_name(time_t when, const char *id, const char *message)
{
	struct tm tm;
	gmtime_r(&when, &tm);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%04d%02d%02d_%02d%02d_%s_", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, id);
	size_t slug_start = sb.len;
	bool sep = false;
	for (const char *c = message ? message : ""; *c && sb.len - slug_start < 40; c++) {
		if (isalnum((unsigned char)*c)) {
			if (sep && sb.len > slug_start)
				strbuf_addch(&sb, '_');
			strbuf_addch(&sb, tolower((unsigned char)*c));
			sep = false;
		} else {
			sep = true;
		}
	}
	if (sb.len == slug_start)
		strbuf_addstr(&sb, "revision");
	strbuf_addstr(&sb, ".sql");
	return strbuf_detach(&sb, NULL);
}

static void add_list(struct strbuf *sb, const char *key, const struct strlist *l)
{
	if (!l || !l->n)
		return;
	strbuf_addf(sb, "-- %s: ", key);
	for (size_t k = 0; k < l->n; k++)
		strbuf_addf(sb, "%s%s", k ? ", " : "", l->v[k]);
	strbuf_addch(sb, '\n');
}

/* A section as written, on lines of its own. */
static void add_verbatim(struct strbuf *sb, const char *body)
{
	if (!body || !*body)
		return;
	strbuf_addstr(sb, body);
	if (body[strlen(body) - 1] != '\n')
		strbuf_addch(sb, '\n');
}

char *newrev_render(const struct newrev *r, time_t when)
{
	struct tm tm;
	gmtime_r(&when, &tm);
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "-- revision: %s\n", r->id);
	if (r->parents && r->parents->n)
		add_list(&sb, "down_revision", r->parents);
	else
		strbuf_addstr(&sb, "-- down_revision: none\n");
	add_list(&sb, "depends_on", r->depends_on);
	add_list(&sb, "branch_labels", r->branch_labels);
	/* a message is one header line: fold any line breaks */
	strbuf_addstr(&sb, "-- message: ");
	for (const char *c = r->message ? r->message : ""; *c; c++)
		strbuf_addch(&sb, (*c == '\n' || *c == '\r') ? ' ' : *c);
	strbuf_addch(&sb, '\n');
	if (r->created)
		strbuf_addf(&sb, "-- created: %s\n", r->created);
	else if (!r->verbatim) /* an import states no time its source lacks */
		strbuf_addf(&sb, "-- created: %04d-%02d-%02dT%02d:%02d:%02dZ\n", tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (r->non_transactional)
		strbuf_addstr(&sb, "-- transaction: false\n");
	if (r->irreversible)
		strbuf_addf(&sb, "-- irreversible: %s\n", r->irreversible);
	if (r->imported_from)
		strbuf_addf(&sb, "-- imported_from: %s\n", r->imported_from);
	if (r->verbatim) {
		strbuf_addstr(&sb, "\n-- +upgrade\n");
		add_verbatim(&sb, r->upgrade);
		strbuf_addstr(&sb, "-- +downgrade\n");
		add_verbatim(&sb, r->downgrade);
		return strbuf_detach(&sb, NULL);
	}
	strbuf_addstr(&sb, "\n-- +upgrade\n");
	if (r->upgrade && *r->upgrade)
		strbuf_addf(&sb, "%s\n", r->upgrade);
	strbuf_addstr(&sb, "\n-- +downgrade\n");
	if (r->downgrade && *r->downgrade)
		strbuf_addf(&sb, "%s\n", r->downgrade);
	return strbuf_detach(&sb, NULL);
}

/* Every value written into the header must read back as itself: a line
 * break in a label would start a new header line, or a section. */
int newrev_check(const struct newrev *r)
{
	const struct strlist *ids[] = {r->parents, r->depends_on};
	for (size_t l = 0; l < 2; l++)
		for (size_t k = 0; ids[l] && k < ids[l]->n; k++)
			if (!revision_id_valid(ids[l]->v[k]))
				return err_set(ERR_USAGE,
					       "'%s' is not a revision id (1 to 32 letters, digits "
					       "or '_')",
					       ids[l]->v[k]);
	for (size_t k = 0; r->branch_labels && k < r->branch_labels->n; k++)
		if (!revision_label_valid(r->branch_labels->v[k]))
			return err_set(ERR_USAGE,
				       "'%s' is not a valid branch label (1 to 64 letters, digits, "
				       "'_', '-' or '.')",
				       r->branch_labels->v[k]);
	if (r->id && !revision_id_valid(r->id))
		return err_set(ERR_USAGE, "'%s' is not a revision id", r->id);
	return 0;
}

int newrev_write(const char *dir, const struct newrev *r, time_t when, char **path_out)
{
	char idbuf[13];
	struct newrev copy = *r;
	int vret = newrev_check(r);
	if (vret < 0)
		return vret;
	if (!copy.id) {
		int ret = newrev_random_id(idbuf);
		if (ret < 0)
			return ret;
		copy.id = idbuf;
	}
	char *name = newrev_file_name(when, copy.id, copy.message);
	char *path = path_join(dir, name);
	char *text = newrev_render(&copy, when);
	int ret = file_write_atomic(path, text, strlen(text), true);
	free(text);
	free(name);
	if (ret < 0) {
		free(path);
		return ret;
	}
	*path_out = path;
	return 0;
}
