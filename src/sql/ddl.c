/*
 * What a statement does (see ddl.h): one reader per statement kind, each
 * listing the objects the statement touches and the locks it takes, with
 * the lock modes taken from the lock table (locks.c) and the rewrite and
 * scan decisions made here, asking the schema through ddl_env where the
 * answer depends on it.
 */
#include "sql/ddl.h"
#include "sql/lex.h"
#include "sql/sql.h"
#include "core/strlist.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every string and array a ddl_stmt hands out, freed together. */
struct ddl_arena {
	void **v;
	size_t n, alloc;
};

static void *keep(struct ddl_stmt *d, void *p)
{
	if (!d->arena)
		d->arena = xcalloc(1, sizeof(*d->arena));
	ALLOC_GROW(d->arena->v, d->arena->n + 1, d->arena->alloc);
	d->arena->v[d->arena->n++] = p;
	return p;
}

static const char *keep_str(struct ddl_stmt *d, const char *s)
{
	return s ? keep(d, xstrdup(s)) : NULL;
}

void ddl_stmt_init(struct ddl_stmt *d)
{
	memset(d, 0, sizeof(*d));
}

void ddl_stmt_release(struct ddl_stmt *d)
{
	if (d->arena) {
		for (size_t i = 0; i < d->arena->n; i++)
			free(d->arena->v[i]);
		free(d->arena->v);
		free(d->arena);
	}
	free(d->effects);
	free(d->locks);
	free(d->clause);
	memset(d, 0, sizeof(*d));
}

/* Empties `d` but keeps its arrays for the next statement. */
static void ddl_stmt_clear(struct ddl_stmt *d)
{
	if (d->arena) {
		for (size_t i = 0; i < d->arena->n; i++)
			free(d->arena->v[i]);
		d->arena->n = 0;
	}
	d->n_effects = d->n_locks = d->n_clause = 0;
	d->work = false;
}

/* ---- names ---- */

char *ddl_key(const char *schema, const char *name)
{
	if (!name)
		return NULL;
	if (!schema || !*schema || !strcmp(schema, "public"))
		return xstrdup(name);
	return xstrfmt("%s.%s", schema, name);
}

char *ddl_rel_key(const PgQuery__RangeVar *rv)
{
	return rv && rv->relname ? ddl_key(rv->schemaname, rv->relname) : NULL;
}

static const char *str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

char *ddl_names_key(PgQuery__Node *const *v, size_t n)
{
	if (n == 0 || !str_of(v[n - 1]))
		return NULL;
	if (n == 1)
		return xstrdup(str_of(v[0]));
	return ddl_key(str_of(v[n - 2]), str_of(v[n - 1]));
}

/* The schema part of a key ("" for public). */
static char *key_schema(const char *key)
{
	const char *dot = key ? strrchr(key, '.') : NULL;
	return dot ? xstrndup(key, (size_t)(dot - key)) : xstrdup("");
}

const char *ddl_kind_name(enum ddl_kind k)
{
	static const char *const names[] = {
	    "table",	"column",   "constraint", "index",   "sequence",  "view",   "materialized view",
	    "function", "type",	    "trigger",	  "policy",  "extension", "schema",
	};
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "object";
}

/* ---- building ---- */

struct builder {
	struct ddl_stmt *d;
	const struct ddl_src *src;
	const struct ddl_env *env;
	struct ddl_session *session;
	int pg;
};

static size_t loc(const struct builder *b, int32_t location)
{
	if (location < 0 || !b->src)
		return b->src ? b->src->start : 0;
	return b->src->base + (size_t)location;
}

static size_t stmt_start(const struct builder *b)
{
	return b->src ? b->src->start : 0;
}

/* Adds an effect; `key` is taken over (may be NULL: nothing is added). */
static struct ddl_effect *effect(struct builder *b, enum ddl_action a, enum ddl_kind k, char *key,
				 const char *sub, size_t offset, const PgQuery__Node *node)
{
	if (!key)
		return NULL;
	struct ddl_stmt *d = b->d;
	ALLOC_GROW(d->effects, d->n_effects + 1, d->effects_alloc);
	struct ddl_effect *e = &d->effects[d->n_effects++];
	memset(e, 0, sizeof(*e));
	e->action = a;
	e->kind = k;
	e->key = keep(d, key);
	e->sub = keep_str(d, sub && *sub ? sub : NULL);
	e->offset = offset;
	e->node = node;
	return e;
}

/* Adds the lock the table gives `form` in `role` on `rel` (taken over). */
static struct ddl_lock *lock(struct builder *b, char *rel, enum lock_form form, enum lock_role role,
			     size_t offset)
{
	if (!rel)
		return NULL;
	const struct lock_entry *le = locks_find(form, role, b->pg);
	if (!le) {
		/* the form does not exist on this major: predict what the
		 * nearest one documents, so the prediction is never silent */
		le = locks_find(form, role, 17);
		if (!le)
			le = locks_find(form, role, 13);
	}
	if (!le) {
		free(rel);
		return NULL;
	}
	struct ddl_stmt *d = b->d;
	ALLOC_GROW(d->locks, d->n_locks + 1, d->locks_alloc);
	struct ddl_lock *l = &d->locks[d->n_locks++];
	memset(l, 0, sizeof(*l));
	l->relation = keep(d, rel);
	l->mode = le->mode;
	l->entry = le;
	l->offset = offset;
	return l;
}

static const char *dup(struct builder *b, const char *s)
{
	return keep_str(b->d, s);
}

/* ---- clauses of ALTER TABLE ---- */

/*
 * Where each ALTER TABLE command begins: after the relation name, then
 * after each comma outside parentheses and quotes. Falls back to the
 * statement start when the text does not split into as many clauses as the
 * tree has commands.
 */
static void alter_clauses(struct builder *b, const PgQuery__AlterTableStmt *as)
{
	struct ddl_stmt *d = b->d;
	d->clause = xrealloc(d->clause, (as->n_cmds + 1) * sizeof(*d->clause));
	d->n_clause = as->n_cmds;
	for (size_t i = 0; i < as->n_cmds; i++)
		d->clause[i] = stmt_start(b);
	if (!b->src || !b->src->text || !as->relation || as->relation->location < 0 || !as->n_cmds)
		return;
	const char *t = b->src->text;
	size_t end = b->src->start + b->src->len;
	size_t i = sql_lex_skip_name(t, loc(b, as->relation->location), end);
	size_t n = 0;
	size_t *at = xcalloc(as->n_cmds + 1, sizeof(*at));
	at[n++] = i;
	int depth = 0;
	while (i < end) {
		size_t j = sql_lex_skip_quoted(t, i, end);
		if (j != i) {
			i = j;
			continue;
		}
		if (t[i] == '(')
			depth++;
		else if (t[i] == ')')
			depth--;
		else if (t[i] == ',' && depth == 0) {
			if (n >= as->n_cmds) {
				n++;
				break;
			}
			at[n++] = sql_lex_skip_blank(t, i + 1, end);
		}
		i++;
	}
	if (n == as->n_cmds)
		memcpy(d->clause, at, n * sizeof(*at));
	free(at);
}

