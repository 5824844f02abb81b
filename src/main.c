/*
 * revgate: lint, guard and apply PostgreSQL migrations. main() finds the
 * command, runs it, and shuts the libraries down so that tools such as
 * valgrind see a clean exit.
 */
#include "cli/cli.h"
#include "git/gitrepo.h"
#include "sql/sql.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void main_usage(FILE *fp);

void main_usage(FILE *fp)
{
	fputs("usage: revgate [-C DIR] [--config FILE] COMMAND [options]\n\n"
	      "revgate lints PostgreSQL migrations, guards applied history in git, and\n"
	      "applies revisions safely.\n\ncommands:\n",
	      fp);
	commands_list(fp);
	fputs("\n'revgate help COMMAND' shows a command's options; 'revgate help config' the\n"
	      "configuration keys.\n",
	      fp);
}

int main(int argc, char **argv)
{
	struct app app;
	int status;
	/* a closed pipe (revgate upgrade | head) must not kill a run between
	 * two steps: writes fail with EPIPE instead */
	signal(SIGPIPE, SIG_IGN);
	app_init(&app);

	/* leading common options may come before the command name */
	int first = 1;
	while (first < argc && argv[first][0] == '-') {
		const char *a = argv[first];
		if (!strcmp(a, "--version")) {
			printf("revgate %s\n", REVGATE_VERSION);
			return 0;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			main_usage(stdout);
			return 0;
		}
		if ((!strcmp(a, "-C") || !strcmp(a, "--config") || !strcmp(a, "--format")) &&
		    first + 1 < argc)
			first += 2;
		else
			first++;
	}
	if (first >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = command_find(argv[first]);
	if (!cmd) {
		fprintf(stderr, "revgate: '%s' is not a command (see 'revgate help')\n", argv[first]);
		return EXIT_USAGE;
	}
	/* the command sees its name, then the leading options, then the rest */
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	if (!args)
		return EXIT_RUNTIME;
	int n = 0;
	args[n++] = argv[first];
	for (int i = 1; i < argc; i++)
		if (i != first)
			args[n++] = argv[i];
	status = command_main(&app, cmd, n, args);
	free(args);
	app_release(&app);
	/* release libraries' global state so leak checkers see a clean exit */
	sql_shutdown();
	gitrepo_global_shutdown();
	return status;
}
