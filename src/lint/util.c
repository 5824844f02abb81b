/* Readers of parse trees shared by the rules. */
#include "lint/util.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "sql/batch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *lu_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

const char *lu_last_name(PgQuery__Node *const *names, size_t n)
{
	return n ? lu_str(names[n - 1]) : NULL;
}

const char *lu_type_name(const PgQuery__TypeName *tn)
{
	const char *s = tn ? lu_last_name(tn->names, tn->n_names) : NULL;
	return s ? s : "";
}

char *lu_rel(const PgQuery__RangeVar *rv)
{
	if (!rv)
		return xstrdup("?");
	if (rv->schemaname && *rv->schemaname)
		return xstrfmt("%s.%s", rv->schemaname, rv->relname);
	return xstrdup(rv->relname);
}

char *lu_object_name(const PgQuery__Node *obj)
{
	if (!obj)
		return NULL;
	if (obj->node_case == PG_QUERY__NODE__NODE_STRING)
		return xstrdup(obj->string->sval);
	if (obj->node_case == PG_QUERY__NODE__NODE_LIST) {
		const PgQuery__List *l = obj->list;
		if (l->n_items == 1 && lu_str(l->items[0]))
			return xstrdup(lu_str(l->items[0]));
		if (l->n_items == 2 && lu_str(l->items[0]) && lu_str(l->items[1])) {
			if (!strcmp(lu_str(l->items[0]), "public"))
				return xstrdup(lu_str(l->items[1]));
			return xstrfmt("%s.%s", lu_str(l->items[0]), lu_str(l->items[1]));
		}
		if (l->n_items == 3 && lu_str(l->items[2]))
			return xstrdup(lu_str(l->items[2]));
	}
	if (obj->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS) {
		const PgQuery__ObjectWithArgs *o = obj->object_with_args;
		const char *n = lu_last_name(o->objname, o->n_objname);
		return n ? xstrdup(n) : NULL;
	}
	if (obj->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
		const PgQuery__TypeName *tn = obj->type_name;
		if (tn->n_names == 2 && lu_str(tn->names[0]) &&
		    strcmp(lu_str(tn->names[0]), "public"))
			return xstrfmt("%s.%s", lu_str(tn->names[0]), lu_type_name(tn));
		return xstrdup(lu_type_name(tn));
	}
	return NULL;
}

const struct cat_table *lu_alter_table(const struct lint_ctx *ctx,
				       const PgQuery__AlterTableStmt *as)
{
	return catalog_table_rv(ctx->cat, as->relation);
}

bool lu_existing_table(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv)
{
	const struct cat_table *t = catalog_table_rv(ctx->cat, rv);
	return !t || !lint_table_is_new(ctx, t);
}

const PgQuery__Constraint *lu_added_constraint(const PgQuery__AlterTableCmd *cmd,
					       PgQuery__ConstrType t)
{
	const PgQuery__Constraint *k = NULL;
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
	    cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
		k = cmd->def->constraint;
	else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
		 cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
		k = lu_col_constraint(cmd->def->column_def, t);
	return k && k->contype == t ? k : NULL;
}

const PgQuery__Constraint *lu_col_constraint(const PgQuery__ColumnDef *cd, PgQuery__ConstrType t)
{
	for (size_t i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cd->constraints[i]->constraint->contype == t)
			return cd->constraints[i]->constraint;
	return NULL;
}

const PgQuery__Node *lu_col_default(const PgQuery__ColumnDef *cd)
{
	if (cd->raw_default)
		return cd->raw_default;
	const PgQuery__Constraint *k = lu_col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
	return k ? k->raw_expr : NULL;
}

/* "VACUUM FULL" or "CLUSTER" when the statement is one, else NULL. */
const char *lu_repack_candidate(const PgQuery__Node *node, const PgQuery__RangeVar **rel)
{
	*rel = NULL;
	if (node->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT) {
		*rel = node->cluster_stmt->relation;
		return "CLUSTER";
	}
	const PgQuery__VacuumStmt *v = node->vacuum_stmt;
	if (!ddl_vacuum_full(v))
		return NULL;
	if (v->n_rels && v->rels[0]->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION)
		*rel = v->rels[0]->vacuum_relation->relation;
	return "VACUUM FULL";
}

const char *lu_lock_name(const struct lint_ctx *ctx, const PgQuery__RangeVar *rv, size_t at,
			 enum lock_mode dflt)
{
	char *key = ddl_rel_key(rv);
	const struct ddl_lock *l = lint_lock_at(ctx, key, at);
	free(key);
	return lock_mode_name(l ? l->mode : dflt);
}

bool lu_table_column(const struct lint_ctx *ctx)
{
	return !ctx->stmt || ctx->stmt->node_case != PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT;
}

char *lu_ident(const char *name)
{
	bool plain = name && *name && (islower((unsigned char)name[0]) || name[0] == '_');
	for (const char *c = name; plain && *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
			plain = false;
	if (plain)
		return xstrdup(name);
	char *out = xmalloc(2 * strlen(name ? name : "") + 3);
	char *o = out;
	*o++ = '"';
	for (const char *c = name ? name : ""; *c; c++) {
		if (*c == '"')
			*o++ = '"';
		*o++ = *c;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

bool lu_batched(const struct lint_ctx *ctx)
{
	if (ctx->nesting)
		return false;
	struct sql_batch_spec spec;
	int marked = sql_batch_marker(ctx->text, ctx->stmt_start, &spec);
	if (marked < 0)
		err_clear();
	return marked > 0;
}
