/*
 * revgate lint [PATHS...]: lints the migrations directory (or the given
 * directories and files) and prints the findings of all three families:
 * graph (files and the revision graph), sql (the parse trees), and git
 * (history against a base ref, with --staged or --base).
 *
 * A path may be a revision file of the migrations directory (linted with
 * the schema its history leaves), another directory of revisions, or a
 * plain SQL file that is not a revision (linted whole as an upgrade, as
 * squawk would).
 */
#include "cli/cli.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "guard/guard.h"
#include "layout/layout.h"
#include "lint/lint.h"
#include "output/output.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt lint_opts[] = {
	{"fail-level", 0, "error|warning", "lowest severity that fails the run"},
	{"strict", 0, NULL, "fail on warnings too (same as --fail-level warning)"},
	{"pg-version", 0, "N", "PostgreSQL major version the rules judge for (11 to 19)"},
	{"assume-in-transaction", 0, NULL,
	 "plain SQL files run inside a transaction their tool opens (as squawk's option)"},
	{"staged", 0, NULL, "lint what the git index holds (the pre-commit hook)"},
	{"base", 0, "REF", "compare with REF: applied revisions must not change (CI)"},
	{NULL, 0, NULL, NULL},
};

/* Everything one run lints. */
struct lint_job {
	struct idxvec nodes;   /* graph nodes of app->graph to lint */
	bool all_nodes;        /* the whole migrations directory */
	struct strlist files;  /* files linted on their own (plain SQL, other directories) */
	struct findings histories; /* of other directories of revisions, each linted as a history */
	size_t history_revs;       /* revisions read from those directories */
};

static char *real(const char *path)
{
	char buf[PATH_MAX];
	return realpath(path, buf) ? xstrdup(buf) : NULL;
}

/* A path given on the command line: a node of the graph, a directory of
 * revisions (a history of its own), or files of their own. */
static int add_path(struct app *app, const struct lint_settings *s, struct lint_job *job,
		    const char *path)
{
	if (path_is_dir(path)) {
		char *rp = real(path), *rm = real(app->migrations_dir);
		bool same = rp && rm && !strcmp(rp, rm);
		free(rp);
		free(rm);
		if (same) {
			job->all_nodes = true;
			return 0;
		}
		bool history;
		if (lint_history_dir(s, path, app->name_pattern, &app->limits, &job->histories,
				     &history, &job->history_revs) < 0)
			return err_wrap(ERR_USAGE, "cannot lint '%s'", path);
		if (history)
			return 0;
		struct strlist names = STRLIST_INIT, links = STRLIST_INIT;
		int ret = dir_list_suffix(path, ".sql", &names, &links);
		for (size_t i = 0; ret == 0 && i < names.n; i++)
			strlist_push_owned(&job->files, path_join(path, names.v[i]));
		strlist_release(&names);
		strlist_release(&links);
		return ret < 0 ? err_wrap(ERR_USAGE, "cannot lint '%s'", path) : 0;
	}
	if (!path_exists(path))
		return err_set(ERR_USAGE, "'%s' does not exist", path);
	char *rp = real(path);
	for (size_t i = 0; rp && i < app->graph.n; i++) {
		char *rn = real(app->graph.nodes[i].rev->path);
		bool same = rn && !strcmp(rn, rp);
		free(rn);
		if (same) {
			idxvec_push(&job->nodes, i);
			free(rp);
			return 0;
		}
	}
	free(rp);
	strlist_push(&job->files, path);
	return 0;
}

/* Printing as results arrive: files linted on their own are streamed. */
struct stream {
	const struct lint_settings *s;
	struct printer *p;
	struct findings tally; /* severities only, for the summary's counts */
};

static void tally(struct stream *st, enum severity sev)
{
	ALLOC_GROW(st->tally.v, st->tally.n + 1, st->tally.alloc);
	memset(&st->tally.v[st->tally.n], 0, sizeof(*st->tally.v));
	st->tally.v[st->tally.n++].severity = sev;
}

/* Prints findings already filtered, in order. */
static void emit(void *arg, struct findings *fs)
{
	struct stream *st = arg;
	findings_sort(fs);
	for (size_t i = 0; i < fs->n; i++) {
		st->p->ops->finding(st->p, &fs->v[i]);
		tally(st, fs->v[i].severity);
	}
	findings_release(fs);
}

/* One file linted on its own: overrides and ignores, then print. */
static void emit_file(void *arg, struct findings *fs)
{
	struct stream *st = arg;
	lint_filter_findings(st->s, NULL, fs);
	emit(arg, fs);
}

static bool in_graph(const struct graph *g, const struct revision *rev)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].rev == rev)
			return true;
	return false;
}

/*
 * The git guard (guard/guard.h). With --staged it replaces the revisions
 * with what the index holds, so the graph is rebuilt from them. With
 * --staged or --base, `changed` receives the revisions this change adds or
 * edits, and *scoped says the SQL rules judge only those: the others are
 * applied, judged when they landed, and guarded against edits.
 */
