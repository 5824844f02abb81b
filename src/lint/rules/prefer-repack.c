/*
 * squawk's prefer-repack: PostgreSQL 19 has REPACK (CONCURRENTLY), which
 * rewrites a table without blocking reads and writes, so VACUUM FULL and
 * CLUSTER, which rewrite it under an ACCESS EXCLUSIVE lock, should give
 * way to it. Before 19, prefer-pg-repack gives the advice that fits.
 */
#include "lint/lint.h"
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__RangeVar *rv;
	const char *what = lu_repack_candidate(node, &rv);
	if (!what || ctx->settings->pg_version < 19)
		return;
	char *rel = rv ? lu_rel(rv) : NULL;
	struct finding *f = lint_report(
	    ctx, ctx->stmt_start, "%s rewrites %s%s%s under an %s lock, blocking reads and writes",
	    what, rel ? "'" : "every table", rel ? rel : "", rel ? "'" : "",
	    lu_lock_name(ctx, rv, SIZE_MAX, LOCK_ACCESS_EXCLUSIVE));
	finding_set_hint(f, "REPACK (CONCURRENTLY)%s%s; rewrites it without blocking reads and writes",
			 rel ? " " : "", rel ? rel : "");
	free(rel);
}

const struct lint_rule rule_prefer_repack = {
    .id = "prefer-repack",
    .summary = "VACUUM FULL and CLUSTER on PostgreSQL 19+: use REPACK (CONCURRENTLY)",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_VACUUM_STMT, PG_QUERY__NODE__NODE_CLUSTER_STMT),
    .forms = LINT_FORMS(LF_VACUUM_FULL, LF_CLUSTER),
    .check = check,
};
