/* revgate resolve [--done REV | --rolled-back REV]: settle a revision that
 * stopped part-way outside a transaction. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt resolve_opts[] = {
	DBCLI_OPTS,
	{"done", 0, "REV", "the rest of REV was run by hand: record it as applied"},
	{"rolled-back", 0, "REV", "what REV ran was undone by hand: record it as not applied"},
	{NULL, 0, NULL, NULL},
};

static int run_resolve(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct apply_pending *p = NULL;
	struct strlist diag = STRLIST_INIT;
	size_t n = 0;
	const char *done = cli_value(cmd, a, "done");
	const char *undone = cli_value(cmd, a, "rolled-back");
	memset(&ss, 0, sizeof(ss));
	int ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0 && done && undone)
		ret = err_set(ERR_USAGE, "--done and --rolled-back exclude each other");
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_CREATE);
	if (ret < 0 || (ret = apply_pending_list(&ss, &p, &n)) < 0)
		goto out;
	if (!done && !undone) {
		for (size_t i = 0; i < n; i++) {
			char *where = apply_pending_where(&p[i]);
			printf("revision %s: %s stopped%s", p[i].revision, p[i].direction, where);
			free(where);
			if (p[i].error)
				printf(": %s%s%s", p[i].error, p[i].sqlstate ? " (SQLSTATE " : "",
				       p[i].sqlstate ? p[i].sqlstate : "");
			printf("%s\n", p[i].sqlstate ? ")" : "");
		}
		if ((ret = apply_diagnose(&ss, &diag)) < 0)
			goto out;
		for (size_t i = 0; i < diag.n; i++)
			printf("  %s\n", diag.v[i]);
		if (!n) {
			app_note(app, "nothing to resolve: no revision is half-done");
		} else {
			printf("\nThen record what you did:\n"
			       "  revgate resolve --done REV         the rest was run by hand\n"
			       "  revgate resolve --rolled-back REV  what ran was undone; upgrade "
			       "runs REV again\n");
			ret = err_set(ERR_CHECK, "%zu revision%s half-done", n, n == 1 ? " is" : "s are");
		}
		goto out;
	}
	const char *rev = done ? done : undone;
	const struct apply_pending *hit = NULL;
	if ((ret = apply_pending_find(p, n, rev, &hit)) < 0)
		goto out;
	if ((ret = apply_resolve(&ss, hit, done != NULL)) < 0)
		goto out;
	char *h = strlist_join(&ss.heads, ", ");
	app_note(app, "resolved %s as %s; the database is at %s", hit->revision,
		 done ? "applied" : "rolled back", ss.heads.n ? h : "base (empty)");
	free(h);
out:
	apply_pending_free(p, n);
	strlist_release(&diag);
	apply_close(&ss);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_resolve = {
	.name = "resolve",
	.run = run_resolve,
	.summary = "settle a revision that stopped part-way outside a transaction",
	.usage = "revgate resolve [--done REV | --rolled-back REV] [--url URL]",
	.description =
		"Without options, shows each half-done revision, where it stopped, and what the\n"
		"catalog holds (INVALID indexes left by a failed concurrent build), with the\n"
		"SQL to finish or undo it. After doing one or the other by hand, record it.",
	.opts = resolve_opts,
	.needs = NEEDS_REVISIONS,
};
