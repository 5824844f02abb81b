/*
 * Replays DDL into the in-memory schema. Only what rules need is modelled:
 * tables, columns, constraints, indexes and their renames and drops.
 * Anything else is ignored, which rules read as "unknown".
 */
#include "catalog/catalog.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define DROPPED ((size_t)-1)

void catalog_init(struct catalog *c)
{
	memset(c, 0, sizeof(*c));
}

void cat_type_release(struct cat_type *t)
{
	free(t->name);
	memset(t, 0, sizeof(*t));
}

static void constraint_release(struct cat_constraint *k)
{
	free(k->name);
	strlist_release(&k->columns);
	free(k->not_null_col);
	free(k->ref_table);
}

static void table_free(struct cat_table *t)
{
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		cat_type_release(&t->cols[i].type);
	}
	for (size_t i = 0; i < t->ncons; i++)
		constraint_release(&t->cons[i]);
	free(t->cols);
	free(t->cons);
	free(t->indexes);
	free(t->name);
	free(t->partition_of);
	free(t);
}

static void index_free(struct cat_index *x)
{
	free(x->name);
	free(x->table);
	free(x->method);
	strlist_release(&x->columns);
	free(x);
}

void catalog_release(struct catalog *c)
{
	for (size_t i = 0; i < c->ntables; i++)
		table_free(c->tables[i]);
	for (size_t i = 0; i < c->nindexes; i++)
		index_free(c->indexes[i]);
	free(c->tables);
	free(c->indexes);
	strmap_release(&c->table_map);
	strmap_release(&c->index_map);
	strlist_release(&c->keys);
	memset(c, 0, sizeof(*c));
}

/* Map keys are borrowed by strmap: keep a copy alive for the catalog's life. */
static const char *intern(struct catalog *c, const char *key)
{
	strlist_push(&c->keys, key);
	return c->keys.v[c->keys.n - 1];
}

static char *key_of(const char *schema, const char *name)
{
	if (!schema || !*schema || !strcmp(schema, "public"))
		return xstrdup(name);
	return xstrfmt("%s.%s", schema, name);
}

char *catalog_key(const PgQuery__RangeVar *rv)
{
	return key_of(rv->schemaname, rv->relname);
}

static struct cat_table *table_mut(const struct catalog *c, const char *key)
{
	size_t i;
	if (!key || !strmap_get(&c->table_map, key, &i) || i == DROPPED)
		return NULL;
	return c->tables[i];
}

const struct cat_table *catalog_table(const struct catalog *c, const char *key)
{
	return table_mut(c, key);
}

const struct cat_table *catalog_table_rv(const struct catalog *c, const PgQuery__RangeVar *rv)
{
	if (!rv)
		return NULL;
	char *key = catalog_key(rv);
	const struct cat_table *t = table_mut(c, key);
	free(key);
	return t;
}

static struct cat_column *column_mut(const struct cat_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return &t->cols[i];
	return NULL;
}

const struct cat_column *catalog_column(const struct cat_table *t, const char *name)
{
	return column_mut(t, name);
}

static struct cat_constraint *constraint_mut(const struct cat_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->ncons; i++)
		if (t->cons[i].name && !strcmp(t->cons[i].name, name))
			return &t->cons[i];
	return NULL;
}

const struct cat_constraint *catalog_constraint(const struct cat_table *t, const char *name)
{
	return constraint_mut(t, name);
}

static struct cat_index *index_mut(const struct catalog *c, const char *key)
{
	size_t i;
	if (!key || !strmap_get(&c->index_map, key, &i) || i == DROPPED)
		return NULL;
	return c->indexes[i];
}

const struct cat_index *catalog_index(const struct catalog *c, const char *key)
{
	return index_mut(c, key);
}

