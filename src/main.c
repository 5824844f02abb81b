/*
 * revgate: lint, guard and apply PostgreSQL migrations. main() hands the
 * command line to cli/ and shuts the libraries down so that tools such as
 * valgrind see a clean exit.
 */
#include "cli/cli.h"
#include "git/gitrepo.h"
#include "sql/sql.h"

#include <signal.h>

int main(int argc, char **argv)
{
	struct app app;
	/* a closed pipe (revgate upgrade | head) must not kill a run between
	 * two steps: writes fail with EPIPE instead */
	signal(SIGPIPE, SIG_IGN);
	app_init(&app);
	int status = cli_run(&app, argc, argv);
	app_release(&app);
	/* release libraries' global state so leak checkers see a clean exit */
	sql_shutdown();
	gitrepo_global_shutdown();
	return status;
}
