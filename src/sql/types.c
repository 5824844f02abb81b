/* Types and function volatility, from the parse tree alone (see types.h). */
#include "sql/types.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "sql/builtins.inc"

static const char *node_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

void sql_type_release(struct sql_type *t)
{
	free(t->name);
	memset(t, 0, sizeof(*t));
}

void sql_type_copy(struct sql_type *dst, const struct sql_type *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name ? src->name : "?");
}

static const struct {
	const char *alias, *canon;
} type_aliases[] = {
    {"int", "int4"},
    {"integer", "int4"},
    {"serial", "int4"},
    {"serial4", "int4"},
    {"bigint", "int8"},
    {"bigserial", "int8"},
    {"serial8", "int8"},
    {"smallint", "int2"},
    {"smallserial", "int2"},
    {"serial2", "int2"},
    {"character varying", "varchar"},
    {"character", "bpchar"},
    {"char", "bpchar"},
    {"boolean", "bool"},
    {"double precision", "float8"},
    {"real", "float4"},
    {"float", "float8"},
    {"decimal", "numeric"},
    {"timestamp with time zone", "timestamptz"},
    {"timestamp without time zone", "timestamp"},
    {"time with time zone", "timetz"},
    {"time without time zone", "time"},
    {"bit varying", "varbit"},
};

void sql_type_from(struct sql_type *out, const PgQuery__TypeName *tn)
{
	memset(out, 0, sizeof(*out));
	if (!tn || !tn->n_names) {
		out->name = xstrdup("?");
		return;
	}
	const char *name = node_str(tn->names[tn->n_names - 1]);
	if (!name)
		name = "?";
	for (size_t i = 0; i < ARRAY_SIZE(type_aliases); i++)
		if (!strcmp(name, type_aliases[i].alias))
			name = type_aliases[i].canon;
	if (tn->n_names > 1 && node_str(tn->names[0]) &&
	    strcmp(node_str(tn->names[0]), "pg_catalog"))
		out->name = xstrfmt("%s.%s", node_str(tn->names[0]), name);
	else
		out->name = xstrdup(name);
	for (size_t i = 0; i < tn->n_typmods && out->nmods < 2; i++) {
		const PgQuery__Node *m = tn->typmods[i];
		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			out->mods[out->nmods++] = m->a_const->ival->ival;
	}
	out->array_dims = (unsigned)tn->n_array_bounds;
}

