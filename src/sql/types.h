/*
 * What revgate knows about types and functions without a server: column
 * types canonicalised from the parse tree (int -> int4, varchar(50) ->
 * varchar {50}), which type changes PostgreSQL makes without rewriting the
 * table, and which built-in functions are volatile (a column default that
 * calls one is computed row by row).
 *
 * Ownership: a sql_type owns its name (sql_type_release). Strings returned
 * as `char *` are fresh; `const char *` ones are static or borrowed from
 * the tree.
 */
#ifndef REVGATE_SQL_TYPES_H
#define REVGATE_SQL_TYPES_H

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stdint.h>

struct sql_type {
	char *name;	 /* canonical: int4, int8, varchar, text, timestamptz, ... */
	int32_t mods[2]; /* type modifiers, e.g. varchar(50) -> {50}; numeric(10,2) -> {10,2} */
	unsigned nmods;
	unsigned array_dims;
};

/* A type from a parse tree, canonicalised (fills a caller-owned sql_type). */
void sql_type_from(struct sql_type *out, const PgQuery__TypeName *tn);
void sql_type_copy(struct sql_type *dst, const struct sql_type *src);
void sql_type_release(struct sql_type *t);
/* As users write it: "varchar(50)", "bigint", "numeric(10,2)[]" (fresh string). */
char *sql_type_str(const struct sql_type *t);
/* Whether a type name is serial, bigserial or smallserial (any spelling). */
bool sql_type_is_serial(const PgQuery__TypeName *tn);

/* What changing a column from `from` to `to` costs. */
enum sql_type_change {
	SQL_CHANGE_FREE,	  /* catalog only */
	SQL_CHANGE_INDEX_REBUILD, /* the table stays, indexes on the column are rebuilt */
	SQL_CHANGE_REWRITE,	  /* the table and its indexes are rewritten */
};
/* `utc`: the session time zone is UTC, which makes timestamp <->
 * timestamptz binary coercible (PostgreSQL 12+). */
enum sql_type_change sql_type_change_cost(const struct sql_type *from, const struct sql_type *to,
					  bool utc);

/*
 * Whether evaluating `expr` may call a volatile function (so a column
 * default must be computed row by row and the table rewritten). `*why`
 * names the function. Calls to functions revgate does not know are treated
 * as volatile, with `*unknown` set.
 */
bool sql_expr_volatile(const PgQuery__Node *expr, const char **why, bool *unknown);

#endif
