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

/* After each step: the work connection's user, role, search_path,
 * timeouts and transaction defaults back to what it connected with, so
 * what a revision set never reaches the next revision or revgate. */
int session_reset(struct apply_session *ss);
/* Adds one history row's INSERT to a batch (inside the caller's
 * transaction); fills the client facts (user, host, tool version). */
void history_batch(struct apply_session *ss, struct db_batch *b, struct sqltext_history *h);

/* Adds to a batch, inside a transaction, what makes revgate's own
 * statements run as the role that connected (whatever SET SESSION
 * AUTHORIZATION or SET ROLE a revision ran), under its own lock timeout,
 * without a statement timeout; all of it ends with the transaction. */
void own_prelude(const struct apply_session *ss, struct db_batch *b);
/* A history row in a transaction of its own on `db`, written as above. */
int own_insert(struct apply_session *ss, struct db *db, struct sqltext_history *h);
/* A query of revgate's own on `qtable` (quoted): on a lock timeout the
 * error names the table and who holds it. */
int own_query(struct apply_session *ss, const char *sql, int n, const char *const *params,
	      struct db_res **out, const char *qtable);
/* `ret`, or after a lock timeout (`sqlstate` 55P03) an ERR_DB naming
 * `qtable` and the sessions holding it. */
int own_lock_error(struct apply_session *ss, const char *sqlstate, int ret, const char *qtable);
/* The sessions that hold or await a strong lock on `qtable` (fresh
 * string), or NULL when none can be seen. */
char *own_lock_holders(struct apply_session *ss, const char *qtable);

/* Runs `sql` (one statement alone) or the batch `b` of segment `k` on the
 * work connection, watching it from the lock connection while it runs:
 * ss->waited_for says what it was last seen waiting for, and a long one
 * reports progress events. */
int watched_run(struct apply_session *ss, const struct apply_step *s, size_t k, const char *sql,
		struct db_batch *b);

/* Adds the history columns of batches and backups to a table made before
 * them. ERR_DB. */
int history_step_columns(struct apply_session *ss);
/* Before step `s` runs: a dump in `dir` of exactly what its statements
 * destroy (apply/backup.c), each recorded in the history with its
 * checksum. ERR_RUNTIME or ERR_IO when one cannot be written: the step
 * must not run. */
int apply_backup_step(struct apply_session *ss, const struct apply_step *s, const char *dir);

/* What each batch's history row says besides its key and rows. */
struct batch_row {
	const char *revision, *direction, *segments, *checksum, *started_at;
	const char *from, *to; /* '{..}' */
};
/*
 * Runs the batched segment `k` (apply/batch.c) from the key after the last
 * one its batches recorded since the revision last settled, each batch in
 * its own transaction with its history row. A failing statement returns
 * its error with db_last_error() still the server's and `*in_tx` true: the
 * caller reads the error, then rolls back.
 */
int apply_batch_run(struct apply_session *ss, const struct apply_step *s, size_t k,
		    const struct batch_row *row, bool *in_tx);

/* Runs segments [from, nseg) of a step that is not one transaction. */
int run_segments(struct apply_session *ss, const struct apply_step *s, size_t from,
		 struct apply_failure *fail);
/* Records the outcome of segment `k` of step `s` settled outside a run
 * ("segment": it took effect; "interrupted": it did not), with `note`. */
int record_segment_outcome(struct apply_session *ss, const struct apply_step *s, size_t k,
			   const char *outcome, const char *note);
/* The heads after a step completed outside apply_run. */
void session_set_heads(struct apply_session *ss, const struct strlist *heads);

#endif
