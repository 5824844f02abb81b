/*
 * The linter's driver: settings from the configuration, the order in which
 * revisions are replayed and linted, and the filter applied to findings of
 * the other families.
 */
#include "lint/lint.h"
#include "lint/engine.h"
#include "lint/registry.h"
#include "config/config.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "match/match.h"
#include "revision/revision.h"
#include "sql/lintparse.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

void lint_settings_init(struct lint_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->pg_version = 15;
	s->version_table = "revgate_version";
	s->history_table = "revgate_history";
	size_t n = lint_rule_count();
	if (n > LINT_MAX_RULES)
		BUG("more rules (%zu) than LINT_MAX_RULES", n);
	for (size_t i = 0; i < n; i++)
		s->severity[i] = lint_rule_at(i)->severity;
}

void lint_settings_release(struct lint_settings *s)
{
	matcher_free(s->index_name);
	matcher_free(s->constraint_name);
	s->index_name = s->constraint_name = NULL;
	free(s->cache_dir);
	s->cache_dir = NULL;
}

int lint_settings_set(struct lint_settings *s, const char *rule, const char *severity)
{
	int idx = lint_rule_index(rule);
	if (idx < 0)
		return err_set(ERR_CONFIG, "[rules]: unknown rule '%s' (see 'revgate rules')",
			       rule);
	enum severity sev;
	if (severity_parse(severity, &sev) < 0)
		return err_set(ERR_CONFIG,
			       "[rules] %s: unknown severity '%s' (use off, info, "
			       "warning or error)",
			       rule, severity);
	s->severity[idx] = sev;
	return 0;
}

int lint_settings_set_pg_version(struct lint_settings *s, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (end == v || *end || n < LINT_PG_MIN || n > LINT_PG_MAX)
		return err_set(ERR_USAGE, "PostgreSQL version '%s' is not supported (use %d to %d)",
			       v, LINT_PG_MIN, LINT_PG_MAX);
	s->pg_version = (int)n;
	return 0;
}

enum severity lint_severity(const struct lint_settings *s, const char *rule)
{
	int idx = lint_rule_index(rule);
	return idx < 0 ? SEV_ERROR : s->severity[idx];
}

int lint_settings_from_config(struct lint_settings *s, const struct config *cfg)
{
	const char *v = config_get(cfg, "lint", "pg_version");
	if (v && lint_settings_set_pg_version(s, v) < 0)
		return err_set(ERR_CONFIG,
			       "[lint] pg_version: '%s' is not supported (use %d to %d)", v,
			       LINT_PG_MIN, LINT_PG_MAX);
	v = config_get(cfg, "lint", "index_name_pattern");
	if (v && *v && matcher_compile(&s->index_name, v, "index_name_pattern") < 0)
		return ERR_CONFIG;
	v = config_get(cfg, "lint", "constraint_name_pattern");
	if (v && *v && matcher_compile(&s->constraint_name, v, "constraint_name_pattern") < 0)
		return ERR_CONFIG;
	free(s->cache_dir);
	s->cache_dir = config_cache_dir(cfg);
	v = config_get(cfg, "database", "version_table");
	if (v && *v)
		s->version_table = v;
	v = config_get(cfg, "database", "history_table");
	if (v && *v)
		s->history_table = v;
	const struct config_entry *e[LINT_MAX_RULES * 2];
	size_t n;
	config_section_entries(cfg, "rules", e, &n, ARRAY_SIZE(e));
	for (size_t i = 0; i < n; i++) {
		int ret = lint_settings_set(s, e[i]->key, e[i]->value);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Replays below this many revisions are cheaper than a snapshot file. */
#define CACHE_MIN_REVISIONS 32

/* The snapshot file for the schema left by revisions `run[0..n)`, in order. */
static char *snapshot_path(const char *dir, const struct graph *g, const size_t *run, size_t n)
{
	struct strbuf keys = STRBUF_INIT;
	char hex[HASH_HEX_LEN + 1];
	strbuf_addstr(&keys, "revgate catalog v1\n");
	for (size_t i = 0; i < n; i++) {
		const struct revision *rev = g->nodes[run[i]].rev;
		hash_sha256_hex(rev->text, rev->len, hex);
		strbuf_addstr(&keys, hex);
	}
	hash_sha256_hex(keys.buf, keys.len, hex);
	strbuf_release(&keys);
	return xstrfmt("%s/catalog-%s.txt", dir, hex);
}

static void mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(p, 0700);
		*c = '/';
	}
	(void)mkdir(p, 0700);
	free(p);
}

