/* Readers of parse trees shared by the rules. */
#include "lint/util.h"
#include "core/xalloc.h"

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

/*
 * Built-in functions by volatility. Only volatile calls force a table
 * rewrite when used as a new column's default (PostgreSQL 11+ stores a
 * non-volatile default in the catalog). Functions not listed are unknown
 * and judged volatile, which is the safe side.
 */
static const char *const volatile_funcs[] = {
    "clock_timestamp",
    "gen_random_uuid",
    "nextval",
    "random",
    "random_normal",
    "setseed",
    "setval",
    "timeofday",
    "txid_current",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "pg_current_xact_id",
    "uuidv7",
    "uuid_generate_v7",
    "currval",
    "lastval",
};

static const char *const stable_funcs[] = {
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "current_setting",
    "to_char",
    "to_timestamp",
    "to_date",
    "lower",
    "upper",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "length",
    "concat",
    "concat_ws",
    "md5",
    "abs",
    "round",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "replace",
    "substr",
    "substring",
    "left",
    "right",
    "array_length",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "date_trunc",
    "timezone",
    "uuid_nil",
    "uuid_ns_url",
    "int4",
    "int8",
    "text",
    "numeric",
    "array",
    "current_user",
    "session_user",
    "current_schema",
    "pg_catalog",
    "sqrt",
    "floor",
    "ceil",
    "power",
    "mod",
    "format",
    "repeat",
    "lpad",
    "rpad",
    "age",
    "extract",
    "date_part",
    "string_to_array",
    "array_to_string",
    "regexp_replace",
    "split_part",
    "jsonb_typeof",
    "gen_salt",
    "digest",
    "encode",
    "decode",
    "now",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

struct vol_walk {
	const char *why;
	bool unknown;
	bool found;
};

static void vol_node(const PgQuery__Node *n, struct vol_walk *w, int depth);

static void vol_list(PgQuery__Node *const *v, size_t n, struct vol_walk *w, int depth)
{
	for (size_t i = 0; i < n && !w->found; i++)
		vol_node(v[i], w, depth + 1);
}

static void vol_node(const PgQuery__Node *n, struct vol_walk *w, int depth)
{
	if (!n || w->found || depth > 200)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const PgQuery__FuncCall *fc = n->func_call;
		const char *name = lu_last_name(fc->funcname, fc->n_funcname);
		if (!name)
			name = "?";
		if (in_list(name, volatile_funcs, ARRAY_SIZE(volatile_funcs))) {
			w->why = name;
			w->found = true;
			return;
		}
		if (!in_list(name, stable_funcs, ARRAY_SIZE(stable_funcs))) {
			w->why = name;
			w->unknown = true;
			w->found = true;
			return;
		}
		vol_list(fc->args, fc->n_args, w, depth);
		return;
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		vol_node(n->type_cast->arg, w, depth + 1);
		return;
	case PG_QUERY__NODE__NODE_A_EXPR:
		vol_node(n->a_expr->lexpr, w, depth + 1);
		vol_node(n->a_expr->rexpr, w, depth + 1);
		return;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		vol_list(n->bool_expr->args, n->bool_expr->n_args, w, depth);
		return;
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		vol_list(n->coalesce_expr->args, n->coalesce_expr->n_args, w, depth);
		return;
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		vol_list(n->min_max_expr->args, n->min_max_expr->n_args, w, depth);
		return;
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		vol_list(n->a_array_expr->elements, n->a_array_expr->n_elements, w, depth);
		return;
	case PG_QUERY__NODE__NODE_CASE_EXPR: {
		const PgQuery__CaseExpr *ce = n->case_expr;
		vol_node(ce->arg, w, depth + 1);
		vol_list(ce->args, ce->n_args, w, depth);
		vol_node(ce->defresult, w, depth + 1);
		return;
	}
	case PG_QUERY__NODE__NODE_CASE_WHEN:
		vol_node(n->case_when->expr, w, depth + 1);
		vol_node(n->case_when->result, w, depth + 1);
		return;
	case PG_QUERY__NODE__NODE_SUB_LINK:
		w->why = "a subquery";
		w->unknown = true;
		w->found = true;
		return;
	default:
		/* constants, SQLValueFunction (CURRENT_TIMESTAMP ...), column refs */
		return;
	}
}

bool lu_expr_volatile(const PgQuery__Node *expr, const char **why, bool *unknown)
{
	struct vol_walk w = {NULL, false, false};
	vol_node(expr, &w, 0);
	*why = w.why;
	*unknown = w.unknown;
	return w.found;
}

static bool cmd_takes_access_exclusive(PgQuery__AlterTableType t)
{
	switch (t) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner:
		return false;
	default:
		return true;
	}
}

bool lu_takes_access_exclusive(const PgQuery__Node *stmt, const PgQuery__RangeVar **rel)
{
	*rel = NULL;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = stmt->alter_table_stmt;
		if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			return false;
		*rel = as->relation;
		LU_FOREACH_CMD(as, cmd)
		{
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition &&
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent)
				continue;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			    cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
				continue; /* SHARE ROW EXCLUSIVE */
			if (cmd_takes_access_exclusive(cmd->subtype))
				return true;
		}
		return false;
	}
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		*rel = stmt->rename_stmt->relation;
		return *rel != NULL;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		if (stmt->truncate_stmt->n_relations &&
		    stmt->truncate_stmt->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			*rel = stmt->truncate_stmt->relations[0]->range_var;
		return *rel != NULL;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		*rel = stmt->cluster_stmt->relation;
		return *rel != NULL;
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		*rel = stmt->refresh_mat_view_stmt->relation;
		return !stmt->refresh_mat_view_stmt->concurrent;
	case PG_QUERY__NODE__NODE_LOCK_STMT: {
		const PgQuery__LockStmt *ls = stmt->lock_stmt;
		if (ls->n_relations &&
		    ls->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			*rel = ls->relations[0]->range_var;
		return *rel && ls->mode == 8; /* AccessExclusiveLock, LOCK TABLE's default */
	}
	default:
		return false;
	}
}

bool lu_cheap_under_lock(const PgQuery__Node *s, const char *locked)
{
	switch (s->node_case) {
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		return true;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		char *t = s->alter_table_stmt->relation ? catalog_key(s->alter_table_stmt->relation)
							: NULL;
		bool same = t && locked && !strcmp(t, locked);
		free(t);
		return same;
	}
	default:
		return false;
	}
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

bool lu_is_serial(const PgQuery__TypeName *tn)
{
	const char *n = lu_type_name(tn);
	return !strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
	       !strcmp(n, "serial2") || !strcmp(n, "serial4") || !strcmp(n, "serial8");
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
