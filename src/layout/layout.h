/*
 * Other tools' migration directories, read as revgate revisions (DESIGN.md,
 * "Other tools' histories"). A layout reads one snapshot of a migrations
 * directory — the working tree, the index or a commit — through a
 * layout_tree, and fills the same struct revision the revgate reader fills,
 * so the graph, the git guard and lint never know which layout they read.
 *
 * Reading happens in two steps, so the git guard can list a snapshot
 * without reading its files: layout_list() finds the migrations (units)
 * from file names (and the plan, for sqitch), in the tool's own order;
 * layout_parse() reads one unit into a revision. Linear tools (all but
 * revgate and Alembic) have no parents in their files: a unit's parent is
 * the unit before it in the tool's order, which layout_list() settles.
 *
 * Ownership: a layout_tree owns its names; the read callback's data is
 * borrowed. layout_units owns its units and their strings. A revision
 * layout_parse() returns is the caller's (revision_release + free).
 */
#ifndef REVGATE_LAYOUT_LAYOUT_H
#define REVGATE_LAYOUT_LAYOUT_H

#include "core/finding.h"
#include "core/strbuf.h"
#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct matcher;
struct revision;
struct revset;

enum layout_kind {
	LAYOUT_REVGATE,
	LAYOUT_ALEMBIC,
	LAYOUT_DBMATE,
	LAYOUT_GOLANG_MIGRATE,
	LAYOUT_GOOSE,
	LAYOUT_FLYWAY,
	LAYOUT_DIESEL,
	LAYOUT_SQITCH,
};

/* Rule ids of the findings the readers report. */
#define RULE_UNREADABLE_REVISION "unreadable-revision"
#define RULE_UNSUPPORTED_MIGRATION "unsupported-migration"
#define RULE_TEMPLATE_PLACEHOLDER "template-placeholder"
#define RULE_DUPLICATE_VERSION "duplicate-version"
#define RULE_ALEMBIC_SQL_UNAVAILABLE "alembic-sql-unavailable"

/* "revgate", "alembic", ... */
const char *layout_name(enum layout_kind kind);
/* ERR_CONFIG naming the layouts known when `name` is none of them. */
int layout_from_name(const char *name, enum layout_kind *out);
/* The names of every layout, for messages: "revgate, alembic, ...". */
const char *layout_names(void);
/* Whether parents follow from the tool's order rather than from the files. */
bool layout_is_linear(enum layout_kind kind);

/*
 * Where and how a project keeps its migrations: the layout, the migrations
 * directory (every path below is relative to it), and for Alembic the
 * settings of its alembic.ini that change what is read and written.
 */
struct layout_settings {
	enum layout_kind kind;
	char *dir; /* the migrations directory as shown to the user */
	/* Alembic's version_locations, relative to `dir` ('/'-separated, no
	 * trailing '/'); empty: `dir` itself holds the revisions. */
	struct strlist subdirs;
	bool recursive;          /* Alembic's recursive_version_locations */
	char *alembic_ini;       /* Alembic: its configuration file, or NULL */
	char *alembic_command;   /* Alembic: how to run it ("alembic") */
	char *alembic_script_dir; /* Alembic: script_location (script.py.mako), or NULL */
	char *alembic_file_template; /* Alembic: file_template, or NULL for its default */
	size_t max_file_size;
	const struct matcher *name_pattern; /* revgate's file names (borrowed) */
};
#define LAYOUT_SETTINGS_INIT {LAYOUT_REVGATE, NULL, STRLIST_INIT, false, NULL, NULL, NULL, NULL, 0, NULL}
/*
 * From revgate.ini: the layout, and the migrations directory `migrations`
 * (already resolved against revgate.ini's directory). For Alembic,
 * alembic.ini ([alembic] config) adds its version locations, which
 * `migrations` joins when revgate.ini sets it. ERR_CONFIG.
 */
struct config;
int layout_settings_load(struct layout_settings *s, const struct config *cfg,
			 const char *migrations);
