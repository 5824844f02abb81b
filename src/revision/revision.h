/*
 * Revision files: one file per revision, header comments then an upgrade
 * and a downgrade section (DESIGN.md, "Revision files"). This module reads
 * and checks single files and whole migrations directories; it knows
 * nothing of the graph or of SQL.
 *
 * Ownership: a revision owns all its strings and the file text. A revset
 * owns its revisions. Positions are byte offsets into `text`; convert them
 * with core/textpos.h.
 */
#ifndef REVGATE_REVISION_REVISION_H
#define REVGATE_REVISION_REVISION_H

#include "core/finding.h"
#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

struct matcher;

/* Rule ids of the findings this module reports (the "graph" family). */
#define RULE_INVALID_FILE "invalid-file"
#define RULE_MISSING_HEADER_KEY "missing-header-key"
#define RULE_DUPLICATE_HEADER_KEY "duplicate-header-key"
#define RULE_UNKNOWN_HEADER_KEY "unknown-header-key"
#define RULE_INVALID_HEADER_VALUE "invalid-header-value"
#define RULE_REVISION_ID_MISMATCH "revision-id-mismatch"
#define RULE_MISSING_UPGRADE "missing-upgrade-section"
#define RULE_DUPLICATE_SECTION "duplicate-section"
#define RULE_TEXT_OUTSIDE_SECTION "text-outside-section"
#define RULE_FILE_NAME "file-name"

struct rev_section {
	bool present;
	unsigned marker_line; /* line of the "-- +upgrade" marker */
	size_t start;         /* first byte after the marker line */
	size_t end;           /* one past the last byte of the section */
};

struct revision {
	char *path;      /* as shown to the user */
	char *file_name; /* last path component */
	char *id;        /* NULL when the header has no valid id */
	struct strlist down_revisions; /* empty for a root */
	struct strlist depends_on;
	struct strlist branch_labels;
	struct strlist ignore_rules; /* file-wide "-- revgate: ignore" */
	char *message;
	char *created;
	char *irreversible; /* reason, or NULL */
	bool transactional; /* false with "-- transaction: false" */
	bool plain_sql;     /* not a revision: the whole file is the upgrade */
	bool usable;        /* id and parents are known: the graph can place it */
	bool header_only;   /* from the header cache: no text, sections only flagged */
	unsigned id_line, down_line, depends_line, labels_line; /* header lines, 0 if absent */
	char *text;         /* whole file, NUL-terminated */
	size_t len;
	size_t body_start;  /* first byte after the BOM */
	struct rev_section upgrade, downgrade;
};

/* Limits a reader enforces before parsing. */
struct revision_limits {
	size_t max_file_size; /* bytes; larger files are a finding, not read */
};
#define REVISION_MAX_FILE_SIZE_DEFAULT ((size_t)128 << 20)

/*
 * Parses `text` (taken over: freed by revision_release) as the revision file
 * `path`. `name_id` is the id the file name carries (NULL when the name does
 * not carry one). Problems become findings in `out`; the function itself
 * cannot fail. rev->usable says whether the graph can use the result.
 */
void revision_parse(struct revision *rev, const char *path, char *text, size_t len,
		    const char *name_id, struct findings *out);
/* A plain SQL file linted as a revision's upgrade (squawk-style use). */
void revision_parse_plain(struct revision *rev, const char *path, char *text, size_t len,
			  struct findings *out);
void revision_release(struct revision *rev);
/* The section text as a fresh, NUL-terminated copy; "" when absent. */
char *revision_section_dup(const struct revision *rev, const struct rev_section *s);
/* Whether the header silences `rule` for the whole file. */
bool revision_ignores(const struct revision *rev, const char *rule);

/* true if `s` is a valid revision id: [A-Za-z0-9_]{1,32} */
bool revision_id_valid(const char *s);
/* true if `s` is a valid branch label: [A-Za-z0-9_.-]{1,64} */
bool revision_label_valid(const char *s);

/* A migrations directory read in file-name order. */
struct revset {
	struct revision **v;
	size_t n, alloc;
};
#define REVSET_INIT {NULL, 0, 0}

/*
 * Reads every *.sql file of `dir` (sorted by name; other files ignored).
 * `name_pattern` (may be NULL for the default) must have a named group
 * `revision`. Per-file problems are findings; only an unreadable directory
 * is an error (ERR_NOTFOUND, ERR_IO).
 */
int revset_load_dir(struct revset *set, const char *dir, const struct matcher *name_pattern,
		    const struct revision_limits *limits, struct findings *out);
/*
 * Like revset_load_dir for commands that read only headers (heads, history,
 * ...): files unchanged since they were cached under `cache_dir` are not
 * read, and the cache is refreshed. `cache_dir` NULL reads every file.
 */
int revset_load_headers(struct revset *set, const char *dir, const char *cache_dir,
			const struct matcher *name_pattern, const struct revision_limits *limits,
			struct findings *out);

/* Parses one file already in memory into the set, as revset_load_dir does
 * for each file (used for files read from git blobs). Takes over `text`. */
void revset_add_text(struct revset *set, const char *path, char *text, size_t len,
		     const struct matcher *name_pattern, struct findings *out);
void revset_release(struct revset *set);

/* The default file-name pattern: YYYYMMDD_HHMM_<revision>_<slug>.sql */
extern const char revision_default_name_pattern[];
/* The id carried by `file_name` under `pattern`, or NULL (fresh string). */
char *revision_name_id(const char *file_name, const struct matcher *pattern);

#endif
