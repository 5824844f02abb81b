/*
 * The target set of a fleet run: read from a file or revgate.ini, or
 * listed from a server, and checked as a whole before anything runs.
 * Names of databases and schemas reach the server only inside connection
 * parameters or quoted (sqltext_ident); the listing queries take no
 * input but the catalog.
 */
#include "fleet/fleet.h"
#include "apply/sqltext.h"
#include "config/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Longer than PostgreSQL's identifiers is no name a report can show well. */
#define NAME_MAX_BYTES 63

void fleet_targets_release(struct fleet_targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct fleet_target *x = &t->v[i];
		free(x->name);
		if (x->url)
			memset(x->url, 0, strlen(x->url));
		free(x->url);
		free(x->shown);
		free(x->schema);
		free(x->origin);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* Takes `url` and `origin` (fresh strings). */
static struct fleet_target *add(struct fleet_targets *t, const char *name, char *url,
				char *origin)
{
	ALLOC_GROW(t->v, t->n + 1, t->alloc);
	struct fleet_target *x = &t->v[t->n++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	x->url = url;
	x->shown = db_url_redact(url);
	x->origin = origin;
	return x;
}

/* A name the server gave (any bytes): shown with '?' for what a terminal
 * would act on. */
static char *printable(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		if (iscntrl((unsigned char)*q))
			*q = '?';
	return p;
}

/* Why a name a user wrote cannot be a target's name, or NULL. */
static const char *name_problem(const char *name)
{
	if (!*name)
		return "the name is empty";
	if (strlen(name) > NAME_MAX_BYTES)
		return "the name is longer than 63 bytes";
	if (name[0] == '-')
		return "the name starts with '-'";
	for (const char *p = name; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return "the name holds a blank or a control character";
	return NULL;
}

/* One `name = URL` entry from `origin` (fresh), checked. */
static void add_named(struct fleet_targets *t, const char *name, const char *url, char *origin,
		      struct strlist *problems)
{
	const char *why = name_problem(name);
	if (why) {
		char *shown = printable(name);
		strlist_push_owned(problems, xstrfmt("%s: '%s': %s", origin, shown, why));
		free(shown);
		free(origin);
		return;
	}
	if (!*url) {
		strlist_push_owned(problems, xstrfmt("%s: '%s' has no URL", origin, name));
		free(origin);
		return;
	}
	char *identity = NULL;
	if (db_url_identity(url, &identity) < 0) {
		strlist_push_owned(problems, xstrfmt("%s: '%s': %s", origin, name, err_msg()));
		err_clear();
		free(origin);
		return;
	}
	free(identity);
	add(t, name, xstrdup(url), origin);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int fleet_targets_read(struct fleet_targets *t, const char *path, struct strlist *problems)
{
	struct strbuf sb = STRBUF_INIT;
	if (!path_exists(path))
		return err_set(ERR_USAGE, "targets file '%s' does not exist", path);
	int ret = file_read(path, 64u << 20, &sb);
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	char *line = sb.buf;
	/* a UTF-8 byte order mark, as editors on some systems write one */
	if (!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	for (unsigned no = 1; line; no++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *l = trim(line);
		line = nl ? nl + 1 : NULL;
		if (!*l || *l == '#')
			continue;
		char *origin = xstrfmt("%s:%u", path, no);
		char *eq = strchr(l, '=');
		if (!eq) {
			/* the line may be a URL with its password: never shown raw */
			char *shown = db_url_redact(l);
			strlist_push_owned(problems, xstrfmt("%s: expected 'name = URL', found '%s'",
							     origin, shown));
			free(shown);
			free(origin);
			continue;
		}
		*eq = '\0';
		add_named(t, trim(l), trim(eq + 1), origin, problems);
	}
	strbuf_release(&sb);
	return 0;
}

void fleet_targets_config(struct fleet_targets *t, const struct config *cfg, const char *pattern,
			  struct strlist *problems)
{
	for (size_t i = 0; i < cfg->n; i++) {
		const struct config_entry *e = &cfg->v[i];
		if (!strcmp(e->section, "databases") && !fnmatch(pattern, e->key, 0))
			add_named(t, e->key, e->value,
				  xstrfmt("%s [databases]", cfg->path ? cfg->path : "revgate.ini"),
				  problems);
	}
}

/* The names the query lists, those matching `pattern`, in the order
 * PostgreSQL's "C" collation gives (bytes: the same on every server). */
static int list_names(const char *url, const char *sql, const char *pattern,
		      struct strlist *out)
{
	struct db *db = NULL;
	struct db_res *r = NULL;
	int ret = db_connect(&db, url, NULL, "revgate");
	if (ret == 0)
		ret = db_query(db, sql, 0, NULL, &r);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++) {
		const char *name = db_res_value(r, i, 0);
		if (!fnmatch(pattern, name, 0))
			strlist_push(out, name);
	}
	db_res_free(r);
	db_close(db);
	return ret;
}

int fleet_targets_each_database(struct fleet_targets *t, const char *url, const char *pattern)
{
	static const char q[] = "SELECT datname FROM pg_database WHERE datallowconn AND NOT "
				"datistemplate ORDER BY datname COLLATE \"C\"";
	struct strlist names = STRLIST_INIT;
	int ret = list_names(url, q, pattern, &names);
	for (size_t i = 0; ret == 0 && i < names.n; i++) {
		char *u = NULL;
		if ((ret = db_url_derive(url, names.v[i], NULL, &u)) < 0)
			break;
		char *name = printable(names.v[i]);
		add(t, name, u, xstrdup("--each-database"));
		free(name);
	}
	strlist_release(&names);
	return ret;
}

int fleet_targets_each_schema(struct fleet_targets *t, const char *url, const char *pattern,
			      struct strlist *problems)
{
	static const char q[] = "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND "
				"nspname <> 'information_schema' ORDER BY nspname COLLATE \"C\"";
	struct strlist names = STRLIST_INIT;
	int ret = list_names(url, q, pattern, &names);
	for (size_t i = 0; ret == 0 && i < names.n; i++) {
		const char *schema = names.v[i];
		char *name = printable(schema);
		if (strchr(schema, '.')) {
			strlist_push_owned(problems,
					   xstrfmt("--each-schema: schema '%s' has a '.' in its "
						   "name, which --version-table SCHEMA.NAME cannot "
						   "name; leave it out with a narrower pattern",
						   name));
			free(name);
			continue;
		}
		/* the search_path names the schema quoted, as SQL would */
		char *ident = sqltext_ident(NULL, schema);
		char *setting = xstrfmt("search_path=%s", ident);
		char *u = NULL;
		ret = db_url_derive(url, NULL, setting, &u);
		if (ret == 0) {
			struct fleet_target *x = add(t, name, u, xstrdup("--each-schema"));
			x->schema = xstrdup(schema);
		}
		free(setting);
		free(ident);
		free(name);
	}
	strlist_release(&names);
	return ret;
}

void fleet_targets_check(const struct fleet_targets *t, const char *empty,
			 struct strlist *problems)
{
	if (!t->n && !problems->n) {
		strlist_push(problems, empty);
		return;
	}
	char **ids = xcalloc(t->n + 1, sizeof(char *));
	for (size_t i = 0; i < t->n; i++) {
		if (db_url_identity(t->v[i].url, &ids[i]) < 0) {
			err_clear();
			ids[i] = xstrdup(t->v[i].url);
		}
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(t->v[k].name, t->v[i].name)) {
				strlist_push_owned(problems,
						   xstrfmt("%s: the name '%s' is taken (%s)",
							   t->v[i].origin, t->v[i].name,
							   t->v[k].origin));
				break;
			}
			if (!strcmp(ids[k], ids[i])) {
				strlist_push_owned(problems,
						   xstrfmt("%s: '%s' is the same database as '%s' "
							   "(%s)",
							   t->v[i].origin, t->v[i].name,
							   t->v[k].name, t->v[k].origin));
				break;
			}
		}
	}
	for (size_t i = 0; i < t->n; i++)
		free(ids[i]);
	free(ids);
}
