/*
 * The SQL linter: lints revisions (split statement by statement, parsed
 * with libpg_query, each tree walked once and its nodes dispatched to the
 * rules that subscribed to them), replaying the upgrade DDL of every earlier
 * revision into an in-memory catalog so rules judge a statement by the
 * schema it changes.
 *
 * Public API (used by `revgate lint`, the git guard and the applier):
 *
 *   struct lint_settings s;
 *   lint_settings_init(&s);                       defaults: pg 15, rule severities
 *   lint_settings_from_config(&s, &app->cfg);     [lint] and [rules] of revgate.ini
 *   lint_revisions(&s, &graph, nodes, n, &fs);    lint these graph nodes
 *   lint_revision_alone(&s, rev, &fs);            a file the graph cannot place
 *   lint_files(&s, paths, n, ...);                plain SQL files, streamed, in parallel
 *   lint_filter_findings(&s, &revs, &fs);         overrides + header ignores on
 *                                                 findings made elsewhere (graph, git)
 *   lint_settings_release(&s);
 *
 * The registry (every rule id revgate can report, including the graph and
 * git families that other modules produce) is in lint/registry.h.
 *
 * Findings: syntax errors and rule violations are findings, never errors;
 * functions here fail only on bad settings (ERR_CONFIG). Findings are
 * appended unsorted: call findings_sort() before printing.
 *
 * Ownership: settings own their compiled patterns; findings are appended
 * to the caller's list; the graph and revisions are borrowed.
 */
#ifndef REVGATE_LINT_LINT_H
#define REVGATE_LINT_LINT_H

#include "core/finding.h"

#include <stdbool.h>
#include <stddef.h>

struct config;
struct graph;
struct matcher;
struct revision;
struct revset;

#define LINT_MAX_RULES 160
#define LINT_PG_MIN 11
#define LINT_PG_MAX 19

struct lint_settings {
	int pg_version;				/* 11..19, default 15 */
	enum severity severity[LINT_MAX_RULES]; /* by registry index; SEV_OFF disables */
	struct matcher *index_name;		/* NULL: no naming rule */
	struct matcher *constraint_name;
	unsigned threads; /* parser threads; 0: one per core */
	/* plain SQL files run inside a transaction their tool opens (squawk's
	 * --assume-in-transaction); otherwise only their own BEGIN opens one */
	bool assume_in_transaction;
	char *cache_dir;  /* catalog snapshots of long histories; NULL: none (owned) */
	/* revgate's own tables ([database] version_table, history_table;
	 * borrowed from the config, or static defaults) */
	const char *version_table, *history_table;
};

void lint_settings_init(struct lint_settings *s);
/* Reads [lint] pg_version, index_name_pattern, constraint_name_pattern and
 * [rules] id = off|info|warning|error. An unknown rule id, severity or
 * version is ERR_CONFIG. */
int lint_settings_from_config(struct lint_settings *s, const struct config *cfg);
/* One override; ERR_CONFIG for an unknown rule id or severity. */
int lint_settings_set(struct lint_settings *s, const char *rule, const char *severity);
/* ERR_USAGE unless 11 <= v <= 19. */
int lint_settings_set_pg_version(struct lint_settings *s, const char *v);
void lint_settings_release(struct lint_settings *s);
/* The effective severity of `rule` (its default for an unknown id). */
enum severity lint_severity(const struct lint_settings *s, const char *rule);

/*
 * Lints graph nodes `nodes[0..n)` (indices into g->nodes). The catalog is
 * replayed from every ancestor of those nodes (upgrade sections, in graph
 * order, oldest first), then each node is linted in that order with the
 * schema its parents leave. With s->cache_dir, the schema left by a long
 * run of ancestors (the pre-commit case: one new revision on a long
 * history) is kept as a snapshot named by the content hashes of those
 * revisions, and read back instead of replayed. Never fails (an unusable
 * cache is ignored); a cyclic graph lints nothing.
 */
int lint_revisions(const struct lint_settings *s, const struct graph *g, const size_t *nodes,
		   size_t n, struct findings *out);
/* Lints one revision (or plain SQL file) on an empty catalog. */
int lint_revision_alone(const struct lint_settings *s, const struct revision *rev,
			struct findings *out);

/*
 * Lints files that are not part of the migrations directory's graph, each
 * on its own (empty catalog): revision files of another directory, or plain
 * SQL files linted whole as an upgrade (squawk-style use). A file is read,
 * linted and freed before the next, on s->threads worker threads (0: one
 * per core). Each file's findings (unsorted) are handed to `emit` as soon as
 * every earlier file is done, in path order and on the calling thread, so
 * memory stays flat in the number of files; `emit` takes them over.
 * Unreadable files are `invalid-file` findings. Never fails.
 */
typedef void (*lint_emit_fn)(void *arg, struct findings *file_findings);
int lint_files(const struct lint_settings *s, char *const *paths, size_t n,
	       const struct matcher *name_pattern, size_t max_file_size, lint_emit_fn emit,
	       void *arg);
/* Whether `text` looks like a revision file (header or section markers). */
bool lint_is_revision_text(const char *text);

/*
 * A directory other than the migrations directory, given on the command
 * line. When its first *.sql file (by name) is a revision file, the
 * directory is a history: every file is read as a revision, the graph is
 * built and checked, and each revision is linted against the schema its
 * ancestors leave, as for the migrations directory; findings go to `out`,
 * settled (lint_settle), *is_history is set and *revisions grows by the
 * number of revisions read. Otherwise nothing is done
 * and the caller lints its files one by one (lint_files). ERR_NOTFOUND or
 * ERR_IO when the directory cannot be read.
 */
struct revision_limits;
int lint_history_dir(const struct lint_settings *s, const char *dir,
		     const struct matcher *name_pattern, const struct revision_limits *limits,
		     struct findings *out, bool *is_history, size_t *revisions);

/*
 * The one place a finding's fate is decided, for every family: a rule
 * whose severity revgate.ini changed gets that severity, others keep the
 * one the reporting module gave them; then it is dropped when its rule is
 * off, or when `silenced(arg, rule)` says a "-- revgate: ignore" comment
 * covers it (never for unused-ignore and unknown-rule, which report the
 * comments themselves). Returns whether the finding stays.
 */
bool lint_settle(const struct lint_settings *s, struct finding *f,
		 bool (*silenced)(void *arg, const char *rule), void *arg);

/*
 * lint_settle() for findings reported outside the engine (graph, git), with
 * the file-wide "-- revgate: ignore" headers of `revs` (may be NULL):
 * dropped findings are removed from `fs`.
 */
void lint_filter_findings(const struct lint_settings *s, const struct revset *revs,
			  struct findings *fs);

#endif
