/*
 * Replays statements' effects (sql/ddl) into the in-memory schema. Which
 * objects a statement creates, changes, renames or drops is ddl's answer;
 * this file keeps the objects and their details (read from the clause each
 * effect points at), and what PostgreSQL drops or renames along with them.
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
		sql_type_release(&t->cols[i].type);
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

static void object_free(struct cat_object *o)
{
	free(o->key);
	free(o->sub);
	free(o->table);
	free(o->column);
	strlist_release(&o->deps);
	free(o);
}

void catalog_release(struct catalog *c)
{
	for (size_t i = 0; i < c->ntables; i++)
		table_free(c->tables[i]);
	for (size_t i = 0; i < c->nindexes; i++)
		index_free(c->indexes[i]);
	for (size_t i = 0; i < c->nobjects; i++)
		object_free(c->objects[i]);
	free(c->tables);
	free(c->indexes);
	free(c->objects);
	strmap_release(&c->table_map);
	strmap_release(&c->index_map);
	strmap_release(&c->object_map);
	strlist_release(&c->keys);
	memset(c, 0, sizeof(*c));
}

/* Map keys are borrowed by strmap: keep a copy alive for the catalog's life. */
static const char *intern(struct catalog *c, const char *key)
{
	strlist_push(&c->keys, key);
	return c->keys.v[c->keys.n - 1];
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
	char *key = ddl_rel_key(rv);
	const struct cat_table *t = table_mut(c, key);
	free(key);
	return t;
}

static struct cat_column *column_mut(const struct cat_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->ncols; i++)
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
	for (size_t i = 0; t && name && i < t->ncons; i++)
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

static char *object_map_key(enum ddl_kind kind, const char *key, const char *sub)
{
	return xstrfmt("%d:%s%s%s", (int)kind, key, sub ? "\x1f" : "", sub ? sub : "");
}

static struct cat_object *object_mut(const struct catalog *c, enum ddl_kind kind, const char *key,
				     const char *sub)
{
	if (!key)
		return NULL;
	char *mk = object_map_key(kind, key, sub);
	size_t i;
	bool ok = strmap_get(&c->object_map, mk, &i) && i != DROPPED;
	free(mk);
	return ok ? c->objects[i] : NULL;
}

