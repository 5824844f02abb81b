/*
 * Helpers shared by the applier's files (session, run, verify); not part
 * of the module's interface.
 */
#ifndef REVGATE_APPLY_INTERNAL_H
#define REVGATE_APPLY_INTERNAL_H

#include "apply/apply.h"
#include "apply/sqltext.h"
#include "core/err.h"

/* ERR_INTERRUPTED, naming the signal, when SIGINT or SIGTERM was caught
 * during the session, whatever `ret` (the signal's cancel request makes
 * the statement that ran fail, with an error that is not the user's
 * concern); else `ret`. */
int interrupted_or(int ret);

/* A decimal integer from a server value; 0 for NULL or junk. */
int atoi_safe(const char *s);
/* The client's wall clock as an ISO 8601 UTC timestamp (fresh string). */
char *iso_now(void);
/* Milliseconds of a monotonic clock. */
double mono_ms(void);

/*
 * Inserts one history row on `db` (autocommit, or inside the caller's
 * transaction). Fills the client facts (user, host, tool version).
 */
int history_insert(struct apply_session *ss, struct db *db, struct sqltext_history *h);
/* After each step: the work connection's search_path, role and timeouts
 * back to what it connected with, so a revision's SET search_path or SET
 * ROLE never reaches the next revision. */
int session_reset(struct apply_session *ss);
/* Adds the same insert to a batch. */
void history_batch(struct apply_session *ss, struct db_batch *b, struct sqltext_history *h);

#endif
