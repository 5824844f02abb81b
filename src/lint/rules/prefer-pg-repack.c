/*
 * VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock.
 * Before PostgreSQL 19 (which has REPACK: see prefer-repack), the pg_repack
 * tool rebuilds a table online, outside the migration.
 */
#include "lint/lint.h"
#include "lint/util.h"

#include <stdlib.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__RangeVar *rv;
	const char *what = lu_repack_candidate(node, &rv);
	if (!what || ctx->settings->pg_version >= 19)
		return;
	char *rel = rv ? lu_rel(rv) : NULL;
	struct finding *f =
	    lint_report(ctx, ctx->stmt_start, "%s rewrites %s%s%s under an %s lock", what,
			rel ? "'" : "every table", rel ? rel : "", rel ? "'" : "",
			lu_lock_name(ctx, rv, SIZE_MAX, LOCK_ACCESS_EXCLUSIVE));
	finding_set_hint(f,
			 "run pg_repack%s%s outside the migration: it rebuilds the table "
			 "online",
			 rel ? " --table " : "", rel ? rel : "");
	free(rel);
}

const struct lint_rule rule_prefer_pg_repack = {
    .id = "prefer-pg-repack",
    .summary = "VACUUM FULL and CLUSTER lock the table: use pg_repack (before PostgreSQL 19)",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_VACUUM_STMT, PG_QUERY__NODE__NODE_CLUSTER_STMT),
    .forms = LINT_FORMS(LF_VACUUM_FULL, LF_CLUSTER),
    .check = check,
};
