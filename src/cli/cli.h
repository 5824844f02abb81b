/*
 * The command line: the application state every command shares, the option
 * tables that both parse argv and print --help, the command table, and the
 * mapping from error codes to exit statuses. Only cli/ prints to the user
 * or chooses an exit code.
 *
 * Ownership: struct app owns the configuration, the loaded revisions, the
 * graph and the load findings; app_release() frees them. Commands borrow.
 */
#ifndef REVGATE_CLI_CLI_H
#define REVGATE_CLI_CLI_H

#include "config/config.h"
#include "core/finding.h"
#include "graph/graph.h"
#include "layout/layout.h"
#include "revision/revision.h"

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses (DESIGN.md, "Exit codes"). */
enum exit_status {
	EXIT_CLEAN = 0,
	EXIT_FINDINGS = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
	EXIT_INTERRUPTED = 130,
};
/* The exit status for a negative error code (see core/err.h). */
int exit_status_for(int err);

/* What a command needs set up before it runs. */
enum command_needs {
	NEEDS_CONFIG = 1 << 0,
	NEEDS_REVISIONS = 1 << 1, /* the migrations directory read and the graph built */
	NEEDS_HEADERS = 1 << 2,   /* the graph only: revisions may come from the header cache */
};

struct matcher;

struct app {
	const char *format;      /* --format; NULL: the command's default */
	const char *config_path; /* --config */
	bool quiet;
	bool color;              /* stdout is a TTY and --no-color not given */
	bool stderr_color;
	struct config cfg;
	char *migrations_dir;
	struct layout_settings layout; /* how migrations_dir is read */
	struct matcher *name_pattern;
	struct revision_limits limits;
	struct revset revs;
	struct findings load_findings; /* problems met while reading revisions */
	struct graph graph;
	unsigned ready; /* command_needs already set up */
	/* the progress line of a long statement (cli/dbcli.c): what it last
	 * said, when, and whether it is still open on a terminal */
	char *progress_last;
	double progress_at;
	bool progress_open;
	/* --events/--metrics of the run under way (borrowed), or NULL */
	struct runlog *runlog;
};

void app_init(struct app *app);
void app_release(struct app *app);
/* Sets up what `needs` asks for (config, revisions). Errors carry context. */
int app_setup(struct app *app, unsigned needs);
/* For a command set up with NEEDS_HEADERS that finds it needs the files'
 * text after all: reads the migrations directory again, whole, and
 * rebuilds the graph in place (the revisions are new). */
int app_load_text(struct app *app);
/* ERR_CONFIG naming the way forward when the project's layout is not
 * revgate's own and `what` (an applier command) needs revgate revisions. */
int app_require_revgate_layout(const struct app *app, const char *what);
/* Prints findings to stderr in text form (for commands whose stdout is data). */
void app_report_findings(struct app *app, const struct findings *fs);
/* Whether any error-level finding was met while loading. */
bool app_load_failed(const struct app *app);
/* Prints a progress or status line to stderr unless --quiet. */
void app_note(const struct app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One option of a command. `arg` names the value, NULL for a flag. */
struct cli_opt {
	const char *name;  /* long name without "--" */
	char short_name;   /* 0 for none */
	const char *arg;
	const char *help;
};

#define CLI_MAX_OPTS 32
struct cli_args {
	const char *value[CLI_MAX_OPTS]; /* by index in the command's option table */
	bool set[CLI_MAX_OPTS];
	unsigned count[CLI_MAX_OPTS];
	char **pos; /* positional arguments (borrowed from argv) */
	size_t npos;
};

struct command {
	const char *name; /* a name starting with "__" is hidden: not listed, not documented */
	int (*run)(struct app *app, const struct command *cmd, struct cli_args *args);
	const char *summary;     /* one line for the command list */
	const char *usage;       /* "revgate heads [options]" */
	const char *description; /* paragraphs for 'revgate help CMD' */
	const struct cli_opt *opts; /* ends with {NULL} */
	unsigned needs;
	const char *formats;     /* formats --format accepts, e.g. "text|json" */
	size_t min_pos, max_pos; /* positional argument count */
	/* What the positional arguments are, for the completions: per position,
	 * separated by blanks, the last one repeating, a placeholder (REV,
	 * TARGET, RULE, PATHS, DIR, COMMAND, LAYOUT) or words to choose from,
	 * separated by '|' ("install|print"); NULL for none. */
	const char *args;
	bool hidden; /* not in the command list, the manual or the completions */
};

/* The options every command takes, before or after its name; ends with
 * {NULL}. The one source for parsing, --help, manual pages, completions. */
extern const struct cli_opt cli_common_opts[];

/* The option a command-line word names ("--name", "--name=VALUE", "-c",
 * "-cVALUE"): in the command's table (`cmd` may be NULL), else among the
 * common options; NULL when neither has it. *inline_val is set to a value
 * given in the same word, else NULL. */
const struct cli_opt *cli_opt_find(const struct command *cmd, const char *word,
				   const char **inline_val);
/* The index of option `name` in the command's table, for reading cli_args. */
int cli_opt_index(const struct command *cmd, const char *name);
const char *cli_value(const struct command *cmd, const struct cli_args *a, const char *name);
bool cli_flag(const struct command *cmd, const struct cli_args *a, const char *name);

/* The whole command line: leading common options, the command's name, the
 * rest. Returns the exit status. */
int cli_run(struct app *app, int argc, char **argv);
/* Runs a command: parses argv (common options too), prints --help, sets up
 * what it needs, and calls it. Returns the exit status. */
int command_main(struct app *app, const struct command *cmd, int argc, char **argv);
void command_usage(const struct command *cmd, FILE *fp);
/* revgate's own usage: the commands and the common options. */
void cli_usage(FILE *fp);
/* The formats a command's --format accepts, "text" unless it says. */
const char *command_formats(const struct command *cmd);

extern const struct command *const commands[];
/* The command of that name (hidden ones too), or NULL. */
const struct command *command_find(const char *name);
/* ERR_USAGE naming the closest command when `name` looks like a typo of one. */
int command_not_found(const char *name);
void commands_list(FILE *fp);

/* Output format chosen for this run ("text" unless --format). */
const char *app_format(const struct app *app);

#endif
