/*
 * revgate hooks install [--force] | print NAME | migrations-dir: puts the
 * git hooks of hooks/ into the repository's hooks directory (core.hooksPath
 * when set). A foreign hook is never overwritten without --force: it is
 * moved to NAME.before-revgate and the revgate hook runs it first.
 *
 * The hook texts are compiled in, so an installed binary needs no source
 * tree; a test checks that they equal hooks/pre-commit and hooks/post-merge.
 */
#include "cli/cli.h"
#include "cli/revinfo.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "git/gitrepo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char pre_commit_text[] =
	"#!/bin/sh\n"
	"# revgate pre-commit hook, installed by 'revgate hooks install'.\n"
	"# When the commit touches the migrations directory, lints what the commit\n"
	"# will hold ('revgate lint --staged'): SQL rules, the revision graph, and\n"
	"# the git guard (applied revisions unchanged, one head after merging).\n"
	"# Silent and quick when nothing there is staged.\n"
	"# REVGATE names the revgate command (default: revgate on PATH).\n"
	"\n"
	"# a hook that was here before revgate runs first\n"
	"chained=\"$0.before-revgate\"\n"
	"if [ -x \"$chained\" ]; then\n"
	"\t\"$chained\" \"$@\" || exit $?\n"
	"fi\n"
	"\n"
	"revgate=${REVGATE:-revgate}\n"
	"if ! command -v \"${revgate%% *}\" >/dev/null 2>&1; then\n"
	"\techo \"revgate pre-commit hook: '${revgate%% *}' not found: install revgate, or set REVGATE\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"# git runs hooks from the work tree's top; revgate.ini may live below it:\n"
	"# 'revgate hooks install' records its directory, and revgate runs there\n"
	"cdir=$(git config revgate.configDir) || cdir=.\n"
	"# an index git names relative to the top must still be found from there\n"
	"case ${GIT_INDEX_FILE:-} in\n"
	"'' | /*) ;;\n"
	"*)\n"
	"\tGIT_INDEX_FILE=\"$PWD/$GIT_INDEX_FILE\"\n"
	"\texport GIT_INDEX_FILE\n"
	"\t;;\n"
	"esac\n"
	"# shellcheck disable=SC2086 # REVGATE may hold a command with arguments\n"
	"dir=$($revgate -C \"$cdir\" hooks migrations-dir) || exit $?\n"
	"case $dir in\n"
	"/*) ;;\n"
	"*) dir=\"$cdir/$dir\" ;;\n"
	"esac\n"
	"if git diff --cached --quiet -- \":(literal)$dir\"; then\n"
	"\texit 0\n"
	"fi\n"
	"# shellcheck disable=SC2086\n"
	"exec $revgate -C \"$cdir\" lint --staged\n";

static const char post_merge_text[] =
	"#!/bin/sh\n"
	"# revgate post-merge hook, installed by 'revgate hooks install'; git runs it\n"
	"# after 'git merge' and 'git pull'. When the merge left the revision graph\n"
	"# with several heads, says so and prints the command that joins them.\n"
	"# With --auto (or 'git config revgate.autoMerge true') it runs that\n"
	"# command: 'revgate merge' writes the merge revision, ready to commit.\n"
	"# REVGATE names the revgate command (default: revgate on PATH).\n"
	"\n"
	"chained=\"$0.before-revgate\"\n"
	"if [ -x \"$chained\" ]; then\n"
	"\t\"$chained\" \"$@\" || exit $?\n"
	"fi\n"
	"\n"
	"revgate=${REVGATE:-revgate}\n"
	"if ! command -v \"${revgate%% *}\" >/dev/null 2>&1; then\n"
	"\techo \"revgate post-merge hook: '${revgate%% *}' not found: install revgate, or set REVGATE\" >&2\n"
	"\texit 0\n"
	"fi\n"
	"auto=false\n"
	"if [ \"${1:-}\" = \"--auto\" ] || [ \"$(git config --bool revgate.autoMerge)\" = \"true\" ]; then\n"
	"\tauto=true\n"
	"fi\n"
	"# revgate.ini may live below the work tree's top: see the pre-commit hook\n"
	"cdir=$(git config revgate.configDir) || cdir=.\n"
	"# shellcheck disable=SC2086 # REVGATE may hold a command with arguments\n"
	"# the heads to join: none when each carries its own branch label\n"
	"heads=$($revgate -C \"$cdir\" hooks unjoined-heads 2>/dev/null)\n"
	"count=$(printf '%s\\n' \"$heads\" | grep -c .)\n"
	"if [ \"$count\" -le 1 ]; then\n"
	"\texit 0\n"
	"fi\n"
	"{\n"
	"\techo \"revgate: the merge left $count heads in the revision graph:\"\n"
	"\tprintf '%s\\n' \"$heads\" | sed 's/^/  /'\n"
	"} >&2\n"
	"if [ \"$auto\" = true ]; then\n"
	"\t# shellcheck disable=SC2086\n"
	"\t$revgate -C \"$cdir\" merge || exit $?\n"
	"\techo \"revgate: wrote a merge revision joining them; review and commit it\" >&2\n"
	"else\n"
	"\techo \"revgate: join them with 'revgate merge' and commit the new revision\" >&2\n"
	"fi\n"
	"exit 0\n";