size_t ddl_clause_offset(const struct ddl_stmt *d, const PgQuery__AlterTableStmt *as,
			 const PgQuery__AlterTableCmd *cmd, size_t start)
{
	for (size_t i = 0; i < as->n_cmds && i < d->n_clause; i++)
		if (as->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
		    as->cmds[i]->alter_table_cmd == cmd)
			return d->clause[i];
	return start;
}

/* ---- helpers on parts of statements ---- */

static const PgQuery__Constraint *col_constraint(const PgQuery__ColumnDef *cd,
						 PgQuery__ConstrType t)
{
	for (size_t i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    cd->constraints[i]->constraint->contype == t)
			return cd->constraints[i]->constraint;
	return NULL;
}

static const PgQuery__Node *col_default(const PgQuery__ColumnDef *cd)
{
	if (cd->raw_default)
		return cd->raw_default;
	const PgQuery__Constraint *k = col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
	return k ? k->raw_expr : NULL;
}

static bool has_option(PgQuery__Node *const *opts, size_t n, const char *name, bool dflt_true)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
		    strcmp(opts[i]->def_elem->defname, name))
			continue;
		const PgQuery__Node *arg = opts[i]->def_elem->arg;
		if (!arg)
			return dflt_true;
		if (arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
			return arg->boolean->boolval;
		if (arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
			return arg->integer->ival != 0;
		if (arg->node_case == PG_QUERY__NODE__NODE_STRING)
			return strcasecmp(arg->string->sval, "false") &&
			       strcasecmp(arg->string->sval, "off") &&
			       strcmp(arg->string->sval, "0");
		return dflt_true;
	}
	return false;
}

/* The OWNED BY option of a sequence: table and column. */
static void owned_by(struct builder *b, struct ddl_effect *e, PgQuery__Node *const *opts, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
		    strcmp(opts[i]->def_elem->defname, "owned_by") || !opts[i]->def_elem->arg ||
		    opts[i]->def_elem->arg->node_case != PG_QUERY__NODE__NODE_LIST)
			continue;
		const PgQuery__List *l = opts[i]->def_elem->arg->list;
		if (l->n_items >= 2 && str_of(l->items[l->n_items - 1])) {
			char *t = ddl_names_key(l->items, l->n_items - 1);
			e->table = keep(b->d, t);
			e->column = dup(b, str_of(l->items[l->n_items - 1]));
		}
	}
}

/* The name PostgreSQL gives an unnamed index (ChooseIndexName, without
 * the numeric suffix it adds on a collision). */
static char *implicit_index_name(const PgQuery__IndexStmt *is)
{
	struct strlist parts = STRLIST_INIT;
	for (size_t i = 0; i < is->n_index_params; i++) {
		const PgQuery__Node *p = is->index_params[i];
		if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM)
			continue;
		const PgQuery__IndexElem *ie = p->index_elem;
		strlist_push(&parts, ie->name && *ie->name ? ie->name : "expr");
	}
	char *cols = strlist_join(&parts, "_");
	strlist_release(&parts);
	const char *suffix = is->primary ? "pkey" : is->n_exclude_op_names ? "excl" : "idx";
	char *name = is->primary ? xstrfmt("%s_%s", is->relation->relname, suffix)
				 : xstrfmt("%s_%s_%s", is->relation->relname, cols, suffix);
	free(cols);
	if (strlen(name) > 63)
		name[63] = '\0';
	return name;
}

/* Relations a query reads (RangeVars anywhere below `m`), for views; or,
 * with `columns`, the columns an expression names (ColumnRefs). */
static void collect(const ProtobufCMessage *m, struct strlist *out, bool columns, int depth)
{
	if (!m || depth > 200)
		return;
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	if (!columns && desc == &pg_query__range_var__descriptor) {
		char *k = ddl_rel_key((const PgQuery__RangeVar *)m);
		if (k && !strlist_has(out, k))
			strlist_push_owned(out, k);
		else
			free(k);
		return;
	}
	if (columns && desc == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
		const char *name = cr->n_fields ? str_of(cr->fields[cr->n_fields - 1]) : NULL;
		if (name && !strlist_has(out, name))
			strlist_push(out, name);
		return;
	}
	if (desc == &pg_query__node__descriptor) {
		/* a oneof of every kind: only the field it holds */
		const PgQuery__Node *n = (const PgQuery__Node *)m;
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(desc, (unsigned)n->node_case);
		if (f)
			collect(*(const ProtobufCMessage *const *)((const char *)m + f->offset), out,
				columns, depth + 1);
		return;
	}
	for (unsigned i = 0; i < desc->n_fields; i++) {
		ProtobufCMessage *const *v;
		size_t n = sql_msg_children(m, &desc->fields[i], &v);
		for (size_t j = 0; j < n; j++)
			collect(v[j], out, columns, depth + 1);
	}
}

void ddl_expr_columns(const PgQuery__Node *expr, struct strlist *out)
{
	if (expr)
		collect(&expr->base, out, true, 0);
}

static void set_deps(struct builder *b, struct ddl_effect *e, const PgQuery__Node *query)
{
	if (!e || !query)
		return;
	struct strlist rels = STRLIST_INIT;
	collect(&query->base, &rels, false, 0);
	if (rels.n) {
		const char **deps = keep(b->d, xcalloc(rels.n, sizeof(*deps)));
		for (size_t i = 0; i < rels.n; i++) {
			deps[i] = keep(b->d, rels.v[i]);
			rels.v[i] = NULL;
		}
		e->deps = deps;
		e->ndeps = rels.n;
	}
	strlist_release(&rels);
}

/* ---- constraints and columns ---- */

bool ddl_constraint_is_object(const PgQuery__Constraint *k)
{
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		return true;
	default:
		return false;
	}
}

/* The lock and effect of a constraint added to `table` (ALTER TABLE ADD,
 * a column's inline constraint, or CREATE TABLE with `creating`). */
static void add_constraint(struct builder *b, const char *table, const char *column,
			   const PgQuery__Constraint *k, const PgQuery__Node *node, size_t offset,
			   bool creating, int subtype)
{
	if (!ddl_constraint_is_object(k))
		return;
	struct ddl_effect *e = effect(b, DDL_CREATE, DDL_CONSTRAINT, xstrdup(table), k->conname,
				      offset, node);
	e->subtype = subtype;
	e->column = dup(b, column);
	if (k->skip_validation)
		e->flags |= DDL_NOT_VALID;
	if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && k->pktable) {
		e->ref = keep(b->d, ddl_rel_key(k->pktable));
		/* the referenced table is locked also when the table is new */
		struct ddl_lock *l = lock(b, ddl_rel_key(k->pktable), LF_ADD_FOREIGN_KEY,
					  LR_REFERENCED, offset);
		if (l && !k->skip_validation && !creating)
			l->why = "probed for every row of the referencing table";
	}
	if (k->indexname && *k->indexname) {
		/* USING INDEX: the index takes the constraint's name */
		char *sch = key_schema(table);
		struct ddl_effect *r = effect(b, DDL_RENAME, DDL_INDEX, ddl_key(sch, k->indexname),
					      NULL, offset, node);
		if (r && k->conname && *k->conname) {
			r->new_name = dup(b, k->conname);
			r->new_key = keep(b->d, ddl_key(sch, k->conname));
			r->flags |= DDL_IMPLIED;
			r->table = dup(b, table);
		}
		free(sch);
	}
}

