/*
 * Linting many independent files: a pool of worker threads takes file
 * indices from a shared counter, and each worker reads, parses and lints one
 * file at a time with its own engine and catalog, then frees it. Results are
 * handed on in path order by the calling thread as soon as the files before
 * them are done, so output never depends on scheduling and memory holds only
 * the files finished out of order. libpg_query keeps a memory context per thread; workers never
 * call pg_query_exit() (it must run once, on the main thread: sql_shutdown).
 */
#include "lint/lint.h"
#include "lint/engine.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "revision/revision.h"
#include "sql/lintparse.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 16

bool lint_is_revision_text(const char *text)
{
	return !strncmp(text, "-- revision:", 12) || strstr(text, "\n-- +upgrade") ||
	       !strncmp(text, "-- +upgrade", 11) || strstr(text, "\n-- revision:");
}

struct pool {
	const struct lint_settings *s;
	char *const *paths;
	size_t n;
	const struct matcher *name_pattern;
	size_t max_file_size;
	atomic_size_t next;
	struct findings *results; /* one list per path */
	atomic_bool *done;	  /* results[i] is complete */
	size_t emitted;		  /* files handed to emit, in order (calling thread only) */
	lint_emit_fn emit;
	void *arg;
};

/* Hands on every finished file that follows the ones already handed on. */
static void drain(struct pool *p)
{
	while (p->emitted < p->n && atomic_load(&p->done[p->emitted])) {
		p->emit(p->arg, &p->results[p->emitted]);
		findings_release(&p->results[p->emitted]);
		p->emitted++;
	}
}

static void lint_one_file(struct pool *p, struct lint_engine *eng, size_t i)
{
	const char *path = p->paths[i];
	struct findings *out = &p->results[i];
	struct strbuf sb = STRBUF_INIT;
	if (file_read(path, p->max_file_size, &sb) < 0) {
		findings_add(out, "invalid-file", SEV_ERROR, path, 0, 0, "%s", err_msg());
		strbuf_release(&sb);
		return;
	}
	size_t len;
	char *text = strbuf_detach(&sb, &len);
	struct revision rev;
	memset(&rev, 0, sizeof(rev));
	if (lint_is_revision_text(text)) {
		char *name_id =
		    p->name_pattern ? revision_name_id(path_basename(path), p->name_pattern) : NULL;
		revision_parse(&rev, path, text, len, name_id, out);
		free(name_id);
	} else {
		revision_parse_plain(&rev, path, text, len, out);
	}
	if (rev.upgrade.present) {
		struct catalog cat;
		catalog_init(&cat);
		lint_engine_run(eng, &rev, &cat, 1, out);
		catalog_release(&cat);
	}
	revision_release(&rev);
}

static void work(struct pool *p, bool caller)
{
	struct lint_engine *eng = lint_engine_new(p->s);
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		lint_one_file(p, eng, i);
		atomic_store(&p->done[i], true);
		if (caller)
			drain(p);
	}
	lint_engine_free(eng);
}

static void *worker(void *arg)
{
	work(arg, false);
	return NULL;
}

static unsigned thread_count(const struct lint_settings *s, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t = s->threads ? s->threads : (unsigned)(cores > 0 ? cores : 1);
	if (t > MAX_THREADS)
		t = MAX_THREADS;
	if (t > n)
		t = (unsigned)n;
	return t ? t : 1;
}

int lint_files(const struct lint_settings *s, char *const *paths, size_t n,
	       const struct matcher *name_pattern, size_t max_file_size, lint_emit_fn emit,
	       void *arg)
{
	if (!n)
		return 0;
	struct pool p = {.s = s,
			 .paths = paths,
			 .n = n,
			 .name_pattern = name_pattern,
			 .max_file_size = max_file_size,
			 .emit = emit,
			 .arg = arg};
	atomic_init(&p.next, 0);
	p.results = xcalloc(n, sizeof(*p.results));
	p.done = xcalloc(n, sizeof(*p.done));
	for (size_t i = 0; i < n; i++)
		atomic_init(&p.done[i], false);
	unsigned nt = thread_count(s, n);
	pthread_t tids[MAX_THREADS];
	unsigned started = 0;
	sql_thread_init();
	/* the main thread is one of the workers: one file never starts a thread */
	for (unsigned t = 1; t < nt; t++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	work(&p, true);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	drain(&p);
	free(p.results);
	free(p.done);
	return 0;
}
