/*
 * How a revision is shown by the read commands (heads, branches, history,
 * show): Alembic's one-line format for text, and one JSON object shape.
 *
 * Ownership: functions borrow the graph and write to the given stream.
 */
#ifndef REVGATE_CLI_REVINFO_H
#define REVGATE_CLI_REVINFO_H

#include "graph/graph.h"
#include "output/jsonw.h"

#include <stdbool.h>
#include <stdio.h>

enum revinfo_flags {
	REVINFO_PARENTS = 1 << 0, /* "down -> " before the id */
	REVINFO_DOC = 1 << 1,     /* ", message" after it */
	REVINFO_TREE = 1 << 2,    /* (branchpoint)/(mergepoint), as 'history' shows and 'heads' does not */
	REVINFO_CURRENT = 1 << 3, /* (current): the database is at it (history --indicate-current) */
};

/* "down -> id (label) (head) (current) (branchpoint), message" */
void revinfo_line(FILE *fp, const struct graph *g, size_t i, unsigned flags);
/* The multi-line form of 'history --verbose' and 'show'; only
 * REVINFO_CURRENT counts. */
void revinfo_verbose(FILE *fp, const struct graph *g, size_t i, unsigned flags);
/* {"revision", "down_revisions", "depends_on", "branch_labels", "message",
 *  "file", "created", "is_head", "is_base", "is_branch_point", "is_merge_point"},
 * and "is_current" when `current` (the database's heads) is given. */
void revinfo_json(struct jsonw *w, const struct graph *g, size_t i, const struct strlist *current);
/* An array of revinfo_json objects. */
void revinfo_json_list(FILE *fp, const struct graph *g, const struct idxvec *list,
		       const struct strlist *current);

#endif
