/*
 * revgate adopt LAYOUT: takes over a database another tool has migrated.
 * Reads the tool's record (dbmate's schema_migrations, Flyway's
 * flyway_schema_history, ...), matches it with the revisions imported from
 * that tool (their 'imported_from' header), and stamps revgate's version
 * table at the last one applied, without running SQL. Refuses, naming the
 * versions, unless what the tool applied is exactly the start of the
 * imported history.
 */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "graph/graph.h"
#include "layout/layout.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt adopt_opts[] = {
	DBCLI_OPTS,
	{"dry-run", 'n', NULL, "show what would be stamped, and change nothing"},
	{NULL, 0, NULL, NULL},
};

/* A revision imported from the tool, in history order. */
struct imported {
	const char *id;
	const char *version; /* after "<layout> " in imported_from */
	bool applied;
};

static int list_imported(const struct app *app, enum layout_kind kind, struct imported **out,
			 size_t *n)
{
	const struct graph *g = &app->graph;
	struct idxvec order = IDXVEC_INIT;
	graph_history(g, &order);
	const char *name = layout_name(kind);
	size_t nl = strlen(name);
	*out = xcalloc(order.n ? order.n : 1, sizeof(**out));
	*n = 0;
	for (size_t k = order.n; k-- > 0;) {
		const struct revision *r = g->nodes[order.v[k]].rev;
		if (!r->imported_from || strncmp(r->imported_from, name, nl) ||
		    r->imported_from[nl] != ' ')
			continue;
		(*out)[*n].id = r->id;
		(*out)[*n].version = r->imported_from + nl + 1;
		(*n)++;
	}
	idxvec_release(&order);
	if (!*n)
		return err_set(ERR_CONFIG, "no revision here was imported from %s: run 'revgate "
					   "import %s DIR' first",
			       name, name);
	return 0;
}

/* Reads the tool's record through the work connection. */
static int read_record(struct apply_session *ss, enum layout_kind kind, struct strlist *applied,
		       char **baseline)
{
	const struct layout_record *rec = layout_record_of(kind);
	struct db_res *res = NULL;
	int ret = db_query(ss->db, rec->sql, 0, NULL, &res);
	if (ret < 0) {
		const struct db_error *e = db_last_error(ss->db);
		if (e && e->sqlstate && !strcmp(e->sqlstate, "42P01"))
			ret = err_set(ERR_CONFIG, "the database has no %s: is it a database %s has "
						  "migrated (and is its schema on the search_path)?",
				      rec->table, layout_name(kind));
		else
			ret = err_wrap(ret, "cannot read %s's %s", layout_name(kind), rec->table);
		return ret;
	}
	size_t rows = db_res_nrows(res);
	const char **cells = xcalloc(rows * rec->columns + 1, sizeof(*cells));
	for (size_t i = 0; i < rows; i++)
		for (size_t c = 0; c < rec->columns; c++)
			cells[i * rec->columns + c] = db_res_value(res, i, c);
	ret = layout_record_applied(kind, cells, rows, applied, baseline);
	free(cells);
	db_res_free(res);
	return ret;
}

/* Marks the imported revisions the record covers; unknown versions refuse. */
static int match(enum layout_kind kind, struct imported *im, size_t n,
		 const struct strlist *applied, const char *baseline)
{
	struct strlist unknown = STRLIST_INIT;
	if (baseline) {
		size_t k = 0;
		while (k < n && !layout_version_equal(kind, im[k].version, baseline))
			k++;
		if (k == n)
			strlist_push(&unknown, baseline);
		for (size_t i = 0; i < n && k < n && i <= k; i++)
			im[i].applied = true;
	}
	size_t from = 0; /* sqitch records reworked changes by name, in order */
	for (size_t a = 0; a < applied->n; a++) {
		size_t i = kind == LAYOUT_SQITCH ? from : 0;
		while (i < n && (im[i].applied || !layout_version_equal(kind, im[i].version,
									 applied->v[a])))
			i++;
		if (i == n) {
			strlist_push(&unknown, applied->v[a]);
			continue;
		}
		im[i].applied = true;
		from = i + 1;
	}
	int ret = 0;
	if (unknown.n) {
		char *j = strlist_join(&unknown, ", ");
		ret = err_set(ERR_CHECK, "%s records version%s %s, which no imported revision "
					 "carries: import the history the database was migrated with",
			      layout_name(kind), unknown.n == 1 ? "" : "s", j);
		free(j);
	}
	strlist_release(&unknown);
	return ret;
}

/* The last applied revision, when the applied ones are exactly a prefix. */
static int prefix_end(enum layout_kind kind, const struct imported *im, size_t n, size_t *k)
{
	*k = 0;
	while (*k < n && im[*k].applied)
		(*k)++;
	struct strlist gap = STRLIST_INIT, after = STRLIST_INIT;
	for (size_t i = *k; i < n; i++) {
		if (!im[i].applied)
			continue;
		strlist_push(&after, im[i].version);
		for (size_t g = *k; g < i; g++)
			if (!im[g].applied && !strlist_has(&gap, im[g].version))
				strlist_push(&gap, im[g].version);
	}
	int ret = 0;
	if (after.n) {
		char *a = strlist_join(&after, ", "), *g = strlist_join(&gap, ", ");
		ret = err_set(ERR_CHECK, "%s applied %s but not %s before it: the database is not "
					 "at one point of the history, so no stamp can describe it; "
					 "run the missing migrations with %s first",
			      layout_name(kind), a, g, layout_name(kind));
		free(a);
		free(g);
	}
	strlist_release(&gap);
	strlist_release(&after);
	return ret;
}

