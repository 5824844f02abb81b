/*
 * Option parsing from per-command tables, --help printed from the same
 * tables, common options, and error-to-exit mapping.
 */
#include "cli/cli.h"
#include "core/err.h"
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

/* Options every command takes. */
static const struct cli_opt common_opts[] = {
	{"directory", 'C', "DIR", "run as if revgate was started in DIR"},
	{"config", 0, "FILE", "read FILE instead of ./revgate.ini"},
	{"format", 0, "FORMAT", "output format"},
	{"quiet", 'q', NULL, "print only results and errors"},
	{"no-color", 0, NULL, "never colour the output"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
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
	print_opts(fp, common_opts, cmd->formats ? cmd->formats : "text");
}

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t n,
				       int *idx)
{
	for (int i = 0; opts && opts[i].name; i++) {
		if (strlen(opts[i].name) == n && !strncmp(opts[i].name, name, n)) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c, int *idx)
{
	for (int i = 0; opts && opts[i].name; i++) {
		if (opts[i].short_name == c) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

/* Applies a common option; returns 1 when --help was asked for. */
static int apply_common(struct app *app, const struct command *cmd, const char *name,
			const char *value)
{
	bool takes_value = !strcmp(name, "directory") || !strcmp(name, "config") ||
			   !strcmp(name, "format");
	if (takes_value && !value)
		return err_set(ERR_USAGE, "option '--%s' needs a value", name);
	if (!value)
		value = "";
	if (!strcmp(name, "directory")) {
		if (chdir(value) < 0)
			return err_set(ERR_USAGE, "cannot change to directory '%s'", value);
	} else if (!strcmp(name, "config")) {
		app->config_path = value;
	} else if (!strcmp(name, "format")) {
		const char *allowed = cmd->formats ? cmd->formats : "text";
		const char *p = strstr(allowed, value);
		size_t n = strlen(value);
		if (!n || !p || (p != allowed && p[-1] != '|') || (p[n] && p[n] != '|'))
			return err_set(ERR_USAGE, "'%s' does not print --format %s (use %s)",
				       cmd->name, value, allowed);
		app->format = value;
	} else if (!strcmp(name, "quiet")) {
		app->quiet = true;
	} else if (!strcmp(name, "no-color")) {
		app->color = app->stderr_color = false;
	} else if (!strcmp(name, "help")) {
		return 1;
	}
	return 0;
}

static int parse(struct app *app, const struct command *cmd, int argc, char **argv,
		 struct cli_args *a)
{
	memset(a, 0, sizeof(*a));
	a->pos = xcalloc((size_t)argc + 1, sizeof(char *));
	bool only_pos = false;
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
		const struct cli_opt *o;
		int idx;
		bool common = false;
		const char *inline_val = NULL;
		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			inline_val = eq ? eq + 1 : NULL;
			o = find_long(cmd->opts, name, n, &idx);
			if (!o && (o = find_long(common_opts, name, n, &idx)))
				common = true;
			if (!o)
				return err_set(ERR_USAGE, "unknown option '--%.*s' for '%s' (see "
							  "'revgate help %s')",
					       (int)n, name, cmd->name, cmd->name);
		} else {
			o = find_short(cmd->opts, arg[1], &idx);
			if (!o && (o = find_short(common_opts, arg[1], &idx)))
				common = true;
			if (!o)
				return err_set(ERR_USAGE, "unknown option '-%c' for '%s' (see "
							  "'revgate help %s')",
					       arg[1], cmd->name, cmd->name);
			if (arg[2])
				inline_val = arg + 2;
		}
		const char *value = NULL;
		if (o->arg) {
			if (inline_val)
				value = inline_val;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return err_set(ERR_USAGE, "option '--%s' needs a value (%s)", o->name,
					       o->arg);
		} else if (inline_val) {
			return err_set(ERR_USAGE, "option '--%s' takes no value", o->name);
		}
		if (common) {
			int r = apply_common(app, cmd, o->name, value);
			if (r)
				return r;
		} else {
			a->set[idx] = true;
			a->count[idx]++;
			a->value[idx] = value;
		}
	}
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
	if (ret == 1) {
		command_usage(cmd, stdout);
		ret = 0;
		goto out;
	}
	if (ret == 0)
		ret = app_setup(app, cmd->needs);
	if (ret == 0)
		ret = cmd->run(app, cmd, &a);
	if (ret < 0) {
		fprintf(stderr, "revgate %s: %s\n", cmd->name, err_msg());
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

void commands_list(FILE *fp)
{
	for (size_t i = 0; commands[i]; i++)
		fprintf(fp, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
}

const char *app_format(const struct app *app)
{
	return app->format ? app->format : "text";
}