const struct cat_object *catalog_object(const struct catalog *c, enum ddl_kind kind,
					const char *key, const char *sub)
{
	return object_mut(c, kind, key, sub);
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

/* A validated constraint the history never defined may be the proof: a
 * migration that validates one and then relies on it is taken at its word. */
static bool unknown_validated(const struct cat_constraint *k)
{
	return k->kind == CAT_CON_OTHER && k->validated;
}

bool catalog_has_not_null_check(const struct cat_table *t, const char *col)
{
	for (size_t i = 0; t && i < t->ncons; i++)
		if ((t->cons[i].kind == CAT_CON_CHECK && t->cons[i].validated &&
		     t->cons[i].not_null_col && !strcmp(t->cons[i].not_null_col, col)) ||
		    unknown_validated(&t->cons[i]))
			return true;
	return false;
}

bool catalog_has_validated_check(const struct cat_table *t)
{
	for (size_t i = 0; t && i < t->ncons; i++)
		if ((t->cons[i].kind == CAT_CON_CHECK && t->cons[i].validated &&
		     !t->cons[i].not_null_col) ||
		    unknown_validated(&t->cons[i]))
			return true;
	return false;
}

/* ---- what ddl asks ---- */

static bool env_column_type(void *arg, const char *table, const char *column,
			    struct sql_type *out)
{
	const struct cat_column *col = column_mut(table_mut(arg, table), column);
	if (!col)
		return false;
	sql_type_copy(out, &col->type);
	return true;
}

static bool env_not_null(void *arg, const char *table, const char *column)
{
	return catalog_has_not_null_check(table_mut(arg, table), column);
}

static bool env_bounds(void *arg, const char *table)
{
	return catalog_has_validated_check(table_mut(arg, table));
}

static const char *env_index_table(void *arg, const char *index)
{
	const struct cat_index *x = index_mut(arg, index);
	return x ? x->table : NULL;
}

static const char *env_fk_target(void *arg, const char *table, const char *constraint)
{
	const struct cat_table *t = table_mut(arg, table);
	const struct cat_constraint *k = t ? catalog_constraint(t, constraint) : NULL;
	return k && k->kind == CAT_CON_FOREIGN ? k->ref_table : NULL;
}

void catalog_ddl_env(const struct catalog *c, int pg_version, struct ddl_env *env)
{
	memset(env, 0, sizeof(*env));
	env->pg_version = pg_version;
	env->arg = (void *)c;
	env->column_type = env_column_type;
	env->not_null_proven = env_not_null;
	env->bounds_proven = env_bounds;
	env->index_table = env_index_table;
	env->fk_target = env_fk_target;
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

/* The table a statement changes; a stub when it is unknown. */
static struct cat_table *table_for(struct catalog *c, const char *key)
{
	struct cat_table *t = table_mut(c, key);
	if (!t && key) {
		t = table_add(c, key, CAT_ORIGIN_UNKNOWN);
		t->stub = true;
		t->columns_known = false;
	}
	return t;
}

static struct cat_column *column_add(struct cat_table *t, const char *name)
{
	struct cat_column *col = column_mut(t, name);
	if (col) {
		sql_type_release(&col->type);
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
	const PgQuery__Node *last = cr->n_fields ? cr->fields[cr->n_fields - 1] : NULL;
	return last && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
}

static void strlist_from_nodes(struct strlist *l, PgQuery__Node **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->node_case == PG_QUERY__NODE__NODE_STRING)
			strlist_push(l, v[i]->string->sval);
}

static void constraint_add(struct cat_table *t, const PgQuery__Constraint *k, const char *column,
			   unsigned origin, size_t offset)
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
	default:
		return;
	}
	ALLOC_GROW(t->cons, t->ncons + 1, t->cons_alloc);
	struct cat_constraint *cc = &t->cons[t->ncons++];
	memset(cc, 0, sizeof(*cc));
	cc->kind = kind;
	cc->origin = origin;
	cc->offset = offset;
	cc->validated = !k->skip_validation;
	if (k->conname && *k->conname)
		cc->name = xstrdup(k->conname);
	if (kind == CAT_CON_FOREIGN) {
		strlist_from_nodes(&cc->columns, k->fk_attrs, k->n_fk_attrs);
		if (k->pktable)
			cc->ref_table = ddl_rel_key(k->pktable);
	} else {
		strlist_from_nodes(&cc->columns, k->keys, k->n_keys);
	}
	if (kind == CAT_CON_CHECK && !cc->columns.n)
		ddl_expr_columns(k->raw_expr, &cc->columns); /* dropped with any of them */
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

/* A column definition; its CHECK, UNIQUE, PRIMARY KEY and REFERENCES
 * clauses are effects of their own. */
static void column_def(struct cat_table *t, const PgQuery__ColumnDef *cd, unsigned origin,
		       size_t offset)
{
	if (!cd->colname || !*cd->colname)
		return;
	struct cat_column *col = column_add(t, cd->colname);
	sql_type_from(&col->type, cd->type_name);
	col->origin = origin;
	col->offset = offset;
	col->not_null = cd->is_not_null;
	col->has_default = cd->raw_default != NULL || sql_type_is_serial(cd->type_name);
	if (sql_type_is_serial(cd->type_name))
		col->not_null = true;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		if (cd->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		switch (cd->constraints[i]->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			col->not_null = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			col->not_null = true;
			col->has_default = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			col->has_default = true;
			break;
		default:
			break;
		}
	}
}

static void index_add(struct catalog *c, const char *name, const char *table,
		      const PgQuery__IndexStmt *is, unsigned origin, size_t offset)
{
	struct cat_index *x = xcalloc(1, sizeof(*x));
	x->name = xstrdup(name);
	x->table = xstrdup(table);
	x->origin = origin;
	x->offset = offset;
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
	strmap_put(&c->index_map, intern(c, name), c->nindexes);
	struct cat_table *t = table_mut(c, table);
	if (t) {
		ALLOC_GROW(t->indexes, t->nindexes + 1, t->indexes_alloc);
		t->indexes[t->nindexes++] = c->nindexes;
	}
	c->nindexes++;
}

static struct cat_object *object_add(struct catalog *c, enum ddl_kind kind, const char *key,
				     const char *sub, unsigned origin, size_t offset)
{
	struct cat_object *o = xcalloc(1, sizeof(*o));
	o->kind = kind;
	o->key = xstrdup(key);
	o->sub = sub ? xstrdup(sub) : NULL;
	o->origin = origin;
	o->offset = offset;
	ALLOC_GROW(c->objects, c->nobjects + 1, c->objects_alloc);
	c->objects[c->nobjects] = o;
	char *mk = object_map_key(kind, key, sub);
	strmap_put(&c->object_map, intern(c, mk), c->nobjects);
	free(mk);
	c->nobjects++;
	return o;
}

/* ---- dropping, with what goes along ---- */

static void drop_index_key(struct catalog *c, const char *key)
{
	size_t i;
	if (!key || !strmap_get(&c->index_map, key, &i) || i == DROPPED)
		return;
	c->indexes[i]->dropped = true;
	strmap_put(&c->index_map, intern(c, key), DROPPED);
}

static void object_drop(struct catalog *c, struct cat_object *o)
{
	if (o->dropped)
		return;
	o->dropped = true;
	char *mk = object_map_key(o->kind, o->key, o->sub);
	strmap_put(&c->object_map, intern(c, mk), DROPPED);
	free(mk);
}

static void drop_relation(struct catalog *c, enum ddl_kind kind, const char *key, bool cascade);

/* The objects that hang on table `key` (triggers, policies, owned
 * sequences) and, with CASCADE, the views that read it. */
static void drop_dependents(struct catalog *c, const char *key, const char *column, bool cascade)
{
	for (size_t i = 0; i < c->nobjects; i++) {
		struct cat_object *o = c->objects[i];
		if (o->dropped)
			continue;
		bool on_table = (o->kind == DDL_TRIGGER || o->kind == DDL_POLICY) && !column &&
				!strcmp(o->key, key);
		bool owned = o->kind == DDL_SEQUENCE && o->table && !strcmp(o->table, key) &&
			     (!column || (o->column && !strcmp(o->column, column)));
		bool reads = cascade && !column && (o->kind == DDL_VIEW) &&
			     strlist_has(&o->deps, key);
		if (on_table || owned)
			object_drop(c, o);
		else if (reads)
			drop_relation(c, DDL_VIEW, o->key, true);
	}
	if (!cascade || column)
		return;
	/* foreign keys that reference the table, and materialized views that read it */
	for (size_t i = 0; i < c->ntables; i++) {
		struct cat_table *t = c->tables[i];
		if (t->dropped)
			continue;
		for (size_t k = t->ncons; k-- > 0;) {
			if (t->cons[k].kind != CAT_CON_FOREIGN || !t->cons[k].ref_table ||
			    strcmp(t->cons[k].ref_table, key))
				continue;
			constraint_release(&t->cons[k]);
			memmove(&t->cons[k], &t->cons[k + 1], (t->ncons - k - 1) * sizeof(*t->cons));
			t->ncons--;
		}
	}
}

static void drop_table_key(struct catalog *c, const char *key, bool cascade)
{
	size_t i;
	if (!key || !strmap_get(&c->table_map, key, &i) || i == DROPPED)
		return;
	struct cat_table *t = c->tables[i];
	t->dropped = true;
	strmap_put(&c->table_map, intern(c, key), DROPPED);
	for (size_t k = 0; k < t->nindexes; k++) {
		struct cat_index *x = c->indexes[t->indexes[k]];
		if (!x->dropped)
			drop_index_key(c, x->name);
	}
	drop_dependents(c, key, NULL, cascade);
}

static void drop_relation(struct catalog *c, enum ddl_kind kind, const char *key, bool cascade)
{
	switch (kind) {
	case DDL_TABLE:
	case DDL_MATVIEW:
		drop_table_key(c, key, cascade);
		break;
	case DDL_INDEX:
		drop_index_key(c, key);
		break;
	default: {
		struct cat_object *o = object_mut(c, kind, key, NULL);
		if (!o)
			return;
		object_drop(c, o);
		if (kind == DDL_VIEW || kind == DDL_SEQUENCE)
			drop_dependents(c, key, NULL, cascade);
		break;
	}
	}
}

static void remove_constraint(struct cat_table *t, const char *name)
{
	for (size_t i = 0; name && i < t->ncons; i++) {
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
			sql_type_release(&t->cols[i].type);
			memmove(&t->cols[i], &t->cols[i + 1],
				(t->ncols - i - 1) * sizeof(*t->cols));
			t->ncols--;
			break;
		}
	}
	/* indexes, constraints and owned sequences on the column go with it */
	for (size_t k = 0; k < t->nindexes; k++) {
		struct cat_index *x = c->indexes[t->indexes[k]];
		if (!x->dropped && strlist_has(&x->columns, name))
			drop_index_key(c, x->name);
	}
	for (size_t i = t->ncons; i-- > 0;) {
		if (!strlist_has(&t->cons[i].columns, name) &&
		    !(t->cons[i].not_null_col && !strcmp(t->cons[i].not_null_col, name)))
			continue;
		constraint_release(&t->cons[i]);
		memmove(&t->cons[i], &t->cons[i + 1], (t->ncons - i - 1) * sizeof(*t->cons));
		t->ncons--;
	}
	if (c->owned)
		drop_dependents(c, t->name, name, false); /* sequences OWNED BY it */
}

