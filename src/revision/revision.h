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

/*
 * A stretch of `text` that another file holds: revisions of other tools'
 * layouts keep their upgrade and downgrade in two files, or get their SQL
 * from the tool itself (Alembic's offline mode). Positions found in the
 * stretch are reported in `path`.
 */
struct rev_span {
	size_t start, end;   /* bytes of `text` */
	unsigned text_line;  /* line of `start` in `text` */
	char *path;          /* the file positions in the stretch belong to */
	unsigned first_line; /* its line of the stretch's first line */
	/* Generated text: every position in the stretch is reported at
	 * first_line:column of `path`, with `excerpt` as its line and
	 * `quote` (the statement, shortened) added to the message. */
	bool fixed;
	unsigned column;
	char *excerpt, *quote;
};

struct revision {
	char *path;      /* as shown to the user */
	char *file_name; /* last path component */
	/* Other tools' layouts: the main file relative to the migrations
	 * directory (it may lie in a subdirectory), the bytes of that file
	 * when `text` is something else (Alembic: `text` is the SQL, this the
	 * .py), and the version the tool knows the revision by. NULL for
	 * revgate's own files (rel_name is then file_name, source is text). */
	char *rel_name;
	char *source;
	size_t source_len;
	char *tool_version;
	struct rev_span *spans; /* sorted by start; none for revgate's own files */
	size_t nspans;
	char *id;        /* NULL when the header has no valid id */
	struct strlist down_revisions; /* empty for a root */
	struct strlist depends_on;
	struct strlist branch_labels;
	struct strlist ignore_rules; /* file-wide "-- revgate: ignore" */
	char *message;
	char *created;
	char *irreversible; /* reason, or NULL */
	char *imported_from; /* "<layout> <version>" of an imported revision, or NULL */
	/* Another tool's revision: where that tool writes a downgrade (static
	 * text, not owned); NULL for revgate's own files. */
	const char *downgrade_how;
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
/*
 * Whether `text` is something revgate can read: not empty, no NUL byte,
 * valid UTF-8; an invalid-file finding on `path` otherwise. *body_start
 * is where the text begins after a byte-order mark.
 */
bool revision_text_ok(const char *path, const char *text, size_t len, size_t *body_start,
		      struct findings *out);
/* The main file's bytes, which git and caches know the revision by. */
const char *revision_source(const struct revision *rev, size_t *len);
/* The main file relative to the migrations directory. */
const char *revision_rel_name(const struct revision *rev);
/* Adds a span (see struct rev_span); `excerpt` and `quote` may be NULL. */
struct rev_span *revision_add_span(struct revision *rev, size_t start, size_t end,
				   const char *path, unsigned first_line);
/*
 * Findings `fs->v[from..]` were made on `text` under rev->path: those that
 * fall in a span are moved to the span's file and line. Call it after a
 * check that reads `text` (lint, the guard) on a revision with spans.
 */
void revision_remap_findings(const struct revision *rev, struct findings *fs, size_t from);
/* The line of its own file that line `line` of `text` comes from. */
unsigned revision_file_line(const struct revision *rev, unsigned line);
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
/* The same for one revision the caller holds (zeroed or released). */
void revision_parse_file(struct revision *rev, const char *path, char *text, size_t len,
			 const struct matcher *name_pattern, struct findings *out);
void revset_release(struct revset *set);

/* The default file-name pattern: YYYYMMDD_HHMM_<revision>_<slug>.sql */
extern const char revision_default_name_pattern[];
/* The id carried by `file_name` under `pattern`, or NULL (fresh string). */
char *revision_name_id(const char *file_name, const struct matcher *pattern);

#endif
