/* Shared set-up for commands: configuration, revisions, graph. */
#include "cli/cli.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "git/gitrepo.h"
#include "match/match.h"
#include "output/output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void app_init(struct app *app)
{
	memset(app, 0, sizeof(*app));
	const char *nc = getenv("NO_COLOR");
	bool allow = !(nc && *nc);
	app->color = allow && isatty(1);
	app->stderr_color = allow && isatty(2);
}

void app_release(struct app *app)
{
	graph_release(&app->graph);
	revset_release(&app->revs);
	findings_release(&app->load_findings);
	matcher_free(app->name_pattern);
	free(app->migrations_dir);
	free(app->progress_last);
	layout_settings_release(&app->layout);
	config_release(&app->cfg);
}

static int setup_config(struct app *app)
{
	int ret = config_load(&app->cfg, app->config_path);
	if (ret < 0)
		return ret;
	const char *dir = config_get(&app->cfg, "revgate", "migrations");
	/* the migrations directory is relative to the configuration file */
	if (app->cfg.path && dir[0] != '/' && strchr(app->cfg.path, '/')) {
		char *cdir = xstrndup(app->cfg.path, (size_t)(strrchr(app->cfg.path, '/') - app->cfg.path));
		app->migrations_dir = path_join(cdir, dir);
		free(cdir);
	} else {
		app->migrations_dir = xstrdup(dir);
	}
	if ((ret = layout_settings_load(&app->layout, &app->cfg, app->migrations_dir)) < 0)
		return ret;
	if (strcmp(app->layout.dir, app->migrations_dir)) {
		free(app->migrations_dir);
		app->migrations_dir = xstrdup(app->layout.dir);
	}
	const char *pattern = config_get(&app->cfg, "revgate", "file_name_pattern");
	ret = matcher_compile(&app->name_pattern, pattern ? pattern : revision_default_name_pattern,
			      "file_name_pattern");
	if (ret < 0)
		return ret;
	char *end;
	const char *max = config_get(&app->cfg, "revgate", "max_file_size");
	unsigned long long v = strtoull(max, &end, 10);
	if (*end || !v)
		return err_set(ERR_CONFIG, "max_file_size: '%s' is not a positive number of bytes", max);
	app->limits.max_file_size = (size_t)v;
	app->layout.max_file_size = (size_t)v;
	app->layout.name_pattern = app->name_pattern;
	return 0;
}

int app_require_revgate_layout(const struct app *app, const char *what)
{
	if (app->layout.kind == LAYOUT_REVGATE)
		return 0;
	if (app->layout.kind == LAYOUT_ALEMBIC)
		return err_set(ERR_CONFIG,
			       "'%s' applies revgate revisions, and this project's are Alembic's "
			       "(layout = alembic): apply them with Alembic, or convert them with "
			       "'revgate import alembic DIR' into a revgate project",
			       what);
	return err_set(ERR_CONFIG,
		       "'%s' applies revgate revisions, and this project's are %s's (layout = %s): "
		       "convert them with 'revgate import %s DIR' into a revgate project, then "
		       "take the database over with 'revgate adopt %s'",
		       what, layout_name(app->layout.kind), layout_name(app->layout.kind),
		       layout_name(app->layout.kind), layout_name(app->layout.kind));
}

/* Another tool's layout, read through src/layout; `headers`: the graph only. */
static int load_layout(struct app *app, bool headers)
{
	struct layout_tree t;
	int ret = layout_tree_open_dir(&t, &app->layout);
	if (ret == 0 && headers) {
		char *cache = config_cache_dir(&app->cfg);
		ret = layout_load_headers(&t, &app->revs, cache, &app->load_findings);
		free(cache);
	} else if (ret == 0) {
		ret = layout_load(&t, &app->revs, &app->load_findings);
	}
	layout_tree_release(&t);
	return ret;
}

static int missing_migrations_dir(const char *dir)
{
	char *link = gitrepo_unfetched_submodule(dir);
	int ret = link ? gitrepo_submodule_error(dir, link)
		       : err_set(ERR_CONFIG, "the migrations directory '%s' does not exist (run "
					     "'revgate init', or set 'migrations' in revgate.ini)",
				 dir);
	free(link);
	return ret;
}

int app_setup(struct app *app, unsigned needs)
{
	int ret;
	if (needs & (NEEDS_REVISIONS | NEEDS_HEADERS))
		needs |= NEEDS_CONFIG;
	if ((needs & NEEDS_CONFIG) && !(app->ready & NEEDS_CONFIG)) {
		if ((ret = setup_config(app)) < 0)
			return ret;
		app->ready |= NEEDS_CONFIG;
	}
	bool want_full = (needs & NEEDS_REVISIONS) && !(app->ready & NEEDS_REVISIONS);
	bool want_headers = (needs & NEEDS_HEADERS) && !(app->ready & NEEDS_HEADERS);
	if (want_full && (app->ready & NEEDS_HEADERS))
		BUG("revisions were loaded from the header cache before a command needed their text");
	if (want_full || want_headers) {
		if (app->layout.kind != LAYOUT_REVGATE) {
			ret = load_layout(app, !want_full);
		} else if (want_full) {
			ret = revset_load_dir(&app->revs, app->migrations_dir, app->name_pattern,
					      &app->limits, &app->load_findings);
		} else {
			char *cache = config_cache_dir(&app->cfg);
			ret = revset_load_headers(&app->revs, app->migrations_dir, cache,
						  app->name_pattern, &app->limits,
						  &app->load_findings);
			free(cache);
		}
		if (ret == ERR_NOTFOUND)
			return missing_migrations_dir(app->migrations_dir);
		if (ret < 0)
			return ret;
		graph_build(&app->graph, app->revs.v, app->revs.n, &app->load_findings);
		findings_sort(&app->load_findings);
		app->ready |= want_full ? NEEDS_REVISIONS | NEEDS_HEADERS : NEEDS_HEADERS;
	}
	return 0;
}

int app_load_text(struct app *app)
{
	if (app->ready & NEEDS_REVISIONS)
		return 0;
	/* the graph is rebuilt in place: pointers to it stay valid, pointers
	 * into its revisions do not */
	graph_release(&app->graph);
	revset_release(&app->revs);
	findings_release(&app->load_findings);
	app->ready &= ~(unsigned)NEEDS_HEADERS;
	return app_setup(app, NEEDS_REVISIONS);
}

void app_report_findings(struct app *app, const struct findings *fs)
{
	struct printer p;
	if (!fs->n || printer_open(&p, "text", stderr, app->stderr_color) < 0)
		return;
	for (size_t i = 0; i < fs->n; i++)
		p.ops->finding(&p, &fs->v[i]);
}

bool app_load_failed(const struct app *app)
{
	return findings_count(&app->load_findings, SEV_ERROR) > 0;
}

void app_note(const struct app *app, const char *fmt, ...)
{
	if (app->quiet)
		return;
	/* results already printed come first, also when stdout is a pipe */
	fflush(stdout);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