/* DROP SCHEMA ... CASCADE: everything whose key is in the schema. */
static void drop_schema(struct catalog *c, const char *schema, bool cascade)
{
	struct cat_object *o = object_mut(c, DDL_SCHEMA, schema, NULL);
	if (o)
		object_drop(c, o);
	if (!cascade)
		return;
	size_t sl = strlen(schema);
	for (size_t i = 0; i < c->ntables; i++) {
		struct cat_table *t = c->tables[i];
		if (!t->dropped && !strncmp(t->name, schema, sl) && t->name[sl] == '.')
			drop_table_key(c, t->name, true);
	}
	for (size_t i = 0; i < c->nobjects; i++) {
		struct cat_object *x = c->objects[i];
		if (!x->dropped && !strncmp(x->key, schema, sl) && x->key[sl] == '.')
			object_drop(c, x);
	}
	for (size_t i = 0; i < c->nindexes; i++) {
		struct cat_index *x = c->indexes[i];
		if (!x->dropped && !strncmp(x->name, schema, sl) && x->name[sl] == '.')
			drop_index_key(c, x->name);
	}
}

/* DROP TYPE ... CASCADE drops the columns of that type; DROP FUNCTION ...
 * CASCADE the triggers that call it. */
static void drop_users(struct catalog *c, enum ddl_kind kind, const char *key)
{
	if (kind == DDL_TYPE) {
		for (size_t i = 0; i < c->ntables; i++) {
			struct cat_table *t = c->tables[i];
			for (size_t k = t->ncols; !t->dropped && k-- > 0;)
				if (t->cols[k].type.name && !strcmp(t->cols[k].type.name, key))
					remove_column(c, t, t->cols[k].name);
		}
	} else if (kind == DDL_FUNCTION) {
		for (size_t i = 0; i < c->nobjects; i++) {
			struct cat_object *o = c->objects[i];
			if (!o->dropped && o->kind == DDL_TRIGGER && strlist_has(&o->deps, key))
				object_drop(c, o);
		}
	}
}

