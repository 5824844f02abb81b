/*
 * Once a transaction holds an ACCESS EXCLUSIVE lock on a busy table, every
 * later statement of that transaction extends the time nobody can read it.
 */
#include "lint/facts.h"
#include "lint/util.h"

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const struct lint_facts *f = ctx->facts;
	if (node != ctx->stmt || !ctx->in_transaction || !f->ax_held || f->ax_costly_after ||
	    facts_cheap_under_lock(ctx, f->ax_table))
		return;
	struct finding *fd = lint_report(ctx, ctx->stmt_start,
					 "this runs while the transaction still holds the ACCESS "
					 "EXCLUSIVE lock on '%s' taken on line %u: every query of "
					 "'%s' waits for it too",
					 f->ax_table, lint_line_of(ctx, f->ax_offset), f->ax_table);
	finding_set_hint(fd, "move the statement that takes the lock into its own revision (or "
			     "last in this one), so the lock is held for as short as possible");
}

const struct lint_rule rule_statements_after_access_exclusive = {
    .id = "statements-after-access-exclusive",
    .summary = "work done in a transaction after it took an ACCESS EXCLUSIVE lock",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, PG_QUERY__NODE__NODE_INDEX_STMT,
			PG_QUERY__NODE__NODE_UPDATE_STMT, PG_QUERY__NODE__NODE_DELETE_STMT,
			PG_QUERY__NODE__NODE_INSERT_STMT, PG_QUERY__NODE__NODE_SELECT_STMT,
			PG_QUERY__NODE__NODE_CREATE_STMT, PG_QUERY__NODE__NODE_DROP_STMT,
			PG_QUERY__NODE__NODE_RENAME_STMT, PG_QUERY__NODE__NODE_TRUNCATE_STMT,
			PG_QUERY__NODE__NODE_DO_STMT, PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT,
			PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, PG_QUERY__NODE__NODE_LOCK_STMT,
			PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, PG_QUERY__NODE__NODE_CREATE_POLICY_STMT,
			PG_QUERY__NODE__NODE_VACUUM_STMT, PG_QUERY__NODE__NODE_CLUSTER_STMT,
			PG_QUERY__NODE__NODE_REINDEX_STMT, PG_QUERY__NODE__NODE_COPY_STMT,
			PG_QUERY__NODE__NODE_CALL_STMT),
    .check = check,
};
