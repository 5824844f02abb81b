/*
 * Writing new revision files: random ids, time-stamped names, the header
 * template. Used by 'revision', 'merge' and 'rebase'.
 *
 * Ownership: returned strings are fresh and belong to the caller; a newrev
 * borrows everything it points to.
 */
#ifndef REVGATE_REVISION_NEWREV_H
#define REVGATE_REVISION_NEWREV_H

#include "core/strlist.h"

#include <stdbool.h>
#include <time.h>

struct newrev {
	const char *id;                /* NULL: a random one is made */
	const struct strlist *parents; /* empty: a root */
	const struct strlist *depends_on;
	const struct strlist *branch_labels;
	const char *message;
	bool non_transactional;
	const char *upgrade;   /* section bodies; NULL for empty */
	const char *downgrade;
	/* Imports: the original's creation time (else the time of writing),
	 * why it has no downgrade, where it came from ("dbmate 2024..."), and
	 * sections written byte for byte (a line break added only when the
	 * text lacks a last one). */
	const char *created;
	const char *irreversible;
	const char *imported_from;
	bool verbatim;
};

/* 12 random lowercase hex digits (getrandom), into out[13]. ERR_IO. */
int newrev_random_id(char out[13]);
/* YYYYMMDD_HHMM_<id>_<slug>.sql in UTC; the slug comes from the message. */
char *newrev_file_name(time_t when, const char *id, const char *message);
/* The whole file text. */
char *newrev_render(const struct newrev *r, time_t when);
/* Checks what the header would hold: ids, labels. ERR_USAGE. */
int newrev_check(const struct newrev *r);
/* Writes the file into `dir` (never over an existing one); returns its path. */
int newrev_write(const char *dir, const struct newrev *r, time_t when, char **path_out);

#endif