static bool is_stored_generated(const PgQuery__ColumnDef *cd)
{
	return col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED) != NULL;
}

/* ALTER TABLE ... ADD COLUMN: the effects and what the table pays. */
static void add_column(struct builder *b, const char *table, const PgQuery__AlterTableCmd *cmd,
		       const PgQuery__ColumnDef *cd, size_t offset)
{
	struct ddl_effect *e =
	    effect(b, DDL_CREATE, DDL_COLUMN, xstrdup(table), cd->colname, offset, cmd->def);
	if (!e)
		return;
	e->subtype = cmd->subtype;
	if (cmd->missing_ok)
		e->flags |= DDL_IF_NOT_EXISTS;
	struct ddl_lock *l = lock(b, xstrdup(table), LF_ADD_COLUMN, LR_TABLE, offset);
	if (!l)
		return;
	const PgQuery__Node *def = col_default(cd);
	const char *why = NULL;
	bool unknown = false;
	if (sql_type_is_serial(cd->type_name)) {
		l->rewrite = true;
		l->why = "fills every row from a sequence";
	} else if (col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY)) {
		l->rewrite = true;
		l->why = "fills every row of the identity column";
	} else if (is_stored_generated(cd)) {
		l->rewrite = true;
		l->why = "computes the generated column for every row";
	} else if (def && sql_expr_volatile(def, &why, &unknown)) {
		l->rewrite = true;
		l->unknown = unknown;
		l->why = "computes the default for every row";
	}
	bool not_null = cd->is_not_null || col_constraint(cd, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL);
	if (!l->rewrite && not_null && !def) {
		l->scan = true;
		l->why = "checks that no row is NULL";
	}
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *c = cd->constraints[i];
		if (c->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		const PgQuery__Constraint *k = c->constraint;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			if (!k->skip_validation && !l->rewrite) {
				l->scan = true;
				l->why = "checks the new constraint on every row";
			}
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
			if (!l->rewrite) {
				l->scan = true;
				l->why = "builds the index";
			}
			break;
		default:
			break;
		}
		add_constraint(b, table, cd->colname, k, c, loc(b, k->location), false, cmd->subtype);
	}
}

/* ---- statements ---- */

static void create_table(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__CreateStmt *cs = node->create_stmt;
	char *key = ddl_rel_key(cs->relation);
	if (!key)
		return;
	struct ddl_effect *e =
	    effect(b, DDL_CREATE, DDL_TABLE, key, NULL, stmt_start(b), node);
	if (cs->if_not_exists)
		e->flags |= DDL_IF_NOT_EXISTS;
	if (cs->relation->relpersistence && !strcmp(cs->relation->relpersistence, "t"))
		e->flags |= DDL_TEMPORARY;
	lock(b, xstrdup(key), LF_CREATE_TABLE, LR_TABLE, stmt_start(b));
	for (size_t i = 0; i < cs->n_inh_relations; i++) {
		const PgQuery__Node *p = cs->inh_relations[i];
		if (p->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		char *pk = ddl_rel_key(p->range_var);
		if (cs->partbound && i == 0)
			e->ref = dup(b, pk);
		struct ddl_effect *pe = effect(b, DDL_ALTER, DDL_TABLE, xstrdup(pk), NULL,
					       loc(b, p->range_var->location), p);
		if (pe)
			pe->flags |= DDL_IMPLIED;
		lock(b, pk, cs->partbound ? LF_CREATE_PARTITION : LF_CREATE_INHERITS, LR_PARENT,
		     loc(b, p->range_var->location));
	}
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *el = cs->table_elts[i];
		if (el->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__ColumnDef *cd = el->column_def;
			effect(b, DDL_CREATE, DDL_COLUMN, xstrdup(key), cd->colname,
			       loc(b, cd->location), el);
			for (size_t k = 0; k < cd->n_constraints; k++)
				if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
					add_constraint(b, key, cd->colname,
						       cd->constraints[k]->constraint,
						       cd->constraints[k],
						       loc(b, cd->constraints[k]->constraint->location),
						       true, 0);
		} else if (el->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			add_constraint(b, key, NULL, el->constraint, el,
				       loc(b, el->constraint->location), true, 0);
		}
	}
	for (size_t i = 0; i < cs->n_constraints; i++)
		if (cs->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(b, key, NULL, cs->constraints[i]->constraint, cs->constraints[i],
				       loc(b, cs->constraints[i]->constraint->location), true, 0);
}

static void create_table_as(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__CreateTableAsStmt *cs = node->create_table_as_stmt;
	if (!cs->into || !cs->into->rel)
		return;
	bool mat = cs->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
	char *key = ddl_rel_key(cs->into->rel);
	struct ddl_effect *e = effect(b, DDL_CREATE, mat ? DDL_MATVIEW : DDL_TABLE, key, NULL,
				      stmt_start(b), node);
	if (!e)
		return;
	if (cs->if_not_exists)
		e->flags |= DDL_IF_NOT_EXISTS;
	if (!cs->into->skip_data)
		e->flags |= DDL_FILLED;
	if (cs->into->rel->relpersistence && !strcmp(cs->into->rel->relpersistence, "t"))
		e->flags |= DDL_TEMPORARY;
	set_deps(b, e, cs->query);
	lock(b, xstrdup(key), LF_CREATE_TABLE_AS, LR_TABLE, stmt_start(b));
	b->d->work = !cs->into->skip_data;
}

static void create_index(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__IndexStmt *is = node->index_stmt;
	char *table = ddl_rel_key(is->relation);
	if (!table)
		return;
	bool implicit = !is->idxname || !*is->idxname;
	char *name = implicit ? implicit_index_name(is) : xstrdup(is->idxname);
	struct ddl_effect *e = effect(b, DDL_CREATE, DDL_INDEX, ddl_key(is->relation->schemaname, name),
				      NULL, stmt_start(b), node);
	free(name);
	if (!e) {
		free(table);
		return;
	}
	e->table = dup(b, table);
	if (implicit)
		e->flags |= DDL_IMPLICIT_NAME;
	if (is->concurrent)
		e->flags |= DDL_CONCURRENTLY;
	if (is->if_not_exists)
		e->flags |= DDL_IF_NOT_EXISTS;
	struct ddl_lock *l =
	    lock(b, table, is->concurrent ? LF_CREATE_INDEX_CONCURRENTLY : LF_CREATE_INDEX, LR_TABLE,
		 loc(b, is->relation->location));
	if (l) {
		l->scan = true;
		l->why = "builds the index";
	}
}

/* The kind of object an ALTER/DROP/RENAME names. */
static bool kind_of(PgQuery__ObjectType t, enum ddl_kind *k)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		*k = DDL_TABLE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		*k = DDL_INDEX;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		*k = DDL_SEQUENCE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		*k = DDL_VIEW;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		*k = DDL_MATVIEW;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ROUTINE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE:
		*k = DDL_FUNCTION;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		*k = DDL_TYPE;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		*k = DDL_TRIGGER;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		*k = DDL_POLICY;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
		*k = DDL_EXTENSION;
		return true;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		*k = DDL_SCHEMA;
		return true;
	default:
		return false;
	}
}

