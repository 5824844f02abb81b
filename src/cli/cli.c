/*
 * Option parsing from per-command tables, --help printed from the same
 * tables, the common options, finding the command, and error-to-exit
 * mapping.
 */
#include "cli/cli.h"
#include "fleet/fleet.h"
#include "core/err.h"
#include "core/strlist.h"
#include "core/suggest.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int exit_status_for(int err)
{
	switch (err) {
	case ERR_OK:
		return EXIT_CLEAN;
	case ERR_USAGE:
	case ERR_CONFIG:
	case ERR_NOTFOUND:
	case ERR_AMBIGUOUS:
		return EXIT_USAGE;
	case ERR_CHECK:
	case ERR_GRAPH:
		return EXIT_FINDINGS;
	case ERR_INTERRUPTED:
		return EXIT_INTERRUPTED;
	default:
		return EXIT_RUNTIME;
	}
}

/*
 * Options every command takes, before or after its name. This one table
 * parses them (the leading ones too), prints them in --help, and feeds the
 * manual pages and the shell completions.
 */
enum common_opt {
	COMMON_DIRECTORY,
	COMMON_CONFIG,
	COMMON_FORMAT,
	COMMON_QUIET,
	COMMON_NO_COLOR,
	COMMON_HELP,
	COMMON_VERSION,
	COMMON__COUNT,
};

const struct cli_opt cli_common_opts[] = {
	[COMMON_DIRECTORY] = {"directory", 'C', "DIR", "run as if revgate was started in DIR"},
	[COMMON_CONFIG] = {"config", 0, "FILE", "read FILE instead of the nearest revgate.ini"},
	[COMMON_FORMAT] = {"format", 0, "FORMAT", "output format"},
	[COMMON_QUIET] = {"quiet", 'q', NULL, "print only results and errors"},
	[COMMON_NO_COLOR] = {"no-color", 0, NULL, "never colour the output"},
	[COMMON_HELP] = {"help", 'h', NULL, "show this help"},
	[COMMON_VERSION] = {"version", 0, NULL, "print revgate's version"},
	[COMMON__COUNT] = {NULL, 0, NULL, NULL},
};

/* What parse() found besides options and arguments. */
enum parse_outcome {
	PARSE_HELP = 1,
	PARSE_VERSION = 2,
};

int cli_opt_index(const struct command *cmd, const char *name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (!strcmp(cmd->opts[i].name, name))
			return i;
	BUG("command '%s' has no option '%s'", cmd->name, name);
}

const char *cli_value(const struct command *cmd, const struct cli_args *a, const char *name)
{
	return a->value[cli_opt_index(cmd, name)];
}

bool cli_flag(const struct command *cmd, const struct cli_args *a, const char *name)
{
	return a->set[cli_opt_index(cmd, name)];
}

static void print_opts(FILE *fp, const struct cli_opt *opts, const char *formats)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		if (formats && !strcmp(o->name, "format"))
			fprintf(fp, "  %-26s %s: %s\n", left, o->help, formats);
		else
			fprintf(fp, "  %-26s %s\n", left, o->help);
	}
}

void command_usage(const struct command *cmd, FILE *fp)
{
	fprintf(fp, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->description)
		fprintf(fp, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts[0].name) {
		fputs("\noptions:\n", fp);
		print_opts(fp, cmd->opts, NULL);
	}
	fputs("\ncommon options:\n", fp);
	print_opts(fp, cli_common_opts, command_formats(cmd));
}

void cli_usage(FILE *fp)
{
	fputs("usage: revgate [options] COMMAND [options] [ARGS]\n\n"
	      "revgate lints PostgreSQL migrations, guards applied history in git, and\n"
	      "applies revisions safely.\n\ncommands:\n",
	      fp);
	commands_list(fp);
	fputs("\ncommon options (before or after the command):\n", fp);
	print_opts(fp, cli_common_opts, NULL);
	fputs("\n'revgate help COMMAND' shows a command's options; 'revgate help config' the\n"
	      "configuration keys.\n",
	      fp);
}

const char *command_formats(const struct command *cmd)
{
	return cmd->formats ? cmd->formats : "text";
}

