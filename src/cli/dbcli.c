/* Shared command-line plumbing of the database commands. */
#include "cli/dbcli.h"
#include "cli/runlog.h"
#include "core/err.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "fleet/fleet.h"
#include "output/jsonw.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	ret = apply_open(ss, s, &app->graph, cmd->name, flags, dbcli_event, app);
	if (ret == 0)
		fleet_member_heads(FLEET_MSG_FROM, &ss->heads);
	return ret;
}

void dbcli_close(struct apply_session *ss)
{
	if (ss->db)
		fleet_member_heads(FLEET_MSG_TO, &ss->heads);
	apply_close(ss);
}

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One progress event as a JSON line on stderr (--format json). */
static void progress_json(const struct apply_event *ev)
{
	const struct apply_progress *p = ev->progress;
	struct jsonw w;
	jsonw_init(&w, stderr, false);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "event", "progress");
	jsonw_kstr(&w, "revision", ev->step->rev->id);
	jsonw_kint(&w, "segment", (long long)ev->segment + 1);
	jsonw_kint(&w, "elapsed_ms", (long long)ev->ms);
	if (p->phase)
		jsonw_kstr(&w, "phase", p->phase);
	const struct {
		const char *key;
		long v;
	} counts[] = {{"blocks_done", p->blocks_done},
		      {"blocks_total", p->blocks_total},
		      {"tuples_done", p->tuples_done},
		      {"tuples_total", p->tuples_total}};
	for (size_t i = 0; i < 4; i++)
		if (counts[i].v >= 0)
			jsonw_kint(&w, counts[i].key, counts[i].v);
	if (p->waiting)
		jsonw_kstr(&w, "waiting_for", p->waiting);
	if (p->blockers)
		jsonw_kstr(&w, "blocked_by", p->blockers);
	jsonw_obj_end(&w);
	jsonw_finish(&w);
}

/*
 * A long statement's progress: on a terminal one line, rewritten each
 * second; in a log a line when what it does changes, or every ten
 * seconds; with --format json a JSON line per event.
 */
static void progress(struct app *app, const struct apply_event *ev)
{
	const struct apply_progress *p = ev->progress;
	if (app->quiet)
		return;
	if (!strcmp(app_format(app), "json")) {
		progress_json(ev);
		return;
	}
	struct strbuf what = STRBUF_INIT;
	if (p->phase)
		strbuf_addstr(&what, p->phase);
	if (p->blocks_total > 0)
		strbuf_addf(&what, "%s%ld of %ld blocks (%ld%%)", what.len ? ": " : "", p->blocks_done,
			    p->blocks_total, p->blocks_done * 100 / p->blocks_total);
	else if (p->tuples_total > 0)
		strbuf_addf(&what, "%s%ld of %ld tuples (%ld%%)", what.len ? ": " : "", p->tuples_done,
			    p->tuples_total, p->tuples_done * 100 / p->tuples_total);
	if (p->waiting)
		strbuf_addf(&what, "%swaiting for %s", what.len ? "; " : "", p->waiting);
	if (p->blockers)
		strbuf_addf(&what, ", held by %s", p->blockers);
	if (!what.len)
		strbuf_addstr(&what, "running");
	bool tty = isatty(STDERR_FILENO);
	bool changed = !app->progress_last || strcmp(app->progress_last, what.buf);
	if (tty || changed || wall_ms() - app->progress_at >= 10000) {
		fprintf(stderr, "%s  segment %zu of %zu, %.0f s: %s%s", tty ? "\r" : "",
			ev->segment + 1, ev->step->nseg, ev->ms / 1000.0, what.buf,
			tty ? "\033[K" : "\n");
		fflush(stderr);
		app->progress_open = tty;
		app->progress_at = wall_ms();
		free(app->progress_last);
		app->progress_last = strbuf_detach(&what, NULL);
	}
	strbuf_release(&what);
}

/*
 * A batched backfill's progress after each batch: rows done, the rate, and
 * from the key range how much is left; on a terminal one line rewritten,
 * in a log a line every ten seconds, with --format json a JSON line each.
 */