static enum lock_form alter_form(const PgQuery__AlterTableCmd *cmd)
{
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnToView:
		return LF_ADD_COLUMN;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
		return LF_DROP_COLUMN;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		return LF_ALTER_COLUMN_TYPE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_CookedColumnDefault:
		return LF_COLUMN_DEFAULT;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_CheckNotNull:
		return LF_SET_NOT_NULL;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		return LF_DROP_NOT_NULL;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
		return LF_IDENTITY;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression:
		return LF_DROP_EXPRESSION;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
		return LF_SET_STATISTICS;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
		return LF_COLUMN_OPTIONS;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
		return LF_SET_STORAGE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
		return LF_SET_COMPRESSION;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint: {
		const PgQuery__Constraint *k =
		    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
			? cmd->def->constraint
			: NULL;
		if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
			return LF_ADD_FOREIGN_KEY;
		if (k && k->indexname && *k->indexname)
			return LF_ADD_CONSTRAINT_USING_INDEX;
		return LF_ADD_CONSTRAINT;
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
		return LF_VALIDATE_CONSTRAINT;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint:
		return LF_ALTER_CONSTRAINT;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
		return LF_DROP_CONSTRAINT;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigAll:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrigUser:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrigUser:
		return LF_TRIGGER_ENABLE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ClusterOn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropCluster:
		return LF_CLUSTER_ON;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions:
		return LF_SET_RELOPTIONS;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
		return LF_SET_TABLESPACE;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
		return LF_SET_LOGGED;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
		return LF_SET_ACCESS_METHOD;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
		return LF_ATTACH_PARTITION;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
		return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			       cmd->def->partition_cmd->concurrent
			   ? LF_DETACH_PARTITION_CONCURRENTLY
			   : LF_DETACH_PARTITION;
	default:
		return LF_ALTER_TABLE_OTHER;
	}
}

/* ALTER COLUMN ... TYPE: whether the table is rewritten, from the old type. */
static void column_type_cost(struct builder *b, struct ddl_lock *l, const char *table,
			     const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *cd = cmd->def && cmd->def->node_case ==
						       PG_QUERY__NODE__NODE_COLUMN_DEF
					   ? cmd->def->column_def
					   : NULL;
	l->rewrite = true;
	l->why = "rewrites the table and its indexes";
	if (!cd || cd->raw_default || !cmd->name)
		return; /* USING computes every row */
	struct sql_type old = {0};
	if (!b->env || !b->env->column_type ||
	    !b->env->column_type(b->env->arg, table, cmd->name, &old)) {
		l->unknown = true;
		sql_type_release(&old);
		return;
	}
	struct sql_type nt;
	sql_type_from(&nt, cd->type_name);
	/* PostgreSQL 12 skips the rewrite of timestamp <-> timestamptz at UTC */
	switch (sql_type_change_cost(&old, &nt, b->pg >= 12 && b->session && b->session->utc)) {
	case SQL_CHANGE_FREE:
		l->rewrite = false;
		l->why = NULL;
		break;
	case SQL_CHANGE_INDEX_REBUILD:
		l->rewrite = false;
		l->index_rebuild = true;
		l->why = "rebuilds the indexes on the column";
		break;
	case SQL_CHANGE_REWRITE:
		break;
	}
	sql_type_release(&nt);
	sql_type_release(&old);
}

static void alter_cmd(struct builder *b, const PgQuery__AlterTableStmt *as, enum ddl_kind kind,
		      const char *key, const PgQuery__AlterTableCmd *cmd, const PgQuery__Node *cmdnode,
		      size_t off)
{
	const PgQuery__Node *def = cmd->def;
	bool table = kind == DDL_TABLE || kind == DDL_MATVIEW;
	enum lock_form form = alter_form(cmd);
	struct ddl_effect *e = NULL;
	if (kind == DDL_TYPE) {
		/* ALTER TYPE ... ADD ATTRIBUTE: a composite type, no rows */
		effect(b, DDL_ALTER, DDL_TYPE, xstrdup(key), NULL, off, cmdnode);
		return;
	}
	if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && def &&
	    def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
		add_column(b, key, cmd, def->column_def, off);
		return;
	}
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		e = effect(b, DDL_DROP, DDL_COLUMN, xstrdup(key), cmd->name, off, cmdnode);
		if (e && cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			e->flags |= DDL_CASCADE;
		if (e && cmd->missing_ok)
			e->flags |= DDL_IF_EXISTS;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIndexConstraint:
		if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			add_constraint(b, key, NULL, def->constraint, def, off, false, cmd->subtype);
		}
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterConstraint: {
		const char *name = cmd->name;
		if ((!name || !*name) && def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			name = def->constraint->conname;
		e = effect(b, DDL_ALTER, DDL_CONSTRAINT, xstrdup(key), name, off, cmdnode);
		break;
	}
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		e = effect(b, DDL_DROP, DDL_CONSTRAINT, xstrdup(key), cmd->name, off, cmdnode);
		if (e && cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			e->flags |= DDL_CASCADE;
		if (e && cmd->missing_ok)
			e->flags |= DDL_IF_EXISTS;
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableAlwaysTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_EnableReplicaTrig:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DisableTrig:
		e = effect(b, DDL_ALTER, DDL_TRIGGER, xstrdup(key), cmd->name, off, cmdnode);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize:
		if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    def->partition_cmd->name) {
			char *part = ddl_rel_key(def->partition_cmd->name);
			e = effect(b, DDL_ALTER, kind == DDL_INDEX ? DDL_INDEX : DDL_TABLE,
				   kind == DDL_INDEX ? ddl_key(def->partition_cmd->name->schemaname,
							       def->partition_cmd->name->relname)
						     : xstrdup(part),
				   NULL, off, cmdnode);
			if (e) {
				e->ref = dup(b, key);
				if (def->partition_cmd->concurrent)
					e->flags |= DDL_CONCURRENTLY;
			}
			if (kind == DDL_INDEX || cmd->subtype ==
						     PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize) {
				free(part);
				e = NULL;
				break;
			}
			lock(b, xstrdup(key), form, LR_PARENT, off);
			struct ddl_lock *l = lock(b, part, form, LR_PARTITION, off);
			if (l && form == LF_ATTACH_PARTITION) {
				bool proven = b->env && b->env->bounds_proven &&
					      b->env->bounds_proven(b->env->arg, l->relation);
				l->scan = !proven;
				l->unknown = !b->env || !b->env->bounds_proven;
				l->why = l->scan ? "checks every row against the partition bounds" : NULL;
			}
			return;
		}
		break;
	default:
		if (cmd->name && *cmd->name && table &&
		    (form == LF_ALTER_COLUMN_TYPE || form == LF_COLUMN_DEFAULT ||
		     form == LF_SET_NOT_NULL || form == LF_DROP_NOT_NULL || form == LF_IDENTITY ||
		     form == LF_DROP_EXPRESSION || form == LF_SET_STATISTICS ||
		     form == LF_COLUMN_OPTIONS || form == LF_SET_STORAGE ||
		     form == LF_SET_COMPRESSION))
			e = effect(b, DDL_ALTER, DDL_COLUMN, xstrdup(key), cmd->name, off, cmdnode);
		break;
	}
	if (e)
		e->subtype = cmd->subtype;
	if (kind == DDL_VIEW || kind == DDL_SEQUENCE)
		return; /* the table's rows are what the lock table is about */
	struct ddl_lock *l = lock(b, xstrdup(key), form, LR_TABLE, off);
	if (!l)
		return;
	switch (form) {
	case LF_ALTER_COLUMN_TYPE:
		column_type_cost(b, l, key, cmd);
		break;
	case LF_SET_NOT_NULL: {
		/* PostgreSQL 12 taught SET NOT NULL to use a validated CHECK */
		bool proven = b->pg >= 12 && b->env && b->env->not_null_proven && cmd->name &&
			      b->env->not_null_proven(b->env->arg, key, cmd->name);
		l->scan = !proven;
		l->unknown = !b->env || !b->env->not_null_proven;
		l->why = l->scan ? "checks that no row is NULL" : NULL;
		break;
	}
	case LF_ADD_CONSTRAINT:
	case LF_ADD_FOREIGN_KEY: {
		const PgQuery__Constraint *k = def && def->node_case ==
							  PG_QUERY__NODE__NODE_CONSTRAINT
						    ? def->constraint
						    : NULL;
		if (!k)
			break;
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		    k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION) {
			l->scan = true;
			l->why = "builds the index";
		} else if (!k->skip_validation) {
			l->scan = true;
			l->why = "checks the constraint on every row";
		}
		break;
	}
	case LF_VALIDATE_CONSTRAINT:
		l->scan = true;
		l->why = "checks the constraint on every row";
		break;
	case LF_SET_TABLESPACE:
		l->rewrite = true;
		l->why = "copies the table and its indexes";
		break;
	case LF_SET_LOGGED:
	case LF_SET_ACCESS_METHOD:
		l->rewrite = true;
		l->why = "rewrites the table";
		break;
	default:
		break;
	}
	/* a foreign key's validation reads, and its drop locks, the table it
	 * references too */
	const char *ref = (form == LF_VALIDATE_CONSTRAINT || form == LF_DROP_CONSTRAINT) &&
				  cmd->name && b->env && b->env->fk_target
			      ? b->env->fk_target(b->env->arg, key, cmd->name)
			      : NULL;
	if (ref)
		lock(b, xstrdup(ref),
		     form == LF_VALIDATE_CONSTRAINT ? LF_VALIDATE_FOREIGN_KEY : LF_DROP_CONSTRAINT,
		     LR_REFERENCED, off);
}

