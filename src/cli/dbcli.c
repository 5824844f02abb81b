/* Shared command-line plumbing of the database commands. */
#include "cli/dbcli.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "output/jsonw.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dbcli_settings(struct app *app, const struct command *cmd, const struct cli_args *a,
		   struct apply_settings *s)
{
	const char *vt = cli_value(cmd, a, "version-table");
	/* another tool's project: only 'current' reads its database, and an
	 * Alembic one keeps its heads in alembic_version unless told otherwise */
	if (app->layout.kind != LAYOUT_REVGATE) {
		int ret = strcmp(cmd->name, "current") ? app_require_revgate_layout(app, cmd->name)
						       : 0;
		if (ret < 0)
			return ret;
		if (!vt && app->layout.kind == LAYOUT_ALEMBIC &&
		    !config_value(&app->cfg, "database", "version_table"))
			vt = "alembic_version";
	}
	return apply_settings_load(s, &app->cfg, vt, cli_value(cmd, a, "lock-wait"));
}

int dbcli_open(struct app *app, const struct command *cmd, const struct cli_args *a,
	       struct apply_settings *s, struct apply_session *ss, unsigned flags)
{
	int ret = apply_settings_url(s, cli_value(cmd, a, "url"));
	if (ret < 0)
		return ret;
	return apply_open(ss, s, &app->graph, cmd->name, flags, dbcli_event, app);
}

void dbcli_event(void *ctx, const struct apply_event *ev)
{
	const struct app *app = ctx;
	const struct apply_step *s = ev->step;
	switch (ev->kind) {
	case APPLY_EV_LOCK_WAIT:
		fprintf(stderr, "revgate: %s\n", ev->text);
		break;
	case APPLY_EV_LOCKED:
		app_note(app, "revgate: got the migration lock");
		break;
	case APPLY_EV_STEP_BEGIN: {
		/* Alembic's line: parents -> revision, or revision -> parents */
		char *down = strlist_join(&s->rev->down_revisions, ", ");
		const char *msg = s->rev->message ? s->rev->message : "";
		if (s->dir == APPLY_UP)
			app_note(app, "Running upgrade %s -> %s%s%s", down, s->rev->id,
				 *msg ? ", " : "", msg);
		else
			app_note(app, "Running downgrade %s -> %s%s%s", s->rev->id, down,
				 *msg ? ", " : "", msg);
		free(down);
		break;
	}
	case APPLY_EV_SEGMENT:
		app_note(app, "  segment %zu of %zu done", ev->segment + 1, s->nseg);
		break;
	case APPLY_EV_STEP_DONE:
		break;
	}
}

void dbcli_print_failure(const struct app *app, const struct apply_failure *f)
{
	(void)app;
	if (!f->set)
		return;
	if (f->line)
		fprintf(stderr, "%s:%u:%u: error: %s", f->file, f->line, f->column, f->err.message);
	else
		fprintf(stderr, "%s: error: %s", f->file, f->err.message);
	if (f->err.sqlstate)
		fprintf(stderr, " (SQLSTATE %s)", f->err.sqlstate);
	fputc('\n', stderr);
	if (f->excerpt) {
		fprintf(stderr, "  %5u | %s\n", f->line, f->excerpt);
		fprintf(stderr, "        | %*s^\n", (int)(f->column > 0 ? f->column - 1 : 0), "");
	}
	if (f->err.detail)
		fprintf(stderr, "  detail: %s\n", f->err.detail);
	if (f->err.hint)
		fprintf(stderr, "  hint: %s\n", f->err.hint);
	if (f->err.context)
		fprintf(stderr, "  context: %s\n", f->err.context);
}

int dbcli_refuse_pending(struct app *app, struct apply_session *ss)
{
	struct apply_pending *p = NULL;
	size_t n = 0;
	int ret = apply_pending_list(ss, &p, &n);
	if (ret < 0 || !n)
		goto out;
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "revgate: revision '%s' is half-done: its %s stopped", p[i].revision,
			p[i].direction);
		char *where = apply_pending_where(&p[i]);
		fputs(where, stderr);
		free(where);
		if (p[i].error)
			fprintf(stderr, " (%s%s%s)", p[i].error, p[i].sqlstate ? ", SQLSTATE " : "",
				p[i].sqlstate ? p[i].sqlstate : "");
		fputc('\n', stderr);
	}
	(void)app;
	ret = err_set(ERR_CHECK, "a revision is half-done; run 'revgate resolve' to see what the "
				 "database holds and mark it done or rolled back");
out:
	apply_pending_free(p, n);
	return ret;
}

