/*
 * Running another program and collecting what it prints: for tools whose
 * answers revgate needs (Alembic's offline SQL), and for revgate itself,
 * started once per database by a run over many. The child gets no standard
 * input; its output is read as it comes, so a chatty tool never blocks.
 *
 * Ownership: the caller owns both buffers, and the descriptors it hands to
 * proc_spawn (the child gets copies).
 */
#ifndef REVGATE_CORE_PROC_H
#define REVGATE_CORE_PROC_H

#include "core/strbuf.h"

#include <stddef.h>
#include <sys/types.h>

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

/*
 * Starts the program at path `argv[0]` with environment `envp`, without
 * waiting for it: its standard input is /dev/null, and `fds[i]` becomes
 * its descriptor i + 1 (stdout, stderr, then 3, ...). Nothing else of
 * revgate's leaks into it as long as revgate's own descriptors are
 * close-on-exec. ERR_RUNTIME when it cannot be started.
 */
int proc_spawn(char *const argv[], char *const envp[], const int *fds, size_t nfds, pid_t *pid);

/* The path of the running program (/proc/self/exe), fresh; ERR_RUNTIME. */
int proc_self_exe(char **out);

/* "exited with status 3", "was killed by signal 9 (Killed)" for a status
 * from waitpid (fresh string). */
char *proc_status_text(int status);

/* The last `n` lines of `text`, for a one-glance error message. Fresh string. */
char *proc_tail(const char *text, unsigned n);

#endif