/* The name users write for a canonical type name. */
static const char *display_name(const char *canon)
{
	static const struct {
		const char *canon, *shown;
	} names[] = {
	    {"int2", "smallint"}, {"int4", "integer"},	     {"int8", "bigint"},
	    {"bool", "boolean"},  {"float4", "real"},	     {"float8", "double precision"},
	    {"bpchar", "char"},	  {"varbit", "bit varying"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(canon, names[i].canon))
			return names[i].shown;
	return canon;
}

char *sql_type_str(const struct sql_type *t)
{
	char *s;
	const char *name = display_name(t->name ? t->name : "?");
	if (t->nmods == 2)
		s = xstrfmt("%s(%d,%d)", name, t->mods[0], t->mods[1]);
	else if (t->nmods == 1)
		s = xstrfmt("%s(%d)", name, t->mods[0]);
	else
		s = xstrdup(name);
	for (unsigned i = 0; i < t->array_dims; i++) {
		char *a = xstrfmt("%s[]", s);
		free(s);
		s = a;
	}
	return s;
}

bool sql_type_is_serial(const PgQuery__TypeName *tn)
{
	const char *n = tn && tn->n_names ? node_str(tn->names[tn->n_names - 1]) : NULL;
	return n && (!strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
		     !strcmp(n, "serial2") || !strcmp(n, "serial4") || !strcmp(n, "serial8"));
}

static bool is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/*
 * Binary-coercible changes that only relax a limit (ATColumnChangeRequiresRewrite
 * finds no conversion to run): varchar(n) -> varchar(m >= n) or text,
 * numeric(p,s) -> numeric(q >= p, s) or numeric, varbit(n) -> larger,
 * text <-> varchar, cidr -> inet (indexes rebuilt), timestamp <->
 * timestamptz when the session time zone is UTC (indexes rebuilt).
 */
enum sql_type_change sql_type_change_cost(const struct sql_type *o, const struct sql_type *n,
					  bool utc)
{
	if (o->array_dims != n->array_dims)
		return SQL_CHANGE_REWRITE;
	bool free_change = false;
	if (is(o->name, n->name)) {
		if (is(o->name, "varchar") || is(o->name, "varbit"))
			free_change = n->nmods == 0 || (o->nmods == 1 && n->mods[0] >= o->mods[0]);
		else if (is(o->name, "numeric"))
			free_change = n->nmods == 0 ||
				      (o->nmods == 2 && n->nmods == 2 && n->mods[1] == o->mods[1] &&
				       n->mods[0] >= o->mods[0]) ||
				      (o->nmods == 1 && n->nmods == 1 && n->mods[0] >= o->mods[0]);
		else if (is(o->name, "bpchar") || is(o->name, "timestamp") ||
			 is(o->name, "timestamptz") || is(o->name, "time") || is(o->name, "interval"))
			free_change =
			    o->nmods == n->nmods && (!o->nmods || o->mods[0] <= n->mods[0]);
		else
			free_change = o->nmods == n->nmods &&
				      (!o->nmods || (o->mods[0] == n->mods[0] && o->mods[1] == n->mods[1]));
		return free_change ? SQL_CHANGE_FREE : SQL_CHANGE_REWRITE;
	}
	if (is(o->name, "varchar") && is(n->name, "text"))
		return SQL_CHANGE_FREE;
	if (is(o->name, "text") && is(n->name, "varchar") && n->nmods == 0)
		return SQL_CHANGE_FREE;
	if (is(o->name, "cidr") && is(n->name, "inet"))
		return SQL_CHANGE_INDEX_REBUILD;
	if (utc && ((is(o->name, "timestamp") && is(n->name, "timestamptz")) ||
		    (is(o->name, "timestamptz") && is(n->name, "timestamp"))) &&
	    o->nmods == n->nmods && (!o->nmods || o->mods[0] <= n->mods[0]))
		return SQL_CHANGE_INDEX_REBUILD;
	return SQL_CHANGE_REWRITE;
}

/* ---- volatility ---- */

/* Volatile functions of common extensions (uuid-ossp, pgcrypto, pg_uuidv7),
 * which pg_proc of a bare server does not list. */
static const char *const extension_volatile[] = {
    "gen_random_bytes",	  "gen_salt",		"uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4",	  "uuid_generate_v7",	"uuidv7",	    "uuidv4",
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_sorted(const char *name, const char *const *list, size_t n)
{
	return bsearch(&name, list, n, sizeof(*list), cmp_name) != NULL;
}

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
		const char *name = fc->n_funcname ? node_str(fc->funcname[fc->n_funcname - 1]) : NULL;
		const char *schema =
		    fc->n_funcname > 1 ? node_str(fc->funcname[fc->n_funcname - 2]) : NULL;
		if (!name)
			name = "?";
		bool builtin_schema = !schema || is(schema, "pg_catalog");
		if ((builtin_schema &&
		     in_sorted(name, builtin_volatile, ARRAY_SIZE(builtin_volatile))) ||
		    in_list(name, extension_volatile, ARRAY_SIZE(extension_volatile))) {
			w->why = name;
			w->found = true;
			return;
		}
		if (!builtin_schema || !in_sorted(name, builtin_stable, ARRAY_SIZE(builtin_stable))) {
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
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		vol_node(n->collate_clause->arg, w, depth + 1);
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
	case PG_QUERY__NODE__NODE_LIST:
		vol_list(n->list->items, n->list->n_items, w, depth);
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

bool sql_expr_volatile(const PgQuery__Node *expr, const char **why, bool *unknown)
{
	struct vol_walk w = {NULL, false, false};
	vol_node(expr, &w, 0);
	*why = w.why;
	*unknown = w.unknown;
	return w.found;
}
