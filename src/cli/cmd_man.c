/*
 * revgate __man [PAGE]: the manual pages in roff (hidden; `make man` and
 * `make install` write them). Without PAGE, lists the pages: revgate.1,
 * one revgate-COMMAND.1 per command, and revgate.ini.5.
 *
 * Every page is rendered from the tables that print --help and 'revgate
 * help config': the command table, each command's option table, the
 * common options and the configuration keys. A command or a key added
 * there is in the manual at the next build, and the two cannot disagree.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct cli_opt man_opts[] = {
	{NULL, 0, NULL, NULL},
};

/* Exit statuses, as enum exit_status in cli.h numbers them. */
static const struct {
	int status;
	const char *meaning;
} exit_statuses[] = {
    {EXIT_CLEAN, "clean (warnings allowed unless --strict)"},
    {EXIT_FINDINGS, "findings at error level, or a failed check"},
    {EXIT_USAGE, "usage or configuration error"},
    {EXIT_RUNTIME, "database or runtime error"},
    {EXIT_INTERRUPTED, "interrupted by SIGINT or SIGTERM"},
};

/*
 * Text as roff reads it: a backslash is printed as one, a line that starts
 * with '.' or '\'' is not a request, and the '-' of an option ("-C",
 * "--fail-level") is a minus sign, so that it can be searched and copied.
 */
static void roff_text(FILE *fp, const char *s)
{
	bool line_start = true, in_option = false;
	for (const char *c = s; *c; c++) {
		if (line_start && (*c == '.' || *c == '\''))
			fputs("\\&", fp);
		line_start = *c == '\n';
		bool word_start = c == s || strchr(" \n[(|'\"", c[-1]);
		if (word_start)
			in_option = *c == '-';
		if (*c == '\\')
			fputs("\\e", fp);
		else if (*c == '-' && in_option)
			fputs("\\-", fp);
		else
			fputc(*c, fp);
	}
}

static void roff_line(FILE *fp, const char *s)
{
	roff_text(fp, s);
	fputc('\n', fp);
}

/* .TH with the date of SOURCE_DATE_EPOCH (reproducible builds), else none. */
static void header(FILE *fp, const char *title, int section)
{
	char date[32] = "";
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	if (epoch && *epoch) {
		time_t t = (time_t)strtoll(epoch, NULL, 10);
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	}
	fputs(".TH \"", fp);
	for (const char *c = title; *c; c++)
		fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, fp);
	fprintf(fp, "\" \"%d\" \"%s\" \"revgate %s\" \"revgate manual\"\n", section, date,
		REVGATE_VERSION);
}

/* A description: lines joined into paragraphs, a blank line starts another. */
static void paragraphs(FILE *fp, const char *text)
{
	fputs(".PP\n", fp);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (!n) {
			fputs(".PP\n", fp);
		} else {
			char *line = xstrndup(p, n);
			roff_line(fp, line);
			free(line);
		}
		p += n + (nl ? 1 : 0);
	}
}

static void options(FILE *fp, const struct cli_opt *opts, const char *formats)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		fputs(".TP\n", fp);
		if (o->short_name)
			fprintf(fp, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", fp);
		for (const char *c = o->name; *c; c++) {
			if (*c == '-')
				fputs("\\-", fp);
			else
				fputc(*c, fp);
		}
		fputs("\\fR", fp);
		if (o->arg) {
			fputs(" \\fI", fp);
			roff_text(fp, o->arg);
			fputs("\\fR", fp);
		}
		fputc('\n', fp);
		roff_text(fp, o->help);
		if (formats && !strcmp(o->name, "format")) {
			fputs(": ", fp);
			roff_text(fp, formats);
		}
		fputc('\n', fp);
	}
}

static void exit_status_section(FILE *fp)
{
	fputs(".SH EXIT STATUS\n", fp);
	for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(*exit_statuses); i++) {
		fprintf(fp, ".TP\n.B %d\n", exit_statuses[i].status);
		roff_line(fp, exit_statuses[i].meaning);
	}
}

