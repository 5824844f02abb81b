/* What a revision did so far: locks, transactions, created and dropped objects. */
#include "lint/facts.h"
#include "lint/util.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

void facts_init(struct lint_facts *f)
{
	memset(f, 0, sizeof(*f));
}

static void objs_release(struct lint_objs *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].name);
		free(o->v[i].table);
	}
	free(o->v);
	strmap_release(&o->map);
	strlist_release(&o->keys);
	memset(o, 0, sizeof(*o));
}

void facts_release(struct lint_facts *f)
{
	free(f->ax_table);
	strlist_release(&f->not_valid);
	objs_release(&f->created);
	objs_release(&f->dropped);
	memset(f, 0, sizeof(*f));
}

void facts_txn_reset(struct lint_facts *f)
{
	f->ax_held = false;
	f->ax_costly_after = 0;
	free(f->ax_table);
	f->ax_table = NULL;
	strlist_release(&f->not_valid);
}

const char *lint_obj_kind_name(enum lint_obj_kind k)
{
	static const char *const names[] = {"table", "column",	  "index",    "constraint",
					    "type",  "extension", "function", "sequence",
					    "view",  "schema",	  "trigger"};
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "object";
}

static char *obj_key(enum lint_obj_kind kind, const char *name)
{
	return xstrfmt("%d:%s", (int)kind, name);
}

static bool find(const struct lint_objs *o, enum lint_obj_kind kind, const char *name, size_t *at)
{
	char *key = obj_key(kind, name);
	bool ok = strmap_get(&o->map, key, at) && !o->v[*at].removed;
	free(key);
	return ok;
}

void lint_objs_add(struct lint_objs *o, enum lint_obj_kind kind, const char *name,
		   const char *table, size_t offset)
{
	size_t at;
	if (!name || find(o, kind, name, &at))
		return;
	ALLOC_GROW(o->v, o->n + 1, o->alloc);
	struct lint_obj *x = &o->v[o->n];
	x->kind = kind;
	x->name = xstrdup(name);
	x->table = table ? xstrdup(table) : NULL;
	x->offset = offset;
	x->removed = false;
	strlist_push_owned(&o->keys, obj_key(kind, name));
	strmap_put(&o->map, o->keys.v[o->keys.n - 1], o->n);
	o->n++;
}

bool lint_objs_has(const struct lint_objs *o, enum lint_obj_kind kind, const char *name)
{
	size_t at;
	return find(o, kind, name, &at);
}

/* The upgrade dropped something it created itself: nothing left to undo. */
static void objs_remove(struct lint_objs *o, enum lint_obj_kind kind, const char *name)
{
	size_t at;
	if (!find(o, kind, name, &at))
		return;
	o->v[at].removed = true;
	if (kind != LOBJ_TABLE)
		return;
	/* its columns, indexes, constraints and triggers go with it (rare: linear) */
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].table && !strcmp(o->v[i].table, name))
			o->v[i].removed = true;
}

static enum lint_obj_kind kind_of(PgQuery__ObjectType t, bool *known)
{
	*known = true;
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		return LOBJ_TABLE;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		return LOBJ_INDEX;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		return LOBJ_TYPE;
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
		return LOBJ_EXTENSION;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		return LOBJ_FUNCTION;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return LOBJ_SEQUENCE;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		return LOBJ_VIEW;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		return LOBJ_SCHEMA;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		return LOBJ_TRIGGER;
	default:
		*known = false;
		return LOBJ_TABLE;
	}
}

static char *qualified(const char *schema, const char *name)
{
	if (!schema || !*schema || !strcmp(schema, "public"))
		return xstrdup(name);
	return xstrfmt("%s.%s", schema, name);
}

static char *names_key(PgQuery__Node *const *v, size_t n)
{
	if (n == 1 && lu_str(v[0]))
		return xstrdup(lu_str(v[0]));
	if (n >= 2 && lu_str(v[n - 2]) && lu_str(v[n - 1]))
		return qualified(lu_str(v[n - 2]), lu_str(v[n - 1]));
	return NULL;
}