/*
 * For a directory named on the command line (an import): `dir` holds the
 * tool's migrations; for Alembic it may also be the project directory
 * holding alembic.ini (else `alembic_ini`, else ./alembic.ini, is read).
 * ERR_USAGE, ERR_CONFIG.
 */
int layout_settings_for_dir(struct layout_settings *s, enum layout_kind kind, const char *dir,
			    const char *alembic_ini, const char *alembic_command);
void layout_settings_release(struct layout_settings *s);
/* Whether `name` (relative to the migrations directory) lies where the
 * layout looks for migrations: in a version location, at a depth it reads. */
bool layout_wants_path(const struct layout_settings *s, const char *name);

/* How many levels of subdirectories a listing must reach for the layout. */
unsigned layout_list_depth(const struct layout_settings *s);
/* Whether a revision's downgrade lies in a file of its own (its text then
 * holds the upgrade file, then the downgrade file, as two spans). */
bool layout_has_down_file(enum layout_kind kind);

/* One snapshot of a migrations directory. */
struct layout_tree {
	const struct layout_settings *settings; /* borrowed */
	struct strlist names; /* files below the directory, relative, sorted bytewise */
	/* Reads the file `name` of `names`; ERR_IO / ERR_GIT with a message. */
	int (*read)(const struct layout_tree *t, const char *name, struct strbuf *out);
	void *data;
};
#define LAYOUT_TREE_INIT {NULL, STRLIST_INIT, NULL, NULL}

/*
 * The working tree's files below the migrations directory, as far as
 * layout_wants_path() reaches, skipping hidden directories and
 * __pycache__. ERR_NOTFOUND when the directory does not exist, ERR_IO.
 */
int layout_tree_open_dir(struct layout_tree *t, const struct layout_settings *s);
void layout_tree_release(struct layout_tree *t);

/* One migration of a snapshot. */
struct layout_unit {
	char *name;      /* its main file, relative to the migrations directory */
	char *down_name; /* the file holding its downgrade, or NULL */
	char *conf_name; /* a file of settings for it (Flyway .conf, diesel metadata.toml), or NULL */
	char *id;        /* revision id, when the layout derives it from names; else NULL */
	char *version;   /* the tool's own version of it, or NULL */
	char *parent;    /* linear layouts: id of the unit before it, NULL for the first */
	struct strlist depends_on; /* sqitch: dependencies the plan names, as ids */
	char *message;   /* from the name or the plan, or NULL */
	char *created;   /* ISO 8601 from the version or the plan, or NULL */
	unsigned plan_line; /* sqitch: the plan line that declares it */
};

struct layout_units {
	struct layout_unit *v;
	size_t n, alloc;
	char *plan_name; /* sqitch: the plan file, relative; NULL otherwise */
};
#define LAYOUT_UNITS_INIT {NULL, 0, 0, NULL}
void layout_units_release(struct layout_units *u);

/*
 * The units of a snapshot, in the tool's order (oldest first), with ids
 * and, for linear layouts, parents. Files the layout cannot place are
 * findings (a name that carries no version, two units with one version).
 * Fails only when a file it must read fails (the sqitch plan): ERR_IO,
 * ERR_GIT.
 */
int layout_list(const struct layout_tree *t, struct layout_units *out,
		struct findings *fs);

/*
 * Reads unit `u` of `t` into a fresh revision (*out, the caller's).
 * Problems are findings; the revision says with `usable` whether the
 * graph can place it. Fails only when a file cannot be read (ERR_IO,
 * ERR_GIT), with *out NULL.
 */
int layout_parse(const struct layout_tree *t, const struct layout_unit *u,
		 struct revision **out, struct findings *fs);

/*
 * Reads a whole snapshot: layout_list() then layout_parse() for each unit,
 * into `set` in the tool's order. ERR_IO, ERR_GIT.
 */
int layout_load(const struct layout_tree *t, struct revset *set,
		struct findings *fs);

