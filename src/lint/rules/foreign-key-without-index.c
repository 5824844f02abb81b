/*
 * A foreign key whose referencing columns have no index makes every DELETE
 * or key UPDATE on the referenced table scan the referencing one.
 */
#include "lint/facts.h"
#include "lint/util.h"
#include "revision/revision.h"

#include <stdlib.h>

static void check_fk(struct lint_ctx *ctx, const PgQuery__RangeVar *rv,
		     const PgQuery__Constraint *k, const char *column, size_t at)
{
	struct strlist cols = STRLIST_INIT;
	for (size_t i = 0; i < k->n_fk_attrs; i++)
		if (lu_str(k->fk_attrs[i]))
			strlist_push(&cols, lu_str(k->fk_attrs[i]));
	if (!cols.n && column)
		strlist_push(&cols, column);
	const struct cat_table *t = catalog_table_rv(ctx->cat, rv);
	if (cols.n && !catalog_has_index_on(ctx->cat, t, &cols)) {
		char *rel = lu_rel(rv);
		char *list = strlist_join(&cols, ", ");
		struct finding *f =
		    lint_report(ctx, at,
				"no index on '%s' (%s) for this foreign key: deleting "
				"from '%s' scans '%s'",
				rel, list, k->pktable ? k->pktable->relname : "?", rel);
		finding_set_hint(f, "CREATE INDEX CONCURRENTLY IF NOT EXISTS %s_%s_idx ON %s (%s);",
				 rv->relname, cols.v[0], rel, list);
		free(list);
		free(rel);
	}
	strlist_release(&cols);
}

/* Judged against the catalog before the statement: the index should exist
 * before the key does, so cascades are indexed from the first moment. */
static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	const struct cat_table *t = lu_alter_table(ctx, as);
	if (!t || t->stub || lint_table_is_new(ctx, t))
		return; /* unknown: its indexes are unknown too; new: judged in finish() */
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
		    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			check_fk(ctx, as->relation, cmd->def->constraint, NULL,
				 lint_clause(ctx, cmd));
	}
}

/*
 * Tables this revision created: their foreign keys are judged once the
 * whole upgrade ran, so an index created after the table counts. Only the
 * tables the revision created are looked at: a long history stays linear.
 */
static void finish(struct lint_ctx *ctx)
{
	if (ctx->section != LINT_UPGRADE)
		return;
	/* a plain file's catalog holds only its own tables; a revision's
	 * are in facts->rev */
	bool plain = ctx->rev->plain_sql;
	const struct catalog *rev = plain ? ctx->cat : &ctx->facts->rev;
	for (size_t i = 0; i < rev->ntables; i++) {
		const struct cat_table *o = rev->tables[i];
		if (o->dropped || o->origin != (plain ? ctx->origin : LINT_REV_UP))
			continue;
		const struct cat_table *t = catalog_table(ctx->cat, o->name);
		if (!t || t->origin != ctx->origin)
			continue;
		for (size_t k = 0; k < t->ncons; k++) {
			const struct cat_constraint *c = &t->cons[k];
			if (c->kind != CAT_CON_FOREIGN || !c->columns.n ||
			    catalog_has_index_on(ctx->cat, t, &c->columns))
				continue;
			char *list = strlist_join(&c->columns, ", ");
			const char *ref = c->ref_table ? c->ref_table : "?";
			struct finding *f =
			    lint_report(ctx, c->offset ? c->offset : o->offset,
					"no index on '%s' (%s) for its foreign key to "
					"'%s': deleting from '%s' scans '%s'",
					t->name, list, ref, ref, t->name);
			finding_set_hint(f, "CREATE INDEX %s_%s_idx ON %s (%s);", t->name,
					 c->columns.v[0], t->name, list);
			free(list);
		}
	}
}

const struct lint_rule rule_foreign_key_without_index = {
    .id = "foreign-key-without-index",
    .summary = "a foreign key whose referencing columns have no index",
    .severity = SEV_WARNING,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
    .finish = finish,
};
