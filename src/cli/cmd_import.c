/*
 * revgate import LAYOUT SOURCE_DIR: another tool's history as revgate
 * revision files in the configured migrations directory, all or nothing.
 * Files are written to a hidden directory first and linked into place
 * only when every one was written; a name already taken stops the import
 * before anything appears.
 */
#include "cli/cli.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "layout/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct cli_opt import_opts[] = {
	{"dry-run", 'n', NULL, "list the files the import would write, and write nothing"},
	{"alembic-config", 0, "FILE", "Alembic's alembic.ini (default: SOURCE_DIR/alembic.ini, "
				      "else ./alembic.ini)"},
	{NULL, 0, NULL, NULL},
};

/* The revisions oldest first, as the graph orders them (merges after parents). */
static void oldest_first(const struct revset *set, struct revset *out, struct findings *fs)
{
	struct graph g = GRAPH_INIT;
	struct idxvec order = IDXVEC_INIT;
	struct revision **usable = xcalloc(set->n ? set->n : 1, sizeof(*usable));
	size_t nu = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i]->usable)
			usable[nu++] = set->v[i];
	graph_build(&g, usable, nu, fs);
	graph_history(&g, &order);
	for (size_t k = order.n; k-- > 0;) {
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		out->v[out->n++] = (struct revision *)g.nodes[order.v[k]].rev;
	}
	/* what the graph could not place is kept, so the import refuses it */
	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i]->usable)
			continue;
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		out->v[out->n++] = set->v[i];
	}
	idxvec_release(&order);
	graph_release(&g);
	free(usable);
}

/* ERR_CONFIG when a name the import would write is taken in `dir`. */
static int check_free(const char *dir, const struct layout_import *im)
{
	for (size_t i = 0; i < im->names.n; i++) {
		char *target = path_join(dir, im->names.v[i]);
		bool taken = path_exists(target);
		free(target);
		if (taken)
			return err_set(ERR_CONFIG, "'%s' already exists in '%s': nothing was written",
				       im->names.v[i], dir);
	}
	return 0;
}

/* Writes every file into `dir`, or none: see the file's comment. */
static int write_all(const char *dir, const struct layout_import *im)
{
	int ret = check_free(dir, im);
	if (ret < 0)
		return ret;
	char *stage = path_join(dir, ".revgate-import.XXXXXX");
	if (!mkdtemp(stage)) {
		ret = err_set(ERR_IO, "cannot write into '%s': %s", dir, strerror(errno));
		free(stage);
		return ret;
	}
	size_t written = 0, linked = 0;
	for (; written < im->names.n; written++) {
		char *p = path_join(stage, im->names.v[written]);
		ret = file_write_atomic(p, im->texts.v[written], strlen(im->texts.v[written]), true);
		free(p);
		if (ret < 0)
			break;
	}
	for (; ret == 0 && linked < im->names.n; linked++) {
		char *from = path_join(stage, im->names.v[linked]);
		char *to = path_join(dir, im->names.v[linked]);
		/* link() never replaces a file that appeared meanwhile */
		if (link(from, to) < 0)
			ret = err_set(ERR_IO, "cannot write '%s': %s; nothing was kept", to,
				      strerror(errno));
		free(from);
		free(to);
	}
	if (ret < 0) {
		for (size_t i = 0; i < linked; i++) {
			char *to = path_join(dir, im->names.v[i]);
			(void)unlink(to);
			free(to);
		}
	}
	for (size_t i = 0; i < written; i++) {
		char *p = path_join(stage, im->names.v[i]);
		(void)unlink(p);
		free(p);
	}
	(void)rmdir(stage);
	free(stage);
	return ret;
}