static int run_adopt(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct strlist applied = STRLIST_INIT, target = STRLIST_INIT;
	struct imported *im = NULL;
	char *baseline = NULL;
	size_t n = 0;
	enum layout_kind kind;
	bool dry = cli_flag(cmd, a, "dry-run");
	memset(&ss, 0, sizeof(ss));
	int ret = layout_from_name(a->pos[0], &kind);
	if (ret < 0) {
		ret = err_wrap(ERR_USAGE, "revgate adopt");
		goto out;
	}
	if (kind == LAYOUT_REVGATE) {
		ret = err_set(ERR_USAGE, "a revgate database needs no adopting");
		goto out;
	}
	if ((ret = app_require_revgate_layout(app, "adopt")) < 0 ||
	    (ret = dbcli_refuse_broken_graph(app)) < 0)
		goto out;
	if (kind != LAYOUT_ALEMBIC && (ret = list_imported(app, kind, &im, &n)) < 0)
		goto out;
	if ((ret = dbcli_settings(app, cmd, a, &s)) < 0 ||
	    (ret = dbcli_open(app, cmd, a, &s, &ss, dry ? APPLY_OPEN_NO_LOCK : APPLY_OPEN_CREATE)) <
		    0)
		goto out;
	if ((ret = read_record(&ss, kind, &applied, &baseline)) < 0)
		goto out;
	if (kind == LAYOUT_ALEMBIC) {
		/* Alembic records its heads, and imported revisions keep its ids */
		for (size_t i = 0; i < applied.n; i++) {
			size_t idx;
			if (!graph_find(&app->graph, applied.v[i], &idx)) {
				ret = err_set(ERR_CHECK, "alembic_version holds '%s', which no revision "
							 "here carries: import the history the "
							 "database was migrated with",
					      applied.v[i]);
				goto out;
			}
			strlist_push(&target, applied.v[i]);
		}
	} else {
		size_t k;
		if ((ret = match(kind, im, n, &applied, baseline)) < 0 ||
		    (ret = prefix_end(kind, im, n, &k)) < 0)
			goto out;
		if (k)
			strlist_push(&target, im[k - 1].id);
		app_note(app, "%s has applied %zu of the %zu imported migrations", layout_name(kind), k,
			 n);
	}
	char *want = strlist_join(&target, ", ");
	char *have = strlist_join(&ss.heads, ", ");
	if (ss.heads.n) {
		bool same = ss.heads.n == target.n;
		for (size_t i = 0; same && i < target.n; i++)
			same = strlist_has(&ss.heads, target.v[i]);
		if (same)
			app_note(app, "nothing to do: the version table already records %s", have);
		else
			ret = err_set(ERR_CHECK, "revgate's version table already records %s, and %s "
						 "says %s: the database was adopted before and has "
						 "moved on; 'revgate stamp' sets it by hand",
				      have, layout_name(kind), target.n ? want : "nothing");
	} else if (!target.n) {
		app_note(app, "%s has applied nothing: nothing to stamp", layout_name(kind));
	} else if (dry) {
		printf("would stamp %s\n", want);
	} else if ((ret = apply_stamp(&ss, &target)) == 0) {
		printf("stamped %s\n", want);
	}
	free(want);
	free(have);
out:
	apply_close(&ss);
	strlist_release(&applied);
	strlist_release(&target);
	free(baseline);
	free(im);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_adopt = {
	.name = "adopt",
	.run = run_adopt,
	.summary = "stamp a database another tool migrated, from that tool's own record",
	.usage = "revgate adopt LAYOUT [--dry-run] [--url URL] [--version-table NAME]",
	.description =
		"After 'revgate import LAYOUT DIR', reads what that tool recorded in the\n"
		"database (alembic_version, dbmate's and golang-migrate's schema_migrations,\n"
		"goose_db_version, flyway_schema_history, __diesel_schema_migrations,\n"
		"sqitch.changes) and stamps revgate's version table at the last imported\n"
		"revision it applied; no migration SQL runs. It refuses, naming the\n"
		"versions, when the record is not exactly the start of the imported\n"
		"history: a gap, a version no import carries, a dirty (golang-migrate) or\n"
		"failed (Flyway) entry. --dry-run shows what it would stamp.\n"
		"An Alembic database can also stay Alembic's: '--version-table\n"
		"alembic_version' on every command makes revgate keep Alembic's table, so\n"
		"the two tools can take turns.",
	.opts = adopt_opts,
	.needs = NEEDS_REVISIONS,
	.min_pos = 1,
	.max_pos = 1,
	.args = "LAYOUT",
};