static void alter_table(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
	enum ddl_kind kind;
	if (!as->relation || !kind_of(as->objtype, &kind)) {
		if (as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TYPE || !as->relation)
			return;
		kind = DDL_TYPE;
	}
	char *key = ddl_rel_key(as->relation);
	if (!key)
		return;
	alter_clauses(b, as);
	struct ddl_effect *e = effect(b, DDL_ALTER, kind, key, NULL, stmt_start(b), node);
	if (as->missing_ok)
		e->flags |= DDL_IF_EXISTS;
	for (size_t i = 0; i < as->n_cmds; i++) {
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		alter_cmd(b, as, kind, key, as->cmds[i]->alter_table_cmd, as->cmds[i],
			  b->d->clause[i]);
	}
}

static void rename(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	size_t off = stmt_start(b);
	/* the clause: RENAME ... after the relation's name */
	if (rs->relation && rs->relation->location >= 0 && b->src && b->src->text)
		off = sql_lex_skip_name(b->src->text, loc(b, rs->relation->location),
					b->src->start + b->src->len);
	enum ddl_kind kind;
	if (!rs->newname || !kind_of(rs->rename_type, &kind)) {
		enum ddl_kind sub;
		switch (rs->rename_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
			sub = DDL_COLUMN;
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
			sub = DDL_CONSTRAINT;
			break;
		default:
			return;
		}
		if (!rs->relation || !rs->newname || rs->relation_type ==
							 PG_QUERY__OBJECT_TYPE__OBJECT_TYPE)
			return;
		char *t = ddl_rel_key(rs->relation);
		struct ddl_effect *e = effect(b, DDL_RENAME, sub, t, rs->subname, off, node);
		if (e)
			e->new_name = dup(b, rs->newname);
		lock(b, xstrdup(t), sub == DDL_COLUMN ? LF_RENAME_COLUMN : LF_RENAME_CONSTRAINT,
		     LR_TABLE, off);
		return;
	}
	struct ddl_effect *e = NULL;
	switch (kind) {
	case DDL_TABLE:
	case DDL_VIEW:
	case DDL_MATVIEW:
	case DDL_SEQUENCE:
	case DDL_INDEX: {
		if (!rs->relation)
			return;
		char *key = ddl_rel_key(rs->relation);
		e = effect(b, DDL_RENAME, kind, key, NULL, off, node);
		if (!e)
			return;
		e->new_key = keep(b->d, ddl_key(rs->relation->schemaname, rs->newname));
		if (rs->missing_ok)
			e->flags |= DDL_IF_EXISTS;
		if (kind == DDL_INDEX)
			lock(b, xstrdup(key), LF_RENAME_INDEX, LR_INDEX, off);
		else
			lock(b, xstrdup(key), LF_RENAME_RELATION, LR_TABLE, off);
		break;
	}
	case DDL_TRIGGER:
	case DDL_POLICY: {
		if (!rs->relation)
			return;
		char *t = ddl_rel_key(rs->relation);
		e = effect(b, DDL_RENAME, kind, t, rs->subname, off, node);
		lock(b, xstrdup(t), kind == DDL_TRIGGER ? LF_RENAME_TRIGGER : LF_POLICY, LR_TABLE,
		     off);
		break;
	}
	case DDL_SCHEMA:
		e = effect(b, DDL_RENAME, kind, rs->subname ? xstrdup(rs->subname) : NULL, NULL, off,
			   node);
		if (e)
			e->new_key = dup(b, rs->newname);
		break;
	case DDL_FUNCTION:
	case DDL_TYPE: {
		const PgQuery__Node *o = rs->object;
		char *key = NULL;
		if (o && o->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
			key = ddl_names_key(o->object_with_args->objname,
					    o->object_with_args->n_objname);
		else if (o && o->node_case == PG_QUERY__NODE__NODE_LIST)
			key = ddl_names_key(o->list->items, o->list->n_items);
		else if (o && o->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
			key = ddl_names_key(o->type_name->names, o->type_name->n_names);
		e = effect(b, DDL_RENAME, kind, key, NULL, off, node);
		if (e) {
			char *sch = key_schema(e->key);
			e->new_key = keep(b->d, ddl_key(sch, rs->newname));
			free(sch);
		}
		break;
	}
	default:
		return;
	}
	if (e)
		e->new_name = dup(b, rs->newname);
}

static void set_schema(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__AlterObjectSchemaStmt *s = node->alter_object_schema_stmt;
	enum ddl_kind kind;
	if (!s->newschema || !kind_of(s->object_type, &kind))
		return;
	char *key = NULL;
	const char *name = NULL;
	if (s->relation) {
		key = ddl_rel_key(s->relation);
		name = s->relation->relname;
	} else if (s->object && s->object->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS) {
		const PgQuery__ObjectWithArgs *o = s->object->object_with_args;
		key = ddl_names_key(o->objname, o->n_objname);
		name = o->n_objname ? str_of(o->objname[o->n_objname - 1]) : NULL;
	} else if (s->object && s->object->node_case == PG_QUERY__NODE__NODE_LIST) {
		key = ddl_names_key(s->object->list->items, s->object->list->n_items);
		name = s->object->list->n_items
			   ? str_of(s->object->list->items[s->object->list->n_items - 1])
			   : NULL;
	}
	if (!name) {
		free(key);
		return;
	}
	struct ddl_effect *e = effect(b, DDL_RENAME, kind, key, NULL, stmt_start(b), node);
	if (!e)
		return;
	e->new_key = keep(b->d, ddl_key(s->newschema, name));
	e->new_name = dup(b, name);
	if (kind == DDL_TABLE || kind == DDL_VIEW || kind == DDL_MATVIEW || kind == DDL_SEQUENCE)
		lock(b, xstrdup(e->key), LF_ALTER_TABLE_OTHER, LR_TABLE, stmt_start(b));
}

/* A DROP object's key, and for triggers and policies the table and name. */
static char *drop_key(const PgQuery__Node *obj, enum ddl_kind kind, const char **sub)
{
	*sub = NULL;
	if (!obj)
		return NULL;
	switch (obj->node_case) {
	case PG_QUERY__NODE__NODE_STRING:
		return xstrdup(obj->string->sval);
	case PG_QUERY__NODE__NODE_LIST: {
		const PgQuery__List *l = obj->list;
		if (kind == DDL_TRIGGER || kind == DDL_POLICY) {
			if (l->n_items < 2)
				return NULL;
			*sub = str_of(l->items[l->n_items - 1]);
			return ddl_names_key(l->items, l->n_items - 1);
		}
		return ddl_names_key(l->items, l->n_items);
	}
	case PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS:
		return ddl_names_key(obj->object_with_args->objname,
				     obj->object_with_args->n_objname);
	case PG_QUERY__NODE__NODE_TYPE_NAME:
		return ddl_names_key(obj->type_name->names, obj->type_name->n_names);
	default:
		return NULL;
	}
}

static void drop(struct builder *b, const PgQuery__Node *node)
{
	const PgQuery__DropStmt *ds = node->drop_stmt;
	enum ddl_kind kind;
	bool rule = ds->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_RULE;
	if (!kind_of(ds->remove_type, &kind) && !rule)
		return;
	size_t off = stmt_start(b);
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *sub;
		char *key = drop_key(ds->objects[i], rule ? DDL_TRIGGER : kind, &sub);
		if (!key)
			continue;
		if (rule) {
			lock(b, key, LF_CREATE_RULE, LR_TABLE, off);
			continue;
		}
		struct ddl_effect *e = effect(b, DDL_DROP, kind, key, sub, off, ds->objects[i]);
		if (!e)
			continue;
		if (ds->missing_ok)
			e->flags |= DDL_IF_EXISTS;
		if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
			e->flags |= DDL_CASCADE;
		if (ds->concurrent)
			e->flags |= DDL_CONCURRENTLY;
		switch (kind) {
		case DDL_INDEX: {
			enum lock_form f =
			    ds->concurrent ? LF_DROP_INDEX_CONCURRENTLY : LF_DROP_INDEX;
			lock(b, xstrdup(key), f, LR_INDEX, off);
			const char *t = b->env && b->env->index_table
					    ? b->env->index_table(b->env->arg, key)
					    : NULL;
			if (t) {
				e->table = dup(b, t);
				lock(b, xstrdup(t), f, LR_TABLE, off);
			}
			break;
		}
		case DDL_TABLE:
		case DDL_VIEW:
		case DDL_MATVIEW:
		case DDL_SEQUENCE:
			lock(b, xstrdup(key), LF_DROP_RELATION, LR_TABLE, off);
			break;
		case DDL_TRIGGER:
			lock(b, xstrdup(key), LF_DROP_TRIGGER, LR_TABLE, off);
			break;
		case DDL_POLICY:
			lock(b, xstrdup(key), LF_POLICY, LR_TABLE, off);
			break;
		default:
			break;
		}
	}
}

static void write_rows(struct builder *b, const PgQuery__RangeVar *rv, bool no_where,
		       const PgQuery__Node *node)
{
	b->d->work = true;
	char *key = ddl_rel_key(rv);
	if (!key)
		return;
	struct ddl_effect *e = effect(b, DDL_WRITE, DDL_TABLE, key, NULL,
				      rv->location >= 0 ? loc(b, rv->location) : stmt_start(b), node);
	if (no_where)
		e->flags |= DDL_NO_WHERE;
	struct ddl_lock *l = lock(b, xstrdup(key), LF_WRITE_ROWS, LR_TABLE, e->offset);
	if (l && no_where) {
		l->scan = true;
		l->why = "reads and writes every row";
	}
}

/* SET TIME ZONE / SET timezone: whether the session is now at UTC. */
static void variable_set(struct builder *b, const PgQuery__VariableSetStmt *vs)
{
	if (!b->session || !vs->name || strcasecmp(vs->name, "timezone"))
		return;
	bool utc = false;
	if (vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE && vs->n_args == 1 &&
	    vs->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		const PgQuery__AConst *c = vs->args[0]->a_const;
		static const char *const zones[] = {"utc",     "etc/utc", "gmt",	"etc/gmt",
						    "zulu",    "etc/zulu", "universal", "etc/universal",
						    "uct",     "etc/uct",  "utc0",	"gmt0",
						    "etc/gmt0", "greenwich", "z"};
		if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && c->sval && c->sval->sval) {
			for (size_t i = 0; i < ARRAY_SIZE(zones); i++)
				if (!strcasecmp(c->sval->sval, zones[i]))
					utc = true;
		} else if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
			utc = c->ival && c->ival->ival == 0;
		}
	}
	b->session->utc = utc;
}

