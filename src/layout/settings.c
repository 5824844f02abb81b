/*
 * Where a project keeps its migrations, from revgate.ini and, for Alembic,
 * alembic.ini: script_location, version_locations (split as Alembic splits
 * them), recursive_version_locations and file_template.
 */
#include "config/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/layout.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* `path` relative to `base_dir` unless absolute; "." parts dropped. Fresh. */
static char *resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || !base_dir || !*base_dir || !strcmp(base_dir, "."))
		return xstrdup(path);
	return path_join(base_dir, path);
}

/* An absolute path below the current directory as a relative one, so
 * findings name files as the user sees them. Fresh string. */
static char *shown(const char *path)
{
	char cwd[PATH_MAX];
	if (path[0] != '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	size_t n = strlen(cwd);
	if (!strncmp(path, cwd, n) && path[n] == '/')
		return xstrdup(path + n + 1);
	if (!strcmp(path, cwd))
		return xstrdup(".");
	return xstrdup(path);
}

/* Drops "./" parts and a trailing '/'. */
static void tidy(char *p)
{
	char *w = p;
	for (char *r = p; *r;) {
		if (r[0] == '.' && r[1] == '/' && (r == p || r[-1] == '/')) {
			r += 2;
			continue;
		}
		if (r[0] == '/' && r[1] == '/') {
			r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
}

/* Alembic's own splitting of version_locations. */
static void split_locations(const char *value, const char *separator, struct strlist *out)
{
	char sep = 0;
	char *s = separator ? xstrndup(separator, strcspn(separator, " \t#")) : NULL;
	if (s && (!strcmp(s, "os") || !strcmp(s, ":")))
		sep = ':';
	else if (s && !strcmp(s, ";"))
		sep = ';';
	else if (s && !strcmp(s, "space"))
		sep = ' ';
	else if (s && !strcmp(s, "newline"))
		sep = '\n';
	free(s);
	char *copy = xstrdup(value);
	for (char *c = copy; *c; c++)
		/* no separator set: Alembic's legacy split on spaces and commas */
		if ((!sep && (*c == ',' || isspace((unsigned char)*c))) || *c == sep || *c == '\n')
			*c = '\n';
	struct strlist parts = STRLIST_INIT;
	strlist_split(&parts, copy, '\n');
	for (size_t i = 0; i < parts.n; i++) {
		char *p = parts.v[i];
		while (isspace((unsigned char)*p))
			p++;
		size_t n = strlen(p);
		while (n && isspace((unsigned char)p[n - 1]))
			p[--n] = '\0';
		if (*p)
			strlist_push(out, p);
	}
	strlist_release(&parts);
	free(copy);
}

/* The longest directory that holds every path of `paths`. Fresh string. */
static char *common_dir(const struct strlist *paths)
{
	if (!paths->n)
		return xstrdup(".");
	char *c = xstrdup(paths->v[0]);
	for (size_t i = 1; i < paths->n; i++) {
		size_t k = 0;
		while (c[k] && c[k] == paths->v[i][k])
			k++;
		bool whole = !c[k] && (paths->v[i][k] == '/' || !paths->v[i][k]);
		if (!whole) {
			while (k > 0 && c[k - 1] != '/')
				k--;
			c[k ? k - 1 : 0] = '\0';
		}
	}
	if (!*c) {
		free(c);
		c = xstrdup(paths->v[0][0] == '/' ? "/" : ".");
	}
	return c;
}

static bool truthy(const char *v)
{
	return v && (!strncasecmp(v, "true", 4) || !strncmp(v, "1", 1) ||
		     !strncasecmp(v, "yes", 3) || !strncasecmp(v, "on", 2));
}

/*
 * Alembic's directories from `ini` (NULL or missing: none), with
 * `migrations` joining them when `explicit` (set in revgate.ini, or the
 * directory an import names).
 */
static int load_alembic(struct layout_settings *s, const char *ini, const char *migrations,
			bool explicit)
{
	struct config a = CONFIG_INIT;
	int ret = 0;
	if (ini && path_exists(ini)) {
		if ((ret = config_load_section(&a, ini, "alembic")) < 0)
			goto out;
		s->alembic_ini = xstrdup(ini);
	} else {
		ini = "alembic.ini";
	}
	const char *slash = strrchr(ini, '/');
	char *ini_dir = slash ? xstrndup(ini, (size_t)(slash - ini)) : xstrdup(".");
	const char *script = config_value(&a, "alembic", "script_location");
	if (script && !strchr(script, ':'))
		s->alembic_script_dir = resolve(ini_dir, script);
	const char *ft = config_value(&a, "alembic", "file_template");
	if (ft)
		s->alembic_file_template = xstrdup(ft);
	s->recursive = truthy(config_value(&a, "alembic", "recursive_version_locations"));
	struct strlist locs = STRLIST_INIT;
	const char *vl = config_value(&a, "alembic", "version_locations");
	if (vl) {
		struct strlist raw = STRLIST_INIT;
		/* Alembic 1.16 names it path_separator; before, version_path_separator */
		const char *sep = config_value(&a, "alembic", "path_separator");
		if (!sep)
			sep = config_value(&a, "alembic", "version_path_separator");
		split_locations(vl, sep, &raw);
		for (size_t i = 0; i < raw.n; i++)
			strlist_push_owned(&locs, resolve(ini_dir, raw.v[i]));
		strlist_release(&raw);
	} else if (s->alembic_script_dir && !explicit) {
		strlist_push_owned(&locs, path_join(s->alembic_script_dir, "versions"));
	}
	if (explicit || !locs.n)
		strlist_push(&locs, migrations);
	for (size_t i = 0; i < locs.n; i++) {
		char *v = shown(locs.v[i]);
		tidy(v);
		free(locs.v[i]);
		locs.v[i] = v;
	}
	/* one location, or the directory above several */
	struct strlist uniq = STRLIST_INIT;
	for (size_t i = 0; i < locs.n; i++)
		if (!strlist_has(&uniq, locs.v[i]))
			strlist_push(&uniq, locs.v[i]);
	s->dir = common_dir(&uniq);
	if (uniq.n > 1 || (uniq.n == 1 && strcmp(uniq.v[0], s->dir))) {
		size_t n = strcmp(s->dir, ".") ? strlen(s->dir) + 1 : 0;
		for (size_t i = 0; i < uniq.n; i++)
			strlist_push(&s->subdirs, strlen(uniq.v[i]) > n ? uniq.v[i] + n : "");
	}
	strlist_release(&uniq);
	strlist_release(&locs);
	free(ini_dir);
out:
	config_release(&a);
	return ret;
}

int layout_settings_load(struct layout_settings *s, const struct config *cfg,
			 const char *migrations)
{
	int ret = layout_from_name(config_get(cfg, "revgate", "layout"), &s->kind);
	if (ret < 0)
		return err_wrap(ret, "[revgate] layout");
	const char *cmd = config_get(cfg, "alembic", "command");
	s->alembic_command = xstrdup(cmd);
	if (s->kind != LAYOUT_ALEMBIC) {
		s->dir = xstrdup(migrations);
		return 0;
	}
	char *cfg_dir = NULL;
	if (cfg->path && strchr(cfg->path, '/'))
		cfg_dir = xstrndup(cfg->path, (size_t)(strrchr(cfg->path, '/') - cfg->path));
	char *ini = resolve(cfg_dir, config_get(cfg, "alembic", "config"));
	free(cfg_dir);
	if (!path_exists(ini) && config_value(cfg, "alembic", "config")) {
		ret = err_set(ERR_CONFIG, "[alembic] config: '%s' does not exist", ini);
		free(ini);
		return ret;
	}
	ret = load_alembic(s, ini, migrations, config_value(cfg, "revgate", "migrations") != NULL);
	free(ini);
	return ret;
}

int layout_settings_for_dir(struct layout_settings *s, enum layout_kind kind, const char *dir,
			    const char *alembic_ini, const char *alembic_command)
{
	s->kind = kind;
	s->alembic_command = xstrdup(alembic_command ? alembic_command : "alembic");
	if (kind != LAYOUT_ALEMBIC) {
		s->dir = xstrdup(dir);
		return 0;
	}
	/* a project directory holds alembic.ini; a versions directory does not */
	char *beside = path_join(dir, "alembic.ini");
	int ret;
	char *rb = realpath(beside, NULL), *ra = alembic_ini ? realpath(alembic_ini, NULL) : NULL;
	bool same = rb && ra && !strcmp(rb, ra);
	free(rb);
	free(ra);
	if ((!alembic_ini || same) && path_exists(beside)) {
		ret = load_alembic(s, beside, dir, false);
	} else {
		if (alembic_ini && !path_exists(alembic_ini)) {
			free(beside);
			return err_set(ERR_USAGE, "'%s' does not exist", alembic_ini);
		}
		ret = load_alembic(s, alembic_ini ? alembic_ini : "alembic.ini", dir, true);
	}
	free(beside);
	return ret;
}
