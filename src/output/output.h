/*
 * Printers of findings: one interface (begin, finding, summary, end) with
 * one implementation per format. Checks never print; the CLI sorts the
 * findings and hands them to a printer.
 *
 * Ownership: a printer borrows its FILE and the findings it is given; its
 * private state is freed by the end call.
 */
#ifndef REVGATE_OUTPUT_OUTPUT_H
#define REVGATE_OUTPUT_OUTPUT_H

#include "core/finding.h"

#include <stdbool.h>
#include <stdio.h>

struct printer;

struct printer_ops {
	const char *name;
	void (*begin)(struct printer *p);
	void (*finding)(struct printer *p, const struct finding *f);
	void (*summary)(struct printer *p, const struct findings *all);
	void (*end)(struct printer *p);
};

struct printer {
	const struct printer_ops *ops;
	FILE *fp;
	bool color;
	const char *tool_version;
	/* What was checked ("12 revisions checked"): the text summary then
	 * leads with it and is printed even when there is no finding, so a
	 * clean run says what it judged. NULL: counts only, after findings. */
	const char *checked;
	void *state;
};

/* The formats findings can be printed in: text, json, github, and those
 * registered below. ERR_USAGE for an unknown name. */
int printer_open(struct printer *p, const char *format, FILE *fp, bool color);
/* begin, every finding in order, summary, end. */
void printer_print(struct printer *p, const struct findings *fs);

/* Implementations, one per file. */
extern const struct printer_ops printer_text;
extern const struct printer_ops printer_json;
extern const struct printer_ops printer_github;
extern const struct printer_ops printer_sarif;

#endif