/* revgate(1) unless this is it, every command's page but `skip`'s, revgate.ini(5). */
static void see_also(FILE *fp, bool with_revgate, const char *skip)
{
	fputs(".SH SEE ALSO\n", fp);
	const char *sep = "";
	if (with_revgate) {
		fputs(".BR revgate (1)", fp);
		sep = ",\n";
	}
	for (size_t i = 0; commands[i]; i++) {
		if (commands[i]->hidden || (skip && !strcmp(skip, commands[i]->name)))
			continue;
		fprintf(fp, "%s.BR revgate\\-", sep);
		roff_text(fp, commands[i]->name);
		fputs(" (1)", fp);
		sep = ",\n";
	}
	fprintf(fp, "%s.BR revgate.ini (5)\n", sep);
}

static void page_command(FILE *fp, const struct command *cmd)
{
	char *title = xstrfmt("revgate-%s", cmd->name);
	header(fp, title, 1);
	fputs(".SH NAME\nrevgate\\-", fp);
	roff_text(fp, cmd->name);
	fputs(" \\- ", fp);
	roff_line(fp, cmd->summary);
	fputs(".SH SYNOPSIS\n.nf\n", fp);
	roff_line(fp, cmd->usage);
	fputs(".fi\n", fp);
	if (cmd->description) {
		fputs(".SH DESCRIPTION\n", fp);
		paragraphs(fp, cmd->description);
	}
	if (cmd->opts && cmd->opts[0].name) {
		fputs(".SH OPTIONS\n", fp);
		options(fp, cmd->opts, NULL);
	}
	fputs(".SH COMMON OPTIONS\n", fp);
	options(fp, cli_common_opts, command_formats(cmd));
	exit_status_section(fp);
	see_also(fp, true, cmd->name);
	free(title);
}

static void page_revgate(FILE *fp)
{
	header(fp, "revgate", 1);
	fputs(".SH NAME\nrevgate \\- lint, guard and apply PostgreSQL migrations\n"
	      ".SH SYNOPSIS\n.nf\n\\fBrevgate\\fR [\\fIoptions\\fR] \\fICOMMAND\\fR "
	      "[\\fIoptions\\fR] [\\fIARGS\\fR]\n.fi\n.SH DESCRIPTION\n",
	      fp);
	paragraphs(fp,
		   "revgate keeps a PostgreSQL schema history safe from the moment a migration\n"
		   "is written until it runs in production. It lints migration SQL with the\n"
		   "PostgreSQL parser, guards the revision history with git (a revision that\n"
		   "reached the base branch must not change; two branches must not leave two\n"
		   "heads), and applies revisions with a lock, one transaction per revision and\n"
		   "checksums of what ran.\n"
		   "\n"
		   "'revgate help COMMAND' prints a command's options, 'revgate help config' the\n"
		   "configuration keys.");
	fputs(".SH COMMANDS\n", fp);
	for (size_t i = 0; commands[i]; i++) {
		if (commands[i]->hidden)
			continue;
		fputs(".TP\n.B ", fp);
		roff_line(fp, commands[i]->name);
		roff_text(fp, commands[i]->summary);
		fputs(" (see\n.BR revgate\\-", fp);
		roff_text(fp, commands[i]->name);
		fputs(" (1))\n", fp);
	}
	fputs(".SH OPTIONS\nThese options go before or after the command.\n", fp);
	options(fp, cli_common_opts, NULL);
	fputs(".SH ENVIRONMENT\n"
	      ".TP\n.B DATABASE_URL\nthe database to connect to, when \\-\\-url is not given "
	      "(else from a .env file in the working directory, else [database] url)\n"
	      ".TP\n.B PGPASSWORD\nthe password, as libpq reads it\n"
	      ".TP\n.B NO_COLOR\nwhen set and not empty, no colour in the output\n"
	      ".TP\n.B XDG_CACHE_HOME\nwhere the caches live (else ~/.cache/revgate), unless "
	      "[lint] cache_dir says otherwise\n"
	      ".TP\n.B REVGATE\nthe revgate command the git hooks run (default: revgate on "
	      "PATH)\n"
	      ".SH FILES\n"
	      ".TP\n.I revgate.ini\nthe configuration, in the working directory or above it; "
	      "see\n.BR revgate.ini (5)\n"
	      ".TP\n.I .env\nmay set DATABASE_URL\n",
	      fp);
	exit_status_section(fp);
	see_also(fp, false, NULL);
}