static int lint_git(struct app *app, bool staged, const char *base, struct findings *out,
		    struct strlist *changed, bool *scoped)
{
	char *cache = config_cache_dir(&app->cfg);
	struct guard_request req = {
		.mode = staged ? GUARD_STAGED : base ? GUARD_BASE : GUARD_WORKTREE,
		.base = base ? base : config_get(&app->cfg, "git", "base"),
		.applied = config_get(&app->cfg, "git", "applied"),
		.migrations_dir = app->migrations_dir,
		.name_pattern = app->name_pattern,
		.limits = &app->limits,
		.layout = &app->layout,
		.cache_dir = cache,
	};
	struct guard_result res = {0};
	int ret = app_setup(app, NEEDS_REVISIONS);
	if (ret == 0)
		ret = guard_run(&req, &app->revs, &app->load_findings, &res, out);
	free(cache);
	if (ret < 0) {
		guard_result_release(&res);
		return ret;
	}
	if (res.note)
		app_note(app, "revgate lint: %s", res.note);
	if (res.lint_set_replaced) {
		graph_release(&app->graph);
		graph_build(&app->graph, app->revs.v, app->revs.n, &app->load_findings);
		findings_sort(&app->load_findings);
	}
	*scoped = res.checked && (staged || base);
	for (size_t i = 0; *scoped && i < res.changed.n; i++)
		strlist_push(changed, res.changed.v[i]);
	guard_result_release(&res);
	return 0;
}

/* "12 revisions checked", "2 files checked", "12 revisions and 2 files checked". */
static char *checked_phrase(size_t revisions, size_t files)
{
	if (files && !revisions)
		return xstrfmt("%zu file%s checked", files, files == 1 ? "" : "s");
	if (files)
		return xstrfmt("%zu revision%s and %zu file%s checked", revisions,
			       revisions == 1 ? "" : "s", files, files == 1 ? "" : "s");
	return xstrfmt("%zu revision%s checked", revisions, revisions == 1 ? "" : "s");
}

/*
 * Alembic's revisions get their SQL from Alembic's offline mode (cached).
 * When Alembic cannot give it, the graph and git checks still run, and one
 * finding says why the SQL was not linted.
 */
static void alembic_sql(struct app *app, struct findings *out)
{
	struct strlist heads = STRLIST_INIT;
	for (size_t i = 0; i < app->graph.heads.n; i++)
		strlist_push(&heads, app->graph.nodes[app->graph.heads.v[i]].id);
	char *cache = config_cache_dir(&app->cfg);
	char *failure = NULL;
	if (layout_alembic_sql(&app->layout, &app->revs, &heads, cache, &failure) < 0) {
		failure = xstrdup(err_msg());
		err_clear();
	}
	/* said once, though the staged files may ask Alembic a second time */
	for (size_t i = 0; failure && i < out->n; i++)
		if (!strcmp(out->v[i].rule, RULE_ALEMBIC_SQL_UNAVAILABLE)) {
			free(failure);
			failure = NULL;
		}
	if (failure) {
		struct finding *f = findings_add(
			out, RULE_ALEMBIC_SQL_UNAVAILABLE, SEV_WARNING,
			app->layout.alembic_ini ? app->layout.alembic_ini : app->migrations_dir, 0, 0,
			"the SQL of some revisions could not be linted: %s", failure);
		finding_set_hint(f, "run the command above to see why; env.py must support "
				    "offline mode (--sql), and '[alembic] command' in revgate.ini "
				    "says how to run Alembic (e.g. 'poetry run alembic')");
	}
	free(failure);
	free(cache);
	strlist_release(&heads);
}