static void batch_progress(struct app *app, const struct apply_event *ev)
{
	const struct apply_batch_progress *b = ev->batch;
	if (app->quiet)
		return;
	if (!strcmp(app_format(app), "json")) {
		struct jsonw w;
		jsonw_init(&w, stderr, false);
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "event", "batch");
		jsonw_kstr(&w, "revision", ev->step->rev->id);
		jsonw_kint(&w, "segment", (long long)ev->segment + 1);
		jsonw_kint(&w, "batch", b->batches);
		jsonw_kint(&w, "rows", b->rows);
		jsonw_kstr(&w, "last_key", b->last_key);
		jsonw_kint(&w, "elapsed_ms", (long long)b->elapsed_ms);
		if (b->fraction >= 0)
			jsonw_kint(&w, "percent", (long long)(b->fraction * 100));
		jsonw_obj_end(&w);
		jsonw_finish(&w);
		return;
	}
	bool tty = isatty(STDERR_FILENO);
	if (!tty && b->batches > 1 && wall_ms() - app->progress_at < 10000)
		return;
	double s = b->elapsed_ms / 1000.0;
	struct strbuf what = STRBUF_INIT;
	strbuf_addf(&what, "batch %ld: %ld rows", b->batches, b->rows);
	if (s > 0)
		strbuf_addf(&what, ", %.0f rows/s", (double)b->rows / s);
	if (b->fraction > 0) {
		strbuf_addf(&what, ", %.0f%% of the keys", b->fraction * 100);
		if (b->fraction < 1)
			strbuf_addf(&what, ", about %.0f s left", s * (1 - b->fraction) / b->fraction);
	}
	if (b->resumed)
		strbuf_addstr(&what, " (resumed)");
	fprintf(stderr, "%s  segment %zu of %zu: %s%s", tty ? "\r" : "", ev->segment + 1,
		ev->step->nseg, what.buf, tty ? "\033[K" : "\n");
	fflush(stderr);
	app->progress_open = tty;
	app->progress_at = wall_ms();
	strbuf_release(&what);
}

void dbcli_event(void *ctx, const struct apply_event *ev)
{
	struct app *app = ctx;
	const struct apply_step *s = ev->step;
	if (app->runlog)
		runlog_event(app->runlog, ev);
	if (ev->kind != APPLY_EV_PROGRESS && ev->kind != APPLY_EV_BATCH && app->progress_open) {
		fputc('\n', stderr);
		app->progress_open = false;
	}
	switch (ev->kind) {
	case APPLY_EV_PROGRESS:
		progress(app, ev);
		break;
	case APPLY_EV_BATCH:
		batch_progress(app, ev);
		break;
	case APPLY_EV_BACKUP:
		app_note(app, "revgate: backed up what revision %s destroys: %s", s->rev->id, ev->text);
		break;
	case APPLY_EV_LOCK_WAIT:
		fprintf(stderr, "revgate: %s\n", ev->text);
		fleet_member_say(FLEET_MSG_WAIT, ev->text);
		break;
	case APPLY_EV_LOCKED:
		app_note(app, "revgate: got the migration lock");
		break;
	case APPLY_EV_STEP_BEGIN: {
		fleet_member_say(s->dir == APPLY_UP ? FLEET_MSG_UP : FLEET_MSG_DOWN, s->rev->id);
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
		fleet_member_heads(FLEET_MSG_DONE, &s->heads_after);
		break;
	case APPLY_EV_STEP_FAILED:
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
	if (fleet_member()) {
		char *line = f->line ? xstrfmt("%s:%u:%u: %s", f->file, f->line, f->column,
					       f->err.message)
				     : xstrfmt("%s: %s", f->file, f->err.message);
		char *full = f->err.sqlstate ? xstrfmt("%s (SQLSTATE %s)", line, f->err.sqlstate)
					     : xstrdup(line);
		fleet_member_say(FLEET_MSG_FAILURE, full);
		free(full);
		free(line);
	}
}

int dbcli_refuse_pending(struct app *app, struct apply_session *ss)
{
	struct apply_pending *p = NULL;
	size_t n = 0;
	int ret = apply_pending_list(ss, &p, &n);
	if (ret < 0 || !n)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "revision '%s' is half-done: its %s stopped", p[i].revision,
			    p[i].direction);
		char *where = apply_pending_where(&p[i]);
		strbuf_addstr(&sb, where);
		free(where);
		if (p[i].error)
			strbuf_addf(&sb, " (%s%s%s)", p[i].error, p[i].sqlstate ? ", SQLSTATE " : "",
				    p[i].sqlstate ? p[i].sqlstate : "");
		fprintf(stderr, "revgate: %s\n", sb.buf);
		fleet_member_say(FLEET_MSG_FAILURE, sb.buf);
		strbuf_release(&sb);
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

/* "5000 rows", "1000000 rows or more", "" when not counted. */
static char *rows_text(const struct apply_loss_item *it)
{
	if (it->rows < 0)
		return xstrdup("");
	return xstrfmt("%ld row%s%s%s", it->rows, it->rows == 1 ? "" : "s",
		       it->kind == LOSS_COLUMN ? " with a value" : "", it->capped ? " or more" : "");
}

void dbcli_plan_text(const struct apply_plan *p, const struct apply_loss *loss)
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
		for (size_t k = 0; loss && k < loss->n; k++) {
			const struct apply_loss_item *it = &loss->v[k];
			if (it->step != i || (it->kind == LOSS_SCHEMA && it->rows == 0))
				continue;
			char *rows = rows_text(it);
			printf("          %s%s%s%s\n", it->what, *rows ? ": " : "", rows,
			       it->rows == 0 ? " (empty)" : "");
			free(rows);
		}
	}
}