/* ---- renaming, with what follows ---- */

static void rekey_object(struct catalog *c, struct cat_object *o, const char *key, const char *sub)
{
	char *old = object_map_key(o->kind, o->key, o->sub);
	size_t i;
	if (strmap_get(&c->object_map, old, &i))
		strmap_put(&c->object_map, intern(c, old), DROPPED);
	free(old);
	free(o->key);
	o->key = xstrdup(key);
	if (sub != o->sub) {
		free(o->sub);
		o->sub = sub ? xstrdup(sub) : NULL;
	}
	char *nk = object_map_key(o->kind, o->key, o->sub);
	for (size_t k = 0; k < c->nobjects; k++)
		if (c->objects[k] == o)
			strmap_put(&c->object_map, intern(c, nk), k);
	free(nk);
}

static void replace_in(struct strlist *l, const char *from, const char *to)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], from)) {
			free(l->v[i]);
			l->v[i] = xstrdup(to);
		}
}

static void rename_table(struct catalog *c, const char *key, const char *nk)
{
	size_t i;
	if (!strmap_get(&c->table_map, key, &i) || i == DROPPED)
		return;
	struct cat_table *t = c->tables[i];
	strmap_put(&c->table_map, intern(c, key), DROPPED);
	strmap_put(&c->table_map, intern(c, nk), i);
	for (size_t k = 0; k < t->nindexes; k++) {
		struct cat_index *x = c->indexes[t->indexes[k]];
		free(x->table);
		x->table = xstrdup(nk);
	}
	free(t->name);
	t->name = xstrdup(nk);
	for (size_t k = 0; k < c->ntables; k++) {
		struct cat_table *o = c->tables[k];
		for (size_t j = 0; j < o->ncons; j++)
			if (o->cons[j].ref_table && !strcmp(o->cons[j].ref_table, key)) {
				free(o->cons[j].ref_table);
				o->cons[j].ref_table = xstrdup(nk);
			}
		if (o->partition_of && !strcmp(o->partition_of, key)) {
			free(o->partition_of);
			o->partition_of = xstrdup(nk);
		}
	}
	for (size_t k = 0; k < c->nobjects; k++) {
		struct cat_object *o = c->objects[k];
		if (o->dropped)
			continue;
		if ((o->kind == DDL_TRIGGER || o->kind == DDL_POLICY) && !strcmp(o->key, key))
			rekey_object(c, o, nk, o->sub);
		if (o->table && !strcmp(o->table, key)) {
			free(o->table);
			o->table = xstrdup(nk);
		}
		replace_in(&o->deps, key, nk);
	}
}