/* Fills `cat` with the schema `run` leaves: from a snapshot, or replayed
 * (and then saved, best effort). */
static void replay_run(const struct lint_settings *s, const struct graph *g, const size_t *run,
		       size_t n, struct catalog *cat)
{
	char *path = NULL;
	if (s->cache_dir && n >= CACHE_MIN_REVISIONS) {
		path = snapshot_path(s->cache_dir, g, run, n);
		struct strbuf sb = STRBUF_INIT;
		if (file_read(path, 0, &sb) == 0 && catalog_load(cat, sb.buf, sb.len, 1) == 0) {
			strbuf_release(&sb);
			free(path);
			return;
		}
		err_clear();
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < n; i++)
		lint_engine_replay(g->nodes[run[i]].rev, cat, (unsigned)i + 1);
	if (path) {
		struct strbuf sb = STRBUF_INIT;
		catalog_save(cat, &sb);
		mkdirs(s->cache_dir);
		if (file_write_atomic(path, sb.buf, sb.len, false) < 0)
			err_clear(); /* a cache that cannot be written is only slower */
		strbuf_release(&sb);
		free(path);
	}
}

/*
 * Parsing ahead on the other cores while the main thread lints in graph
 * order (the catalog forbids linting out of order, but parsing needs no
 * catalog). Workers prepare at most AHEAD revisions beyond the one being
 * linted, so memory stays bounded; a file larger than PREPARE_MAX is left
 * to the engine, which parses it statement by statement.
 */
#define AHEAD 16
#define PREPARE_MAX ((size_t)4 << 20)
#define MAX_WORKERS 8

struct ahead {
	const struct graph *g;
	const size_t *todo; /* graph nodes in lint order */
	const struct bitset *want;
	size_t n;
	bool light_ok;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;	 /* next index to prepare */
	size_t consumed; /* indices below this are linted and freed */
	bool *ready;
	struct lint_prepared **slot;
};

static void *prepare_worker(void *arg)
{
	struct ahead *ah = arg;
	pthread_mutex_lock(&ah->mu);
	for (;;) {
		while (ah->next < ah->n && ah->next >= ah->consumed + AHEAD)
			pthread_cond_wait(&ah->cv, &ah->mu);
		if (ah->next >= ah->n)
			break;
		size_t i = ah->next++;
		pthread_mutex_unlock(&ah->mu);
		const struct revision *rev = ah->g->nodes[ah->todo[i]].rev;
		struct lint_prepared *p = NULL;
		if (bitset_test(ah->want, ah->todo[i]) && rev->len <= PREPARE_MAX)
			p = lint_prepare(rev, ah->light_ok);
		pthread_mutex_lock(&ah->mu);
		ah->slot[i] = p;
		ah->ready[i] = true;
		pthread_cond_broadcast(&ah->cv);
	}
	pthread_mutex_unlock(&ah->mu);
	return NULL;
}

/* The prepared revision `i` (NULL: let the engine parse it), once ready. */
static struct lint_prepared *take(struct ahead *ah, size_t i)
{
	pthread_mutex_lock(&ah->mu);
	while (!ah->ready[i])
		pthread_cond_wait(&ah->cv, &ah->mu);
	struct lint_prepared *p = ah->slot[i];
	ah->slot[i] = NULL;
	pthread_mutex_unlock(&ah->mu);
	return p;
}

static void done(struct ahead *ah, size_t i)
{
	pthread_mutex_lock(&ah->mu);
	ah->consumed = i + 1;
	pthread_cond_broadcast(&ah->cv);
	pthread_mutex_unlock(&ah->mu);
}