static int run_import(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct layout_settings src = LAYOUT_SETTINGS_INIT;
	struct layout_tree tree = LAYOUT_TREE_INIT;
	struct revset set = REVSET_INIT, ordered = REVSET_INIT;
	struct findings fs = FINDINGS_INIT;
	struct layout_import im = LAYOUT_IMPORT_INIT;
	enum layout_kind kind;
	int ret = layout_from_name(a->pos[0], &kind);
	if (ret < 0) {
		ret = err_wrap(ERR_USAGE, "revgate import");
		goto out;
	}
	if (kind == LAYOUT_REVGATE) {
		ret = err_set(ERR_USAGE, "revgate's own revisions need no import: copy the files");
		goto out;
	}
	if (app->layout.kind != LAYOUT_REVGATE) {
		ret = err_set(ERR_CONFIG, "this project reads its migrations with layout = %s: an "
					  "import writes revgate revisions, into a project with "
					  "layout = revgate (the default)",
			      layout_name(app->layout.kind));
		goto out;
	}
	const char *source = a->pos[1];
	if (!path_is_dir(source)) {
		ret = err_set(ERR_USAGE, "'%s' is not a directory", source);
		goto out;
	}
	ret = layout_settings_for_dir(&src, kind, source, cli_value(cmd, a, "alembic-config"),
				      config_get(&app->cfg, "alembic", "command"));
	src.max_file_size = app->limits.max_file_size;
	src.name_pattern = app->name_pattern;
	if (ret == 0)
		ret = layout_tree_open_dir(&tree, &src);
	if (ret == 0)
		ret = layout_load(&tree, &set, &fs);
	if (ret < 0)
		goto out;
	if (kind == LAYOUT_ALEMBIC) {
		struct graph g = GRAPH_INIT;
		struct findings ignored = FINDINGS_INIT;
		struct strlist heads = STRLIST_INIT;
		graph_build(&g, set.v, set.n, &ignored);
		for (size_t i = 0; i < g.heads.n; i++)
			strlist_push(&heads, g.nodes[g.heads.v[i]].id);
		char *cache = config_cache_dir(&app->cfg);
		char *failure = NULL;
		ret = layout_alembic_sql(&src, &set, &heads, cache, &failure);
		if (failure)
			findings_add(&fs, RULE_ALEMBIC_SQL_UNAVAILABLE, SEV_ERROR,
				     src.alembic_ini ? src.alembic_ini : source, 0, 0,
				     "Alembic could not give the SQL of every revision: %s", failure);
		free(failure);
		free(cache);
		strlist_release(&heads);
		findings_release(&ignored);
		graph_release(&g);
		if (ret < 0)
			goto out;
	}
	oldest_first(&set, &ordered, &fs);
	if (findings_max_severity(&fs) >= SEV_ERROR) {
		findings_sort(&fs);
		app_report_findings(app, &fs);
		ret = err_set(ERR_CHECK, "the %s history in '%s' has errors (above); nothing was "
					 "written",
			      layout_name(kind), source);
		goto out;
	}
	struct findings refusals = FINDINGS_INIT;
	ret = layout_import_render(kind, &ordered, &im, &refusals);
	app_report_findings(app, &refusals);
	findings_release(&refusals);
	if (ret < 0)
		goto out;
	bool dry = cli_flag(cmd, a, "dry-run");
	if (dry && path_is_dir(app->migrations_dir) &&
	    (ret = check_free(app->migrations_dir, &im)) < 0)
		goto out;
	if (!dry) {
		if (!path_is_dir(app->migrations_dir) && mkdir(app->migrations_dir, 0777) < 0) {
			ret = err_set(ERR_IO, "cannot create '%s': %s", app->migrations_dir,
				      strerror(errno));
			goto out;
		}
		if ((ret = write_all(app->migrations_dir, &im)) < 0)
			goto out;
	}
	for (size_t i = 0; i < im.names.n; i++) {
		char *p = path_join(app->migrations_dir, im.names.v[i]);
		printf("%s%s\n", dry ? "would write " : "", p);
		free(p);
	}
	app_note(app, "%s %zu revision%s from %s's '%s'%s", dry ? "would import" : "imported",
		 im.names.n, im.names.n == 1 ? "" : "s", layout_name(kind), source,
		 dry ? "" : "; 'revgate adopt' takes over a database that tool has migrated");
out:
	layout_import_release(&im);
	findings_release(&fs);
	free(ordered.v);
	revset_release(&set);
	layout_tree_release(&tree);
	layout_settings_release(&src);
	return ret;
}

const struct command cmd_import = {
	.name = "import",
	.run = run_import,
	.summary = "turn another tool's migrations into revgate revisions",
	.usage = "revgate import LAYOUT SOURCE_DIR [--dry-run] [--alembic-config FILE]",
	.description =
		"Reads SOURCE_DIR as LAYOUT (alembic, dbmate, golang-migrate, goose, flyway,\n"
		"diesel or sqitch) and writes one revgate revision per migration into the\n"
		"migrations directory, in the tool's order: the upgrade and downgrade SQL\n"
		"byte for byte, 'transaction: false' where the tool runs a migration outside\n"
		"a transaction, the created time from the version, and the original version\n"
		"in 'imported_from'. Ids: Alembic's own ids; for the others the version as\n"
		"written (a Flyway version V1.2 becomes V1_2; a sqitch change its name), with\n"
		"characters outside [A-Za-z0-9_] turned to '_' and a hash added past 32\n"
		"characters, so importing the same history again gives the same ids.\n"
		"Alembic's SQL comes from its offline mode ('alembic upgrade --sql'), run\n"
		"as '[alembic] command' says.\n"
		"Nothing is written unless every migration can be: a Go migration, a\n"
		"placeholder the tool would replace, a file that does not parse, or a name\n"
		"already taken stops the import. Then 'revgate adopt LAYOUT' stamps a\n"
		"database that tool has migrated.",
	.opts = import_opts,
	.needs = NEEDS_CONFIG,
	.min_pos = 2,
	.max_pos = 2,
	.args = "LAYOUT DIR",
};