static void rename_column(struct catalog *c, struct cat_table *t, const char *from, const char *to)
{
	struct cat_column *col = column_mut(t, from);
	if (col) {
		free(col->name);
		col->name = xstrdup(to);
	}
	for (size_t k = 0; k < t->nindexes; k++)
		replace_in(&c->indexes[t->indexes[k]]->columns, from, to);
	for (size_t k = 0; k < t->ncons; k++) {
		replace_in(&t->cons[k].columns, from, to);
		if (t->cons[k].not_null_col && !strcmp(t->cons[k].not_null_col, from)) {
			free(t->cons[k].not_null_col);
			t->cons[k].not_null_col = xstrdup(to);
		}
	}
	for (size_t k = 0; c->owned && k < c->nobjects; k++) {
		struct cat_object *o = c->objects[k];
		if (o->kind == DDL_SEQUENCE && o->table && !strcmp(o->table, t->name) &&
		    o->column && !strcmp(o->column, from)) {
			free(o->column);
			o->column = xstrdup(to);
		}
	}
}

static void rename(struct catalog *c, const struct ddl_effect *e)
{
	switch (e->kind) {
	case DDL_TABLE:
	case DDL_MATVIEW:
		if (e->new_key)
			rename_table(c, e->key, e->new_key);
		break;
	case DDL_INDEX: {
		size_t i;
		if (!e->new_key || !strmap_get(&c->index_map, e->key, &i) || i == DROPPED)
			break;
		struct cat_index *x = c->indexes[i];
		strmap_put(&c->index_map, intern(c, e->key), DROPPED);
		strmap_put(&c->index_map, intern(c, e->new_key), i);
		free(x->name);
		x->name = xstrdup(e->new_key);
		break;
	}
	case DDL_COLUMN: {
		struct cat_table *t = table_for(c, e->key);
		if (t && e->sub && e->new_name)
			rename_column(c, t, e->sub, e->new_name);
		break;
	}
	case DDL_CONSTRAINT: {
		struct cat_constraint *k = constraint_mut(table_mut(c, e->key), e->sub);
		if (k && e->new_name) {
			free(k->name);
			k->name = xstrdup(e->new_name);
		}
		break;
	}
	case DDL_TRIGGER:
	case DDL_POLICY: {
		struct cat_object *o = object_mut(c, e->kind, e->key, e->sub);
		if (o && e->new_name)
			rekey_object(c, o, e->key, e->new_name);
		break;
	}
	case DDL_SCHEMA: {
		struct cat_object *o = object_mut(c, e->kind, e->key, NULL);
		if (o && e->new_key)
			rekey_object(c, o, e->new_key, NULL);
		break;
	}
	default: {
		struct cat_object *o = object_mut(c, e->kind, e->key, NULL);
		if (o && e->new_key) {
			rekey_object(c, o, e->new_key, NULL);
			if (e->kind == DDL_VIEW || e->kind == DDL_SEQUENCE)
				for (size_t k = 0; k < c->nobjects; k++)
					replace_in(&c->objects[k]->deps, e->key, e->new_key);
		}
		break;
	}
	}
}

