/* Run events as JSON lines and the run's Prometheus textfile. */
#include "cli/runlog.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "output/jsonw.h"
#include "revision/revision.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REVGATE_VERSION
#define REVGATE_VERSION "0.0.0"
#endif

#define LAST_SUCCESS "revgate_last_success_timestamp_seconds"

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

bool runlog_active(const struct runlog *l)
{
	return l->events_path || l->metrics_path;
}

/* "2026-01-02T03:04:05.678Z" */
static void iso_time(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/*
 * One event, written by one write(2) on a file opened O_APPEND: lines of
 * concurrent runs appending to the same file never interleave.
 */
struct ev_line {
	FILE *fp;
	char *buf;
	size_t len;
	struct jsonw w;
};

static bool line_begin(struct runlog *l, struct ev_line *e, const char *event)
{
	if (l->events_fd < 0)
		return false;
	e->buf = NULL;
	e->len = 0;
	e->fp = open_memstream(&e->buf, &e->len);
	if (!e->fp)
		return false;
	char t[32];
	iso_time(t);
	jsonw_init(&e->w, e->fp, false);
	jsonw_obj_begin(&e->w);
	jsonw_kstr(&e->w, "time", t);
	jsonw_kstr(&e->w, "event", event);
	jsonw_kstr(&e->w, "command", l->command);
	jsonw_kint(&e->w, "pid", (long long)getpid());
	return true;
}

static void line_end(struct runlog *l, struct ev_line *e)
{
	jsonw_obj_end(&e->w);
	jsonw_finish(&e->w);
	fclose(e->fp);
	/* a log that cannot be written does not stop a migration half-way */
	ssize_t w = write(l->events_fd, e->buf, e->len);
	(void)w;
	free(e->buf);
}

static void kms(struct jsonw *w, const char *key, double ms)
{
	jsonw_key(w, key);
	jsonw_double(w, ms);
}

int runlog_open(struct runlog *l, const char *events, const char *metrics, const char *command,
		const char *target)
{
	l->command = command;
	l->t0 = mono_ms();
	clock_gettime(CLOCK_REALTIME, &l->started);
	if (events) {
		l->events_fd = open(events, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (l->events_fd < 0)
			return err_set(ERR_IO, "cannot open the events file '%s': %s", events,
				       strerror(errno));
		l->events_path = xstrdup(events);
	}
	if (metrics) {
		char *dir = xstrdup(metrics);
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		int ok = access(slash ? dir : ".", W_OK);
		free(dir);
		if (ok < 0)
			return err_set(ERR_IO, "cannot write the metrics file '%s': %s", metrics,
				       strerror(errno));
		l->metrics_path = xstrdup(metrics);
	}
	struct ev_line e;
	if (line_begin(l, &e, "run_started")) {
		jsonw_kstr(&e.w, "target", target);
		jsonw_kstr(&e.w, "version", REVGATE_VERSION);
		line_end(l, &e);
	}
	return 0;
}

static const char *direction(const struct apply_step *s)
{
	return s->dir == APPLY_UP ? "upgrade" : "downgrade";
}

static void step_keys(struct jsonw *w, const struct apply_step *s)
{
	jsonw_kstr(w, "revision", s->rev->id);
	jsonw_kstr(w, "direction", direction(s));
	jsonw_kstr(w, "file", s->rev->file_name);
}

static void add_step(struct runlog *l, const struct apply_step *s, double ms, bool ok)
{
	ALLOC_GROW(l->steps, l->n + 1, l->alloc);
	l->steps[l->n++] = (struct runlog_step){xstrdup(s->rev->id), direction(s), ms, ok};
}

void runlog_event(struct runlog *l, const struct apply_event *ev)
{
	const struct apply_step *s = ev->step;
	struct ev_line e;
	switch (ev->kind) {
	case APPLY_EV_PROGRESS:
		return;
	case APPLY_EV_LOCK_WAIT:
		if (!l->lock_wait_t0)
			l->lock_wait_t0 = mono_ms();
		free(l->lock_holder);
		l->lock_holder = xstrdup(ev->text);
		if (line_begin(l, &e, "lock_wait")) {
			jsonw_kstr(&e.w, "message", ev->text);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_LOCKED:
		if (line_begin(l, &e, "lock_acquired")) {
			kms(&e.w, "waited_ms", ev->ms);
			jsonw_kstr(&e.w, "waited_for", l->lock_holder);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_STEP_BEGIN:
		if (line_begin(l, &e, "step_started")) {
			step_keys(&e.w, s);
			jsonw_kint(&e.w, "segments", (long long)s->nseg);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_SEGMENT:
		if (line_begin(l, &e, "segment_done")) {
			step_keys(&e.w, s);
			jsonw_kint(&e.w, "segment", (long long)ev->segment + 1);
			jsonw_kint(&e.w, "segments", (long long)s->nseg);
			kms(&e.w, "duration_ms", ev->ms);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_BATCH:
		if (line_begin(l, &e, "batch_done")) {
			step_keys(&e.w, s);
			jsonw_kint(&e.w, "segment", (long long)ev->segment + 1);
			jsonw_kint(&e.w, "batch", ev->batch->batches);
			jsonw_kint(&e.w, "rows", ev->batch->batch_rows);
			jsonw_kint(&e.w, "rows_done", ev->batch->rows);
			jsonw_kstr(&e.w, "last_key", ev->batch->last_key);
			kms(&e.w, "duration_ms", ev->ms);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_BACKUP:
		if (line_begin(l, &e, "backup_done")) {
			step_keys(&e.w, s);
			jsonw_kstr(&e.w, "backup_file", ev->text);
			kms(&e.w, "duration_ms", ev->ms);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_STEP_DONE:
		add_step(l, s, ev->ms, true);
		if (line_begin(l, &e, "step_finished")) {
			step_keys(&e.w, s);
			kms(&e.w, "duration_ms", ev->ms);
			line_end(l, &e);
		}
		return;
	case APPLY_EV_STEP_FAILED:
		add_step(l, s, ev->ms, false);
		if (line_begin(l, &e, "step_failed")) {
			const struct apply_failure *f = ev->fail;
			step_keys(&e.w, s);
			kms(&e.w, "duration_ms", ev->ms);
			if (f && f->set) {
				if (f->line)
					jsonw_kint(&e.w, "line", f->line);
				jsonw_kstr(&e.w, "sqlstate", f->err.sqlstate);
				jsonw_kstr(&e.w, "error", f->err.message);
				jsonw_kbool(&e.w, "half_done", f->half_done);
			} else {
				jsonw_kstr(&e.w, "sqlstate", NULL);
				jsonw_kstr(&e.w, "error", err_msg());
			}
			line_end(l, &e);
		}
		return;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void label(struct strbuf *out, const char *v)
{
	strbuf_addch(out, '"');
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_addch(out, '\\');
		if (*v == '\n')
			strbuf_addstr(out, "\\n");
		else
			strbuf_addch(out, *v);
	}
	strbuf_addch(out, '"');
}

static void family(struct strbuf *out, const char *name, const char *help)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The value the previous file gave the last successful run, or "". */
static void previous_success(const char *path, char out[64])
{
	struct strbuf old = STRBUF_INIT;
	out[0] = '\0';
	if (file_read(path, 1 << 20, &old) == 0) {
		const char *p = old.buf;
		size_t n = strlen(LAST_SUCCESS);
		while (p && *p) {
			if (!strncmp(p, LAST_SUCCESS, n) && p[n] == ' ') {
				size_t len = strcspn(p + n + 1, "\n");
				if (len < 64) {
					memcpy(out, p + n + 1, len);
					out[len] = '\0';
				}
				break;
			}
			p = strchr(p, '\n');
			if (p)
				p++;
		}
	}
	err_clear();
	strbuf_release(&old);
}

static int write_metrics(struct runlog *l, bool ok, double ms, long pending)
{
	struct strbuf m = STRBUF_INIT;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double end = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	char last_ok[64];
	if (ok)
		snprintf(last_ok, sizeof(last_ok), "%.3f", end);
	else
		previous_success(l->metrics_path, last_ok);
	family(&m, "revgate_last_run_success", "Whether the last run succeeded (1) or failed (0).");
	strbuf_addstr(&m, "revgate_last_run_success{command=");
	label(&m, l->command);
	strbuf_addf(&m, "} %d\n", ok ? 1 : 0);
	family(&m, "revgate_last_run_duration_seconds", "Wall time of the last run.");
	strbuf_addf(&m, "revgate_last_run_duration_seconds %.3f\n", ms / 1000.0);
	family(&m, "revgate_last_run_timestamp_seconds", "When the last run ended (Unix time).");
	strbuf_addf(&m, "revgate_last_run_timestamp_seconds %.3f\n", end);
	if (*last_ok) {
		family(&m, LAST_SUCCESS, "When the last successful run ended (Unix time).");
		strbuf_addf(&m, "%s %s\n", LAST_SUCCESS, last_ok);
	}
	family(&m, "revgate_last_run_revisions", "Revisions the last run applied or reverted.");
	size_t done = 0;
	for (size_t i = 0; i < l->n; i++)
		done += l->steps[i].ok;
	strbuf_addf(&m, "revgate_last_run_revisions %zu\n", done);
	if (l->n) {
		family(&m, "revgate_revision_duration_seconds",
		       "Wall time of each revision of the last run.");
		for (size_t i = 0; i < l->n; i++) {
			const struct runlog_step *s = &l->steps[i];
			strbuf_addstr(&m, "revgate_revision_duration_seconds{revision=");
			label(&m, s->revision);
			strbuf_addstr(&m, ",direction=");
			label(&m, s->direction);
			strbuf_addstr(&m, ",outcome=");
			label(&m, s->ok ? "done" : "failed");
			strbuf_addf(&m, "} %.3f\n", s->ms / 1000.0);
		}
	}
	if (pending >= 0) {
		family(&m, "revgate_pending_revisions",
		       "Revisions still to apply to reach the heads after the last run.");
		strbuf_addf(&m, "revgate_pending_revisions %ld\n", pending);
	}
	int ret = file_write_atomic(l->metrics_path, m.buf, m.len, false);
	strbuf_release(&m);
	return ret;
}

int runlog_finish(struct runlog *l, const char *outcome, const struct strlist *heads,
		  long pending, const char *error)
{
	double ms = mono_ms() - l->t0;
	struct ev_line e;
	if (line_begin(l, &e, "run_finished")) {
		jsonw_kstr(&e.w, "outcome", outcome);
		kms(&e.w, "duration_ms", ms);
		size_t done = 0;
		for (size_t i = 0; i < l->n; i++)
			done += l->steps[i].ok;
		jsonw_kint(&e.w, "revisions", (long long)done);
		if (heads) {
			jsonw_key(&e.w, "heads");
			jsonw_arr_begin(&e.w);
			for (size_t i = 0; i < heads->n; i++)
				jsonw_str(&e.w, heads->v[i]);
			jsonw_arr_end(&e.w);
		}
		if (pending >= 0)
			jsonw_kint(&e.w, "pending", pending);
		if (error)
			jsonw_kstr(&e.w, "error", error);
		line_end(l, &e);
	}
	if (!l->metrics_path)
		return 0;
	return write_metrics(l, strcmp(outcome, "failed") != 0, ms, pending);
}

void runlog_release(struct runlog *l)
{
	if (l->events_fd >= 0)
		close(l->events_fd);
	free(l->events_path);
	free(l->metrics_path);
	free(l->lock_holder);
	for (size_t i = 0; i < l->n; i++)
		free(l->steps[i].revision);
	free(l->steps);
	struct runlog fresh = RUNLOG_INIT;
	*l = fresh;
}