/* Objects a statement creates (upgrade) or drops (downgrade), by one reader. */
static void record(struct lint_objs *o, bool creating, enum lint_obj_kind kind, char *name,
		   const char *table, size_t offset, struct lint_objs *undo)
{
	if (!name)
		return;
	if (!creating && undo)
		objs_remove(undo, kind, name);
	else
		lint_objs_add(o, kind, name, table, offset);
	free(name);
}

static void alter_effects(struct lint_objs *o, bool up, const PgQuery__AlterTableStmt *as,
			  size_t off, struct lint_objs *undo, const struct lint_facts *f)
{
	if (!as->relation || as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	char *table = catalog_key(as->relation);
	/* objects of a table the same upgrade created go with the table */
	bool new_table = up && lint_objs_has(&f->created, LOBJ_TABLE, table);
	LU_FOREACH_CMD(as, cmd)
	{
		const PgQuery__Node *def = cmd->def;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (up && !new_table && def &&
			    def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				record(o, true, LOBJ_COLUMN,
				       xstrfmt("%s.%s", table, def->column_def->colname), table,
				       off, NULL);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (up && !new_table && def &&
			    def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			    def->constraint->conname && *def->constraint->conname)
				record(o, true, LOBJ_CONSTRAINT,
				       xstrfmt("%s.%s", table, def->constraint->conname), table,
				       off, NULL);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (cmd->name)
				record(o, false, LOBJ_COLUMN, xstrfmt("%s.%s", table, cmd->name),
				       table, off, undo);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			if (cmd->name)
				record(o, false, LOBJ_CONSTRAINT,
				       xstrfmt("%s.%s", table, cmd->name), table, off, undo);
			break;
		default:
			break;
		}
	}
	free(table);
}

static void effects(struct lint_facts *f, const struct lint_ctx *ctx)
{
	bool up = ctx->section == LINT_UPGRADE;
	struct lint_objs *o = up ? &f->created : &f->dropped;
	/* an upgrade that drops what it created itself has nothing to undo */
	struct lint_objs *undo = up ? &f->created : NULL;
	const PgQuery__Node *s = ctx->stmt;
	size_t off = ctx->stmt_start;
	switch (s->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		if (up && s->create_stmt->relation)
			record(o, true, LOBJ_TABLE, catalog_key(s->create_stmt->relation), NULL,
			       off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *c = s->create_table_as_stmt;
		if (up && c->into && c->into->rel)
			record(o, true,
			       c->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ? LOBJ_VIEW
										   : LOBJ_TABLE,
			       catalog_key(c->into->rel), NULL, off, NULL);
		break;
	}
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		if (up && s->view_stmt->view && !s->view_stmt->replace)
			record(o, true, LOBJ_VIEW, catalog_key(s->view_stmt->view), NULL, off,
			       NULL);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = s->index_stmt;
		if (!up || !is->idxname || !*is->idxname || !is->relation)
			break;
		char *table = catalog_key(is->relation);
		if (!lint_objs_has(o, LOBJ_TABLE, table))
			record(o, true, LOBJ_INDEX,
			       qualified(is->relation->schemaname, is->idxname), table, off, NULL);
		free(table);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
		if (up)
			record(o, true, LOBJ_TYPE,
			       names_key(s->create_enum_stmt->type_name,
					 s->create_enum_stmt->n_type_name),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		if (up && s->composite_type_stmt->typevar)
			record(o, true, LOBJ_TYPE, catalog_key(s->composite_type_stmt->typevar),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		if (up)
			record(o, true, LOBJ_TYPE,
			       names_key(s->create_domain_stmt->domainname,
					 s->create_domain_stmt->n_domainname),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		/* IF NOT EXISTS may find it already there: dropping it could be wrong */
		if (up && !s->create_extension_stmt->if_not_exists)
			record(o, true, LOBJ_EXTENSION, xstrdup(s->create_extension_stmt->extname),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: {
		const PgQuery__CreateFunctionStmt *cf = s->create_function_stmt;
		const char *name = lu_last_name(cf->funcname, cf->n_funcname);
		if (!name)
			break;
		if (up && !cf->replace)
			record(o, true, LOBJ_FUNCTION, xstrdup(name), NULL, off, NULL);
		else if (!up) /* the downgrade restores the previous body */
			record(o, false, LOBJ_FUNCTION, xstrdup(name), NULL, off, NULL);
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		if (up && s->create_seq_stmt->sequence)
			record(o, true, LOBJ_SEQUENCE, catalog_key(s->create_seq_stmt->sequence),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		if (up && !s->create_schema_stmt->if_not_exists)
			record(o, true, LOBJ_SCHEMA, xstrdup(s->create_schema_stmt->schemaname),
			       NULL, off, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		if (up && s->create_trig_stmt->relation && !s->create_trig_stmt->replace) {
			char *table = catalog_key(s->create_trig_stmt->relation);
			if (!lint_objs_has(o, LOBJ_TABLE, table))
				record(o, true, LOBJ_TRIGGER,
				       xstrfmt("%s.%s", table, s->create_trig_stmt->trigname),
				       table, off, NULL);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		alter_effects(o, up, s->alter_table_stmt, off, undo, f);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *ds = s->drop_stmt;
		bool known;
		enum lint_obj_kind k = kind_of(ds->remove_type, &known);
		if (!known)
			break;
		for (size_t i = 0; i < ds->n_objects; i++) {
			char *name;
			if (k == LOBJ_TRIGGER) {
				/* [schema, table, trigger] */
				const PgQuery__Node *obj = ds->objects[i];
				name = NULL;
				if (obj->node_case == PG_QUERY__NODE__NODE_LIST &&
				    obj->list->n_items >= 2) {
					size_t n = obj->list->n_items;
					char *t = names_key(obj->list->items, n - 1);
					if (t && lu_str(obj->list->items[n - 1]))
						name = xstrfmt("%s.%s", t,
							       lu_str(obj->list->items[n - 1]));
					free(t);
				}
			} else {
				name = lu_object_name(ds->objects[i]);
			}
			record(o, false, k, name, NULL, off, undo);
		}
		break;
	}
	default:
		break;
	}
}

void facts_after_stmt(struct lint_facts *f, const struct lint_ctx *ctx)
{
	const PgQuery__Node *s = ctx->stmt;
	int sec = ctx->section == LINT_UPGRADE ? 0 : 1;
	f->statements[sec]++;
	if (s->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
		switch (s->transaction_stmt->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
			f->block_open = true;
			f->block_offset = ctx->stmt_start;
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
			f->block_open = false;
			facts_txn_reset(f);
			break;
		default:
			break;
		}
		return;
	}
	if (sec == 0) {
		if (ctx->autocommit) {
			if (!f->up_autocommit++)
				f->first_autocommit = ctx->stmt_start;
		} else {
			if (!f->up_transactional++)
				f->first_transactional = ctx->stmt_start;
		}
	}
	effects(f, ctx);
	if (!ctx->in_transaction)
		return;
	/* what the transaction holds from now on */
	const PgQuery__RangeVar *rel;
	if (f->ax_held && !lu_cheap_under_lock(s, f->ax_table))
		f->ax_costly_after++;
	if (!f->ax_held && lu_takes_access_exclusive(s, &rel) && lu_existing_table(ctx, rel)) {
		f->ax_held = true;
		f->ax_offset = ctx->stmt_start;
		f->ax_table = catalog_key(rel);
	}
	if (s->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
	    s->alter_table_stmt->relation) {
		const PgQuery__AlterTableStmt *as = s->alter_table_stmt;
		LU_FOREACH_CMD(as, cmd)
		{
			if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint ||
			    !cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
				continue;
			const PgQuery__Constraint *k = cmd->def->constraint;
			if (k->skip_validation && k->conname && *k->conname) {
				char *t = catalog_key(as->relation);
				strlist_push_owned(&f->not_valid, xstrfmt("%s/%s", t, k->conname));
				free(t);
			}
		}
	}
}