/* ---- applying effects ---- */

struct apply {
	struct catalog *c;
	const struct ddl_stmt *d;
	unsigned origin;
	const char *skip; /* CREATE TABLE IF NOT EXISTS of a known table: its parts too */
};

static void create_table(struct apply *a, const struct ddl_effect *e)
{
	struct catalog *c = a->c;
	if (table_mut(c, e->key) && (e->flags & DDL_IF_NOT_EXISTS)) {
		a->skip = e->key;
		return;
	}
	struct cat_table *t = table_add(c, e->key, a->origin);
	t->offset = e->offset;
	t->conditional = (e->flags & DDL_IF_NOT_EXISTS) != 0;
	if (e->node && e->node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		const PgQuery__CreateStmt *cs = e->node->create_stmt;
		t->partitioned = cs->partspec != NULL;
		if (e->ref)
			t->partition_of = xstrdup(e->ref);
		if ((cs->n_inh_relations && !cs->partbound) || cs->of_typename)
			t->columns_known = false;
		for (size_t i = 0; i < cs->n_table_elts; i++)
			if (cs->table_elts[i]->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE)
				t->columns_known = false;
	} else {
		t->matview = e->kind == DDL_MATVIEW;
		t->columns_known = false;
		t->filled = (e->flags & DDL_FILLED) != 0;
	}
}

/* A partition has its parent's columns, once its own are known. */
static void inherit_columns(struct apply *a, const char *key)
{
	struct cat_table *t = table_mut(a->c, key);
	const struct cat_table *p = t && t->partition_of ? table_mut(a->c, t->partition_of) : NULL;
	for (size_t i = 0; p && i < p->ncols; i++) {
		if (column_mut(t, p->cols[i].name))
			continue;
		struct cat_column *col = column_add(t, p->cols[i].name);
		sql_type_copy(&col->type, &p->cols[i].type);
		col->not_null = p->cols[i].not_null;
		col->has_default = p->cols[i].has_default;
		col->origin = t->origin;
		col->offset = t->offset;
	}
}

static void alter_column(struct cat_table *t, const struct ddl_effect *e)
{
	struct cat_column *col = column_mut(t, e->sub);
	if (!col || !e->node || e->node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return;
	const PgQuery__AlterTableCmd *cmd = e->node->alter_table_cmd;
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			sql_type_release(&col->type);
			sql_type_from(&col->type, cmd->def->column_def->type_name);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		col->not_null = true;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		col->not_null = false;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		col->has_default = cmd->def != NULL;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
		col->has_default = col->not_null = true;
		break;
	default:
		break;
	}
}