int dbcli_refuse_broken_graph(struct app *app)
{
	/* an error in a file (a typo in a header key) leaves that revision out
	 * of the graph: running without it would skip it silently */
	if (app->graph.has_cycle || !app->graph.complete || app_load_failed(app)) {
		app_report_findings(app, &app->load_findings);
		return err_set(ERR_GRAPH, "the revision graph has errors (above); fix them first");
	}
	return 0;
}

void dbcli_plan_text(const struct apply_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct apply_step *s = &p->v[i];
		size_t alone = 0;
		for (size_t k = 0; k < s->nseg; k++)
			alone += !s->seg[k].transactional;
		printf("%-9s %s  %-7s %s", s->dir == APPLY_UP ? "upgrade" : "downgrade", s->rev->id,
		       s->change.kind, s->rev->message ? s->rev->message : "");
		if (apply_step_transactional(s))
			printf("  [1 transaction, %zu statements]\n", s->stmts.n);
		else
			printf("  [%zu segments, %zu outside a transaction]\n", s->nseg, alone);
	}
}

void dbcli_plan_json(const struct apply_plan *p)
{
	struct jsonw w;
	jsonw_init(&w, stdout, true);
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < p->n; i++) {
		const struct apply_step *s = &p->v[i];
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "revision", s->rev->id);
		jsonw_kstr(&w, "direction", s->dir == APPLY_UP ? "upgrade" : "downgrade");
		jsonw_kstr(&w, "kind", s->change.kind);
		jsonw_kstr(&w, "message", s->rev->message);
		jsonw_kstr(&w, "file", s->rev->path);
		jsonw_key(&w, "heads_before");
		jsonw_arr_begin(&w);
		for (size_t k = 0; k < s->heads_before.n; k++)
			jsonw_str(&w, s->heads_before.v[k]);
		jsonw_arr_end(&w);
		jsonw_key(&w, "heads_after");
		jsonw_arr_begin(&w);
		for (size_t k = 0; k < s->heads_after.n; k++)
			jsonw_str(&w, s->heads_after.v[k]);
		jsonw_arr_end(&w);
		jsonw_kbool(&w, "transactional", apply_step_transactional(s));
		jsonw_key(&w, "segments");
		jsonw_arr_begin(&w);
		for (size_t k = 0; k < s->nseg; k++) {
			const struct apply_segment *seg = &s->seg[k];
			jsonw_obj_begin(&w);
			jsonw_kbool(&w, "transactional", seg->transactional);
			jsonw_kint(&w, "statements", (long long)seg->n);
			if (seg->n) {
				unsigned line, col;
				text_pos(s->rev->text, s->rev->len, s->stmts.v[seg->first].start, &line,
					 &col);
				jsonw_kint(&w, "line", line);
			}
			jsonw_obj_end(&w);
		}
		jsonw_arr_end(&w);
		jsonw_obj_end(&w);
	}
	jsonw_arr_end(&w);
	jsonw_finish(&w);
}

int dbcli_scratch_create(const struct apply_settings *s, const char *app_name, char **name)
{
	struct db *db = NULL;
	*name = NULL;
	int ret = db_connect(&db, s->url, NULL, app_name);
	if (ret < 0)
		return ret;
	const char *what = strchr(app_name, ' ') ? strchr(app_name, ' ') + 1 : app_name;
	char *n = xstrfmt("revgate_%s_%ld", what, (long)getpid());
	char *q = db_quote_ident(db, NULL, n);
	char *sql = xstrfmt("CREATE DATABASE %s", q);
	ret = db_exec(db, sql);
	if (ret == 0) {
		*name = n;
		n = NULL;
	} else {
		char *why = xstrdup(err_msg());
		bool test = !strcmp(what, "test");
		ret = err_set(ERR_DB, "cannot create a scratch database on %s (the URL from %s): "
				      "%s; refusing to run %s anywhere else (grant the role "
				      "CREATEDB%s)",
			      db_where(db), s->url_source ? s->url_source : "?", why,
			      test ? "the downgrades" : "the revisions",
			      test ? ", or pass --in-place --url URL to test in an empty database"
				   : "");
		free(why);
	}
	free(sql);
	free(q);
	free(n);
	db_close(db);
	return ret;
}

void dbcli_scratch_drop(const struct apply_settings *s, const char *app_name, const char *name)
{
	struct db *db = NULL;
	if (db_connect(&db, s->url, NULL, app_name) == 0) {
		char *q = db_quote_ident(db, NULL, name);
		char *sql = xstrfmt("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
		if (db_exec(db, sql) < 0)
			err_clear();
		free(sql);
		free(q);
	}
	err_clear();
	db_close(db);
}
