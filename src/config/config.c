/* revgate.ini: parsed by inih, checked against one table of known keys. */
#include "config/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

const struct config_key config_keys[] = {
	{"revgate", "migrations", "migrations",
	 "directory of the revision files, relative to the configuration file"},
	{"revgate", "file_name_pattern", NULL,
	 "PCRE2 pattern revision file names must match; its named group 'revision' is the "
	 "id (default: YYYYMMDD_HHMM_<revision>_<slug>.sql)"},
	{"revgate", "max_file_size", "134217728",
	 "largest revision file read, in bytes; a larger one is a finding"},
	{"git", "base", NULL,
	 "base branch whose revisions count as applied (default: origin/main if it exists, "
	 "else main)"},
	{"git", "applied", NULL,
	 "what counts as applied when it is not the base: a branch or tag, or a pattern of "
	 "tags or branches such as 'deploy/*' (a revision on any of them); a revision merged "
	 "to the base but not yet there may still be edited"},
	{"database", "url", NULL,
	 "connection URL, used when neither --url nor DATABASE_URL (environment or .env) "
	 "is set"},
	{"database", "version_table", "revgate_version",
	 "table of current heads; set alembic_version to take over an Alembic database"},
	{"database", "version_table_schema", NULL, "schema of the version table (default: search_path)"},
	{"database", "history_table", "revgate_history", "append-only table of every step run"},
	{"database", "lock_timeout", "5s", "lock_timeout set for each revision"},
	{"database", "statement_timeout", "0", "statement_timeout set for each revision (0: none)"},
	{"database", "lock_wait", "60s",
	 "how long to wait for another revgate holding the advisory lock"},
	{"database", "own_lock_timeout", "3s",
	 "lock_timeout of revgate's own statements on its version and history tables; a longer "
	 "wait fails, naming the session that holds the lock"},
	{"database", "concurrent_lock_timeout", "0",
	 "lock_timeout of CREATE INDEX CONCURRENTLY and the other CONCURRENTLY statements, which "
	 "wait for every older transaction on the database (0: wait as long as it takes, "
	 "showing progress and whom it waits for)"},
	{"database", "backup_dir", NULL,
	 "upgrade and downgrade dump what each step destroys (tables dropped, emptied or "
	 "written whole; columns dropped or retyped with USING) into this directory first "
	 "(as --backup)"},
	{"revgate", "layout", "revgate",
	 "how the migrations directory is read: revgate, alembic, dbmate, golang-migrate, goose, "
	 "flyway, diesel or sqitch (the others are read in place for lint, the graph commands "
	 "and the git guard; 'revgate import' turns them into revgate revisions)"},
	{"alembic", "config", "alembic.ini",
	 "Alembic's configuration file, relative to revgate.ini (layout = alembic)"},
	{"alembic", "command", "alembic",
	 "how to run Alembic for the SQL of its revisions, e.g. 'poetry run alembic'; the "
	 "default falls back to 'python3 -m alembic' when no alembic command is installed"},
	{"lint", "pg_version", "15", "PostgreSQL major version the rules judge for (11 to 19)"},
	{"lint", "fail_level", "error", "lowest severity that makes lint exit 1 (error or warning)"},
	{"lint", "index_name_pattern", NULL, "PCRE2 pattern index names must match"},
	{"lint", "constraint_name_pattern", NULL, "PCRE2 pattern constraint names must match"},
	{"lint", "cache_dir", NULL,
	 "where revgate keeps its caches — parsed revision headers and snapshots of the "
	 "schema replayed from long histories (default: $XDG_CACHE_HOME/revgate, else "
	 "~/.cache/revgate; 'off' disables them)"},
	{NULL, NULL, NULL, NULL},
};

static const struct config_key *find_key(const char *section, const char *key)
{
	for (const struct config_key *k = config_keys; k->section; k++)
		if (!strcmp(k->section, section) && !strcmp(k->key, key))
			return k;
	return NULL;
}

/* Sections whose keys are names the user chooses: rule ids (checked by
 * the linter), and the databases of a fleet run (checked by fleet/). */
static bool open_section(const char *section)
{
	return !strcmp(section, "rules") || !strcmp(section, "databases");
}

static bool known_section(const char *section)
{
	if (open_section(section))
		return true;
	for (const struct config_key *k = config_keys; k->section; k++)
		if (!strcmp(k->section, section))
			return true;
	return false;
}

struct load_ctx {
	struct config *cfg;
	int err;
	unsigned line;
};

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	if (ctx->err)
		return 0;
	if (!known_section(section)) {
		ctx->err = err_set(ERR_CONFIG, "%s: unknown section [%s]", ctx->cfg->path, section);
		return 0;
	}
	if (!open_section(section) && !find_key(section, name)) {
		ctx->err = err_set(ERR_CONFIG, "%s: unknown key '%s' in [%s]", ctx->cfg->path, name,
				   section);
		return 0;
	}
	struct config *cfg = ctx->cfg;
	for (size_t i = 0; i < cfg->n; i++) {
		if (!strcmp(cfg->v[i].section, section) && !strcmp(cfg->v[i].key, name)) {
			ctx->err = err_set(ERR_CONFIG, "%s: '%s' is set twice in [%s]", cfg->path,
					   name, section);
			return 0;
		}
	}
	ALLOC_GROW(cfg->v, cfg->n + 1, cfg->alloc);
	struct config_entry *e = &cfg->v[cfg->n++];
	e->section = xstrdup(section);
	e->key = xstrdup(name);
	e->value = xstrdup(value);
	return 1;
}

