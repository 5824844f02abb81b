/*
 * Findings: what every check produces and every printer consumes. A check
 * never prints; it adds findings to a list, and the CLI hands the sorted list
 * to an output format.
 *
 * Ownership: a findings list owns every finding and each finding owns all
 * its strings. Functions that take `const char *` copy.
 */
#ifndef REVGATE_CORE_FINDING_H
#define REVGATE_CORE_FINDING_H

#include <stdbool.h>
#include <stddef.h>

enum severity {
	SEV_OFF = 0, /* only in configuration: the rule is disabled */
	SEV_INFO = 1,
	SEV_WARNING = 2,
	SEV_ERROR = 3,
};

const char *severity_name(enum severity s);
/* "error"|"warning"|"info"|"off" → 0, or ERR_CONFIG. */
int severity_parse(const char *s, enum severity *out);

struct finding {
	char *rule;
	enum severity severity;
	char *file;     /* as shown to the user; may be NULL for repository-wide findings */
	unsigned line;  /* 1-based; 0 when the finding is about the whole file */
	unsigned column;
	unsigned end_line, end_column; /* 0 when unknown */
	char *message;
	char *hint;     /* may be NULL */
	char *excerpt;  /* the source line, for a caret; may be NULL */
};

struct findings {
	struct finding *v;
	size_t n, alloc;
};
#define FINDINGS_INIT {NULL, 0, 0}

/*
 * Adds a finding and returns it (borrowed, valid until the next add) so the
 * caller can set optional fields with finding_set_*.
 */
struct finding *findings_add(struct findings *fs, const char *rule, enum severity sev,
			     const char *file, unsigned line, unsigned column, const char *fmt,
			     ...) __attribute__((format(printf, 7, 8)));
/* Positions from a byte offset in `text`; sets the excerpt line too. */
struct finding *findings_add_at(struct findings *fs, const char *rule, enum severity sev,
				const char *file, const char *text, size_t len, size_t offset,
				const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* Adds a copy of `f` (every field, positions and end positions included)
 * and returns it, borrowed as findings_add's. */
struct finding *findings_add_copy(struct findings *fs, const struct finding *f);
void finding_set_hint(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_set_excerpt(struct finding *f, const char *line, size_t len);
/* Moves all findings of `src` to the end of `dst`, leaving `src` empty. */
void findings_move(struct findings *dst, struct findings *src);
/* Sorts by file, line, column, rule id: output never depends on check order. */
void findings_sort(struct findings *fs);
size_t findings_count(const struct findings *fs, enum severity sev);
enum severity findings_max_severity(const struct findings *fs);
void findings_release(struct findings *fs);

#endif