static void reindex(struct builder *b, const PgQuery__ReindexStmt *rs)
{
	bool conc = false;
	for (size_t i = 0; i < rs->n_params; i++)
		if (rs->params[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    !strcmp(rs->params[i]->def_elem->defname, "concurrently"))
			conc = has_option(rs->params, rs->n_params, "concurrently", true);
	enum lock_form f = conc ? LF_REINDEX_CONCURRENTLY : LF_REINDEX;
	size_t off = stmt_start(b);
	struct ddl_lock *l = NULL;
	if (rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX && rs->relation) {
		char *key = ddl_rel_key(rs->relation);
		const char *t = b->env && b->env->index_table ? b->env->index_table(b->env->arg, key)
							      : NULL;
		l = lock(b, key, f, LR_INDEX, off);
		if (t)
			lock(b, xstrdup(t), f, LR_TABLE, off);
	} else if (rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE && rs->relation) {
		l = lock(b, ddl_rel_key(rs->relation), f, LR_TABLE, off);
	}
	if (l) {
		l->scan = true;
		l->why = "rebuilds the index";
	}
}

bool ddl_vacuum_full(const PgQuery__VacuumStmt *v)
{
	return v->is_vacuumcmd && has_option(v->options, v->n_options, "full", true);
}

static void vacuum(struct builder *b, const PgQuery__VacuumStmt *v)
{
	bool full = ddl_vacuum_full(v);
	enum lock_form f = !v->is_vacuumcmd ? LF_ANALYZE : full ? LF_VACUUM_FULL : LF_VACUUM;
	for (size_t i = 0; i < v->n_rels; i++) {
		if (v->rels[i]->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
		    !v->rels[i]->vacuum_relation->relation)
			continue;
		struct ddl_lock *l = lock(b, ddl_rel_key(v->rels[i]->vacuum_relation->relation), f,
					  LR_TABLE, stmt_start(b));
		if (l && full) {
			l->rewrite = true;
			l->why = "rewrites the table";
		} else if (l) {
			l->scan = true;
			l->why = "reads the table";
		}
	}
}

static void simple_effect(struct builder *b, enum ddl_action a, enum ddl_kind k, char *key,
			  const PgQuery__Node *node, unsigned flags)
{
	struct ddl_effect *e = effect(b, a, k, key, NULL, stmt_start(b), node);
	if (e)
		e->flags |= flags;
}

static void describe(struct builder *b, const PgQuery__Node *s)
{
	size_t off = stmt_start(b);
	switch (s->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		create_table(b, s);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		create_table_as(b, s);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT: {
		const PgQuery__ViewStmt *v = s->view_stmt;
		struct ddl_effect *e =
		    effect(b, DDL_CREATE, DDL_VIEW, ddl_rel_key(v->view), NULL, off, s);
		if (e && v->replace)
			e->flags |= DDL_OR_REPLACE;
		set_deps(b, e, v->query);
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		create_index(b, s);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_table(b, s);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rename(b, s);
		break;
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		set_schema(b, s);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop(b, s);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT: {
		const PgQuery__CreateTrigStmt *t = s->create_trig_stmt;
		char *table = ddl_rel_key(t->relation);
		struct ddl_effect *e = effect(b, DDL_CREATE, DDL_TRIGGER, table, t->trigname, off, s);
		if (!e)
			break;
		e->ref = keep(b->d, ddl_names_key(t->funcname, t->n_funcname));
		if (t->replace)
			e->flags |= DDL_OR_REPLACE;
		lock(b, xstrdup(table), LF_CREATE_TRIGGER, LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT: {
		const PgQuery__CreatePolicyStmt *p = s->create_policy_stmt;
		char *table = ddl_rel_key(p->table);
		if (effect(b, DDL_CREATE, DDL_POLICY, table, p->policy_name, off, s))
			lock(b, xstrdup(table), LF_POLICY, LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT: {
		const PgQuery__AlterPolicyStmt *p = s->alter_policy_stmt;
		char *table = ddl_rel_key(p->table);
		if (effect(b, DDL_ALTER, DDL_POLICY, table, p->policy_name, off, s))
			lock(b, xstrdup(table), LF_POLICY, LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *f = s->create_function_stmt;
		simple_effect(b, DDL_CREATE, DDL_FUNCTION, ddl_names_key(f->funcname, f->n_funcname),
			      s, f->replace ? DDL_OR_REPLACE : 0);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT: {
		const PgQuery__ObjectWithArgs *o = s->alter_function_stmt->func;
		if (o)
			simple_effect(b, DDL_ALTER, DDL_FUNCTION,
				      ddl_names_key(o->objname, o->n_objname), s, 0);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		simple_effect(b, DDL_CREATE, DDL_TYPE,
			      ddl_names_key(s->create_enum_stmt->type_name,
					    s->create_enum_stmt->n_type_name),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		simple_effect(b, DDL_CREATE, DDL_TYPE, ddl_rel_key(s->composite_type_stmt->typevar),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		simple_effect(b, DDL_CREATE, DDL_TYPE,
			      ddl_names_key(s->create_range_stmt->type_name,
					    s->create_range_stmt->n_type_name),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		simple_effect(b, DDL_CREATE, DDL_TYPE,
			      ddl_names_key(s->create_domain_stmt->domainname,
					    s->create_domain_stmt->n_domainname),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_DEFINE_STMT:
		if (s->define_stmt->kind == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE)
			simple_effect(b, DDL_CREATE, DDL_TYPE,
				      ddl_names_key(s->define_stmt->defnames,
						    s->define_stmt->n_defnames),
				      s, s->define_stmt->if_not_exists ? DDL_IF_NOT_EXISTS : 0);
		break;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		simple_effect(b, DDL_ALTER, DDL_TYPE,
			      ddl_names_key(s->alter_enum_stmt->type_name,
					    s->alter_enum_stmt->n_type_name),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		simple_effect(b, DDL_ALTER, DDL_TYPE,
			      ddl_names_key(s->alter_domain_stmt->type_name,
					    s->alter_domain_stmt->n_type_name),
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: {
		const PgQuery__CreateSeqStmt *c = s->create_seq_stmt;
		struct ddl_effect *e =
		    effect(b, DDL_CREATE, DDL_SEQUENCE, ddl_rel_key(c->sequence), NULL, off, s);
		if (e && c->if_not_exists)
			e->flags |= DDL_IF_NOT_EXISTS;
		owned_by(b, e, c->options, c->n_options);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT: {
		const PgQuery__AlterSeqStmt *a = s->alter_seq_stmt;
		char *key = ddl_rel_key(a->sequence);
		struct ddl_effect *e = effect(b, DDL_ALTER, DDL_SEQUENCE, key, NULL, off, s);
		owned_by(b, e, a->options, a->n_options);
		if (e)
			lock(b, xstrdup(key), LF_ALTER_SEQUENCE, LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		simple_effect(b, DDL_CREATE, DDL_EXTENSION,
			      s->create_extension_stmt->extname
				  ? xstrdup(s->create_extension_stmt->extname)
				  : NULL,
			      s, s->create_extension_stmt->if_not_exists ? DDL_IF_NOT_EXISTS : 0);
		break;
	case PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT:
		simple_effect(b, DDL_ALTER, DDL_EXTENSION,
			      s->alter_extension_stmt->extname
				  ? xstrdup(s->alter_extension_stmt->extname)
				  : NULL,
			      s, 0);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		simple_effect(b, DDL_CREATE, DDL_SCHEMA,
			      s->create_schema_stmt->schemaname
				  ? xstrdup(s->create_schema_stmt->schemaname)
				  : NULL,
			      s, s->create_schema_stmt->if_not_exists ? DDL_IF_NOT_EXISTS : 0);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		write_rows(b, s->insert_stmt->relation, false, s);
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		write_rows(b, s->update_stmt->relation, !s->update_stmt->where_clause, s);
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		write_rows(b, s->delete_stmt->relation, !s->delete_stmt->where_clause, s);
		break;
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		write_rows(b, s->merge_stmt->relation, false, s);
		break;
	case PG_QUERY__NODE__NODE_COPY_STMT:
		if (s->copy_stmt->is_from)
			write_rows(b, s->copy_stmt->relation, false, s);
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		b->d->work = true;
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: {
		const PgQuery__TruncateStmt *t = s->truncate_stmt;
		for (size_t i = 0; i < t->n_relations; i++) {
			if (t->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			char *key = ddl_rel_key(t->relations[i]->range_var);
			struct ddl_effect *e = effect(b, DDL_WRITE, DDL_TABLE, key, NULL, off, s);
			if (!e)
				continue;
			e->flags |= DDL_NO_WHERE;
			if (t->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
				e->flags |= DDL_CASCADE;
			struct ddl_lock *l = lock(b, xstrdup(key), LF_TRUNCATE, LR_TABLE, off);
			if (l) {
				/* a new, empty file: relfilenode changes */
				l->rewrite = true;
				l->why = "gives the table a new, empty file";
			}
		}
		break;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		vacuum(b, s->vacuum_stmt);
		break;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		if (s->cluster_stmt->relation) {
			struct ddl_lock *l =
			    lock(b, ddl_rel_key(s->cluster_stmt->relation), LF_CLUSTER, LR_TABLE, off);
			if (l) {
				l->rewrite = true;
				l->why = "rewrites the table";
			}
		}
		break;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		reindex(b, s->reindex_stmt);
		break;
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: {
		const PgQuery__RefreshMatViewStmt *r = s->refresh_mat_view_stmt;
		struct ddl_lock *l = lock(b, ddl_rel_key(r->relation),
					  r->concurrent ? LF_REFRESH_MATVIEW_CONCURRENTLY
							: LF_REFRESH_MATVIEW,
					  LR_TABLE, off);
		if (l) {
			l->rewrite = !r->concurrent;
			l->scan = r->concurrent;
			l->why = "recomputes the view";
		}
		b->d->work = true;
		break;
	}
	case PG_QUERY__NODE__NODE_LOCK_STMT: {
		const PgQuery__LockStmt *ls = s->lock_stmt;
		for (size_t i = 0; i < ls->n_relations; i++) {
			if (ls->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			struct ddl_lock *l = lock(b, ddl_rel_key(ls->relations[i]->range_var),
						  LF_LOCK_TABLE, LR_TABLE, off);
			if (l && ls->mode >= LOCK_ACCESS_SHARE && ls->mode <= LOCK_ACCESS_EXCLUSIVE)
				l->mode = (enum lock_mode)ls->mode;
		}
		break;
	}
	case PG_QUERY__NODE__NODE_COMMENT_STMT: {
		const PgQuery__CommentStmt *c = s->comment_stmt;
		const PgQuery__Node *o = c->object;
		char *key = NULL;
		if (o && o->node_case == PG_QUERY__NODE__NODE_LIST) {
			if (c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
				key = ddl_names_key(o->list->items, o->list->n_items);
			else if (c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
				 o->list->n_items >= 2)
				key = ddl_names_key(o->list->items, o->list->n_items - 1);
		}
		lock(b, key, LF_COMMENT, LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_RULE_STMT:
		lock(b, ddl_rel_key(s->rule_stmt->relation), LF_CREATE_RULE, LR_TABLE, off);
		break;
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT: {
		const PgQuery__CreateStatsStmt *cs = s->create_stats_stmt;
		for (size_t i = 0; i < cs->n_relations; i++)
			if (cs->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				lock(b, ddl_rel_key(cs->relations[i]->range_var), LF_CREATE_STATISTICS,
				     LR_TABLE, off);
		break;
	}
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		variable_set(b, s->variable_set_stmt);
		break;
	default:
		break;
	}
}

void ddl_describe(const PgQuery__Node *stmt, const struct ddl_src *src, const struct ddl_env *env,
		  struct ddl_session *session, struct ddl_stmt *out)
{
	ddl_stmt_clear(out);
	if (!stmt)
		return;
	struct builder b = {out, src, env, session, env && env->pg_version ? env->pg_version : 15};
	describe(&b, stmt);
}

size_t ddl_predict(const struct ddl_stmt *d, struct ddl_prediction *out)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_locks; i++) {
		const struct ddl_lock *l = &d->locks[i];
		size_t k = 0;
		while (k < n && strcmp(out[k].relation, l->relation))
			k++;
		if (k == n) {
			out[n].relation = l->relation;
			out[n].mode = l->mode;
			out[n].rewrite = l->rewrite;
			out[n].scan = l->scan;
			n++;
			continue;
		}
		if (l->mode > out[k].mode)
			out[k].mode = l->mode;
		out[k].rewrite |= l->rewrite;
		out[k].scan |= l->scan;
	}
	return n;
}

enum lock_mode ddl_lock_on(const struct ddl_stmt *d, const char *relation)
{
	enum lock_mode m = LOCK_NONE;
	for (size_t i = 0; relation && i < d->n_locks; i++)
		if (!strcmp(d->locks[i].relation, relation) && d->locks[i].mode > m)
			m = d->locks[i].mode;
	return m;
}

/* What a table-level effect destroys, or NULL. */
static const char *table_loss(const struct ddl_effect *e)
{
	if (e->flags & DDL_TEMPORARY)
		return NULL;
	if (e->action == DDL_DROP && e->kind == DDL_TABLE)
		return "drops table";
	if (e->action != DDL_WRITE || e->kind != DDL_TABLE || !(e->flags & DDL_NO_WHERE) ||
	    !e->node)
		return NULL;
	switch (e->node->node_case) {
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		return "empties table";
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return "rewrites every row of table";
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return "deletes every row of table";
	default:
		return NULL;
	}
}

/* What a column-level effect destroys, or NULL. */
static const char *column_loss(const struct ddl_effect *e)
{
	if (e->kind != DDL_COLUMN || !e->sub)
		return NULL;
	if (e->action == DDL_DROP)
		return "drops column";
	/* USING computes new values from the old ones: the old are gone */
	if (e->action == DDL_ALTER &&
	    e->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType && e->node &&
	    e->node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD &&
	    e->node->alter_table_cmd->def &&
	    e->node->alter_table_cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
	    e->node->alter_table_cmd->def->column_def->raw_default)
		return "changes the type, USING, of column";
	return NULL;
}

size_t ddl_losses(const struct ddl_stmt *d, struct ddl_loss *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_effects; i++) {
		const struct ddl_effect *e = &d->effects[i];
		const char *t = table_loss(e), *c = t ? NULL : column_loss(e);
		if (!t && !c)
			continue;
		if (n < max)
			out[n] = (struct ddl_loss){t ? DDL_LOSS_TABLE : DDL_LOSS_COLUMN, e->key,
						   t ? NULL : e->sub, t ? t : c, e->offset};
		n++;
	}
	return n;
}
