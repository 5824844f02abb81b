/*
 * The schema objects a revision's upgrade touches, for the sibling-conflict
 * check: every effect sql/ddl finds in its statements, named by kind and
 * key ("table clients", "column clients.email", "index ix_clients_email",
 * "function touch_updated_at", "trigger clients.audit", "policy t.own",
 * "sequence s", "view v", "type mood", "extension vector", "schema app").
 * A change to a column, constraint, trigger, policy or index touches its
 * table too; a rename touches the old and the new name. Keys are ddl's, so
 * "public.t" and "t" meet.
 *
 * Ownership: a touched_set owns its strings.
 */
#ifndef REVGATE_GUARD_TOUCHED_H
#define REVGATE_GUARD_TOUCHED_H

#include <stddef.h>

struct revision;

struct touched {
	char *object;  /* "table x", "column x.c", "index i", "function f", ... */
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
