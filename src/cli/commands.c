/*
 * The command table, sorted by name. To add a command: write cmd_<name>.c
 * exporting `const struct command cmd_<name>` (option table, usage, run
 * function, `args` for the completions), declare it below, and add it to
 * the table in order: --help, the manual pages and the shell completions
 * follow from it. Hidden commands ("__" names) serve the completions and
 * the build.
 */
#include "cli/cli.h"

#include <stddef.h>

extern const struct command cmd_adopt;
extern const struct command cmd_branches;
extern const struct command cmd_complete;
extern const struct command cmd_man;
extern const struct command cmd_current;
extern const struct command cmd_downgrade;
extern const struct command cmd_explain;
extern const struct command cmd_heads;
extern const struct command cmd_help;
extern const struct command cmd_history;
extern const struct command cmd_hooks;
extern const struct command cmd_import;
extern const struct command cmd_init;
extern const struct command cmd_lint;
extern const struct command cmd_merge;
extern const struct command cmd_rebase;
extern const struct command cmd_resolve;
extern const struct command cmd_revision;
extern const struct command cmd_rules;
extern const struct command cmd_show;
extern const struct command cmd_stamp;
extern const struct command cmd_test;
extern const struct command cmd_trace;
extern const struct command cmd_upgrade;
extern const struct command cmd_verify;

const struct command *const commands[] = {
	&cmd_complete,
	&cmd_man,
	&cmd_adopt,
	&cmd_branches,
	&cmd_current,
	&cmd_downgrade,
	&cmd_explain,
	&cmd_heads,
	&cmd_help,
	&cmd_history,
	&cmd_hooks,
	&cmd_import,
	&cmd_init,
	&cmd_lint,
	&cmd_merge,
	&cmd_rebase,
	&cmd_resolve,
	&cmd_revision,
	&cmd_rules,
	&cmd_show,
	&cmd_stamp,
	&cmd_test,
	&cmd_trace,
	&cmd_upgrade,
	&cmd_verify,
	NULL,
};