static int run_lint(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct lint_settings s;
	struct lint_job job = {IDXVEC_INIT, false, STRLIST_INIT, FINDINGS_INIT, 0};
	struct findings git = FINDINGS_INIT, all = FINDINGS_INIT;
	struct strlist changed = STRLIST_INIT;
	bool scoped = false;
	lint_settings_init(&s);
	int ret = lint_settings_from_config(&s, &app->cfg);
	if (ret < 0)
		goto out;
	const char *v = cli_value(cmd, a, "pg-version");
	if (v && (ret = lint_settings_set_pg_version(&s, v)) < 0)
		goto out;
	if (cli_flag(cmd, a, "assume-in-transaction"))
		s.assume_in_transaction = true;
	const char *level = cli_value(cmd, a, "fail-level");
	if (!level)
		level = config_get(&app->cfg, "lint", "fail_level");
	if (cli_flag(cmd, a, "strict"))
		level = "warning";
	enum severity fail_at;
	if (!strcmp(level, "error")) {
		fail_at = SEV_ERROR;
	} else if (!strcmp(level, "warning")) {
		fail_at = SEV_WARNING;
	} else {
		ret = err_set(ERR_USAGE, "--fail-level '%s': use error or warning", level);
		goto out;
	}

	/* the migrations directory gives the history every revision is judged against */
	bool have_dir = path_is_dir(app->migrations_dir);
	if (have_dir || !a->npos) {
		if ((ret = app_setup(app, NEEDS_REVISIONS)) < 0)
			goto out;
	}
	bool staged = cli_flag(cmd, a, "staged");
	const char *base = cli_value(cmd, a, "base");
	if (staged && base) {
		ret = err_set(ERR_USAGE, "--staged and --base exclude each other: --staged is the "
					 "pre-commit check, --base REF the CI check");
		goto out;
	}
	/* Alembic's SQL first, so the guard compares what the revisions do;
	 * the index's own versions of files get theirs after it */
	bool alembic = app->layout.kind == LAYOUT_ALEMBIC && (app->ready & NEEDS_REVISIONS);
	if (alembic)
		alembic_sql(app, &all);
	/* the git family: the working tree by default, the index, or HEAD against REF */
	if ((staged || base || !a->npos) &&
	    (ret = lint_git(app, staged, base, &git, &changed, &scoped)) < 0)
		goto out;
	if (alembic && staged)
		alembic_sql(app, &all);
	if (!a->npos)
		job.all_nodes = true;
	for (size_t i = 0; i < a->npos; i++)
		if ((ret = add_path(app, &s, &job, a->pos[i])) < 0)
			goto out;

	if (job.all_nodes) {
		/* everything read from the directory: load problems, the graph, every revision */
		findings_move(&all, &app->load_findings);
		graph_check_heads(&app->graph, &all);
		idxvec_release(&job.nodes);
		for (size_t i = 0; i < app->graph.n; i++)
			if (!scoped || strlist_has(&changed, app->graph.nodes[i].rev->path))
				idxvec_push(&job.nodes, i);
		for (size_t i = 0; i < app->revs.n; i++)
			if (!in_graph(&app->graph, app->revs.v[i]) && app->revs.v[i]->upgrade.present)
				lint_revision_alone(&s, app->revs.v[i], &all);
	}
	lint_revisions(&s, &app->graph, job.nodes.v, job.nodes.n, &all);
	lint_filter_findings(&s, &app->revs, &all);
	lint_filter_findings(&s, &app->revs, &git);
	findings_move(&all, &git);
	findings_move(&all, &job.histories);
	findings_sort(&all);

	struct printer p;
	if ((ret = printer_open(&p, app_format(app), stdout, app->color)) < 0)
		goto out;
	struct stream st = {&s, &p, FINDINGS_INIT};
	/* a clean run says what it judged (the whole directory: every file's
	 * graph and history, even when --staged or --base scope the SQL
	 * rules to the change); --quiet keeps it silent */
	char *checked = app->quiet ? NULL
				   : checked_phrase((job.all_nodes ? app->revs.n : job.nodes.n) +
							    job.history_revs,
						    job.files.n);
	p.checked = checked;
	if (p.ops->begin)
		p.ops->begin(&p);
	emit(&st, &all);
	lint_files(&s, job.files.v, job.files.n, app->name_pattern, app->limits.max_file_size,
		   emit_file, &st);
	if (p.ops->summary)
		p.ops->summary(&p, &st.tally);
	if (p.ops->end)
		p.ops->end(&p);
	free(checked);
	if (findings_max_severity(&st.tally) >= fail_at)
		ret = err_set(ERR_CHECK, "%zu finding(s) at %s level or above",
			      findings_count(&st.tally, SEV_ERROR) +
				      (fail_at <= SEV_WARNING ? findings_count(&st.tally, SEV_WARNING)
							      : 0),
			      severity_name(fail_at));
	findings_release(&st.tally);
out:
	idxvec_release(&job.nodes);
	strlist_release(&job.files);
	findings_release(&job.histories);
	findings_release(&git);
	findings_release(&all);
	strlist_release(&changed);
	lint_settings_release(&s);
	return ret;
}

const struct command cmd_lint = {
	.name = "lint",
	.run = run_lint,
	.summary = "lint migrations: locks, rewrites, data loss, downgrades, history",
	.usage = "revgate lint [PATHS...] [--staged | --base REF] [--format text|json|github|sarif] "
		 "[--fail-level LEVEL] [--strict] [--pg-version N] [--assume-in-transaction]",
	.description =
		"Without PATHS, lints every revision of the migrations directory, each against\n"
		"the schema its history leaves. A PATH may be a revision file (judged the same\n"
		"way), another directory of revisions (linted as a history of its own), or a\n"
		"plain SQL file or a directory of them (each linted whole, outside a transaction\n"
		"unless it opens one or --assume-in-transaction is given, as squawk does).\n"
		"'revgate rules' lists the rules; 'revgate explain ID' explains one.\n"
		"In a git repository, revisions on the base branch ([git] base, else origin/main\n"
		"or main) count as applied and must not change, and merging the base must leave\n"
		"one head: --staged checks what the index holds (pre-commit), --base REF\n"
		"checks HEAD against REF (CI); both judge SQL only in the revisions the change\n"
		"adds or edits, and the graph and history in full.\n"
		"Exit status: 0 clean, 1 findings at the fail level, 2 usage or configuration\n"
		"error, 3 runtime error.",
	.opts = lint_opts,
	.needs = NEEDS_CONFIG,
	.formats = "text|json|github|sarif",
	.max_pos = 100000,
	.args = "PATHS",
};
