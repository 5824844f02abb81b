/*
 * Many databases under one history (DESIGN.md, "Many databases"): the
 * target set — named URLs from a file or from revgate.ini's [databases],
 * every database of a server, every schema of a database — and a run of
 * one database command (upgrade, downgrade, current, verify, stamp) over
 * it, N targets at a time, with a policy for failures.
 *
 * Each target runs in a process of its own: revgate itself, started with
 * the command line the user gave minus the target options, its URL in the
 * environment (never on a command line, where `ps` would show a password).
 * Processes, not threads, because:
 * - the work per database is then exactly the single-database command, not
 *   a copy of it: its gates (lint, checksums, half-done revisions), its
 *   lock, its plan, its messages and its resolve advice;
 * - the applier's per-run state is one per process: the error slot that
 *   a failure's message travels in, the armed cancel request and the
 *   caught-signal flag that turn SIGINT into a rolled-back revision (one
 *   connection armed at a time, db/db.h), the signal dispositions a
 *   session replaces; libpq itself is thread-safe only per connection.
 *   In a process of its own each database keeps all of it, and SIGINT
 *   cancels every database's running statement, not one;
 * - a crash, an abort or a sanitizer report ends one target's process,
 *   which the run reports as that target's failure, and the run holds no
 *   cross-database state: nothing is shared but the files read.
 * The cost is a process start and a read of the header cache per target,
 * a few milliseconds next to a connection and a migration.
 *
 * A target's process reports to the run on descriptor 3 (named by
 * REVGATE_FLEET_FD), one tab-separated line per fact: the heads it found
 * and left, each step, a lock wait, the failing statement, the final
 * error (fleet_member_*). Everything it prints goes to the target's log.
 *
 * Ownership: a target set owns its targets and every string in them; a run
 * owns its per-target states; both borrow nothing after they return but
 * the target set, which must outlive the run.
 */
#ifndef REVGATE_FLEET_FLEET_H
#define REVGATE_FLEET_FLEET_H

#include "core/strbuf.h"
#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct config;

/* ---- targets ---- */

struct fleet_target {
	char *name;   /* shown in every report; never part of SQL */
	char *url;    /* what its run connects with (may hold a password) */
	char *shown;  /* the URL redacted, for messages */
	char *schema; /* --each-schema: the schema (unquoted), else NULL */
	char *origin; /* where it was named: "fleet.txt:3", "revgate.ini [databases]" */
};

struct fleet_targets {
	struct fleet_target *v;
	size_t n, alloc;
};
#define FLEET_TARGETS_INIT {NULL, 0, 0}
void fleet_targets_release(struct fleet_targets *t);

/*
 * `name = URL` lines of the file at `path`; blank lines and lines whose
 * first non-blank character is '#' are skipped. A line without '=', a bad
 * name (empty, blanks, control characters, longer than 63 bytes, starting
 * with '-') or a URL libpq cannot read is one line in `problems`, with the
 * file's line number and passwords redacted. ERR_IO when it cannot be read.
 */
int fleet_targets_read(struct fleet_targets *t, const char *path, struct strlist *problems);
/* The entries of [databases] in `cfg` whose names match the glob
 * `pattern`, checked as fleet_targets_read checks a file's lines. */
void fleet_targets_config(struct fleet_targets *t, const struct config *cfg, const char *pattern,
			  struct strlist *problems);
/* Every database of the server `url` connects to whose name matches the
 * glob `pattern` (templates and databases that refuse connections left
 * out), in name order, each reached with `url` pointed at it. ERR_DB when
 * the server cannot be asked, ERR_CONFIG for a URL libpq cannot read. */
int fleet_targets_each_database(struct fleet_targets *t, const char *url, const char *pattern);
/* Every schema of the database `url` connects to whose name matches
 * `pattern` (pg_* and information_schema left out), in name order; each
 * runs with its search_path set to that schema alone and revgate's tables
 * in it. A schema whose name holds a '.' is a problem: --version-table
 * SCHEMA.NAME cannot name it. Errors as fleet_targets_each_database. */
int fleet_targets_each_schema(struct fleet_targets *t, const char *url, const char *pattern,
			      struct strlist *problems);
/* The set as a whole: not empty (`empty` says why it would be), no name
 * twice, no database (or schema) named by two targets. */
void fleet_targets_check(const struct fleet_targets *t, const char *empty,
			 struct strlist *problems);

/* ---- a run over the targets ---- */

enum fleet_outcome {
	FLEET_WAITING,   /* not started yet */
	FLEET_RUNNING,
	FLEET_APPLIED,   /* its heads changed */
	FLEET_UNCHANGED, /* it succeeded and its heads are what they were */
	FLEET_FAILED,
	FLEET_SKIPPED,   /* never started: the run stopped first */
	FLEET_OUTCOMES
};
/* "applied", "unchanged", "failed", "skipped" (and "waiting", "running"). */
const char *fleet_outcome_name(enum fleet_outcome o);