/*
 * Alembic's layout: gives each revision of `set` read by layout_load() the
 * SQL Alembic's offline mode writes for it (see alembic_sql.c): rev->text
 * becomes the SQL, with upgrade and downgrade sections and spans that
 * place each statement at its op call in the .py file (rev->source).
 * `heads` are the graph's head ids (one downgrade run each). Results are
 * cached under `cache_dir` (NULL: none). When Alembic cannot run, or
 * fails on some revisions, *failure (fresh) says so once, with the command
 * and its last lines of error output; those revisions keep no SQL. Fails
 * only on what a run cannot get past (ERR_RUNTIME, never for Alembic's
 * own failures).
 */
int layout_alembic_sql(const struct layout_settings *s, struct revset *set,
		       const struct strlist *heads, const char *cache_dir, char **failure);
/* The same for one revision from the cache alone (a file of another branch,
 * read from git, that Alembic cannot see): whether it got its SQL. */
bool layout_alembic_sql_cached(const struct layout_settings *s, struct revision *rev,
			       const char *cache_dir);

/*
 * Writes a new Alembic revision file into `dir` (a merge when r->parents
 * holds several): rendered from the project's script.py.mako when it uses
 * only the expressions Alembic's templates use, else from Alembic's
 * default template; named by file_template. *path_out is fresh. ERR_IO.
 */
struct newrev;
int layout_alembic_write(const struct layout_settings *s, const char *dir, const struct newrev *r,
			 time_t when, char **path_out);
/* The .py text with its down_revision assignment (and docstring's Revises:
 * line) naming `parent` alone; NULL when the file has no such assignment.
 * Fresh string. */
char *layout_alembic_set_parent(const char *py, size_t len, const char *parent);

/* Where a tool records the migrations it ran (see record.c). */
struct layout_record {
	const char *table;  /* for messages */
	const char *sql;    /* reads the records */
	size_t columns;     /* columns of each row it returns */
};
/* The tool's record, or NULL for revgate's own layout. */
const struct layout_record *layout_record_of(enum layout_kind kind);
/*
 * The versions the tool has applied, from the rows its record's query
 * returned (`cells`: nrows rows of `columns` values, NULL for SQL NULL).
 * golang-migrate records only the version it is at, and Flyway may record
 * a baseline: those come back in *baseline (fresh, or NULL) meaning "this
 * version and everything before it". ERR_CHECK with the tool's own words
 * for a dirty or failed record.
 */
int layout_record_applied(enum layout_kind kind, const char *const *cells, size_t nrows,
			  struct strlist *applied, char **baseline);
/* Whether the tool takes two version strings as one ("0001" and "1" for goose). */
bool layout_version_equal(enum layout_kind kind, const char *a, const char *b);

/* An import (see import.c): file names and texts, in the tool's order. */
struct layout_import {
	struct strlist names, texts;
};
#define LAYOUT_IMPORT_INIT {STRLIST_INIT, STRLIST_INIT}
/*
 * Renders `set` (another tool's revisions, read by layout_load(), oldest
 * first) as revgate revision files. A migration that cannot be imported
 * (no readable SQL, a placeholder, an id outside revgate's grammar) is an
 * error finding, and the whole import is refused with ERR_CHECK.
 */
int layout_import_render(enum layout_kind kind, const struct revset *set,
			 struct layout_import *out, struct findings *fs);
void layout_import_release(struct layout_import *im);

/*
 * Alembic's revisions: whether two versions of a .py file differ in more
 * than comments, the module docstring and spacing; *at_b is the byte
 * offset in b's source where they first do.
 */
bool layout_source_differs(const struct revision *a, const struct revision *b, size_t *at_b);

/*
 * layout_load() for commands that need only the graph (heads, history):
 * Alembic files unchanged since they were cached under `cache_dir` are not
 * read again (the header cache of revision/hcache.h). ERR_IO, ERR_GIT.
 */
int layout_load_headers(const struct layout_tree *t, struct revset *set, const char *cache_dir,
			struct findings *fs);

/*
 * A revision id from another tool's version or name, following revgate's
 * grammar ([A-Za-z0-9_]{1,32}): the version as written when it fits,
 * else its characters outside the grammar turned to '_' and, when that
 * is too long, a prefix and a hash of the whole. The same version always
 * gives the same id, so a second import of a history gives the same ids.
 * Fresh string.
 */
char *layout_id_from_version(const char *version);

#endif
