/*
 * What a run tells monitoring (upgrade, downgrade): `--events FILE`
 * appends one JSON object per line for each event of the run (run started,
 * lock waited, step started, segment done, step finished or failed, run
 * finished), each with its time and, where it ends something, a duration;
 * `--metrics FILE` is rewritten at the end of the run in Prometheus' text
 * format (node_exporter's textfile collector), through a temporary file and
 * a rename so a scrape never reads half of it.
 *
 * Ownership: a runlog owns its paths, its open events file and what it
 * gathered for the metrics; it borrows nothing past the call.
 */
#ifndef REVGATE_CLI_RUNLOG_H
#define REVGATE_CLI_RUNLOG_H

#include "apply/apply.h"

#include <stdbool.h>
#include <time.h>

struct runlog_step {
	char *revision;
	const char *direction; /* static */
	double ms;
	bool ok;
};

struct runlog {
	char *events_path, *metrics_path; /* NULL when not asked for */
	int events_fd;
	const char *command; /* static */
	double t0;           /* monotonic ms at the start */
	struct timespec started;
	double lock_wait_t0; /* monotonic ms of the first lock wait, or 0 */
	char *lock_holder;   /* what the last lock wait said */
	struct runlog_step *steps;
	size_t n, alloc;
};
#define RUNLOG_INIT {NULL, NULL, -1, NULL, 0, {0, 0}, 0, NULL, NULL, 0, 0}

/* Whether either file was asked for. */
bool runlog_active(const struct runlog *l);
/*
 * Opens the events file for appending (created 0644) and checks that the
 * metrics file's directory is writable, so a run that could not report
 * never starts; then logs "run_started". Either path may be NULL.
 * ERR_IO naming the path.
 */
int runlog_open(struct runlog *l, const char *events, const char *metrics, const char *command,
		const char *target);
/* Logs an applier event (progress events are left out). */
void runlog_event(struct runlog *l, const struct apply_event *ev);
/*
 * Logs "run_finished" and writes the metrics: `outcome` is "applied",
 * "unchanged" or "failed"; `heads` the database's heads after (may be
 * NULL: not known), `pending` the revisions still to apply (-1: not
 * known), `error` the message of a failed run (or NULL). The time of the
 * last successful run is kept from the previous metrics file when this one
 * failed. ERR_IO when the metrics file cannot be written.
 */
int runlog_finish(struct runlog *l, const char *outcome, const struct strlist *heads,
		  long pending, const char *error);
void runlog_release(struct runlog *l);

#endif