static bool same_set(const struct strlist *a, const struct strlist *prefix_of)
{
	/* `a` (the wanted columns) are exactly the first a->n columns of the index */
	if (a->n == 0 || prefix_of->n < a->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < a->n; j++)
			if (!strcmp(a->v[i], prefix_of->v[j]))
				found = true;
		if (!found)
			return false;
	}
	return true;
}

bool catalog_has_index_on(const struct catalog *c, const struct cat_table *t,
			  const struct strlist *cols)
{
	if (!t)
		return false;
	for (size_t i = 0; i < t->nindexes; i++) {
		const struct cat_index *x = c->indexes[t->indexes[i]];
		if (!x->dropped && same_set(cols, &x->columns))
			return true;
	}
	for (size_t i = 0; i < t->ncons; i++) {
		const struct cat_constraint *k = &t->cons[i];
		if ((k->kind == CAT_CON_PRIMARY || k->kind == CAT_CON_UNIQUE) &&
		    same_set(cols, &k->columns))
			return true;
	}
	return false;
}

bool catalog_has_not_null_check(const struct cat_table *t, const char *col)
{
	for (size_t i = 0; t && i < t->ncons; i++)
		if (t->cons[i].kind == CAT_CON_CHECK && t->cons[i].validated &&
		    t->cons[i].not_null_col && !strcmp(t->cons[i].not_null_col, col))
			return true;
	return false;
}

/* ---- types ---- */

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

static const char *node_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

void cat_type_from(struct cat_type *out, const PgQuery__TypeName *tn)
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