/* The option `arg` names in one table (see cli_opt_find). */
static const struct cli_opt *opt_lookup(const struct cli_opt *opts, const char *arg,
					const char **inline_val)
{
	*inline_val = NULL;
	if (!opts || arg[0] != '-' || !arg[1])
		return NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		for (const struct cli_opt *o = opts; o->name; o++) {
			if (strlen(o->name) == n && !strncmp(o->name, name, n)) {
				*inline_val = eq ? eq + 1 : NULL;
				return o;
			}
		}
		return NULL;
	}
	for (const struct cli_opt *o = opts; o->name; o++) {
		if (o->short_name == arg[1]) {
			*inline_val = arg[2] ? arg + 2 : NULL;
			return o;
		}
	}
	return NULL;
}

const struct cli_opt *cli_opt_find(const struct command *cmd, const char *word,
				   const char **inline_val)
{
	const struct cli_opt *o = opt_lookup(cmd ? cmd->opts : NULL, word, inline_val);
	return o ? o : opt_lookup(cli_common_opts, word, inline_val);
}

/* ERR_USAGE for an option neither the command nor the common table has,
 * with the closest one when it looks like a typo of it. */
static int unknown_option(const struct command *cmd, const char *arg)
{
	bool is_long = arg[1] == '-';
	const char *eq = strchr(arg, '=');
	char *word = xstrndup(arg, is_long ? (eq ? (size_t)(eq - arg) : strlen(arg)) : 2);
	struct strlist names = STRLIST_INIT;
	struct suggest sg;
	suggest_init(&sg, word);
	const struct cli_opt *tables[] = {cmd->opts, cli_common_opts};
	for (size_t t = 0; is_long && t < 2; t++)
		for (const struct cli_opt *o = tables[t]; o && o->name; o++)
			strlist_push_owned(&names, xstrfmt("--%s", o->name));
	for (size_t i = 0; i < names.n; i++)
		suggest_add(&sg, names.v[i]);
	char *hint = suggest_hint(&sg);
	int ret = err_set(ERR_USAGE, "unknown option '%s' for '%s'%s (see 'revgate help %s')", word,
			  cmd->name, hint, cmd->name);
	free(hint);
	strlist_release(&names);
	free(word);
	return ret;
}

/* Applies a common option: 0, PARSE_HELP, PARSE_VERSION or an error. */
static int apply_common(struct app *app, const struct command *cmd, enum common_opt which,
			const char *value)
{
	/* parse() gives an option that takes a value its value; flags get "" */
	if (!value)
		value = "";
	switch (which) {
	case COMMON_DIRECTORY:
		if (chdir(value) < 0)
			return err_set(ERR_USAGE, "cannot change to directory '%s'", value);
		return 0;
	case COMMON_CONFIG:
		app->config_path = value;
		return 0;
	case COMMON_FORMAT: {
		const char *allowed = command_formats(cmd);
		const char *p = strstr(allowed, value);
		size_t n = strlen(value);
		if (!n || !p || (p != allowed && p[-1] != '|') || (p[n] && p[n] != '|'))
			return err_set(ERR_USAGE, "'%s' does not print --format %s (use %s)",
				       cmd->name, value, allowed);
		app->format = value;
		return 0;
	}
	case COMMON_QUIET:
		app->quiet = true;
		return 0;
	case COMMON_NO_COLOR:
		app->color = app->stderr_color = false;
		return 0;
	case COMMON_HELP:
		return PARSE_HELP;
	case COMMON_VERSION:
		return PARSE_VERSION;
	case COMMON__COUNT:
		break;
	}
	BUG("common option %d has no handler", (int)which);
}

static int parse(struct app *app, const struct command *cmd, int argc, char **argv,
		 struct cli_args *a)
{
	memset(a, 0, sizeof(*a));
	a->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	bool only_pos = false;
	int outcome = 0;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		/* "-1" is a relative target (downgrade -1), not an option */
		if (only_pos || arg[0] != '-' || !arg[1] || (arg[1] >= '0' && arg[1] <= '9')) {
			a->pos[a->npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			continue;
		}
		const char *inline_val;
		const struct cli_opt *o = opt_lookup(cmd->opts, arg, &inline_val);
		bool common = !o;
		if (common)
			o = opt_lookup(cli_common_opts, arg, &inline_val);
		if (!o)
			return unknown_option(cmd, arg);
		int idx = (int)(o - (common ? cli_common_opts : cmd->opts));
		const char *value = NULL;
		if (o->arg) {
			if (inline_val)
				value = inline_val;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return err_set(ERR_USAGE, "option '--%s' needs a value (%s)", o->name,
					       o->arg);
		} else if (inline_val && arg[1] == '-') {
			return err_set(ERR_USAGE, "option '--%s' takes no value", o->name);
		} else if (inline_val) {
			return err_set(ERR_USAGE, "option '-%c' takes no value", o->short_name);
		}
		if (common) {
			int r = apply_common(app, cmd, (enum common_opt)idx, value);
			if (r < 0)
				return r;
			/* --help wins over --version, and both over missing arguments */
			if (r == PARSE_HELP || (r && !outcome))
				outcome = r;
		} else {
			a->set[idx] = true;
			a->count[idx]++;
			a->value[idx] = value;
		}
	}
	if (outcome)
		return outcome;
	if (a->npos < cmd->min_pos)
		return err_set(ERR_USAGE, "'%s' needs more arguments; usage: %s", cmd->name,
			       cmd->usage);
	if (a->npos > cmd->max_pos)
		return err_set(ERR_USAGE, "unexpected argument '%s'; usage: %s",
			       a->pos[cmd->max_pos], cmd->usage);
	return 0;
}