/* The line that marks a hook as revgate's own (safe to replace). */
static const char hook_marker[] = "installed by 'revgate hooks install'";

static const struct {
	const char *name;
	const char *text;
} hooks[] = {
	{"post-merge", post_merge_text},
	{"pre-commit", pre_commit_text},
};

static const struct cli_opt hooks_opts[] = {
	{"force", 'f', NULL, "replace a hook that is not revgate's instead of chaining to it"},
	{NULL, 0, NULL, NULL},
};

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int ret = 0;
	for (char *s = p + 1; ret == 0; s++) {
		bool end = !*s;
		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			ret = err_set(ERR_IO, "cannot create '%s': %s", p, strerror(errno));
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return ret;
}

enum install_outcome { INSTALLED, UPDATED, CHAINED, REPLACED };

static int install_one(const char *dir, const char *name, const char *text, bool force,
		       enum install_outcome *outcome)
{
	char *path = path_join(dir, name);
	char *chained = xstrfmt("%s.before-revgate", path);
	struct strbuf old = STRBUF_INIT;
	int ret = 0;
	*outcome = INSTALLED;
	if (path_exists(path)) {
		if ((ret = file_read(path, 0, &old)) < 0)
			goto out;
		if (strstr(old.buf, hook_marker)) {
			*outcome = UPDATED;
		} else if (force) {
			*outcome = REPLACED;
		} else if (path_exists(chained)) {
			ret = err_set(ERR_USAGE, "'%s' is not revgate's hook and '%s' is taken: "
						 "merge them by hand, or replace the hook with --force",
				      path, chained);
			goto out;
		} else {
			if (rename(path, chained) < 0) {
				ret = err_set(ERR_IO, "cannot move '%s' aside: %s", path,
					      strerror(errno));
				goto out;
			}
			*outcome = CHAINED;
		}
		if (*outcome != CHAINED && unlink(path) < 0) {
			ret = err_set(ERR_IO, "cannot replace '%s': %s", path, strerror(errno));
			goto out;
		}
	}
	if ((ret = file_write_atomic(path, text, strlen(text), false)) < 0)
		goto out;
	if (chmod(path, 0755) < 0)
		ret = err_set(ERR_IO, "cannot make '%s' executable: %s", path, strerror(errno));
out:
	strbuf_release(&old);
	free(chained);
	free(path);
	return ret;
}

/* The git configuration key naming where the hooks run revgate (-C). */
static const char config_dir_key[] = "revgate.configDir";

/*
 * git runs hooks from the work tree's top, and revgate finds revgate.ini in
 * the current directory or above: a file further down (db/revgate.ini) would
 * go unseen and the hooks would watch the default directory, passing every
 * commit. So the install records the directory of the configuration it
 * finds, relative to the top, and the hooks run 'revgate -C' there.
 */
static int record_config_dir(struct app *app, struct gitrepo *repo)
{
	int ret = app_setup(app, NEEDS_CONFIG);
	if (ret < 0)
		return ret;
	if (!app->cfg.path) {
		app_note(app, "no revgate.ini here or above: the hooks look for it from the work "
			      "tree's top; if it lives in a subdirectory, run 'revgate -C DIR hooks "
			      "install' with DIR the directory that holds it");
		return 0;
	}
	const char *slash = strrchr(app->cfg.path, '/');
	char *cdir = slash ? xstrndup(app->cfg.path, (size_t)(slash - app->cfg.path))
			   : xstrdup(".");
	char *rel = NULL;
	if ((ret = gitrepo_relpath(repo, *cdir ? cdir : "/", &rel)) < 0)
		goto out;
	if ((ret = gitrepo_config_set(repo, config_dir_key, *rel ? rel : NULL)) < 0)
		goto out;
	if (*rel)
		printf("%s/revgate.ini: the hooks run revgate in '%s' (git config %s)\n", rel, rel,
		       config_dir_key);
out:
	free(rel);
	free(cdir);
	return ret;
}

