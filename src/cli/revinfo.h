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

/* "down -> id (label) (head) (branchpoint), message" */
/* `tree` adds (branchpoint)/(mergepoint), as 'history' shows and 'heads' does not. */
void revinfo_line(FILE *fp, const struct graph *g, size_t i, bool parents, bool doc, bool tree);
/* The multi-line form of 'history --verbose' and 'show'. */
void revinfo_verbose(FILE *fp, const struct graph *g, size_t i);
/* {"revision", "down_revisions", "depends_on", "branch_labels", "message",
 *  "file", "created", "is_head", "is_base", "is_branch_point", "is_merge_point"} */
void revinfo_json(struct jsonw *w, const struct graph *g, size_t i);
/* An array of revinfo_json objects. */
void revinfo_json_list(FILE *fp, const struct graph *g, const struct idxvec *list);

#endif