int dbcli_data_loss_gate(struct app *app, struct apply_session *ss, const struct apply_plan *p,
			 bool allowed, const char *backup)
{
	struct apply_loss loss = APPLY_LOSS_INIT;
	apply_loss_plan(p, &loss);
	int ret = apply_loss_measure(ss, &loss);
	size_t holding = ret == 0 ? apply_loss_holding(&loss) : 0;
	if (ret < 0 || !holding)
		goto out;
	fprintf(stderr, "revgate: this downgrade destroys data:\n");
	for (size_t i = 0; i < loss.n; i++) {
		const struct apply_loss_item *it = &loss.v[i];
		if (it->rows <= 0)
			continue;
		char *rows = rows_text(it);
		fprintf(stderr, "  %s: %s (revision %s)\n", it->what, rows, p->v[it->step].rev->id);
		free(rows);
	}
	if (allowed) {
		if (backup)
			app_note(app, "revgate: going on (--allow-data-loss); each is dumped into '%s' "
				      "first",
				 backup);
		else
			app_note(app, "revgate: going on (--allow-data-loss)");
		goto out;
	}
	if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		char answer[16] = "";
		fprintf(stderr, "Type 'yes' to destroy it, anything else to stop: ");
		fflush(stderr);
		if (fgets(answer, sizeof(answer), stdin) && !strcmp(answer, "yes\n"))
			goto out;
		ret = err_set(ERR_CHECK, "not confirmed; nothing was changed");
		goto out;
	}
	if (backup)
		ret = err_set(ERR_CHECK, "the downgrade would destroy data in %zu place%s (above); run "
					 "again with --allow-data-loss: each is dumped into '%s' first",
			      holding, holding == 1 ? "" : "s", backup);
	else
		ret = err_set(ERR_CHECK, "the downgrade would destroy data in %zu place%s (above); back "
					 "it up first, then run again with --allow-data-loss (with "
					 "--backup DIR, revgate dumps each first)",
			      holding, holding == 1 ? "" : "s");
out:
	apply_loss_release(&loss);
	return ret;
}

void dbcli_plan_json(const struct apply_plan *p, const struct apply_loss *loss)
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
			if (seg->batched) {
				jsonw_key(&w, "batch");
				jsonw_obj_begin(&w);
				jsonw_kint(&w, "size", seg->batch.size);
				jsonw_kstr(&w, "by", seg->batch.by);
				jsonw_kint(&w, "sleep_ms", seg->batch.sleep_ms);
				jsonw_obj_end(&w);
			}
			jsonw_obj_end(&w);
		}
		jsonw_arr_end(&w);
		if (s->dir == APPLY_DOWN && loss) {
			jsonw_key(&w, "drops");
			jsonw_arr_begin(&w);
			for (size_t k = 0; k < loss->n; k++) {
				const struct apply_loss_item *it = &loss->v[k];
				if (it->step != i || (it->kind == LOSS_SCHEMA && it->rows == 0))
					continue;
				jsonw_obj_begin(&w);
				jsonw_kstr(&w, "what", it->what);
				if (it->rows >= 0) {
					jsonw_kint(&w, "rows", it->rows);
					jsonw_kbool(&w, "more", it->capped);
				}
				jsonw_obj_end(&w);
			}
			jsonw_arr_end(&w);
		}
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