static void page_config(FILE *fp)
{
	header(fp, "revgate.ini", 5);
	fputs(".SH NAME\nrevgate.ini \\- revgate's configuration\n.SH DESCRIPTION\n", fp);
	paragraphs(fp,
		   "revgate reads revgate.ini from the working directory or the nearest directory\n"
		   "above it, stopping at the top of the git work tree or at a directory that has\n"
		   "a migrations directory of its own; --config FILE names another file. The file\n"
		   "is INI: [section] lines, then key = value lines; ';' and '#' start comments.\n"
		   "An unknown section or key is an error, so a typo never falls back to a\n"
		   "default silently.");
	fputs(".SH KEYS\n", fp);
	const char *section = "";
	for (const struct config_key *k = config_keys; k->section; k++) {
		if (strcmp(section, k->section)) {
			section = k->section;
			fputs(".SS [", fp);
			roff_text(fp, section);
			fputs("]\n", fp);
		}
		fputs(".TP\n.B ", fp);
		roff_line(fp, k->key);
		roff_line(fp, k->doc);
		fputs(".br\nDefault: ", fp);
		roff_line(fp, k->default_value ? k->default_value : "(unset)");
	}
	fputs(".SS [rules]\n.TP\n.I rule\\-id\n"
	      "off, info, warning or error: changes the severity of a lint rule, or turns it\n"
	      "off.\n"
	      ".B revgate rules\n"
	      "lists the rule ids;\n"
	      ".B revgate explain\n"
	      "explains one.\n"
	      ".SS [databases]\n.TP\n.I name\n"
	      "a database URL: the target set that\n"
	      ".B \\-\\-databases\n"
	      ".I PATTERN\n"
	      "of upgrade, downgrade, current, verify and stamp runs on (the entries whose\n"
	      "names match PATTERN).\n"
	      ".SH EXAMPLE\n.nf\n"
	      "[revgate]\nmigrations = migrations\n\n[database]\nlock_timeout = 5s\n\n"
	      "[lint]\npg_version = 15\n\n[rules]\nprefer\\-text\\-field = off\n.fi\n",
	      fp);
	see_also(fp, true, NULL);
}

static int run_man(struct app *app, const struct command *self, struct cli_args *a)
{
	(void)app;
	(void)self;
	if (!a->npos) {
		puts("revgate.1");
		for (size_t i = 0; commands[i]; i++)
			if (!commands[i]->hidden)
				printf("revgate-%s.1\n", commands[i]->name);
		puts("revgate.ini.5");
		return 0;
	}
	const char *page = a->pos[0];
	if (!strcmp(page, "revgate.1")) {
		page_revgate(stdout);
		return 0;
	}
	if (!strcmp(page, "revgate.ini.5")) {
		page_config(stdout);
		return 0;
	}
	size_t n = strlen(page);
	if (!strncmp(page, "revgate-", 8) && n > 10 && !strcmp(page + n - 2, ".1")) {
		char *name = xstrndup(page + 8, n - 10);
		const struct command *cmd = command_find(name);
		free(name);
		if (cmd && !cmd->hidden) {
			page_command(stdout, cmd);
			return 0;
		}
	}
	return err_set(ERR_USAGE, "no manual page '%s' (see 'revgate __man')", page);
}

const struct command cmd_man = {
	.name = "__man",
	.run = run_man,
	.summary = "the manual pages in roff",
	.usage = "revgate __man [PAGE]",
	.opts = man_opts,
	.max_pos = 1,
	.hidden = true,
};
