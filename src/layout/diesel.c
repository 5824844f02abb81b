/*
 * diesel: one directory per migration, <version>_<name>/ with up.sql,
 * down.sql and an optional metadata.toml ('run_in_transaction = false').
 * The version is the directory name up to the first '_' without its
 * dashes (2024-01-31-120000 → 20240131120000); migrations run in version
 * order.
 */
#include "core/fileio.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int unit_cmp(const void *a, const void *b)
{
	const struct layout_unit *x = a, *y = b;
	int c = strcmp(x->version, y->version);
	return c ? c : strcmp(x->name, y->name);
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i];
		const char *slash = strchr(name, '/');
		if (!slash || strcmp(slash, "/up.sql"))
			continue;
		char *dir = xstrndup(name, (size_t)(slash - name));
		const char *us = strchr(dir, '_');
		size_t vlen = us ? (size_t)(us - dir) : strlen(dir);
		char *version = xmalloc(vlen + 1);
		size_t n = 0;
		bool ok = vlen > 0;
		for (size_t k = 0; k < vlen; k++) {
			if (isdigit((unsigned char)dir[k]))
				version[n++] = dir[k];
			else if (dir[k] != '-')
				ok = false;
		}
		version[n] = '\0';
		if (!ok || !n) {
			char *path = path_join(t->settings->dir, dir);
			struct finding *f = findings_add(
				fs, RULE_FILE_NAME, SEV_WARNING, path, 0, 0,
				"'%s' does not start with a version (YYYY-MM-DD-HHMMSS_name): diesel "
				"cannot order it",
				dir);
			finding_set_hint(f, "name migration directories like 2024-01-31-120000_add_users");
			free(path);
			free(version);
			free(dir);
			continue;
		}
		struct layout_unit *u = layout_unit_push(out, name);
		u->version = version;
		u->id = layout_id_from_version(version);
		u->message = layout_message_from_slug(us ? us + 1 : dir);
		u->created = layout_created_from_version(version);
		char *down = xstrfmt("%s/down.sql", dir);
		if (layout_tree_has(t, down))
			u->down_name = down;
		else
			free(down);
		char *meta = xstrfmt("%s/metadata.toml", dir);
		if (layout_tree_has(t, meta))
			u->conf_name = meta;
		else
			free(meta);
		free(dir);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), unit_cmp);
	return 0;
}

/* run_in_transaction = false in metadata.toml (one key of TOML's syntax). */
static bool runs_outside_transaction(const char *toml)
{
	for (const char *l = toml; l && *l;) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (!strncmp(l, "run_in_transaction", 18)) {
			const char *v = l + 18;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				return !strncmp(v, "false", 5);
			}
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	/* the directory names the migration; its up.sql is the file git
	 * tracks and findings point at */
	char *toml;
	int ret = layout_read_pair(t, u, rev, &toml, fs);
	if (toml && runs_outside_transaction(toml))
		rev->transactional = false;
	free(toml);
	return ret < 0 ? ret : 0;
}

const struct layout_ops layout_diesel = {
	.kind = LAYOUT_DIESEL,
	.name = "diesel",
	.downgrade_how = "in down.sql beside up.sql",
	.linear = true,
	.depth = 1,
	.list = list,
	.parse = parse,
};
