/*
 * The schema objects a revision's upgrade touches, named from the parse
 * tree: "table clients", "column clients.email", "index ix_clients_email".
 * A light, statement-level extraction for the sibling-conflict check: it
 * looks at the statement kinds migrations are made of (CREATE/ALTER/DROP
 * TABLE, indexes, renames, views, triggers, INSERT/UPDATE/DELETE) and
 * ignores the rest. Schema "public" is dropped so that qualified and
 * unqualified names meet.
 *
 * Ownership: a touched_set owns its strings.
 */
#ifndef REVGATE_GUARD_TOUCHED_H
#define REVGATE_GUARD_TOUCHED_H

#include <stddef.h>

struct revision;

struct touched {
	char *object;  /* "table x", "column x.c", "index i" */
	size_t offset; /* byte offset in the file of the statement that touches it */
};

struct touched_set {
	struct touched *v;
	size_t n, alloc;
};
#define TOUCHED_SET_INIT {NULL, 0, 0}

/* Adds what the upgrade of `rev` touches; statements that do not parse add
 * nothing (the sql rules report them). Each object is listed once. */
void touched_collect(const struct revision *rev, struct touched_set *out);
/* The entry of `set` naming `object`, or NULL. */
const struct touched *touched_find(const struct touched_set *set, const char *object);
void touched_set_release(struct touched_set *set);

#endif
