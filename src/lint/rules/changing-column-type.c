/*
 * ALTER COLUMN TYPE rewrites the table and its indexes under an ACCESS
 * EXCLUSIVE lock, except for binary-coercible changes that only relax a
 * limit: varchar(n) -> varchar(m >= n) or text, numeric(p,s) ->
 * numeric(q >= p, s) or numeric, varbit(n) -> larger, cidr -> inet. The old
 * type comes from the catalog replayed from earlier revisions.
 */
#include "lint/util.h"

#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* Whether old -> new needs no rewrite. */
static bool safe_change(const struct cat_type *o, const struct cat_type *n, bool *index_rebuild)
{
	*index_rebuild = false;
	if (o->array_dims != n->array_dims)
		return false;
	if (is(o->name, n->name)) {
		if (is(o->name, "varchar") || is(o->name, "varbit"))
			return n->nmods == 0 || (o->nmods == 1 && n->mods[0] >= o->mods[0]);
		if (is(o->name, "numeric"))
			return n->nmods == 0 ||
			       (o->nmods == 2 && n->nmods == 2 && n->mods[1] == o->mods[1] &&
				n->mods[0] >= o->mods[0]) ||
			       (o->nmods == 1 && n->nmods == 1 && n->mods[0] >= o->mods[0]);
		if (is(o->name, "bpchar") || is(o->name, "timestamp") ||
		    is(o->name, "timestamptz") || is(o->name, "time") || is(o->name, "interval"))
			return o->nmods == n->nmods && (!o->nmods || o->mods[0] <= n->mods[0]);
		return o->nmods == n->nmods &&
		       (!o->nmods || (o->mods[0] == n->mods[0] && o->mods[1] == n->mods[1]));
	}
	if (is(o->name, "varchar") && is(n->name, "text"))
		return true;
	if (is(o->name, "text") && is(n->name, "varchar") && n->nmods == 0)
		return true;
	if (is(o->name, "cidr") && is(n->name, "inet")) {
		*index_rebuild = true;
		return true;
	}
	return false;
}

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	if (!lu_existing_table(ctx, as->relation))
		return;
	const struct cat_table *t = lu_alter_table(ctx, as);
	LU_FOREACH_CMD(as, cmd)
	{
		if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType || !cmd->def ||
		    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF || !cmd->name)
			continue;
		const PgQuery__ColumnDef *cd = cmd->def->column_def;
		const struct cat_column *col = catalog_column(t, cmd->name);
		if (col && col->origin == ctx->origin)
			continue;
		struct cat_type nt;
		cat_type_from(&nt, cd->type_name);
		char *new_s = cat_type_str(&nt);
		char *rel = lu_rel(as->relation);
		bool rebuild;
		if (col && !cd->raw_default && safe_change(&col->type, &nt, &rebuild)) {
			/* a relaxed limit: a catalog-only change */
		} else if (col) {
			char *old_s = cat_type_str(&col->type);
			struct finding *f = lint_report(
			    ctx, ctx->stmt_start,
			    "changing '%s.%s' from %s to %s rewrites the table and its indexes "
			    "under an ACCESS EXCLUSIVE lock",
			    rel, cmd->name, old_s, new_s);
			finding_set_hint(
			    f,
			    "add a new column %s_new %s, fill it in batches and keep it "
			    "in sync with a trigger, then swap the columns in a later "
			    "revision",
			    cmd->name, new_s);
			free(old_s);
		} else {
			struct finding *f = lint_report(
			    ctx, ctx->stmt_start,
			    "changing the type of '%s.%s' to %s rewrites the table unless the "
			    "change only relaxes a limit (the old type is not known from the "
			    "history)",
			    rel, cmd->name, new_s);
			finding_set_hint(
			    f,
			    "safe without a rewrite: varchar(n) to a longer varchar or "
			    "text, numeric(p,s) to a larger precision; otherwise add a "
			    "new column %s_new %s, backfill it, then swap",
			    cmd->name, new_s);
		}
		free(rel);
		free(new_s);
		cat_type_release(&nt);
	}
}

const struct lint_rule rule_changing_column_type = {
    .id = "changing-column-type",
    .summary = "a column type change that rewrites the table",
    .severity = SEV_ERROR,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_ALTER_TABLE_STMT),
    .check = check,
};
