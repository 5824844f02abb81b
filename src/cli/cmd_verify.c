/* revgate verify: applied revisions checked against the files. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/fleetcli.h"
#include "core/err.h"
#include "output/output.h"

#include <string.h>

static const struct cli_opt verify_opts[] = {
	DBCLI_OPTS,
	FLEETCLI_OPTS,
	{NULL, 0, NULL, NULL},
};

/* Whether a finding says an applied revision's file changed (the others
 * say the record of what ran is wrong: no history row, a disabled
 * trigger, an INVALID index). */
static bool is_change(const struct finding *f)
{
	return !strncmp(f->rule, "applied-checksum", 16) ||
	       !strncmp(f->rule, "applied-header", 14) || !strncmp(f->rule, "applied-downgrade", 17);
}

/* How many revisions (files) have a finding of severity `sev` that says
 * they changed. */
static size_t revisions_with(const struct findings *fs, enum severity sev)
{
	struct strlist files = STRLIST_INIT;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].severity == sev && fs->v[i].file && is_change(&fs->v[i]) &&
		    !strlist_has(&files, fs->v[i].file))
			strlist_push(&files, fs->v[i].file);
	size_t n = files.n;
	strlist_release(&files);
	return n;
}

static int run_verify(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct findings fs = FINDINGS_INIT;
	size_t checked = 0;
	memset(&ss, 0, sizeof(ss));
	if (fleetcli_wanted(cmd, a))
		return fleetcli_run(app, cmd, a);
	int ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_NO_LOCK);
	if (ret < 0 || (ret = apply_check_heads_known(&ss)) < 0 ||
	    (ret = apply_verify(&ss, &fs, &checked)) < 0)
		goto out;
	findings_sort(&fs);
	struct printer p;
	if ((ret = printer_open(&p, app_format(app), stdout, app->color)) < 0)
		goto out;
	printer_print(&p, &fs);
	/* "verified" only when nothing changed in meaning */
	size_t changed = revisions_with(&fs, SEV_ERROR), edited = revisions_with(&fs, SEV_WARNING);
	size_t errors = findings_count(&fs, SEV_ERROR);
	size_t record = 0;
	for (size_t i = 0; i < fs.n; i++)
		record += fs.v[i].severity == SEV_ERROR && !is_change(&fs.v[i]);
	if (changed)
		ret = err_set(ERR_CHECK, "%zu of %zu applied revision%s changed since %s ran%s (above)",
			      changed, checked, checked == 1 ? "" : "s",
			      changed == 1 ? "it" : "they",
			      record ? ", and the record of what ran does not hold" : "");
	else if (errors)
		ret = err_set(ERR_CHECK, "the record of what ran does not hold: %zu problem%s (above)",
			      record, record == 1 ? "" : "s");
	else if (edited)
		app_note(app, "verified %zu applied revision%s; %zu edited without changing what "
			      "ran (above)",
			 checked, checked == 1 ? "" : "s", edited);
	else
		app_note(app, "verified %zu applied revision%s", checked, checked == 1 ? "" : "s");
out:
	findings_release(&fs);
	dbcli_close(&ss);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_verify = {
	.name = "verify",
	.run = run_verify,
	.summary = "check applied revisions against their recorded checksums",
	.usage = "revgate verify [--url URL] [--format text|json] [--targets FILE ...] [--jobs N]",
	.description =
		"Compares every revision the database has applied with the checksum recorded\n"
		"when it ran: the file's bytes, then statement by statement, naming the first\n"
		"statement that changed. An edit of comments or whitespace only is a warning.\n"
		FLEETCLI_HELP,
	.opts = verify_opts,
	.needs = NEEDS_REVISIONS,
	.formats = "text|json",
};
