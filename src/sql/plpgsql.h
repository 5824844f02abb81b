/*
 * PL/pgSQL bodies (DO blocks and LANGUAGE plpgsql functions): compiled
 * with libpg_query's PL/pgSQL parser, which reports syntax errors and the
 * SQL statements the body runs, so they can be linted like the rest of the
 * migration, at their own line. libpg_query gives the PL/pgSQL tree only as
 * JSON; it is read here, and nowhere else, with a reader for that output.
 *
 * Ownership: a sql_inner_list owns its array and the texts in it.
 */
#ifndef REVGATE_SQL_PLPGSQL_H
#define REVGATE_SQL_PLPGSQL_H

#include "sql/sql.h"

/* One SQL statement a PL/pgSQL body runs. */
struct sql_inner {
	size_t start, len; /* where it is in the file (text == NULL), or where to report it */
	char *text;	   /* its SQL when it is not written verbatim in the file (an
			    * EXECUTE of a string with doubled quotes), else NULL */
	bool dynamic;	   /* from EXECUTE of a constant string */
};

struct sql_inner_list {
	struct sql_inner *v;
	size_t n, alloc;
};
#define SQL_INNER_LIST_INIT {NULL, 0, 0}
void sql_inner_list_release(struct sql_inner_list *l);

/*
 * Compiles the PL/pgSQL body of `st`, a DO block or a CREATE FUNCTION /
 * PROCEDURE ... LANGUAGE plpgsql parsed from `text` (node locations are
 * relative to `base`; the statement is text[start, start+len)). Returns 0
 * and, when `out` is not NULL, the SQL statements the body runs, in order:
 * each statement of the body, and each EXECUTE of a constant string; or
 * ERR_CHECK with `err` at the error in the file. Anything else (another
 * language, another statement) is 0 with nothing added.
 */
int sql_plpgsql_statements(const PgQuery__Node *st, const char *text, size_t base, size_t start,
			   size_t len, struct sql_inner_list *out, struct sql_error *err);

/*
 * Parses text[start, start+len) and checks the PL/pgSQL body of its DO
 * block or function (a convenience for callers without a tree). 0, or
 * ERR_CHECK with `err` at the position inside the file.
 */
int sql_check_plpgsql(const char *text, size_t start, size_t len, struct sql_error *err);

#endif
