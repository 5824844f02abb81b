/* revgate help [COMMAND | config] */
#include "cli/cli.h"
#include "config/config.h"
#include "core/err.h"

#include <string.h>

static const struct cli_opt help_opts[] = {
	{NULL, 0, NULL, NULL},
};

static void help_config(FILE *fp)
{
	fputs("revgate.ini keys (section, key, default: meaning):\n", fp);
	const char *section = "";
	for (const struct config_key *k = config_keys; k->section; k++) {
		if (strcmp(section, k->section)) {
			section = k->section;
			fprintf(fp, "\n[%s]\n", section);
		}
		fprintf(fp, "  %-24s %s\n  %-24s default: %s\n", k->key, k->doc, "",
			k->default_value ? k->default_value : "(unset)");
	}
	fputs("\n[rules]\n  <rule-id> = off|info|warning|error   change or disable a rule\n", fp);
	fputs("\n[databases]\n  <name> = <URL>   a database that --databases PATTERN runs on (with\n"
	      "                   upgrade, downgrade, current, verify, stamp)\n",
	      fp);
}

static int run_help(struct app *app, const struct command *cmd, struct cli_args *a)
{
	if (!a->npos) {
		cli_usage(stdout);
		return 0;
	}
	if (!strcmp(a->pos[0], "config")) {
		help_config(stdout);
		return 0;
	}
	const struct command *c = command_find(a->pos[0]);
	if (!c)
		return command_not_found(a->pos[0]);
	command_usage(c, stdout);
	return 0;
}

const struct command cmd_help = {
	.name = "help",
	.run = run_help,
	.summary = "show help for revgate, a command, or the configuration",
	.usage = "revgate help [COMMAND | config]",
	.opts = help_opts,
	.max_pos = 1,
	.args = "COMMAND|config",
};