static int hooks_install(struct app *app, bool force)
{
	struct gitrepo *repo = NULL;
	char *dir = NULL;
	int ret = gitrepo_open(&repo, ".");
	if (ret < 0)
		goto out;
	if (!repo) {
		ret = err_set(ERR_USAGE, "not inside a git repository: run 'revgate hooks "
					 "install' in the repository's work tree");
		goto out;
	}
	if ((ret = gitrepo_hooks_dir(repo, &dir)) < 0 || (ret = mkdir_p(dir)) < 0)
		goto out;
	if ((ret = record_config_dir(app, repo)) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
		enum install_outcome how;
		if ((ret = install_one(dir, hooks[i].name, hooks[i].text, force, &how)) < 0)
			goto out;
		static const char *const said[] = {
			[INSTALLED] = "installed",
			[UPDATED] = "updated",
			[CHAINED] = "installed (runs the previous hook first, kept as ",
			[REPLACED] = "installed (replaced the previous hook)",
		};
		char *where = path_join(dir, hooks[i].name);
		printf("%s: ", where);
		fputs(said[how], stdout);
		if (how == CHAINED)
			printf("%s.before-revgate)", hooks[i].name);
		putchar('\n');
		free(where);
	}
	app_note(app, "the hooks call 'revgate' on PATH; set REVGATE to use another command");
out:
	free(dir);
	gitrepo_free(repo);
	return ret;
}

/*
 * The heads a merge must join, one a line as 'revgate heads' prints them;
 * nothing when there is one head or each head carries its own branch label.
 * The rule is graph_check_heads()'s, so the post-merge hook and lint agree.
 */
static int hooks_unjoined_heads(struct app *app)
{
	struct findings fs = FINDINGS_INIT;
	int ret = app_setup(app, NEEDS_REVISIONS);
	if (ret < 0)
		return ret;
	const struct graph *g = &app->graph;
	graph_check_heads(g, &fs);
	if (fs.n)
		for (size_t k = 0; k < g->heads.n; k++)
			revinfo_line(stdout, g, g->heads.v[k], 0);
	findings_release(&fs);
	return 0;
}

static int run_hooks(struct app *app, const struct command *cmd, struct cli_args *a)
{
	const char *what = a->pos[0];
	if (!strcmp(what, "install")) {
		if (a->npos > 1)
			return err_set(ERR_USAGE, "unexpected argument '%s'; usage: %s", a->pos[1],
				       cmd->usage);
		return hooks_install(app, cli_flag(cmd, a, "force"));
	}
	if (!strcmp(what, "print")) {
		if (a->npos != 2)
			return err_set(ERR_USAGE, "usage: revgate hooks print pre-commit|post-merge");
		for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
			if (!strcmp(a->pos[1], hooks[i].name)) {
				fputs(hooks[i].text, stdout);
				return 0;
			}
		}
		return err_set(ERR_USAGE, "no hook named '%s' (pre-commit or post-merge)", a->pos[1]);
	}
	if (!strcmp(what, "unjoined-heads"))
		return hooks_unjoined_heads(app);
	if (!strcmp(what, "migrations-dir")) {
		/* the hooks ask where to look; they run from the work tree's root */
		int ret = app_setup(app, NEEDS_CONFIG);
		if (ret < 0)
			return ret;
		/* printing the default would let the hook watch a directory that
		 * is not there and pass every commit */
		if (!app->cfg.path && !path_is_dir(app->migrations_dir))
			return err_set(ERR_CONFIG, "no revgate.ini here or above it, and no '%s' "
						   "directory: run 'revgate -C DIR hooks install' with "
						   "DIR the directory that holds revgate.ini",
				       app->migrations_dir);
		printf("%s\n", app->migrations_dir);
		return 0;
	}
	return err_set(ERR_USAGE, "unknown hooks action '%s'; usage: %s", what, cmd->usage);
}

const struct command cmd_hooks = {
	.name = "hooks",
	.run = run_hooks,
	.summary = "install the git hooks (pre-commit, post-merge)",
	.usage = "revgate hooks install [--force] | print NAME | migrations-dir | unjoined-heads",
	.description =
		"install: writes the pre-commit hook (revgate lint --staged when the commit\n"
		"touches the migrations directory) and the post-merge hook (says when a merge\n"
		"or pull left several heads, and prints the fix) into core.hooksPath, else\n"
		".git/hooks. A hook that is not revgate's is kept as NAME.before-revgate and\n"
		"run first; --force replaces it instead.\n"
		"print NAME: prints a hook's text. migrations-dir: prints the migrations\n"
		"directory (what the pre-commit hook watches). unjoined-heads: prints the heads\n"
		"a merge must join, nothing when each head carries its own branch label (what\n"
		"the post-merge hook checks).",
	.opts = hooks_opts,
	.min_pos = 1,
	.max_pos = 2,
	.args = "install|print|migrations-dir|unjoined-heads pre-commit|post-merge",
};
