/*
 * A trace report (trace/trace.h) in the formats `revgate trace` prints:
 * text (per statement: the SQL line, what it took with what each lock
 * blocks, rewrites, catalog effects, lint's prediction), json (README,
 * "Trace"), github (workflow annotations for the findings, a notice per
 * revision) and markdown (a pull-request comment).
 *
 * Ownership: borrows the report and the FILE.
 */
#ifndef REVGATE_OUTPUT_TRACE_H
#define REVGATE_OUTPUT_TRACE_H

#include "trace/trace.h"

#include <stdbool.h>
#include <stdio.h>

/* Prints `r` as `format` (text, json, github, markdown). ERR_USAGE for
 * another format. */
int trace_print(FILE *fp, const char *format, const struct trace_report *r, bool color);

#endif
