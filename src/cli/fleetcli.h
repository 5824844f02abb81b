/*
 * The database commands over many databases (DESIGN.md, "Many
 * databases"): the target options every such command takes, and the run
 * itself — the target set checked before anything runs, the live view on
 * a terminal or a line per event in a log, the final table or JSON, and
 * the exit status.
 *
 * Ownership: functions borrow the app, the command and its arguments.
 */
#ifndef REVGATE_CLI_FLEETCLI_H
#define REVGATE_CLI_FLEETCLI_H

#include "cli/cli.h"

/* The target options, for a command's option table. */
#define FLEETCLI_OPTS                                                                       \
	{"targets", 0, "FILE", "run on each database FILE names ('name = URL' lines)"},     \
		{"databases", 0, "PATTERN",                                                 \
		 "run on the [databases] of revgate.ini matching PATTERN ('*': all)"},     \
		{"each-database", 0, "PATTERN",                                             \
		 "run on each database of the --url server matching PATTERN"},              \
		{"each-schema", 0, "PATTERN",                                               \
		 "run on each schema of the --url database matching PATTERN"},              \
		{"jobs", 'j', "N", "run N databases at once (default 4)"},                  \
		{"keep-going", 0, NULL, "after a database failed, start the others anyway"}, \
		{"canary", 0, "N", "run the first N databases; the rest only if none failed"}

/* Whether the command line asks for a run over a target set. */
bool fleetcli_wanted(const struct command *cmd, const struct cli_args *a);
/* Runs the command over the target set; the result for command_main. */
int fleetcli_run(struct app *app, const struct command *cmd, struct cli_args *a);

/* What `revgate help CMD` says of target sets, for a command's description. */
#define FLEETCLI_HELP                                                                      \
	"With a target set (--targets FILE, --databases PATTERN, --each-database PATTERN\n"  \
	"or --each-schema PATTERN) it runs on many databases, --jobs N at once, each\n"      \
	"exactly as on one database (its own lock, tables and checks). The set is checked\n" \
	"before anything runs. After a failure no new one starts unless --keep-going;\n"    \
	"--canary N runs the first N, and the rest only if none failed. A log gets a line\n" \
	"per event, a terminal a live view; then a table (or --format json) says each\n"   \
	"one's heads, outcome and error. Exit 0 when all succeeded, 1 when some did not,\n" \
	"3 when none was reached; the same command again touches only those not done.\n"   \
	"PATTERN is a shell glob ('tenant_*')."

#endif