/*
 * revgate.ini in the current directory or the nearest one above it, as a
 * path relative to the current directory ("revgate.ini", "../revgate.ini"),
 * so the migrations directory resolves against the file's own directory.
 * The search stops at the first file found, at a directory holding its own
 * default migrations directory (a project that runs on defaults: a
 * revgate.ini above it belongs to another one), at the top of a git work
 * tree (a directory holding .git: git runs hooks from there, and a file
 * above it belongs to another project) and at the file system's root. NULL
 * when there is none.
 */
static char *config_find(void)
{
	struct strbuf up = STRBUF_INIT;
	char *found = NULL;
	for (;;) {
		char *candidate = xstrfmt("%srevgate.ini", up.buf);
		if (path_exists(candidate)) {
			found = candidate;
			break;
		}
		free(candidate);
		char *git = xstrfmt("%s.git", up.buf);
		char *own = xstrfmt("%smigrations", up.buf);
		bool top = path_exists(git) || path_is_dir(own);
		free(own);
		free(git);
		if (top)
			break;
		char *here = realpath(up.len ? up.buf : ".", NULL);
		strbuf_addstr(&up, "../");
		char *parent = realpath(up.buf, NULL);
		bool root = !here || !parent || !strcmp(here, parent);
		free(here);
		free(parent);
		if (root)
			break;
	}
	strbuf_release(&up);
	return found;
}

/* A configuration file is a few dozen lines; anything this large is not one. */
#define CONFIG_MAX_SIZE ((size_t)1 << 20)

/*
 * inih reads a line in pieces of INI_MAX_LINE bytes (the newline and the
 * terminating NUL included) and would take the rest of a longer line for a
 * line of its own, reporting a syntax error on the wrong line or, worse,
 * reading a key that is not there. Such a line is refused by its number.
 */
static int check_line_lengths(const char *path, const char *text)
{
	const size_t max = INI_MAX_LINE - 2;
	unsigned line = 1;
	for (const char *p = text; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len > max)
			return err_set(ERR_CONFIG,
				       "%s:%u: the line is %zu characters long, more than the %zu a "
				       "configuration line may have; shorten it (a path relative to "
				       "the file is shorter)",
				       path, line, len, max);
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int config_load(struct config *cfg, const char *path)
{
	if (!path) {
		cfg->path = config_find();
		if (!cfg->path)
			return 0;
		path = cfg->path;
	} else if (!path_exists(path)) {
		return err_set(ERR_CONFIG, "configuration file '%s' does not exist", path);
	} else {
		cfg->path = xstrdup(path);
	}
	struct strbuf text = STRBUF_INIT;
	int ret = file_read(path, CONFIG_MAX_SIZE, &text);
	if (ret == 0)
		ret = check_line_lengths(path, text.buf);
	if (ret < 0) {
		strbuf_release(&text);
		return ret;
	}
	struct load_ctx ctx = {.cfg = cfg};
	int rc = ini_parse_string(text.buf, on_entry, &ctx);
	strbuf_release(&text);
	if (ctx.err)
		return ctx.err;
	if (rc > 0)
		return err_set(ERR_CONFIG, "%s:%d: syntax error (expected [section] or key = value)",
			       path, rc);
	if (rc < 0)
		return err_set(ERR_IO, "cannot read '%s'", path);
	return 0;
}

const char *config_get(const struct config *cfg, const char *section, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->v[i].section, section) && !strcmp(cfg->v[i].key, key))
			return cfg->v[i].value;
	const struct config_key *k = find_key(section, key);
	return k ? k->default_value : NULL;
}

int config_duration_ms(const char *value, const char *what, long *ms)
{
	errno = 0;
	char *end;
	double v = strtod(value, &end);
	while (isspace((unsigned char)*end))
		end++;
	double mult;
	if (!*end || !strcmp(end, "s")) /* seconds when no unit is given */
		mult = 1000;
	else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "min"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else
		mult = -1;
	if (end == value || errno || mult < 0 || !isfinite(v) || v < 0)
		return err_set(ERR_CONFIG, "%s: '%s' is not a duration (e.g. 5s, 500ms, 2min)",
			       what, value);
	/* PostgreSQL keeps timeouts in an int of milliseconds; a larger double
	 * would also overflow the conversion to long */
	if (v * mult > INT_MAX)
		return err_set(ERR_CONFIG, "%s: '%s' is too long (at most %d ms, about 24 days)",
			       what, value, INT_MAX);
	*ms = (long)(v * mult);
	return 0;
}

