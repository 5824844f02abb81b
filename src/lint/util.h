/*
 * Small readers of libpg_query parse trees shared by the rules: names,
 * types and the parts of ALTER TABLE. What a statement does to which
 * objects, and which locks it takes, is sql/ddl's (ctx->ddl).
 *
 * Ownership: returned `const char *` point into the tree (borrowed);
 * functions returning `char *` hand over a fresh string.
 */
#ifndef REVGATE_LINT_UTIL_H
#define REVGATE_LINT_UTIL_H

#include "core/xalloc.h"
#include "lint/rule.h"

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>

/* A String node's value, else NULL. */
const char *lu_str(const PgQuery__Node *n);
/* The last name of a qualified name list (["public","f"] -> "f"). */
const char *lu_last_name(PgQuery__Node *const *names, size_t n);
/* A type's last name as written by the parser (int4, varchar, serial, ...). */
const char *lu_type_name(const PgQuery__TypeName *tn);
/* "schema.name" or "name" of a relation, for messages (fresh string). */
char *lu_rel(const PgQuery__RangeVar *rv);
/* A DropStmt object's display name (fresh string), or NULL. */
char *lu_object_name(const PgQuery__Node *obj);

/* The ALTER TABLE statement's subcommands (borrowed), for iteration.
 * `cmd` names the loop variable, so it cannot be parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define LU_FOREACH_CMD(as, cmd)                                                                    \
	for (size_t lu_i_ = 0; lu_i_ < (as)->n_cmds; lu_i_++)                                      \
		for (const PgQuery__AlterTableCmd *cmd =                                           \
			 (as)->cmds[lu_i_]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD      \
			     ? (as)->cmds[lu_i_]->alter_table_cmd                                  \
			     : NULL;                                                               \
		     cmd; cmd = NULL)
/* NOLINTEND(bugprone-macro-parentheses) */

/* The table an ALTER TABLE statement changes, from the catalog (NULL: unknown). */
const struct cat_table *lu_alter_table(const struct lint_ctx *ctx,
				       const PgQuery__AlterTableStmt *as);
/* Whether an existing (not created by this revision) table is changed: true
 * also when the catalog does not know the table. */
bool lu_existing_table(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv);
/* Whether the statement carries a '-- revgate: batch' marker, so that it
 * runs in batches that each commit (a malformed marker is the applier's to
 * report, and counts as none here). */
bool lu_batched(const struct lint_ctx *ctx);
/* The constraint of a column definition of the given type, or NULL. */
const PgQuery__Constraint *lu_col_constraint(const PgQuery__ColumnDef *cd, PgQuery__ConstrType t);
/* The constraint of kind `t` an ALTER TABLE command adds, through ADD
 * CONSTRAINT or on a column of ADD COLUMN, or NULL. */
const PgQuery__Constraint *lu_added_constraint(const PgQuery__AlterTableCmd *cmd,
					       PgQuery__ConstrType t);
/* A ColumnDef's DEFAULT expression (from raw_default or a DEFAULT constraint). */
const PgQuery__Node *lu_col_default(const PgQuery__ColumnDef *cd);
/* The name of the lock the current statement's clause at `at` takes on `rv`
 * ("ACCESS EXCLUSIVE", from the lock table), or of `dflt` when it takes none. */
const char *lu_lock_name(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv, size_t at,
			 enum lock_mode dflt);
/* "VACUUM FULL" or "CLUSTER" when a VACUUM or CLUSTER statement rewrites
 * tables, else NULL; `*rel` gets the one it names (NULL: every table). */
const char *lu_repack_candidate(const PgQuery__Node *node, const PgQuery__RangeVar **rel);
/* Whether a column definition belongs to a table (not to CREATE TYPE ... AS). */
bool lu_table_column(const struct lint_ctx *ctx);
/* Quote an identifier if it needs it, for SQL in hints (fresh string). */
char *lu_ident(const char *name);

#endif
