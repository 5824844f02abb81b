/*
 * The revision graph with Alembic's semantics (DESIGN.md, "The revision
 * graph"): parents are down_revision ids, depends_on adds ordering without
 * parenthood, branch labels name lines of history. Everything here is pure:
 * no I/O, no printing. Node order is the revset order (file names), which is
 * the tie-break Alembic takes from its revision map.
 *
 * Ownership: a graph borrows the revisions it is built on (they must outlive
 * it) and owns its nodes, index vectors and maps. idxvec and bitset own
 * their arrays.
 */
#ifndef REVGATE_GRAPH_GRAPH_H
#define REVGATE_GRAPH_GRAPH_H

#include "core/finding.h"
#include "core/strlist.h"
#include "core/strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct revision;

#define RULE_DUPLICATE_REVISION "duplicate-revision"
#define RULE_MISSING_PARENT "missing-parent"
#define RULE_MISSING_DEPENDENCY "missing-dependency"
#define RULE_REVISION_CYCLE "revision-cycle"
#define RULE_MULTIPLE_HEADS "multiple-heads"
#define RULE_MULTIPLE_BASES "multiple-bases"
#define RULE_DUPLICATE_BRANCH_LABEL "duplicate-branch-label"

/* An ordered list of node indices. */
struct idxvec {
	size_t *v;
	size_t n, alloc;
};
#define IDXVEC_INIT {NULL, 0, 0}
void idxvec_push(struct idxvec *x, size_t i);
bool idxvec_has(const struct idxvec *x, size_t i);
void idxvec_remove_at(struct idxvec *x, size_t pos);
void idxvec_copy(struct idxvec *dst, const struct idxvec *src);
void idxvec_sort(struct idxvec *x);
void idxvec_release(struct idxvec *x);

/* A set of node indices. */
struct bitset {
	uint64_t *w;
	size_t nbits;
};
#define BITSET_INIT {NULL, 0}
void bitset_init(struct bitset *b, size_t nbits);
void bitset_release(struct bitset *b);
static inline bool bitset_test(const struct bitset *b, size_t i)
{
	return i < b->nbits && (b->w[i >> 6] >> (i & 63)) & 1;
}
static inline void bitset_set(struct bitset *b, size_t i)
{
	b->w[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void bitset_clear(struct bitset *b, size_t i)
{
	b->w[i >> 6] &= ~((uint64_t)1 << (i & 63));
}
size_t bitset_count(const struct bitset *b);
void bitset_and(struct bitset *dst, const struct bitset *src);
void bitset_or(struct bitset *dst, const struct bitset *src);
void bitset_andnot(struct bitset *dst, const struct bitset *src);
void bitset_copy(struct bitset *dst, const struct bitset *src);

struct graph_node {
	const struct revision *rev;
	const char *id;
	struct idxvec down;      /* parents through down_revision, that exist */
	struct idxvec deps;      /* depends_on, resolved (ids or branch labels) */
	struct idxvec norm_deps; /* deps not already implied by an ancestor's deps */
	struct idxvec next;      /* children through down_revision ("nextrev") */
	struct idxvec all_next;  /* children through down_revision or depends_on */
	struct strlist labels;   /* branch labels, declared and propagated */
	bool is_base;            /* down_revision is none */
	bool is_real_base;       /* ... and no depends_on */
};

struct graph {
	struct graph_node *nodes;
	size_t n;
	struct strmap by_id;
	struct strmap by_label; /* label → the node that declares it */
	struct idxvec heads;      /* no down_revision children */
	struct idxvec real_heads; /* no children at all */
	struct idxvec bases;
	struct idxvec real_bases;
	bool has_cycle;  /* walks refuse to run on a cyclic graph */
	bool complete;   /* every revision placed; no missing parent, dependency or duplicate */
};
#define GRAPH_INIT {0}

/*
 * Builds the graph from usable revisions, in the given order. Problems
 * (duplicates, missing parents or dependencies, cycles, duplicate labels,
 * several bases) become findings; the graph is still built from what can be
 * placed. Never fails.
 */
void graph_build(struct graph *g, struct revision *const *revs, size_t n, struct findings *out);
void graph_release(struct graph *g);

/* Adds a `multiple-heads` error unless each head carries its own label. */
void graph_check_heads(const struct graph *g, struct findings *out);

bool graph_find(const struct graph *g, const char *id, size_t *idx);
bool graph_is_branch_point(const struct graph *g, size_t i);
bool graph_is_merge_point(const struct graph *g, size_t i);

/* The normalized parents: down_revision, then deps not implied by ancestors. */
void graph_normalized_down(const struct graph *g, size_t i, struct idxvec *out);

/* All ancestors of `from` (each included), through parents and, with
 * include_deps, normalized dependencies. Entries that name no node (a
 * relative target that walked past the bases) have none and are skipped. */
void graph_ancestors(const struct graph *g, const size_t *from, size_t n, bool include_deps,
		     struct bitset *out);
/* All descendants of `from` (included, entries naming no node skipped),
 * through children and, with include_deps, dependents.
 * `omit_immediate_deps` follows Alembic's downgrade rule: from the start
 * nodes, only down_revision children. */
void graph_descendants(const struct graph *g, const size_t *from, size_t n, bool include_deps,
		       bool omit_immediate_deps, struct bitset *out);

/*
 * Alembic's _topological_sort: the nodes of `todo`, newest first, walking
 * down from `heads` (those in `todo`, in node order), so every revision
 * comes before its parents and dependencies.
 */
void graph_topo_sort(const struct graph *g, const struct bitset *todo, const struct idxvec *heads,
		     struct idxvec *out);

/* Every revision, newest first, as `alembic history` prints them. */
void graph_history(const struct graph *g, struct idxvec *out);

#endif
