/*
 * What `revgate trace` and `revgate test --trace` share: which revisions a
 * range names (the history before them, applied untraced, and those
 * traced), and a trace run in a scratch database of a server.
 *
 * Ownership: plans borrow the app's graph; the report owns its contents.
 */
#ifndef REVGATE_CLI_TRACECLI_H
#define REVGATE_CLI_TRACECLI_H

#include "apply/apply.h"
#include "cli/cli.h"
#include "trace/trace.h"

/*
 * The plans of `range`: NULL for the revisions this branch adds to its
 * base branch (all of them without git, a base, or any added revision);
 * "REV" for that revision alone; "FROM:TO" as `upgrade --sql` reads it
 * (FROM applied first, comma-separated heads or empty; TO default heads).
 * `before` gets the steps applied untraced, `traced` those traced.
 * Errors: the graph walk's (ERR_NOTFOUND, ERR_AMBIGUOUS, ERR_USAGE).
 */
int tracecli_plans(struct app *app, const char *range, struct apply_plan *before,
		   struct apply_plan *traced, const char **what);

/* --rows and --max-lock-ms into `o` (a command without one of them
 * leaves its default). Errors: ERR_USAGE for a value that is not a whole
 * number in range. */
int tracecli_options(const struct command *cmd, struct cli_args *a, struct trace_opts *o);

/*
 * In a scratch database created on s->url (and dropped after): applies
 * `before` with the applier, then traces `traced` into `r`. A failure of
 * the untraced history is printed and is ERR_CHECK.
 */
int tracecli_run(struct app *app, struct apply_settings *s, struct apply_plan *before,
		 const struct apply_plan *traced, struct trace_opts *o, struct trace_report *r);

#endif
