/*
 * revgate.ini, read with inih. Every key revgate understands is listed in
 * one table (config.c) with its default and documentation; an unknown
 * section or key is an error, so a typo never silently falls back to a
 * default. [rules] accepts any key: rule ids are checked by the linter;
 * so does [databases]: the names of a fleet run's databases (fleet/).
 *
 * Ownership: a config owns every string in it; config_get() returns
 * borrowed strings valid until config_release().
 */
#ifndef REVGATE_CONFIG_CONFIG_H
#define REVGATE_CONFIG_CONFIG_H

#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

struct config_key {
	const char *section;
	const char *key;
	const char *default_value; /* NULL: unset */
	const char *doc;
};

/* The table of known keys, ending with a NULL section. */
extern const struct config_key config_keys[];

struct config_entry {
	char *section, *key, *value;
};

struct config {
	char *path; /* the file read, or NULL when none was found */
	struct config_entry *v;
	size_t n, alloc;
};
#define CONFIG_INIT {NULL, NULL, 0, 0}

/*
 * Reads `path` if given (it must exist), else the nearest revgate.ini in
 * the current directory or above it, up to the top of the git work tree or
 * a directory with its own migrations directory (cfg->path then says where,
 * relative to the current directory); none
 * found leaves cfg->path NULL. Errors: ERR_CONFIG (syntax, unknown key),
 * ERR_IO.
 */
int config_load(struct config *cfg, const char *path);
/* The value set in the file, else the table's default, else NULL. */
const char *config_get(const struct config *cfg, const char *section, const char *key);
/* Parses a duration ("5s", "500ms", "2min", "0") into milliseconds. ERR_CONFIG. */
int config_duration_ms(const char *value, const char *what, long *ms);
/* Entries of one section in file order (for [rules]). */
void config_section_entries(const struct config *cfg, const char *section,
			    const struct config_entry **out, size_t *n, size_t max);
/* Where revgate keeps caches: [lint] cache_dir, else $XDG_CACHE_HOME/revgate,
 * else ~/.cache/revgate; NULL when set to 'off' or no home is known.
 * Returns a fresh string. */
char *config_cache_dir(const struct config *cfg);
/*
 * Reads the keys of one section of another tool's ini file (Alembic's
 * alembic.ini) without checking them; %(here)s becomes the file's
 * directory. ERR_NOTFOUND, ERR_CONFIG, ERR_IO.
 */
int config_load_section(struct config *cfg, const char *path, const char *section);
/* The value set in the file, or NULL (no table default). */
const char *config_value(const struct config *cfg, const char *section, const char *key);
void config_release(struct config *cfg);

#endif
