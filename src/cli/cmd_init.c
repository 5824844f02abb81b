/* revgate init: a configuration file and an empty migrations directory. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/fileio.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const struct cli_opt init_opts[] = {
	{"migrations", 0, "DIR", "name of the migrations directory (default: migrations)"},
	{NULL, 0, NULL, NULL},
};

static const char ini_template[] =
	"# revgate configuration: every key is documented in 'revgate help config'.\n"
	"[revgate]\n"
	"migrations = %s\n"
	"\n"
	"[database]\n"
	"# url = postgresql://app@localhost/app  (or DATABASE_URL, or a .env file)\n"
	"version_table = revgate_version\n"
	"lock_timeout = 5s\n"
	"\n"
	"[lint]\n"
	"pg_version = 15\n"
	"\n"
	"[rules]\n"
	"# prefer-text-field = off\n";

static int run_init(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const char *dir = cli_value(cmd, a, "migrations");
	if (!dir)
		dir = "migrations";
	const char *cfg = app->config_path ? app->config_path : "revgate.ini";
	if (path_exists(cfg))
		return err_set(ERR_USAGE, "'%s' already exists; revgate init never overwrites it",
			       cfg);
	char text[sizeof(ini_template) + 256];
	int n = snprintf(text, sizeof(text), ini_template, dir);
	if (n < 0 || (size_t)n >= sizeof(text))
		return err_set(ERR_USAGE, "migrations directory name too long");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_set(ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
	int ret = file_write_atomic(cfg, text, (size_t)n, true);
	if (ret < 0)
		return ret;
	printf("wrote %s and %s/\n", cfg, dir);
	return 0;
}

const struct command cmd_init = {
	.name = "init",
	.run = run_init,
	.summary = "write revgate.ini and an empty migrations directory",
	.usage = "revgate init [--migrations DIR]",
	.opts = init_opts,
};
