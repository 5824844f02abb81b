/*
 * What the database commands (upgrade, downgrade, current, stamp, verify,
 * resolve) share on the command line: the connection options, opening a
 * session, progress lines, and how a failed statement is shown; and what
 * a process running one target of a fleet run reports to it (fleet.h).
 *
 * Ownership: functions borrow the app and the session.
 */
#ifndef REVGATE_CLI_DBCLI_H
#define REVGATE_CLI_DBCLI_H

#include "apply/apply.h"
#include "cli/cli.h"

/* The connection options, for a command's option table. */
#define DBCLI_OPTS                                                                          \
	{"url", 0, "URL", "database URL (default: DATABASE_URL, .env, [database] url)"},    \
		{"version-table", 0, "[SCHEMA.]NAME",                                       \
		 "version table (default: revgate_version; alembic_version adopts Alembic)"}, \
		{"lock-wait", 0, "DURATION", "how long to wait for another run (default 60s)"}

/* Reads [database] and the DBCLI_OPTS flags into `s`. */
int dbcli_settings(struct app *app, const struct command *cmd, const struct cli_args *a,
		   struct apply_settings *s);
/* Finds the URL and opens a session (see apply_open). */
int dbcli_open(struct app *app, const struct command *cmd, const struct cli_args *a,
	       struct apply_settings *s, struct apply_session *ss, unsigned flags);
/* Closes a session (apply_close), telling a fleet run that started this
 * process the heads it leaves. */
void dbcli_close(struct apply_session *ss);
/* Prints progress events to stderr (unless --quiet). */
void dbcli_event(void *ctx, const struct apply_event *ev);
/* Prints a failed statement: file:line:col, the line, the server's message,
 * detail, hint and SQLSTATE. */
void dbcli_print_failure(const struct app *app, const struct apply_failure *f);
/* Refuses (ERR_CHECK) when a revision is half-done, naming it and the fix. */
int dbcli_refuse_pending(struct app *app, struct apply_session *ss);
/* A plan as `upgrade --plan` prints it: one line per step, or (json) an
 * array of objects with revision, direction, kind, message, file,
 * heads_before, heads_after, transactional and segments; with `loss`
 * (may be NULL), under each downgrade step what it drops, with the rows
 * each holds when counted ("drops": [{what, rows, more}]). */
void dbcli_plan_text(const struct apply_plan *p, const struct apply_loss *loss);
void dbcli_plan_json(const struct apply_plan *p, const struct apply_loss *loss);
/* The brake before a downgrade runs: counts the rows of what it drops;
 * when any holds rows, names them and refuses (ERR_CHECK) unless
 * `allowed` (--allow-data-loss) or, on a terminal, the user types yes.
 * `backup` (the backup directory, or NULL) makes the safe path its advice. */
int dbcli_data_loss_gate(struct app *app, struct apply_session *ss, const struct apply_plan *p,
			 bool allowed, const char *backup);
/* Creates a scratch database revgate_<what>_<pid> on s->url (`app_name`
 * "revgate <what>"); 0 with `*name` set, or ERR_DB naming why the server
 * would not and what to do instead. */
int dbcli_scratch_create(const struct apply_settings *s, const char *app_name, char **name);
/* Drops it (errors ignored: a clean-up). */
void dbcli_scratch_drop(const struct apply_settings *s, const char *app_name, const char *name);
/* Refuses (ERR_GRAPH) a graph with a cycle or missing parents. */
int dbcli_refuse_broken_graph(struct app *app);

#endif
