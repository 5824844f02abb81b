/*
 * The engine behind lint.h, for the driver (lint.c) and tests: one engine
 * per settings (rules indexed by node kind), run on one revision at a time
 * with a catalog the caller owns and keeps across revisions.
 */
#ifndef REVGATE_LINT_ENGINE_H
#define REVGATE_LINT_ENGINE_H

#include "catalog/catalog.h"
#include "core/finding.h"

#include <stdbool.h>

struct lint_engine;
struct lint_settings;
struct revision;

/* Borrows `s`, which must outlive the engine. An engine is used by one
 * thread at a time (it caches what it learns about tree shapes). */
struct lint_engine *lint_engine_new(const struct lint_settings *s);
void lint_engine_free(struct lint_engine *e);
/* Lints `rev`, whose objects get catalog origin `origin` (never 0), and
 * replays its upgrade into `cat`. Findings are appended to `out`. */
void lint_engine_run(struct lint_engine *e, const struct revision *rev, struct catalog *cat,
		     unsigned origin, struct findings *out);
/*
 * Parsing ahead: lint_prepare() splits and parses a revision (the costly
 * part) and touches nothing shared, so it may run on another thread while
 * the engine lints earlier revisions; lint_engine_run_prepared() then lints
 * it exactly as lint_engine_run() would. `light_ok` must be
 * lint_engine_light_ok() of the engine that will use it. The prepared
 * revision holds every tree of the file: for very large files, let
 * lint_engine_run() parse statement by statement instead.
 */
struct lint_prepared;
struct lint_prepared *lint_prepare(const struct revision *rev, bool light_ok);
void lint_prepared_free(struct lint_prepared *p);
bool lint_engine_light_ok(const struct lint_engine *e);
void lint_engine_run_prepared(struct lint_engine *e, const struct revision *rev,
			      const struct lint_prepared *prep, struct catalog *cat,
			      unsigned origin, struct findings *out);

/* Replays `rev`'s upgrade into `cat` without linting. */
void lint_engine_replay(const struct revision *rev, struct catalog *cat, unsigned origin);

#endif