char *cat_type_str(const struct cat_type *t)
{
	char *s;
	const char *name = display_name(t->name);
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

static bool is_serial(const PgQuery__TypeName *tn)
{
	const char *n = tn && tn->n_names ? node_str(tn->names[tn->n_names - 1]) : NULL;
	return n && (!strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
		     !strcmp(n, "serial2") || !strcmp(n, "serial4") || !strcmp(n, "serial8"));
}

/* ---- building ---- */

static struct cat_table *table_add(struct catalog *c, const char *key, unsigned origin)
{
	struct cat_table *t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(key);
	t->origin = origin;
	t->columns_known = true;
	ALLOC_GROW(c->tables, c->ntables + 1, c->tables_alloc);
	c->tables[c->ntables] = t;
	strmap_put(&c->table_map, intern(c, key), c->ntables);
	c->ntables++;
	return t;
}

static struct cat_column *column_add(struct cat_table *t, const char *name)
{
	struct cat_column *col = column_mut(t, name);
	if (col) {
		cat_type_release(&col->type);
		free(col->name);
	} else {
		ALLOC_GROW(t->cols, t->ncols + 1, t->cols_alloc);
		col = &t->cols[t->ncols++];
	}
	memset(col, 0, sizeof(*col));
	col->name = xstrdup(name);
	return col;
}

/* "col IS NOT NULL" as a CHECK expression: the column, else NULL. */
static const char *not_null_check_col(const PgQuery__Node *e)
{
	if (!e || e->node_case != PG_QUERY__NODE__NODE_NULL_TEST)
		return NULL;
	const PgQuery__NullTest *nt = e->null_test;
	if (nt->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || !nt->arg ||
	    nt->arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	const PgQuery__ColumnRef *cr = nt->arg->column_ref;
	return cr->n_fields ? node_str(cr->fields[cr->n_fields - 1]) : NULL;
}

static void strlist_from_nodes(struct strlist *l, PgQuery__Node **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (node_str(v[i]))
			strlist_push(l, node_str(v[i]));
}

static void constraint_add(struct cat_table *t, const PgQuery__Constraint *k, const char *column,
			   unsigned origin)
{
	enum cat_con_kind kind;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		kind = CAT_CON_CHECK;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		kind = CAT_CON_FOREIGN;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		kind = CAT_CON_UNIQUE;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		kind = CAT_CON_PRIMARY;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		kind = CAT_CON_EXCLUDE;
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL: {
		struct cat_column *col = column ? column_mut(t, column) : NULL;
		if (col)
			col->not_null = true;
		return;
	}
	case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
	case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED: {
		struct cat_column *col = column ? column_mut(t, column) : NULL;
		if (col)
			col->has_default = true;
		if (col && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)
			col->not_null = true;
		return;
	}
	default:
		return;
	}
	ALLOC_GROW(t->cons, t->ncons + 1, t->cons_alloc);
	struct cat_constraint *cc = &t->cons[t->ncons++];
	memset(cc, 0, sizeof(*cc));
	cc->kind = kind;
	cc->origin = origin;
	cc->validated = !k->skip_validation;
	if (k->conname && *k->conname)
		cc->name = xstrdup(k->conname);
	if (kind == CAT_CON_FOREIGN) {
		strlist_from_nodes(&cc->columns, k->fk_attrs, k->n_fk_attrs);
		if (k->pktable)
			cc->ref_table = catalog_key(k->pktable);
	} else {
		strlist_from_nodes(&cc->columns, k->keys, k->n_keys);
	}
	if (column && !cc->columns.n)
		strlist_push(&cc->columns, column);
	if (kind == CAT_CON_CHECK && not_null_check_col(k->raw_expr))
		cc->not_null_col = xstrdup(not_null_check_col(k->raw_expr));
	if (kind == CAT_CON_PRIMARY)
		for (size_t i = 0; i < cc->columns.n; i++) {
			struct cat_column *col = column_mut(t, cc->columns.v[i]);
			if (col)
				col->not_null = true;
		}
}

static void column_def(struct cat_table *t, const PgQuery__ColumnDef *cd, unsigned origin)
{
	if (!cd->colname || !*cd->colname)
		return;
	struct cat_column *col = column_add(t, cd->colname);
	cat_type_from(&col->type, cd->type_name);
	col->origin = origin;
	col->not_null = cd->is_not_null;
	col->has_default = cd->raw_default != NULL || is_serial(cd->type_name);
	if (is_serial(cd->type_name))
		col->not_null = true;
	for (size_t i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			constraint_add(t, cd->constraints[i]->constraint, cd->colname, origin);
}

static void index_add(struct catalog *c, const char *name, const char *table,
		      const PgQuery__IndexStmt *is, unsigned origin)
{
	char *key = xstrdup(name);
	struct cat_index *x = xcalloc(1, sizeof(*x));
	x->name = key;
	x->table = xstrdup(table);
	x->origin = origin;
	if (is) {
		x->unique = is->unique;
		x->method =
		    xstrdup(is->access_method && *is->access_method ? is->access_method : "btree");
		for (size_t i = 0; i < is->n_index_params; i++) {
			const PgQuery__Node *p = is->index_params[i];
			if (p->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM &&
			    p->index_elem->name && *p->index_elem->name)
				strlist_push(&x->columns, p->index_elem->name);
		}
	}
	ALLOC_GROW(c->indexes, c->nindexes + 1, c->indexes_alloc);
	c->indexes[c->nindexes] = x;
	strmap_put(&c->index_map, intern(c, key), c->nindexes);
	struct cat_table *t = table_mut(c, table);
	if (t) {
		ALLOC_GROW(t->indexes, t->nindexes + 1, t->indexes_alloc);
		t->indexes[t->nindexes++] = c->nindexes;
	}
	c->nindexes++;
}

static void create_table(struct catalog *c, const PgQuery__CreateStmt *cs, unsigned origin)
{
	if (!cs->relation)
		return;
	char *key = catalog_key(cs->relation);
	if (table_mut(c, key) && cs->if_not_exists) {
		free(key);
		return;
	}
	struct cat_table *t = table_add(c, key, origin);
	free(key);
	t->partitioned = cs->partspec != NULL;
	if (cs->n_inh_relations && cs->partbound &&
	    cs->inh_relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
		t->partition_of = catalog_key(cs->inh_relations[0]->range_var);
	if (cs->n_inh_relations && !cs->partbound)
		t->columns_known = false;
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *e = cs->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			column_def(t, e->column_def, origin);
		else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			constraint_add(t, e->constraint, NULL, origin);
		else
			t->columns_known = false; /* LIKE */
	}
	for (size_t i = 0; i < cs->n_constraints; i++)
		if (cs->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			constraint_add(t, cs->constraints[i]->constraint, NULL, origin);
	if (t->partition_of) {
		/* a partition inherits its parent's columns */
		const struct cat_table *p = table_mut(c, t->partition_of);
		for (size_t i = 0; p && i < p->ncols; i++) {
			if (column_mut(t, p->cols[i].name))
				continue;
			struct cat_column *col = column_add(t, p->cols[i].name);
			col->type = p->cols[i].type;
			col->type.name = xstrdup(p->cols[i].type.name);
			col->not_null = p->cols[i].not_null;
			col->has_default = p->cols[i].has_default;
			col->origin = origin;
		}
	}
}

static void drop_table_key(struct catalog *c, const char *key)
{
	size_t i;
	if (!strmap_get(&c->table_map, key, &i) || i == DROPPED)
		return;
	struct cat_table *t = c->tables[i];
	t->dropped = true;
	strmap_put(&c->table_map, intern(c, key), DROPPED);
	for (size_t k = 0; k < t->nindexes; k++) {
		struct cat_index *x = c->indexes[t->indexes[k]];
		if (!x->dropped) {
			x->dropped = true;
			strmap_put(&c->index_map, intern(c, x->name), DROPPED);
		}
	}
}

static void drop_index_key(struct catalog *c, const char *key)
{
	size_t i;
	if (!strmap_get(&c->index_map, key, &i) || i == DROPPED)
		return;
	c->indexes[i]->dropped = true;
	strmap_put(&c->index_map, intern(c, key), DROPPED);
}

/* A DropStmt object: a list of String names (schema, name). */
static char *object_key(const PgQuery__Node *obj)
{
	if (!obj || obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return NULL;
	const PgQuery__List *l = obj->list;
	if (l->n_items == 1 && node_str(l->items[0]))
		return xstrdup(node_str(l->items[0]));
	if (l->n_items == 2 && node_str(l->items[0]) && node_str(l->items[1]))
		return key_of(node_str(l->items[0]), node_str(l->items[1]));
	return NULL;
}

static void apply_drop(struct catalog *c, const PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		char *key = object_key(ds->objects[i]);
		if (!key)
			continue;
		if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			drop_table_key(c, key);
		else if (ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
			drop_index_key(c, key);
		free(key);
	}
}

static void remove_constraint(struct cat_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncons; i++) {
		if (t->cons[i].name && !strcmp(t->cons[i].name, name)) {
			constraint_release(&t->cons[i]);
			memmove(&t->cons[i], &t->cons[i + 1],
				(t->ncons - i - 1) * sizeof(*t->cons));
			t->ncons--;
			return;
		}
	}
}

static void remove_column(struct catalog *c, struct cat_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++) {
		if (!strcmp(t->cols[i].name, name)) {
			free(t->cols[i].name);
			cat_type_release(&t->cols[i].type);
			memmove(&t->cols[i], &t->cols[i + 1],
				(t->ncols - i - 1) * sizeof(*t->cols));
			t->ncols--;
			break;
		}
	}
	/* indexes and constraints on the column go with it */
	for (size_t k = 0; k < t->nindexes; k++) {
		struct cat_index *x = c->indexes[t->indexes[k]];
		if (!x->dropped && strlist_has(&x->columns, name))
			drop_index_key(c, x->name);
	}
	for (size_t i = t->ncons; i-- > 0;)
		if (strlist_has(&t->cons[i].columns, name) && t->cons[i].name)
			remove_constraint(t, t->cons[i].name);
}

static void alter_table(struct catalog *c, const PgQuery__AlterTableStmt *as, unsigned origin)
{
	if (!as->relation)
		return;
	if (as->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
		return;
	struct cat_table *t = NULL;
	{
		char *key = catalog_key(as->relation);
		t = table_mut(c, key);
		free(key);
	}
	if (!t)
		return;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		const PgQuery__Node *def = cmd->def;
		struct cat_column *col = cmd->name && *cmd->name ? column_mut(t, cmd->name) : NULL;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
			    !(cmd->missing_ok && column_mut(t, def->column_def->colname)))
				column_def(t, def->column_def, origin);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (cmd->name)
				remove_column(c, t, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			if (col && def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
				cat_type_release(&col->type);
				cat_type_from(&col->type, def->column_def->type_name);
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			if (col)
				col->not_null = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
			if (col)
				col->not_null = false;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
			if (col)
				col->has_default = def != NULL;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				constraint_add(t, def->constraint, NULL, origin);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint: {
			struct cat_constraint *k = cmd->name ? constraint_mut(t, cmd->name) : NULL;
			if (k)
				k->validated = true;
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (cmd->name)
				remove_constraint(t, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
			if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    def->partition_cmd->name) {
				char *pk = catalog_key(def->partition_cmd->name);
				struct cat_table *p = table_mut(c, pk);
				if (p) {
					free(p->partition_of);
					p->partition_of = xstrdup(t->name);
				}
				free(pk);
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
			if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    def->partition_cmd->name) {
				char *pk = catalog_key(def->partition_cmd->name);
				struct cat_table *p = table_mut(c, pk);
				if (p) {
					free(p->partition_of);
					p->partition_of = NULL;
				}
				free(pk);
			}
			break;
		default:
			break;
		}
	}
}

static void apply_rename(struct catalog *c, const PgQuery__RenameStmt *rs)
{
	if (!rs->newname)
		return;
	char *key = rs->relation ? catalog_key(rs->relation) : NULL;
	switch (rs->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: {
		size_t i;
		if (key && strmap_get(&c->table_map, key, &i) && i != DROPPED) {
			struct cat_table *t = c->tables[i];
			char *nk = key_of(rs->relation->schemaname, rs->newname);
			strmap_put(&c->table_map, intern(c, key), DROPPED);
			strmap_put(&c->table_map, intern(c, nk), i);
			for (size_t k = 0; k < t->nindexes; k++) {
				struct cat_index *x = c->indexes[t->indexes[k]];
				free(x->table);
				x->table = xstrdup(nk);
			}
			free(t->name);
			t->name = nk;
		}
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: {
		size_t i;
		if (key && strmap_get(&c->index_map, key, &i) && i != DROPPED) {
			struct cat_index *x = c->indexes[i];
			char *nk = key_of(rs->relation->schemaname, rs->newname);
			strmap_put(&c->index_map, intern(c, key), DROPPED);
			strmap_put(&c->index_map, intern(c, nk), i);
			free(x->name);
			x->name = nk;
		}
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN: {
		struct cat_table *t = table_mut(c, key);
		struct cat_column *col = t && rs->subname ? column_mut(t, rs->subname) : NULL;
		if (col) {
			free(col->name);
			col->name = xstrdup(rs->newname);
		}
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT: {
		struct cat_table *t = table_mut(c, key);
		struct cat_constraint *k = t && rs->subname ? constraint_mut(t, rs->subname) : NULL;
		if (k) {
			free(k->name);
			k->name = xstrdup(rs->newname);
		}
		break;
	}
	default:
		break;
	}
	free(key);
}

void catalog_apply(struct catalog *c, const PgQuery__Node *stmt, unsigned origin)
{
	if (!stmt)
		return;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table(c, stmt->create_stmt, origin);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *cs = stmt->create_table_as_stmt;
		/* materialized views too: REFRESH asks whether one is new */
		if (cs->into && cs->into->rel &&
		    (cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		     cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW)) {
			char *key = catalog_key(cs->into->rel);
			struct cat_table *t = table_add(c, key, origin);
			t->columns_known = false;
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table(c, stmt->alter_table_stmt, origin);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		apply_drop(c, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		apply_rename(c, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = stmt->index_stmt;
		if (!is->relation)
			break;
		char *table = catalog_key(is->relation);
		char *name;
		if (is->idxname && *is->idxname)
			name = key_of(is->relation->schemaname, is->idxname);
		else
			name = xstrfmt("%s_idx@%u", table, origin); /* unnamed: never looked up */
		if (!(is->if_not_exists && index_mut(c, name)))
			index_add(c, name, table, is, origin);
		free(name);
		free(table);
		break;
	}
	default:
		break;
	}
}

/* ---- snapshots ----
 *
 * One record per line, fields separated by tabs; strings escaped (\\, \t,
 * \n) and written "=value", or "~" for NULL:
 *   T name partitioned partition_of columns_known
 *   C name type nmods mod0 mod1 array_dims not_null has_default   (of the last T)
 *   K name kind validated not_null_col ref_table ncols col...      (of the last T)
 *   I name table unique method ncols col...
 */

#define SNAPSHOT_MAGIC "revgate-catalog 1\n"

static void put_str(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\t');
	if (!s) {
		strbuf_addch(sb, '~');
		return;
	}
	strbuf_addch(sb, '=');
	strbuf_add_field_escaped(sb, s);
}

static void put_int(struct strbuf *sb, long v)
{
	strbuf_addf(sb, "\t%ld", v);
}

static void put_list(struct strbuf *sb, const struct strlist *l)
{
	put_int(sb, (long)l->n);
	for (size_t i = 0; i < l->n; i++)
		put_str(sb, l->v[i]);
}

void catalog_save(const struct catalog *c, struct strbuf *out)
{
	strbuf_addstr(out, SNAPSHOT_MAGIC);
	for (size_t i = 0; i < c->ntables; i++) {
		const struct cat_table *t = c->tables[i];
		if (t->dropped || table_mut(c, t->name) != t)
			continue;
		strbuf_addch(out, 'T');
		put_str(out, t->name);
		put_int(out, t->partitioned);
		put_str(out, t->partition_of);
		put_int(out, t->columns_known);
		strbuf_addch(out, '\n');
		for (size_t k = 0; k < t->ncols; k++) {
			const struct cat_column *col = &t->cols[k];
			strbuf_addch(out, 'C');
			put_str(out, col->name);
			put_str(out, col->type.name);
			put_int(out, col->type.nmods);
			put_int(out, col->type.mods[0]);
			put_int(out, col->type.mods[1]);
			put_int(out, col->type.array_dims);
			put_int(out, col->not_null);
			put_int(out, col->has_default);
			strbuf_addch(out, '\n');
		}
		for (size_t k = 0; k < t->ncons; k++) {
			const struct cat_constraint *cc = &t->cons[k];
			strbuf_addch(out, 'K');
			put_str(out, cc->name);
			put_int(out, cc->kind);
			put_int(out, cc->validated);
			put_str(out, cc->not_null_col);
			put_str(out, cc->ref_table);
			put_list(out, &cc->columns);
			strbuf_addch(out, '\n');
		}
	}
	for (size_t i = 0; i < c->nindexes; i++) {
		const struct cat_index *x = c->indexes[i];
		if (x->dropped || index_mut(c, x->name) != x)
			continue;
		strbuf_addch(out, 'I');
		put_str(out, x->name);
		put_str(out, x->table);
		put_int(out, x->unique);
		put_str(out, x->method);
		put_list(out, &x->columns);
		strbuf_addch(out, '\n');
	}
}

struct reader {
	const char *p, *end;
	bool bad;
};

/* The next field of the current line: a fresh string, or NULL for "~". */
static char *get_str(struct reader *r)
{
	if (r->p >= r->end || *r->p != '\t') {
		r->bad = true;
		return NULL;
	}
	r->p++;
	if (r->p < r->end && *r->p == '~') {
		r->p++;
		return NULL;
	}
	if (r->p >= r->end || *r->p != '=') {
		r->bad = true;
		return NULL;
	}
	r->p++;
	/* escaped fields hold no raw tab or newline: the field ends at one */
	const char *start = r->p;
	while (r->p < r->end && *r->p != '\t' && *r->p != '\n')
		r->p++;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_field_unescaped(&sb, start, (size_t)(r->p - start));
	return strbuf_detach(&sb, NULL);
}

static long get_int(struct reader *r)
{
	if (r->p >= r->end || *r->p != '\t') {
		r->bad = true;
		return 0;
	}
	r->p++;
	char *e;
	long v = strtol(r->p, &e, 10);
	if (e == r->p)
		r->bad = true;
	r->p = e;
	return v;
}

static void get_list(struct reader *r, struct strlist *l)
{
	long n = get_int(r);
	for (long i = 0; i < n && !r->bad; i++) {
		char *s = get_str(r);
		if (s)
			strlist_push_owned(l, s);
	}
}

int catalog_load(struct catalog *c, const char *text, size_t len, unsigned origin)
{
	size_t ml = strlen(SNAPSHOT_MAGIC);
	if (len < ml || memcmp(text, SNAPSHOT_MAGIC, ml))
		return err_set(ERR_CHECK, "not a catalog snapshot");
	struct reader r = {text + ml, text + len, false};
	struct cat_table *t = NULL;
	while (r.p < r.end && !r.bad) {
		char kind = *r.p++;
		if (kind == 'T') {
			char *name = get_str(&r);
			if (!name) {
				r.bad = true;
				break;
			}
			t = table_add(c, name, origin);
			free(name);
			t->partitioned = get_int(&r) != 0;
			t->partition_of = get_str(&r);
			t->columns_known = get_int(&r) != 0;
		} else if (kind == 'C' && t) {
			char *name = get_str(&r);
			if (!name) {
				r.bad = true;
				break;
			}
			struct cat_column *col = column_add(t, name);
			free(name);
			col->origin = origin;
			col->type.name = get_str(&r);
			if (!col->type.name)
				col->type.name = xstrdup("?");
			col->type.nmods = (unsigned)get_int(&r);
			col->type.mods[0] = (int32_t)get_int(&r);
			col->type.mods[1] = (int32_t)get_int(&r);
			col->type.array_dims = (unsigned)get_int(&r);
			col->not_null = get_int(&r) != 0;
			col->has_default = get_int(&r) != 0;
		} else if (kind == 'K' && t) {
			ALLOC_GROW(t->cons, t->ncons + 1, t->cons_alloc);
			struct cat_constraint *cc = &t->cons[t->ncons++];
			memset(cc, 0, sizeof(*cc));
			cc->origin = origin;
			cc->name = get_str(&r);
			cc->kind = (enum cat_con_kind)get_int(&r);
			cc->validated = get_int(&r) != 0;
			cc->not_null_col = get_str(&r);
			cc->ref_table = get_str(&r);
			get_list(&r, &cc->columns);
		} else if (kind == 'I') {
			char *name = get_str(&r), *table = get_str(&r);
			if (!name || !table) {
				free(name);
				free(table);
				r.bad = true;
				break;
			}
			index_add(c, name, table, NULL, origin);
			struct cat_index *x = c->indexes[c->nindexes - 1];
			x->unique = get_int(&r) != 0;
			x->method = get_str(&r);
			get_list(&r, &x->columns);
			free(name);
			free(table);
		} else {
			r.bad = true;
			break;
		}
		if (r.p < r.end && *r.p == '\n')
			r.p++;
		else if (r.p < r.end)
			r.bad = true;
	}
	if (r.bad) {
		catalog_release(c);
		catalog_init(c);
		return err_set(ERR_CHECK, "damaged catalog snapshot");
	}
	return 0;
}
