/*
 * Asking the catalog whether a statement took effect: for a statement that
 * ran outside a transaction and whose outcome is unknown (the connection
 * ended while it ran), and to check what an operator says they did
 * (`resolve --done`, `--rolled-back`). Only the effects apply/effects.h
 * reads are looked for; anything else is "unknown", never a guess.
 *
 * Ownership: a probe_result owns its strings.
 */
#ifndef REVGATE_APPLY_PROBE_H
#define REVGATE_APPLY_PROBE_H

#include "db/db.h"

#include <stddef.h>

enum probe_answer {
	PROBE_UNKNOWN,    /* the catalog cannot tell */
	PROBE_DONE,       /* everything the statement does is there */
	PROBE_NOT_DONE,   /* none of it is there */
	PROBE_REPEATABLE, /* running it again is harmless (VACUUM, REINDEX, ...) */
};

struct probe_result {
	enum probe_answer answer;
	char *evidence;      /* what the catalog showed, for messages; NULL when nothing */
	char *invalid_index; /* an INVALID index the statement left (quoted, qualified), or NULL */
};
void probe_result_release(struct probe_result *r);

/* Asks the catalog about the statement text[start, start+len). ERR_DB. */
int probe_statement(struct db *db, const char *text, size_t start, size_t len,
		    struct probe_result *out);

#endif
