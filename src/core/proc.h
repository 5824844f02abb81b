/*
 * Running another program and collecting what it prints: for tools whose
 * answers revgate needs (Alembic's offline SQL). The child gets no standard
 * input; its output is read as it comes, so a chatty tool never blocks.
 *
 * Ownership: the caller owns both buffers.
 */
#ifndef REVGATE_CORE_PROC_H
#define REVGATE_CORE_PROC_H

#include "core/strbuf.h"

/*
 * Runs argv[0] (looked up in PATH) with `argv` in directory `cwd` (NULL:
 * here), appending its standard output to `out` and its standard error to
 * `err`. *status is its exit status, or -1 when a signal ended it. A child
 * still running after `timeout_ms` (0: none) is killed, and the call
 * returns ERR_RUNTIME saying so. ERR_RUNTIME when it cannot be started.
 */
int proc_run(char *const argv[], const char *cwd, long timeout_ms, struct strbuf *out,
	     struct strbuf *err, int *status);

/* The same, with `env` ("NAME=value" entries, NULL-terminated; may be
 * NULL) added to the child's environment only: a password for a tool
 * that reads it there stays out of every process's argument list. */
int proc_run_env(char *const argv[], const char *cwd, char *const env[], long timeout_ms,
		 struct strbuf *out, struct strbuf *err, int *status);

/* The last `n` lines of `text`, for a one-glance error message. Fresh string. */
char *proc_tail(const char *text, unsigned n);

#endif
