/*
 * The engine behind lint.h, for the driver (lint.c) and tests: one engine
 * per settings (rules indexed by node kind), run on one revision at a time
 * with a catalog the caller owns and keeps across revisions.
 */
#ifndef REVGATE_LINT_ENGINE_H
#define REVGATE_LINT_ENGINE_H

#include "catalog/catalog.h"
#include "core/finding.h"

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
/* Replays `rev`'s upgrade into `cat` without linting. */
void lint_engine_replay(const struct revision *rev, struct catalog *cat, unsigned origin);

#endif
