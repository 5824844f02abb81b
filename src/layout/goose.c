/*
 * goose: NNNNN_slug.sql (or .go) directly in the migrations directory,
 * ordered by the number before the first '_'. A SQL file holds
 * '-- +goose Up' and '-- +goose Down' blocks; '-- +goose NO TRANSACTION'
 * runs the file outside a transaction; StatementBegin/End only group
 * statements for goose's splitter and are comments here; after
 * '-- +goose ENVSUB ON' goose replaces ${VAR} with the environment.
 * A Go migration cannot be read: it stays in the chain, without SQL.
 */
#include "core/fileio.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int unit_cmp(const void *a, const void *b)
{
	const struct layout_unit *x = a, *y = b;
	int c = layout_numeric_cmp(x->version, y->version);
	return c ? c : strcmp(x->name, y->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i];
		bool go = has_suffix(name, ".go");
		if (strchr(name, '/') || (!go && !has_suffix(name, ".sql")) ||
		    (go && has_suffix(name, "_test.go")))
			continue;
		char *version = layout_leading_digits(name);
		bool zero = version && strspn(version, "0") == strlen(version);
		if (!version || name[strlen(version)] != '_' || zero) {
			/* goose stops on such a file; a Go file without a number
			 * is the package's own code */
			if (!go) {
				char *path = path_join(t->settings->dir, name);
				struct finding *f = findings_add(
					fs, RULE_FILE_NAME, SEV_ERROR, path, 0, 0,
					"'%s' is not named NUMBER_slug.sql with a number above 0: goose "
					"refuses it",
					name);
				finding_set_hint(f, "name goose migrations like 00001_add_users.sql or "
						    "20240131120000_add_users.sql");
				free(path);
			}
			free(version);
			continue;
		}
		struct layout_unit *u = layout_unit_push(out, name);
		u->version = version;
		u->id = layout_id_from_version(version);
		size_t skip = strlen(version) + 1, ext = go ? 3 : 4;
		char *slug = xstrndup(name + skip, strlen(name) - skip - ext);
		u->message = layout_message_from_slug(slug);
		free(slug);
		u->created = layout_created_from_version(version);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), unit_cmp);
	return 0;
}

/* The annotation of a '-- +goose X' line, upper-cased into `out`, or false. */
static bool annotation(const char *s, size_t len, char *out, size_t max)
{
	if (len < 9 || memcmp(s, "-- +goose", 9))
		return false;
	size_t i = 9, n = 0;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	while (len > i && isspace((unsigned char)s[len - 1]))
		len--;
	for (; i < len && n + 1 < max; i++)
		out[n++] = (char)toupper((unsigned char)s[i]);
	out[n] = '\0';
	return true;
}

/* Where goose replaces ${VAR}: from ENVSUB ON to ENVSUB OFF. */
struct envsub {
	bool on;
	size_t from;
};

/* One line of a goose file: an annotation, or SQL. */
static int goose_line(void *ctx, struct revision *rev, size_t pos, size_t len, size_t next,
		      struct findings *fs)
{
	struct envsub *env = ctx;
	char a[32];
	if (!annotation(rev->text + pos, len, a, sizeof(a)))
		return 0;
	if (!strcmp(a, "UP"))
		return LAYOUT_MARK_UP;
	if (!strcmp(a, "DOWN"))
		return LAYOUT_MARK_DOWN;
	if (!strcmp(a, "NO TRANSACTION")) {
		rev->transactional = false;
	} else if (!strcmp(a, "ENVSUB ON")) {
		env->on = true;
		env->from = next;
	} else if (!strcmp(a, "ENVSUB OFF") && env->on) {
		layout_report_placeholders(rev, env->from, pos, "goose ENVSUB", fs);
		env->on = false;
	}
	return 0;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	if (has_suffix(u->name, ".go")) {
		layout_rev_from_unit(t, u, rev);
		struct finding *f = findings_add(
			fs, RULE_UNSUPPORTED_MIGRATION, SEV_WARNING, rev->path, 0, 0,
			"a Go migration: revgate cannot read what it does, so it lints nothing in it");
		finding_set_hint(f, "lint and the graph still count it; an import needs it as SQL");
		return 0;
	}
	int ret = layout_read_unit(t, u, rev, fs);
	if (ret <= 0)
		return ret;
	struct envsub env = {false, 0};
	layout_marked_sections(rev, goose_line, &env, "-- +goose Up", "-- +goose Down", fs);
	if (env.on)
		layout_report_placeholders(rev, env.from, rev->len, "goose ENVSUB", fs);
	return 0;
}

const struct layout_ops layout_goose = {
	.kind = LAYOUT_GOOSE,
	.name = "goose",
	.downgrade_how = "under '-- +goose Down'",
	.linear = true,
	.depth = 0,
	.list = list,
	.parse = parse,
};
