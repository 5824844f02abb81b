/*
 * Flyway: V<version>__<description>.sql, anywhere below the migrations
 * directory, ordered by version (numbers separated by '.' or '_', compared
 * part by part); U<version>__... is the undo of that version;
 * <script>.sql.conf holds script settings (executeInTransaction=false).
 * Repeatable (R__) migrations re-run whenever they change: they are no
 * revision of a history, and are reported, not read. Flyway replaces
 * ${placeholders} before the SQL runs: those are reported too.
 */
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int layout_flyway_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea ? ea + 1 : ea;
		b = *eb ? eb + 1 : eb;
	}
	return 0;
}

static int unit_cmp(const void *a, const void *b)
{
	const struct layout_unit *x = a, *y = b;
	int c = layout_flyway_cmp(x->version, y->version);
	return c ? c : strcmp(x->name, y->name);
}

/*
 * Splits <prefix><version>__<description>.sql: the version as written with
 * '_' turned to '.', and the description; false when the base name is not
 * of that form.
 */
static bool split_name(const char *base, char prefix, char **version, char **desc)
{
	size_t n = strlen(base);
	*version = *desc = NULL;
	if (n < 8 || base[0] != prefix || strcmp(base + n - 4, ".sql"))
		return false;
	const char *sep = strstr(base + 1, "__");
	if (!sep || sep == base + 1)
		return false;
	for (const char *c = base + 1; c < sep; c++)
		if (!isdigit((unsigned char)*c) && *c != '.' && *c != '_')
			return false;
	if (!isdigit((unsigned char)base[1]))
		return false;
	*version = xstrndup(base + 1, (size_t)(sep - base - 1));
	for (char *c = *version; *c; c++)
		if (*c == '_')
			*c = '.';
	*desc = xstrndup(sep + 2, (size_t)(base + n - 4 - sep - 2));
	return true;
}

static const char *base_of(const char *name)
{
	const char *s = strrchr(name, '/');
	return s ? s + 1 : name;
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	for (size_t i = 0; i < t->names.n; i++) {
		const char *name = t->names.v[i], *base = base_of(name);
		char *version, *desc;
		if (base[0] == 'R' && !strncmp(base, "R__", 3)) {
			char *path = path_join(t->settings->dir, name);
			struct finding *f = findings_add(
				fs, RULE_UNSUPPORTED_MIGRATION, SEV_WARNING, path, 0, 0,
				"a repeatable migration runs again whenever it changes; it is no "
				"revision of the history, and revgate neither lints nor imports it");
			finding_set_hint(f, "keep it with Flyway, or turn it into versioned migrations");
			free(path);
			continue;
		}
		if (!split_name(base, 'V', &version, &desc)) {
			char *v2, *d2;
			size_t n = strlen(base);
			bool other = split_name(base, 'U', &v2, &d2) || split_name(base, 'B', &v2, &d2);
			free(v2);
			free(d2);
			if (!other && n > 4 && !strcmp(base + n - 4, ".sql")) {
				char *path = path_join(t->settings->dir, name);
				struct finding *f = findings_add(
					fs, RULE_FILE_NAME, SEV_WARNING, path, 0, 0,
					"'%s' is not named V<version>__<description>.sql: Flyway "
					"ignores it",
					base);
				finding_set_hint(f, "name it like V2__add_users.sql");
				free(path);
			}
			continue;
		}
		struct layout_unit *u = layout_unit_push(out, name);
		u->version = version;
		char *raw = xstrfmt("V%s", version);
		for (char *c = raw; *c; c++)
			if (*c == '.')
				*c = '_';
		u->id = layout_id_from_version(raw);
		free(raw);
		u->message = layout_message_from_slug(desc);
		u->created = layout_created_from_version(version);
		free(desc);
		/* the undo script: U<same version as written>__<any>.sql, same folder */
		size_t dirlen = (size_t)(base - name);
		const char *sep = strstr(base + 1, "__");
		for (size_t k = 0; k < t->names.n; k++) {
			const char *cand = t->names.v[k];
			if (strncmp(cand, name, dirlen) || strchr(cand + dirlen, '/'))
				continue;
			const char *cb = cand + dirlen;
			if (cb[0] == 'U' && !strncmp(cb + 1, base + 1, (size_t)(sep - base - 1)) &&
			    !strncmp(cb + (sep - base), "__", 2)) {
				size_t cn = strlen(cb);
				if (cn > 4 && !strcmp(cb + cn - 4, ".sql")) {
					u->down_name = xstrdup(cand);
					break;
				}
			}
		}
		char *conf = xstrfmt("%s.conf", name);
		if (layout_tree_has(t, conf))
			u->conf_name = conf;
		else
			free(conf);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), unit_cmp);
	return 0;
}

/* executeInTransaction=false in a script's .conf file (key=value lines). */
static void read_conf(const char *text, struct revision *rev)
{
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char *line = xstrndup(l, n);
		char *key = line, *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			char *v = eq + 1;
			while (isspace((unsigned char)*key))
				key++;
			for (char *z = eq; z > key && isspace((unsigned char)z[-1]); z--)
				z[-1] = '\0';
			while (isspace((unsigned char)*v))
				v++;
			if ((!strcmp(key, "executeInTransaction") ||
			     !strcmp(key, "flyway.executeInTransaction")) &&
			    !strncmp(v, "false", 5))
				rev->transactional = false;
		}
		free(line);
		l = e ? e + 1 : NULL;
	}
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	char *conf;
	int ret = layout_read_pair(t, u, rev, &conf, fs);
	if (conf)
		read_conf(conf, rev);
	free(conf);
	if (ret <= 0)
		return ret;
	size_t before = fs->n;
	layout_report_placeholders(rev, rev->upgrade.start, rev->upgrade.end, "Flyway", fs);
	if (rev->downgrade.present)
		layout_report_placeholders(rev, rev->downgrade.start, rev->downgrade.end, "Flyway",
					   fs);
	revision_remap_findings(rev, fs, before);
	return 0;
}

const struct layout_ops layout_flyway = {
	.kind = LAYOUT_FLYWAY,
	.name = "flyway",
	.downgrade_how = "in an undo migration U<version>__<description>.sql",
	.linear = true,
	.depth = 4,
	.list = list,
	.parse = parse,
};