static unsigned workers_for(const struct lint_settings *s, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned w = s->threads ? s->threads : (unsigned)(cores > 0 ? cores : 1);
	if (w > MAX_WORKERS)
		w = MAX_WORKERS;
	/* a handful of revisions is faster without threads */
	return n < 4 || w < 2 ? 0 : w;
}

int lint_revisions(const struct lint_settings *s, const struct graph *g, const size_t *nodes,
		   size_t n, struct findings *out)
{
	if (g->has_cycle || !n)
		return 0;
	struct bitset want = BITSET_INIT, anc = BITSET_INIT;
	bitset_init(&want, g->n);
	for (size_t i = 0; i < n; i++)
		bitset_set(&want, nodes[i]);
	bitset_init(&anc, g->n);
	graph_ancestors(g, nodes, n, true, &anc);
	struct idxvec order = IDXVEC_INIT, todo = IDXVEC_INIT;
	graph_history(g, &order); /* newest first */
	for (size_t k = order.n; k-- > 0;)
		if (bitset_test(&want, order.v[k]) || bitset_test(&anc, order.v[k]))
			idxvec_push(&todo, order.v[k]);
	/* the ancestors before the first revision to lint need only their schema */
	size_t prefix = 0;
	while (prefix < todo.n && !bitset_test(&want, todo.v[prefix]))
		prefix++;
	struct lint_engine *eng = lint_engine_new(s);
	struct catalog cat;
	catalog_init(&cat);
	replay_run(s, g, todo.v, prefix, &cat);

	size_t rest = todo.n - prefix;
	struct ahead ah = {.g = g,
			   .todo = todo.v + prefix,
			   .want = &want,
			   .n = rest,
			   .light_ok = lint_engine_light_ok(eng)};
	pthread_t tids[MAX_WORKERS];
	unsigned started = 0, nw = workers_for(s, rest);
	if (nw) {
		pthread_mutex_init(&ah.mu, NULL);
		pthread_cond_init(&ah.cv, NULL);
		sql_thread_init();
		ah.ready = xcalloc(rest, sizeof(*ah.ready));
		ah.slot = xcalloc(rest, sizeof(*ah.slot));
		for (unsigned t = 0; t < nw; t++)
			if (pthread_create(&tids[started], NULL, prepare_worker, &ah) == 0)
				started++;
		if (!started) {
			/* no threads: prepare nothing ahead */
			for (size_t i = 0; i < rest; i++)
				ah.ready[i] = true;
		}
	}
	for (size_t k = 0; k < rest; k++) {
		size_t i = todo.v[prefix + k];
		unsigned origin = (unsigned)(prefix + k) + 1;
		struct lint_prepared *p = nw ? take(&ah, k) : NULL;
		if (bitset_test(&want, i)) {
			size_t before = out->n;
			lint_engine_run_prepared(eng, g->nodes[i].rev, p, &cat, origin, out);
			revision_remap_findings(g->nodes[i].rev, out, before);
		}
		else
			lint_engine_replay(g->nodes[i].rev, &cat, origin);
		lint_prepared_free(p);
		if (nw)
			done(&ah, k);
	}
	if (nw) {
		for (unsigned t = 0; t < started; t++)
			pthread_join(tids[t], NULL);
		pthread_cond_destroy(&ah.cv);
		pthread_mutex_destroy(&ah.mu);
		free(ah.ready);
		free(ah.slot);
	}
	catalog_release(&cat);
	lint_engine_free(eng);
	idxvec_release(&order);
	idxvec_release(&todo);
	bitset_release(&want);
	bitset_release(&anc);
	return 0;
}

int lint_revision_alone(const struct lint_settings *s, const struct revision *rev,
			struct findings *out)
{
	struct lint_engine *eng = lint_engine_new(s);
	struct catalog cat;
	catalog_init(&cat);
	size_t before = out->n;
	lint_engine_run(eng, rev, &cat, 1, out);
	revision_remap_findings(rev, out, before);
	catalog_release(&cat);
	lint_engine_free(eng);
	return 0;
}