struct fleet_state {
	enum fleet_outcome outcome;
	bool connected;           /* it read its version table */
	struct strlist from, to;  /* heads it found and left (to: as last known) */
	bool up;                  /* the step running (or last run) is an upgrade */
	char *step;               /* the revision running now, or NULL */
	size_t steps_done, steps_total; /* total 0 when not planned */
	char *waiting;            /* who holds its lock while it waits, or NULL */
	/* what went wrong, one line each (passwords scrubbed), or NULL: the
	 * failing statement and the server's message, and the final error
	 * (which carries the applier's advice) */
	char *failure, *error;
	struct strbuf log;        /* what its process printed, scrubbed when it ends */
	int exit_code;            /* its exit status; -1 when a signal ended it */
	double started_ms, ms;    /* when it started (since the run's start), how long */
	/* the run's own */
	pid_t pid;
	int fd_report, fd_log;
	struct strbuf partial;    /* a report line not yet complete */
};

enum fleet_event_kind {
	FLEET_EV_START, /* target started */
	FLEET_EV_HEADS, /* target read its version table (from) */
	FLEET_EV_STEP,  /* target began a step (step, up) */
	FLEET_EV_WAIT,  /* target waits for its lock (text: the holder) */
	FLEET_EV_END,   /* target ended (outcome, error) */
	FLEET_EV_HALT,  /* no new target starts (text: why) */
	FLEET_EV_TICK,  /* time passed: a chance to redraw */
};

struct fleet_run;
struct fleet_event {
	enum fleet_event_kind kind;
	size_t target; /* index in the target set (not for HALT and TICK) */
	const char *text;
};
typedef void (*fleet_event_fn)(void *ctx, const struct fleet_run *r, const struct fleet_event *ev);

struct fleet_opts {
	/* the command line each target runs: argv[0] is revgate's program,
	 * NULL-terminated; a schema target gets --version-table SCHEMA.TABLE
	 * added, with `version_table` as TABLE */
	char *const *argv;
	const char *version_table;
	size_t jobs;     /* at most this many at once (>= 1) */
	size_t canary;   /* the first `canary` run first; a failure stops the rest */
	bool keep_going; /* a failure does not stop new targets from starting */
	fleet_event_fn on_event;
	void *ctx;
};

struct fleet_run {
	const struct fleet_targets *t; /* borrowed */
	struct fleet_state *st;        /* one per target */
	size_t count[FLEET_OUTCOMES];
	char *halt;  /* why targets were skipped, or NULL */
	int signal;  /* SIGINT or SIGTERM that stopped the run, or 0 */
	double ms;   /* the run's duration so far */
};

/*
 * Runs the command over every target, `jobs` at a time, in the set's
 * order. By default, once a target fails no new one starts and the
 * running ones finish; `keep_going` starts them all; with `canary` the
 * first `canary` targets run (and finish) before any other starts, and
 * any failure among them skips the rest. SIGINT or SIGTERM during the run
 * is passed to every running target (each rolls back its revision and
 * releases its lock) and starts no new one. Returns 0 whatever the
 * targets' outcomes (they are in `r`); ERR_RUNTIME when revgate's own
 * program cannot be found.
 */
int fleet_run(struct fleet_run *r, const struct fleet_targets *t, const struct fleet_opts *o);
void fleet_run_release(struct fleet_run *r);
/* The target's error in one line: the failure and the final error. NULL
 * when none (fresh string). */
char *fleet_state_error(const struct fleet_state *s);

/* ---- the side of a target's process ---- */

/* What a target's process reports; see the header comment. */
enum fleet_msg {
	FLEET_MSG_FROM,    /* heads found, space-separated */
	FLEET_MSG_TO,      /* heads left */
	FLEET_MSG_PLAN,    /* the number of steps to run */
	FLEET_MSG_UP,      /* an upgrade step begins: its revision */
	FLEET_MSG_DOWN,    /* a downgrade step begins */
	FLEET_MSG_DONE,    /* the step completed */
	FLEET_MSG_WAIT,    /* waiting for the lock: who holds it */
	FLEET_MSG_FAILURE, /* the failing statement, or the half-done revision */
	FLEET_MSG_ERROR,   /* the final error */
	FLEET_MSGS
};

/* Whether this process runs one target of a fleet run. */
bool fleet_member(void);
/* Report a fact to the fleet run (nothing when not a member). */
void fleet_member_say(enum fleet_msg m, const char *text);
void fleet_member_heads(enum fleet_msg m, const struct strlist *heads);

#endif
