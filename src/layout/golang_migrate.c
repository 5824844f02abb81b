/*
 * golang-migrate: NNNN_title.up.sql and NNNN_title.down.sql directly in the
 * migrations directory, ordered by the number. The down file is optional.
 * The tool sends each file to the server as one multi-statement query (one
 * implicit transaction), so a revision runs in a transaction.
 */
#include "core/fileio.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <stdlib.h>
#include <string.h>

static int unit_cmp(const void *a, const void *b)
{
	const struct layout_unit *x = a, *y = b;
	int c = layout_numeric_cmp(x->version, y->version);
	return c ? c : strcmp(x->name, y->name);
}

/* Splits NNNN_title.(up|down).ext: the version, the title, the direction. */
static bool split_name(const char *name, char **version, char **title, bool *up)
{
	*version = *title = NULL;
	if (strchr(name, '/'))
		return false;
	char *v = layout_leading_digits(name);
	if (!v || name[strlen(v)] != '_') {
		free(v);
		return false;
	}
	const char *rest = name + strlen(v) + 1;
	const char *dir = strstr(rest, ".up.");
	*up = dir != NULL;
	if (!dir)
		dir = strstr(rest, ".down.");
	if (!dir || !strchr(dir + 1, '.')[1]) {
		free(v);
		return false;
	}
	*version = v;
	*title = xstrndup(rest, (size_t)(dir - rest));
	return true;
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i];
		char *version, *title;
		bool up;
		if (!split_name(name, &version, &title, &up)) {
			size_t n = strlen(name);
			if (!strchr(name, '/') && n > 4 && !strcmp(name + n - 4, ".sql")) {
				char *path = path_join(t->settings->dir, name);
				struct finding *f = findings_add(
					fs, RULE_FILE_NAME, SEV_WARNING, path, 0, 0,
					"'%s' is not named VERSION_title.up.sql or .down.sql: "
					"golang-migrate ignores it",
					name);
				finding_set_hint(f, "name it like 000001_add_users.up.sql");
				free(path);
			}
			continue;
		}
		if (!up) {
			/* the pair is found from its up file; a lone down file is odd */
			const char *at = strstr(name + strlen(version), ".down.");
			char *up_name = xstrfmt("%.*s.up.%s", (int)(at - name), name, at + 6);
			bool found = false;
			for (size_t k = 0; k < t->names.n && !found; k++)
				found = !strcmp(t->names.v[k], up_name);
			if (!found) {
				char *path = path_join(t->settings->dir, name);
				struct finding *f = findings_add(
					fs, RULE_MISSING_UPGRADE, SEV_ERROR, path, 0, 0,
					"a down migration without its up file '%s'", up_name);
				finding_set_hint(f, "add the up file, or remove the down file");
				free(path);
			}
			free(up_name);
			free(version);
			free(title);
			continue;
		}
		struct layout_unit *u = layout_unit_push(out, name);
		u->version = version;
		u->id = layout_id_from_version(version);
		u->message = layout_message_from_slug(title);
		u->created = layout_created_from_version(version);
		char *down = xstrdup(name);
		char *at = strstr(down + strlen(version), ".up.");
		char *down_name = xstrfmt("%.*s.down.%s", (int)(at - down), down, at + 4);
		for (size_t k = 0; k < t->names.n; k++) {
			if (!strcmp(t->names.v[k], down_name)) {
				u->down_name = down_name;
				down_name = NULL;
				break;
			}
		}
		free(down_name);
		free(down);
		free(title);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), unit_cmp);
	return 0;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	int ret = layout_read_pair(t, u, rev, NULL, fs);
	return ret < 0 ? ret : 0;
}

const struct layout_ops layout_golang_migrate = {
	.kind = LAYOUT_GOLANG_MIGRATE,
	.name = "golang-migrate",
	.downgrade_how = "in the .down.sql file beside it",
	.linear = true,
	.depth = 0,
	.list = list,
	.parse = parse,
};