void config_section_entries(const struct config *cfg, const char *section,
			    const struct config_entry **out, size_t *n, size_t max)
{
	*n = 0;
	for (size_t i = 0; i < cfg->n && *n < max; i++)
		if (!strcmp(cfg->v[i].section, section))
			out[(*n)++] = &cfg->v[i];
}

char *config_cache_dir(const struct config *cfg)
{
	const char *v = config_get(cfg, "lint", "cache_dir");
	if (v)
		return *v && strcmp(v, "off") ? xstrdup(v) : NULL;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		return xstrfmt("%s/revgate", xdg);
	if (home && *home)
		return xstrfmt("%s/.cache/revgate", home);
	return NULL;
}

/* ---- another tool's ini file ---- */

/* %(here)s is the file's directory (Alembic's and Python's configparser
 * convention); %% is a percent sign. */
static char *interpolate(const char *value, const char *here)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *c = value; *c; c++) {
		if (!strncmp(c, "%(here)s", 8)) {
			strbuf_addstr(&sb, here);
			c += 7;
		} else if (!strncmp(c, "%%", 2)) {
			strbuf_addch(&sb, '%');
			c++;
		} else {
			strbuf_addch(&sb, *c);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void trim_end(struct strbuf *sb)
{
	while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
		strbuf_setlen(sb, sb->len - 1);
}

/*
 * Python's configparser, as Alembic reads alembic.ini: "key = value" or
 * "key: value", comment lines starting with '#' or ';', a value going on
 * over indented lines (joined with line breaks), lines of any length, no
 * comment after a value. inih reads revgate.ini; this reads only files of
 * tools that define them by configparser.
 */
int config_load_section(struct config *cfg, const char *path, const char *section)
{
	struct strbuf text = STRBUF_INIT;
	int ret = file_read(path, 0, &text);
	if (ret < 0) {
		strbuf_release(&text);
		return ret == ERR_NOTFOUND ? ret : err_wrap(ret, "cannot read '%s'", path);
	}
	cfg->path = xstrdup(path);
	char *dir = realpath(path, NULL);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	const char *here = dir ? dir : ".";
	bool in = false;
	struct strbuf key = STRBUF_INIT, value = STRBUF_INIT;
	bool have = false;
	unsigned line = 0;
	for (char *l = text.buf; l && ret == 0;) {
		char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		line++;
		char *s = l;
		bool indented = n && (*s == ' ' || *s == '\t');
		while ((size_t)(s - l) < n && isspace((unsigned char)*s))
			s++;
		size_t rest = n - (size_t)(s - l);
		bool blank = !rest || (rest && s[rest - 1] == '\r' && rest == 1);
		if (have && (indented && !blank)) {
			/* a continuation line */
			strbuf_addch(&value, '\n');
			strbuf_add(&value, s, rest);
			trim_end(&value);
		} else if (blank || *s == '#' || *s == ';') {
			/* nothing: a blank line or a comment */
		} else {
			if (have && in) {
				ALLOC_GROW(cfg->v, cfg->n + 1, cfg->alloc);
				struct config_entry *en = &cfg->v[cfg->n++];
				en->section = xstrdup(section);
				en->key = strbuf_detach(&key, NULL);
				en->value = interpolate(value.buf, here);
				strbuf_reset(&value);
			}
			strbuf_reset(&key);
			have = false;
			if (*s == '[') {
				char *close = memchr(s, ']', rest);
				if (!close) {
					ret = err_set(ERR_CONFIG, "%s:%u: a section header without ']'",
						      path, line);
					break;
				}
				in = (size_t)(close - s - 1) == strlen(section) &&
				     !strncmp(s + 1, section, strlen(section));
			} else {
				size_t k = strcspn(s, "=:");
				if (k >= rest) {
					ret = err_set(ERR_CONFIG,
						      "%s:%u: expected 'key = value' or [section]", path,
						      line);
					break;
				}
				strbuf_add(&key, s, k);
				trim_end(&key);
				const char *v = s + k + 1;
				size_t vn = rest - k - 1;
				while (vn && isspace((unsigned char)*v)) {
					v++;
					vn--;
				}
				strbuf_add(&value, v, vn);
				trim_end(&value);
				have = true;
			}
		}
		l = e ? e + 1 : NULL;
	}
	if (ret == 0 && have && in) {
		ALLOC_GROW(cfg->v, cfg->n + 1, cfg->alloc);
		struct config_entry *en = &cfg->v[cfg->n++];
		en->section = xstrdup(section);
		en->key = strbuf_detach(&key, NULL);
		en->value = interpolate(value.buf, here);
	}
	strbuf_release(&key);
	strbuf_release(&value);
	strbuf_release(&text);
	free(dir);
	return ret;
}

const char *config_value(const struct config *cfg, const char *section, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->v[i].section, section) && !strcmp(cfg->v[i].key, key))
			return cfg->v[i].value;
	return NULL;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->v[i].section);
		free(cfg->v[i].key);
		free(cfg->v[i].value);
	}
	free(cfg->v);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
