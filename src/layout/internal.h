/*
 * What the layout readers share inside src/layout/: one table entry per
 * tool, and the helpers every reader uses to turn a unit into a revision.
 *
 * Ownership: as layout.h. Helpers that take text take it over.
 */
#ifndef REVGATE_LAYOUT_INTERNAL_H
#define REVGATE_LAYOUT_INTERNAL_H

#include "layout/layout.h"
#include "revision/revision.h"

struct layout_ops {
	enum layout_kind kind;
	const char *name;
	bool linear;
	/* Directory levels below the migrations directory the working tree
	 * is listed to (0: its files only). */
	unsigned depth;
	/* Where this tool writes the SQL that undoes a migration, for hints. */
	const char *downgrade_how;
	int (*list)(const struct layout_tree *t, struct layout_units *out, struct findings *fs);
	/* Fills `rev` (zeroed) from unit `u`; ERR_IO/ERR_GIT only for a file
	 * that cannot be read. */
	int (*parse)(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		     struct findings *fs);
};

extern const struct layout_ops layout_revgate, layout_alembic, layout_dbmate,
	layout_golang_migrate, layout_goose, layout_flyway, layout_diesel, layout_sqitch;

/* Whether the snapshot holds the file `name` (binary search: names are sorted). */
bool layout_tree_has(const struct layout_tree *t, const char *name);
/* Flyway's order of versions: part by part as numbers (1.2 < 1.10, 1 == 1.0). */
int layout_flyway_cmp(const char *a, const char *b);
/* Appends a unit named `name` and returns it for the caller to fill. */
struct layout_unit *layout_unit_push(struct layout_units *u, const char *name);

/* "20240131120000" or "2024-01-31-120000" → "2024-01-31T12:00:00Z"; NULL
 * when the version is no timestamp. Fresh string. */
char *layout_created_from_version(const char *version);
/* "add_users_table" → "add users table". Fresh string. */
char *layout_message_from_slug(const char *slug);

/*
 * Reads `name` of `t` for `rev` (path set from the tree): the text is
 * checked (size, NUL, UTF-8) and becomes rev->text. Returns 1 when read,
 * 0 when the file was refused with a finding, or ERR_IO/ERR_GIT.
 */
int layout_read_main(const struct layout_tree *t, const char *name, struct revision *rev,
		     struct findings *fs);
/* Reads `name` as a separate file into a fresh buffer (*text, *len); same
 * returns as layout_read_main. */
int layout_read_other(const struct layout_tree *t, const char *name, char **text, size_t *len,
		      struct findings *fs);
/* Starts `rev` for unit `u`: path, names, id, parents, version, message,
 * created from the unit. */
void layout_rev_from_unit(const struct layout_tree *t, const struct layout_unit *u,
			  struct revision *rev);
/*
 * The two-file layouts: rev->text holds the upgrade file; appends the
 * downgrade file's text (taken over) after it, makes it the downgrade
 * section and adds the spans that report positions in each file.
 */
void layout_attach_down(const struct layout_tree *t, struct revision *rev, const char *down_name,
			char *down_text, size_t down_len);
/* Starts `rev` for `u` and reads its main file as its text: 1, or 0 when
 * the file was refused with a finding (rev is then unusable), or
 * ERR_IO/ERR_GIT. */
int layout_read_unit(const struct layout_tree *t, const struct layout_unit *u,
		     struct revision *rev, struct findings *fs);
/*
 * The two-file layouts: starts `rev` for `u`; its main file is the whole
 * upgrade, its down file (if any) the downgrade, and its settings file is
 * read into *conf (fresh; NULL when it has none, or `conf` is NULL).
 * Returns 1 when the upgrade was read, 0 when a file was refused with a
 * finding (rev is then unusable), or ERR_IO/ERR_GIT.
 */
int layout_read_pair(const struct layout_tree *t, const struct layout_unit *u,
		     struct revision *rev, char **conf, struct findings *fs);
/*
 * Files that mark their sections with comment lines (dbmate, goose): calls
 * `line_fn` on each line (without its line break; `next` is where the next
 * line starts); it returns LAYOUT_MARK_UP or LAYOUT_MARK_DOWN for a
 * section marker, else 0, and may act on other directives. A section runs
 * from after its marker to the next marker; a second marker of one kind is
 * a finding, and so is a file without the upgrade marker (`up_marker`
 * names it in the message).
 */
enum { LAYOUT_MARK_UP = 1, LAYOUT_MARK_DOWN = 2 };
typedef int (*layout_line_fn)(void *ctx, struct revision *rev, size_t pos, size_t len,
			      size_t next, struct findings *fs);
void layout_marked_sections(struct revision *rev, layout_line_fn line_fn, void *ctx,
			    const char *up_marker, const char *down_marker, struct findings *fs);
/* Reports each ${...} placeholder of the section's text as a finding. */
void layout_report_placeholders(const struct revision *rev, size_t start, size_t end,
				const char *what, struct findings *fs);
/* The version number at the start of `s` (digits), or NULL. Fresh string. */
char *layout_leading_digits(const char *s);
/* Compares two digit strings as numbers (leading zeros ignored). */
int layout_numeric_cmp(const char *a, const char *b);

#endif
