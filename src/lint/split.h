/*
 * The statements of a section, as the linter needs them: libpg_query's
 * scanner-based splitter, run in chunks on large sections so its memory
 * stays bounded, plus the text it silently drops, so a statement it could
 * not make sense of still reaches the parser and is reported where it is.
 */
#ifndef REVGATE_LINT_SPLIT_H
#define REVGATE_LINT_SPLIT_H

#include "sql/sql.h"

/*
 * Splits t[start, end) into `out` (caller-owned; file offsets). Returns 0,
 * or ERR_CHECK with `err` when the section cannot be scanned to its end (an
 * unterminated quote or comment); `out` then holds the statements before
 * the unterminated token. Text between statements that does not even scan
 * is skipped, with the first such error in `gap_err` (its message stays
 * NULL otherwise).
 */
int lint_split(const char *t, size_t start, size_t end, struct sql_script *out,
	       struct sql_error *err, struct sql_error *gap_err);

#endif
