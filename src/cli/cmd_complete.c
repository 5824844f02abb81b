/*
 * revgate __complete -- WORD...: what the shell completions offer (hidden).
 *
 * The completion scripts for bash, zsh and fish pass the words of the
 * command line after "revgate", the last one being the word under the
 * cursor (possibly empty), and print what comes back. All the knowledge
 * stays here, read from the tables that parse the command line and print
 * --help: commands, options, formats, rule and finding ids, and the
 * revisions, heads and branch labels of the graph the command line points
 * at (-C, --config). Each line is "CANDIDATE<TAB>DESCRIPTION"; a line
 * "@files" or "@dirs" asks the shell for paths instead.
 */
#include "cli/cli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "layout/layout.h"
#include "lint/docs.h"
#include "lint/registry.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_opt complete_opts[] = {
	{NULL, 0, NULL, NULL},
};

/* Prints a candidate when it starts with the word under the cursor. */
static void offer(const char *prefix, const char *word, const char *desc)
{
	if (strncmp(word, prefix, strlen(prefix)))
		return;
	fputs(word, stdout);
	if (desc && *desc) {
		putchar('\t');
		/* one line per candidate */
		for (const char *c = desc; *c && *c != '\n'; c++)
			putchar(*c);
	}
	putchar('\n');
}

static void offer_options(const struct command *cmd, const char *prefix)
{
	const struct cli_opt *tables[] = {cmd ? cmd->opts : NULL, cli_common_opts};
	for (size_t t = 0; t < 2; t++) {
		for (const struct cli_opt *o = tables[t]; o && o->name; o++) {
			char *name = xstrfmt("--%s", o->name);
			offer(prefix, name, o->help);
			free(name);
		}
	}
}

static void offer_commands(const char *prefix)
{
	for (size_t i = 0; commands[i]; i++)
		if (!commands[i]->hidden)
			offer(prefix, commands[i]->name, commands[i]->summary);
}

static void offer_rules(const char *prefix)
{
	for (size_t i = 0; i < lint_rule_count(); i++)
		offer(prefix, lint_rule_at(i)->id, lint_rule_at(i)->summary);
	for (const struct rule_doc *d = finding_docs; d->id; d++)
		offer(prefix, d->id, "finding (not a lint rule)");
}

/* Ids, target keywords and branch labels of the graph the command line
 * points at; nothing when it cannot be read. */
static void offer_revisions(struct app *app, const char *prefix)
{
	offer(prefix, "head", "the head revision");
	offer(prefix, "heads", "every head");
	offer(prefix, "base", "before the first revision");
	if (app_setup(app, NEEDS_HEADERS) < 0) {
		err_clear();
		return;
	}
	const struct graph *g = &app->graph;
	for (size_t i = 0; i < g->n; i++) {
		const struct revision *rev = g->nodes[i].rev;
		offer(prefix, g->nodes[i].id, rev->message);
		for (size_t k = 0; k < rev->branch_labels.n; k++) {
			char *at_head = xstrfmt("%s@head", rev->branch_labels.v[k]);
			offer(prefix, rev->branch_labels.v[k], "branch label");
			offer(prefix, at_head, "the head of a branch label");
			free(at_head);
		}
	}
}

/* What a placeholder or a list of words ("error|warning", "COMMAND|config")
 * stands for. `head` is what precedes the value in the same word
 * ("--format="), for completions of an inline value. */