int command_main(struct app *app, const struct command *cmd, int argc, char **argv)
{
	struct cli_args a;
	int ret = parse(app, cmd, argc, argv, &a);
	if (ret == PARSE_HELP) {
		command_usage(cmd, stdout);
		ret = 0;
		goto out;
	}
	if (ret == PARSE_VERSION) {
		printf("revgate %s\n", REVGATE_VERSION);
		ret = 0;
		goto out;
	}
	if (ret == 0)
		ret = app_setup(app, cmd->needs);
	if (ret == 0)
		ret = cmd->run(app, cmd, &a);
	if (ret < 0) {
		/* the verdict follows what the command printed, also through a pipe */
		fflush(stdout);
		fprintf(stderr, "revgate %s: %s\n", cmd->name, err_msg());
		fleet_member_say(FLEET_MSG_ERROR, err_msg());
		ret = exit_status_for(ret);
	}
out:
	free(a.pos);
	return ret;
}

const struct command *command_find(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

int command_not_found(const char *name)
{
	struct suggest sg;
	suggest_init(&sg, name);
	for (size_t i = 0; commands[i]; i++)
		if (!commands[i]->hidden)
			suggest_add(&sg, commands[i]->name);
	char *hint = suggest_hint(&sg);
	int ret = err_set(ERR_USAGE, "'%s' is not a command%s (see 'revgate help')", name, hint);
	free(hint);
	return ret;
}

void commands_list(FILE *fp)
{
	for (size_t i = 0; commands[i]; i++)
		if (!commands[i]->hidden)
			fprintf(fp, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
}

const char *app_format(const struct app *app)
{
	return app->format ? app->format : "text";
}

/* Where the leading common options end: the index of the command's name,
 * or argc when there is none. Only the common table says which of them
 * take a value; an unknown one is left for the command to judge. */
static int leading_end(int argc, char **argv)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--")) {
		const char *inline_val;
		const struct cli_opt *o = cli_opt_find(NULL, argv[i], &inline_val);
		i += o && o->arg && !inline_val ? 2 : 1;
	}
	return i;
}

/* "revgate" with options only: --help, --version, or the usage as an error. */
static const struct command cmd_bare = {
	.name = "revgate",
	.summary = "lint, guard and apply PostgreSQL migrations",
	.usage = "revgate [options] COMMAND [options] [ARGS]",
};

int cli_run(struct app *app, int argc, char **argv)
{
	/* early, before this process could start another that would inherit
	 * a fleet run's report pipe */
	(void)fleet_member();
	int first = leading_end(argc, argv);
	if (first >= argc) {
		struct cli_args a;
		int ret = parse(app, &cmd_bare, argc, argv, &a);
		free(a.pos);
		if (ret == PARSE_VERSION) {
			printf("revgate %s\n", REVGATE_VERSION);
			return EXIT_CLEAN;
		}
		if (ret == PARSE_HELP) {
			cli_usage(stdout);
			return EXIT_CLEAN;
		}
		if (ret < 0)
			fprintf(stderr, "revgate: %s\n", err_msg());
		else
			cli_usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = command_find(argv[first]);
	if (!cmd) {
		command_not_found(argv[first]);
		fprintf(stderr, "revgate: %s\n", err_msg());
		return EXIT_USAGE;
	}
	/* the command sees its name, then the leading options, then the rest */
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0;
	args[n++] = argv[first];
	for (int i = 1; i < argc; i++)
		if (i != first)
			args[n++] = argv[i];
	int status = command_main(app, cmd, n, args);
	free(args);
	return status;
}
