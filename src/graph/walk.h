/*
 * Targets and walks with Alembic's semantics: resolving `head`, `heads`,
 * `base`, ids, unique prefixes, `label@head`, relative targets (`+N`,
 * `-N`, `<id>+N`, `head-N`), and collecting the revisions an upgrade or a
 * downgrade passes, in the order Alembic runs them. Pure: no I/O.
 *
 * An identifier is either one target string (what a user typed) or a list
 * of ids (what a version table holds; empty means the empty database),
 * mirroring Alembic's str-or-tuple arguments.
 *
 * Ownership: results go into caller-owned idxvecs. Errors return ERR_NOTFOUND,
 * ERR_AMBIGUOUS or ERR_USAGE with Alembic's message, or ERR_GRAPH on a
 * cyclic graph.
 */
#ifndef REVGATE_GRAPH_WALK_H
#define REVGATE_GRAPH_WALK_H

#include "graph/graph.h"

/* Alembic's None: no revision (the empty database) inside a result list. */
#define GRAPH_NONE ((size_t)-1)

struct gident {
	const char *str;             /* a target string, or NULL */
	const struct strlist *ids;   /* when str is NULL: current ids; NULL or empty: base */
};
#define GIDENT_STR(s) ((struct gident){(s), NULL})
#define GIDENT_IDS(l) ((struct gident){NULL, (l)})

/* get_revisions(): every revision an identifier names (GRAPH_NONE for an
 * overwalk of a negative relative target). */
int graph_resolve(const struct graph *g, struct gident id, struct idxvec *out);
/* get_revision(): exactly one revision, or GRAPH_NONE for base. */
int graph_resolve_one(const struct graph *g, const char *target, size_t *out);

/*
 * iterate_revisions(): the revisions between `upper` and `lower`, newest
 * first. Upgrades run them in reverse; downgrades (select_for_downgrade) in
 * this order.
 */
struct walk_opts {
	bool implicit_base;
	bool inclusive;
	bool assert_relative_length;
	bool select_for_downgrade;
};
int graph_iterate(const struct graph *g, struct gident upper, struct gident lower,
		  const struct walk_opts *opts, struct idxvec *out);

/* The steps of `alembic upgrade TARGET` from `current`, in run order. */
int graph_upgrade_steps(const struct graph *g, const struct strlist *current, const char *target,
			struct idxvec *out);
/* The steps of `alembic downgrade TARGET` from `current`, in run order. */
int graph_downgrade_steps(const struct graph *g, const struct strlist *current, const char *target,
			  struct idxvec *out);

/*
 * A target as `alembic upgrade TARGET` resolves it on an empty database, or
 * as `alembic downgrade TARGET` does when `downgrade` (relative -N forms).
 * Base and walks that end at base give an empty list.
 */
int graph_resolve_target(const struct graph *g, const char *target, bool downgrade,
			 struct idxvec *out);
/* Whether `target` is a relative form walking down: "-1", "head-2", "x@-1". */
bool graph_target_is_relative_down(const char *target);

/* Whether two revisions are on one line (one is an ancestor of the other). */
bool graph_shares_lineage(const struct graph *g, size_t target, const size_t *against, size_t n,
			  bool include_deps);

#endif
