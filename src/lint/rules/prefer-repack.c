/* VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock. */
#include "lint/util.h"

#include <stdlib.h>
#include <string.h>

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const char *what = NULL;
	char *rel = NULL;
	if (node->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT) {
		what = "CLUSTER";
		if (node->cluster_stmt->relation)
			rel = lu_rel(node->cluster_stmt->relation);
	} else {
		const PgQuery__VacuumStmt *v = node->vacuum_stmt;
		for (size_t i = 0; i < v->n_options; i++)
			if (v->options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
			    !strcmp(v->options[i]->def_elem->defname, "full"))
				what = "VACUUM FULL";
		if (v->n_rels && v->rels[0]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
		    v->rels[0]->vacuum_relation->relation)
			rel = lu_rel(v->rels[0]->vacuum_relation->relation);
	}
	if (!what) {
		free(rel);
		return;
	}
	struct finding *f =
	    lint_report(ctx, ctx->stmt_start, "%s rewrites %s%s%s under an ACCESS EXCLUSIVE lock",
			what, rel ? "'" : "every table", rel ? rel : "", rel ? "'" : "");
	finding_set_hint(f,
			 "run pg_repack%s%s outside the migration: it rebuilds the table "
			 "online",
			 rel ? " --table " : "", rel ? rel : "");
	free(rel);
}

const struct lint_rule rule_prefer_repack = {
    .id = "prefer-repack",
    .summary = "VACUUM FULL and CLUSTER lock the table: use pg_repack",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_VACUUM_STMT, PG_QUERY__NODE__NODE_CLUSTER_STMT),
    .check = check,
};
