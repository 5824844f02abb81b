/*
 * The PCRE2 wrapper: compile a pattern once, match it many times. The only
 * module that includes pcre2.h.
 *
 * Ownership: matcher_compile() returns a matcher the caller frees with
 * matcher_free(). Group values are returned as fresh heap strings.
 */
#ifndef REVGATE_MATCH_MATCH_H
#define REVGATE_MATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>

struct matcher;

/* Compiles `pattern` (UTF-8). `what` names it in the error: "file_name pattern".
 * Errors: ERR_CONFIG with the position of the mistake. */
int matcher_compile(struct matcher **out, const char *pattern, const char *what);
bool matcher_match(const struct matcher *m, const char *subject);
/* Matches and, on success, copies the named group (NULL if it did not take part). */
bool matcher_match_group(const struct matcher *m, const char *subject, const char *group,
			 char **value);
const char *matcher_pattern(const struct matcher *m);
void matcher_free(struct matcher *m);

#endif