static void offer_values(struct app *app, const struct command *cmd, const char *spec,
			 const char *head, const char *prefix)
{
	struct strlist alts = STRLIST_INIT;
	strlist_split(&alts, spec, '|');
	for (size_t i = 0; i < alts.n; i++) {
		const char *v = alts.v[i];
		if (!strcmp(v, "DIR")) {
			puts("@dirs");
		} else if (!strcmp(v, "FILE") || !strcmp(v, "PATHS")) {
			puts("@files");
		} else if (!strcmp(v, "FORMAT")) {
			offer_values(app, cmd, command_formats(cmd), head, prefix);
		} else if (!strcmp(v, "REV") || !strcmp(v, "REVS") || !strcmp(v, "TARGET")) {
			offer_revisions(app, prefix);
		} else if (!strcmp(v, "RULE")) {
			offer_rules(prefix);
		} else if (!strcmp(v, "COMMAND")) {
			offer_commands(prefix);
		} else if (!strcmp(v, "LAYOUT")) {
			struct strlist names = STRLIST_INIT;
			strlist_split(&names, layout_names(), ',');
			for (size_t k = 0; k < names.n; k++)
				offer(prefix, names.v[k], "layout");
			strlist_release(&names);
		} else if (v[0] >= 'a' && v[0] <= 'z') {
			char *word = xstrfmt("%s%s", head, v);
			char *full_prefix = xstrfmt("%s%s", head, prefix);
			offer(full_prefix, word, NULL);
			free(full_prefix);
			free(word);
		}
		/* other placeholders (MSG, URL, N, ...) have nothing to offer */
	}
	strlist_release(&alts);
}

static int run_complete(struct app *app, const struct command *self, struct cli_args *a)
{
	(void)self;
	if (!a->npos)
		return 0;
	char **w = a->pos;
	size_t last = a->npos - 1;
	const struct command *cmd = NULL;
	const struct cli_opt *pending = NULL; /* an option waiting for its value */
	size_t npos = 0;
	bool only_pos = false;
	for (size_t i = 0; i < last; i++) {
		const char *word = w[i];
		if (pending) {
			/* -C and --config say which graph to read */
			if (!strcmp(pending->name, "directory") && chdir(word) < 0)
				return 0;
			if (!strcmp(pending->name, "config"))
				app->config_path = word;
			pending = NULL;
			continue;
		}
		if (!only_pos && !strcmp(word, "--")) {
			only_pos = true;
			continue;
		}
		if (!only_pos && word[0] == '-' && word[1] && !(word[1] >= '0' && word[1] <= '9')) {
			const char *inline_val;
			const struct cli_opt *o = cli_opt_find(cmd, word, &inline_val);
			if (o && o->arg && !inline_val)
				pending = o;
			else if (o && inline_val && !strcmp(o->name, "directory") && chdir(inline_val) < 0)
				return 0;
			else if (o && inline_val && !strcmp(o->name, "config"))
				app->config_path = inline_val;
			continue;
		}
		if (!cmd) {
			cmd = command_find(word);
			if (!cmd || cmd->hidden)
				return 0;
			continue;
		}
		npos++;
	}
	const char *cur = w[last];
	if (pending) {
		offer_values(app, cmd, pending->arg, "", cur);
	} else if (!only_pos && cur[0] == '-' && cur[1] == '-' && strchr(cur, '=')) {
		const char *inline_val;
		const struct cli_opt *o = cli_opt_find(cmd, cur, &inline_val);
		if (o && o->arg) {
			char *head = xstrndup(cur, (size_t)(inline_val - cur));
			offer_values(app, cmd, o->arg, head, inline_val);
			free(head);
		}
	} else if (!only_pos && cur[0] == '-') {
		offer_options(cmd, cur);
	} else if (!cmd) {
		offer_commands(cur);
	} else if (cmd->args && npos < cmd->max_pos) {
		/* one spec per position, the last one repeating */
		struct strlist specs = STRLIST_INIT;
		strlist_split(&specs, cmd->args, ' ');
		offer_values(app, cmd, specs.v[npos < specs.n ? npos : specs.n - 1], "", cur);
		strlist_release(&specs);
	}
	return 0;
}

const struct command cmd_complete = {
	.name = "__complete",
	.run = run_complete,
	.summary = "what the shell completions offer",
	.usage = "revgate __complete -- WORD...",
	.opts = complete_opts,
	.max_pos = 4096,
	.hidden = true,
};