static void alter_table(struct apply *a, const struct ddl_effect *e)
{
	struct catalog *c = a->c;
	if (e->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition ||
	    e->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition) {
		struct cat_table *p = table_mut(c, e->key);
		if (p) {
			free(p->partition_of);
			p->partition_of = e->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition
					      ? xstrdup(e->ref)
					      : NULL;
		}
		return;
	}
	if (e->node && e->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		table_for(c, e->key); /* a stub for what follows */
}

static void create_object(struct apply *a, const struct ddl_effect *e)
{
	struct catalog *c = a->c;
	bool conditional = (e->flags & (DDL_IF_NOT_EXISTS | DDL_OR_REPLACE)) != 0;
	struct cat_object *o = object_mut(c, e->kind, e->key, e->sub);
	if (o) {
		if (e->flags & DDL_IF_NOT_EXISTS)
			return;
		/* replaced: it is now this revision's version (a downgrade that
		 * restores a function body undoes the upgrade's) */
		o->origin = a->origin;
		o->offset = e->offset;
		strlist_release(&o->deps);
	} else {
		if ((e->kind == DDL_TRIGGER || e->kind == DDL_POLICY))
			table_for(c, e->key);
		o = object_add(c, e->kind, e->key, e->sub, a->origin, e->offset);
		o->conditional = conditional;
	}
	for (size_t i = 0; i < e->ndeps; i++)
		strlist_push(&o->deps, e->deps[i]);
	if (e->kind == DDL_TRIGGER && e->ref)
		strlist_push(&o->deps, e->ref);
	if (e->kind == DDL_SEQUENCE && e->table) {
		free(o->table);
		free(o->column);
		o->table = xstrdup(e->table);
		o->column = e->column ? xstrdup(e->column) : NULL;
		c->owned++;
	}
}

static void apply_effect(struct apply *a, const struct ddl_effect *e)
{
	struct catalog *c = a->c;
	if (a->skip && !strcmp(e->key, a->skip) && e->action == DDL_CREATE)
		return;
	switch (e->action) {
	case DDL_CREATE:
		switch (e->kind) {
		case DDL_TABLE:
		case DDL_MATVIEW:
			create_table(a, e);
			break;
		case DDL_COLUMN: {
			struct cat_table *t = table_for(c, e->key);
			if (!t || !e->node || e->node->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
				break;
			if ((e->flags & DDL_IF_NOT_EXISTS) && column_mut(t, e->sub))
				break;
			column_def(t, e->node->column_def, a->origin, e->offset);
			break;
		}
		case DDL_CONSTRAINT: {
			struct cat_table *t = table_for(c, e->key);
			if (t && e->node && e->node->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				constraint_add(t, e->node->constraint, e->column, a->origin,
					       e->offset);
			break;
		}
		case DDL_INDEX: {
			if (index_mut(c, e->key) && (e->flags & DDL_IF_NOT_EXISTS))
				break;
			table_for(c, e->table);
			index_add(c, e->key, e->table,
				  e->node && e->node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT
				      ? e->node->index_stmt
				      : NULL,
				  a->origin, e->offset);
			c->indexes[c->nindexes - 1]->conditional =
			    (e->flags & DDL_IF_NOT_EXISTS) != 0;
			break;
		}
		default:
			create_object(a, e);
			break;
		}
		break;
	case DDL_ALTER:
		switch (e->kind) {
		case DDL_TABLE:
		case DDL_MATVIEW:
			alter_table(a, e);
			break;
		case DDL_COLUMN:
			alter_column(table_for(c, e->key), e);
			break;
		case DDL_CONSTRAINT: {
			if (e->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint)
				break;
			struct cat_table *t = table_for(c, e->key);
			struct cat_constraint *k = constraint_mut(t, e->sub);
			if (!k && t && e->sub) {
				/* validated, but added before the history starts: its
				 * definition is unknown (CAT_CON_OTHER) */
				ALLOC_GROW(t->cons, t->ncons + 1, t->cons_alloc);
				k = &t->cons[t->ncons++];
				memset(k, 0, sizeof(*k));
				k->kind = CAT_CON_OTHER;
				k->name = xstrdup(e->sub);
				k->origin = CAT_ORIGIN_UNKNOWN;
			}
			if (k)
				k->validated = true;
			break;
		}
		case DDL_SEQUENCE: {
			struct cat_object *o = object_mut(c, DDL_SEQUENCE, e->key, NULL);
			if (o && e->table) {
				free(o->table);
				free(o->column);
				o->table = xstrdup(e->table);
				o->column = e->column ? xstrdup(e->column) : NULL;
				c->owned++;
			}
			break;
		}
		default:
			break;
		}
		break;
	case DDL_DROP: {
		bool cascade = (e->flags & DDL_CASCADE) != 0;
		switch (e->kind) {
		case DDL_COLUMN: {
			struct cat_table *t = table_for(c, e->key);
			if (t && e->sub)
				remove_column(c, t, e->sub);
			break;
		}
		case DDL_CONSTRAINT: {
			struct cat_table *t = table_mut(c, e->key);
			if (t)
				remove_constraint(t, e->sub);
			break;
		}
		case DDL_TRIGGER:
		case DDL_POLICY: {
			struct cat_object *o = object_mut(c, e->kind, e->key, e->sub);
			if (o)
				object_drop(c, o);
			break;
		}
		case DDL_SCHEMA:
			drop_schema(c, e->key, cascade);
			break;
		case DDL_TYPE:
		case DDL_FUNCTION:
			drop_relation(c, e->kind, e->key, cascade);
			if (cascade)
				drop_users(c, e->kind, e->key);
			break;
		default:
			drop_relation(c, e->kind, e->key, cascade);
			break;
		}
		break;
	}
	case DDL_RENAME:
		rename(c, e);
		break;
	case DDL_WRITE: {
		/* rows in a table this revision created: INSERT, COPY and MERGE
		 * fill it, TRUNCATE empties it */
		struct cat_table *t = table_mut(c, e->key);
		if (!t || t->origin != a->origin || !e->node)
			break;
		if (e->node->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT)
			t->filled = false;
		else if (e->node->node_case != PG_QUERY__NODE__NODE_UPDATE_STMT &&
			 e->node->node_case != PG_QUERY__NODE__NODE_DELETE_STMT)
			t->filled = true;
		break;
	}
	}
}

void catalog_apply(struct catalog *c, const struct ddl_stmt *d, unsigned origin)
{
	struct apply a = {c, d, origin, NULL};
	for (size_t i = 0; i < d->n_effects; i++)
		apply_effect(&a, &d->effects[i]);
	for (size_t i = 0; i < d->n_effects; i++)
		if (d->effects[i].action == DDL_CREATE && d->effects[i].kind == DDL_TABLE &&
		    d->effects[i].ref && !a.skip)
			inherit_columns(&a, d->effects[i].key);
}

/* ---- snapshots ----
 *
 * One record per line, fields separated by tabs; strings escaped (\\, \t,
 * \n) and written "=value", or "~" for NULL:
 *   T name partitioned partition_of columns_known matview filled stub
 *   C name type nmods mod0 mod1 array_dims not_null has_default   (of the last T)
 *   K name kind validated not_null_col ref_table ncols col...      (of the last T)
 *   I name table unique method ncols col...
 *   O kind key sub table column ndeps dep...
 */

#define SNAPSHOT_MAGIC "revgate-catalog 2\n"

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
		put_int(out, t->matview);
		put_int(out, t->filled);
		put_int(out, t->stub);
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
	for (size_t i = 0; i < c->nobjects; i++) {
		const struct cat_object *o = c->objects[i];
		if (o->dropped)
			continue;
		strbuf_addch(out, 'O');
		put_int(out, o->kind);
		put_str(out, o->key);
		put_str(out, o->sub);
		put_str(out, o->table);
		put_str(out, o->column);
		put_list(out, &o->deps);
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
			t->matview = get_int(&r) != 0;
			t->filled = get_int(&r) != 0;
			t->stub = get_int(&r) != 0;
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
			index_add(c, name, table, NULL, origin, 0);
			struct cat_index *x = c->indexes[c->nindexes - 1];
			x->unique = get_int(&r) != 0;
			x->method = get_str(&r);
			get_list(&r, &x->columns);
			free(name);
			free(table);
		} else if (kind == 'O') {
			long k = get_int(&r);
			char *key = get_str(&r), *sub = get_str(&r);
			if (!key || k < 0 || k >= DDL_KIND_COUNT) {
				free(key);
				free(sub);
				r.bad = true;
				break;
			}
			struct cat_object *o = object_add(c, (enum ddl_kind)k, key, sub, origin, 0);
			free(key);
			free(sub);
			o->table = get_str(&r);
			o->column = get_str(&r);
			if (o->table)
				c->owned++;
			get_list(&r, &o->deps);
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