/* Whether the first *.sql file of `dir` (by name) is a revision file. */
static bool first_is_revision(const char *dir)
{
	struct strlist names = STRLIST_INIT, links = STRLIST_INIT;
	bool yes = false;
	if (dir_list_suffix(dir, ".sql", &names, &links) == 0 && names.n) {
		strlist_sort(&names);
		char *path = path_join(dir, names.v[0]);
		struct strbuf sb = STRBUF_INIT;
		if (file_read(path, 0, &sb) == 0)
			yes = lint_is_revision_text(sb.buf);
		else
			err_clear();
		strbuf_release(&sb);
		free(path);
	} else {
		err_clear();
	}
	strlist_release(&names);
	strlist_release(&links);
	return yes;
}

int lint_history_dir(const struct lint_settings *s, const char *dir,
		     const struct matcher *name_pattern, const struct revision_limits *limits,
		     struct findings *out, bool *is_history, size_t *revisions)
{
	*is_history = false;
	if (!first_is_revision(dir))
		return 0;
	*is_history = true;
	struct revset revs = REVSET_INIT;
	struct graph g;
	struct findings fs = FINDINGS_INIT;
	int ret = revset_load_dir(&revs, dir, name_pattern, limits, &fs);
	if (ret < 0)
		goto out;
	*revisions += revs.n;
	graph_build(&g, revs.v, revs.n, &fs);
	graph_check_heads(&g, &fs);
	size_t *nodes = xcalloc(g.n + 1, sizeof(*nodes));
	for (size_t i = 0; i < g.n; i++)
		nodes[i] = i;
	lint_revisions(s, &g, nodes, g.n, &fs);
	free(nodes);
	for (size_t i = 0; i < revs.n; i++) {
		bool placed = false;
		for (size_t k = 0; k < g.n && !placed; k++)
			placed = g.nodes[k].rev == revs.v[i];
		if (!placed && revs.v[i]->upgrade.present)
			lint_revision_alone(s, revs.v[i], &fs);
	}
	lint_filter_findings(s, &revs, &fs);
	findings_move(out, &fs);
	graph_release(&g);
out:
	findings_release(&fs);
	revset_release(&revs);
	return ret;
}

bool lint_settle(const struct lint_settings *s, struct finding *f,
		 bool (*silenced)(void *arg, const char *rule), void *arg)
{
	int idx = lint_rule_index(f->rule);
	/* a module may report one rule at several severities: keep its choice
	 * unless revgate.ini changed the rule's severity */
	if (idx >= 0 && s->severity[idx] != lint_rule_at((size_t)idx)->severity)
		f->severity = s->severity[idx];
	if (f->severity == SEV_OFF)
		return false;
	bool meta = !strcmp(f->rule, "unused-ignore") || !strcmp(f->rule, "unknown-rule");
	return meta || !silenced || !silenced(arg, f->rule);
}

static bool header_ignores(void *arg, const char *rule)
{
	return arg && revision_ignores(arg, rule);
}

void lint_filter_findings(const struct lint_settings *s, const struct revset *revs,
			  struct findings *fs)
{
	/* a map from path to revision: histories have thousands of files */
	struct strmap by_path = STRMAP_INIT;
	for (size_t i = 0; revs && i < revs->n; i++)
		if (revs->v[i]->ignore_rules.n)
			strmap_put(&by_path, revs->v[i]->path, i);
	size_t w = 0;
	for (size_t i = 0; i < fs->n; i++) {
		struct finding *f = &fs->v[i];
		size_t at;
		struct revision *rev =
		    revs && f->file && strmap_get(&by_path, f->file, &at) ? revs->v[at] : NULL;
		if (!lint_settle(s, f, header_ignores, rev)) {
			free(f->rule);
			free(f->file);
			free(f->message);
			free(f->hint);
			free(f->excerpt);
			continue;
		}
		fs->v[w++] = *f;
	}
	fs->n = w;
	strmap_release(&by_path);
}
