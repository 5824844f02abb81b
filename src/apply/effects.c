/*
 * A statement's effects, read from its parse tree: only the ones a catalog
 * query can confirm. Everything else makes the statement opaque, and the
 * applier then never guesses its outcome.
 */
#include "apply/effects.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

void effects_release(struct effects *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].schema);
		free(e->v[i].table);
		free(e->v[i].schema2);
		free(e->v[i].name);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static struct effect *add(struct effects *e, enum effect_kind kind, const PgQuery__RangeVar *rel,
			  const char *name)
{
	ALLOC_GROW(e->v, e->n + 1, e->alloc);
	struct effect *x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	if (rel) {
		x->schema = dup_or_null(rel->schemaname);
		x->table = dup_or_null(rel->relname);
	}
	x->name = dup_or_null(name);
	return x;
}

/* The last String of a List of names ("s"."i" -> "i"), and the one before it. */
static void qualified_name(const PgQuery__Node *n, const char **schema, const char **name)
{
	*schema = *name = NULL;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_LIST)
		return;
	const PgQuery__List *l = n->list;
	for (size_t i = 0; i < l->n_items; i++) {
		const PgQuery__Node *s = l->items[i];
		if (s->node_case != PG_QUERY__NODE__NODE_STRING)
			return;
		*schema = *name;
		*name = s->string->sval;
	}
}

static void of_drop(const PgQuery__DropStmt *d, struct effects *e)
{
	enum effect_kind kind;
	switch (d->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		kind = EFF_DROP_INDEX;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		kind = EFF_DROP_TABLE;
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
		for (size_t i = 0; i < d->n_objects; i++) {
			const PgQuery__Node *o = d->objects[i];
			if (o->node_case == PG_QUERY__NODE__NODE_STRING)
				add(e, EFF_DROP_SCHEMA, NULL, o->string->sval);
			else
				e->opaque = true;
		}
		return;
	default:
		e->opaque = true;
		return;
	}
	for (size_t i = 0; i < d->n_objects; i++) {
		const char *schema, *name;
		qualified_name(d->objects[i], &schema, &name);
		if (!name) {
			e->opaque = true;
			continue;
		}
		struct effect *x = add(e, kind, NULL, NULL);
		x->schema = dup_or_null(schema);
		if (kind == EFF_DROP_INDEX)
			x->name = xstrdup(name);
		else
			x->table = xstrdup(name);
	}
}

static void of_alter_table(const PgQuery__AlterTableStmt *a, struct effects *e)
{
	if (a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !a->relation) {
		e->opaque = true;
		return;
	}
	for (size_t i = 0; i < a->n_cmds; i++) {
		const PgQuery__Node *c = a->cmds[i];
		if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
			e->opaque = true;
			continue;
		}
		const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
		const PgQuery__Node *def = cmd->def;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (def && def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				add(e, EFF_ADD_COLUMN, a->relation, def->column_def->colname);
			else
				e->opaque = true;
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			add(e, EFF_DROP_COLUMN, a->relation, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (def && def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
			    def->constraint->conname && *def->constraint->conname)
				add(e, EFF_ADD_CONSTRAINT, a->relation, def->constraint->conname)->valid =
				    !def->constraint->skip_validation;
			else
				e->opaque = true; /* a name PostgreSQL makes up */
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
			add(e, EFF_DROP_CONSTRAINT, a->relation, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			add(e, EFF_VALIDATE_CONSTRAINT, a->relation, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
			if (def && def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    def->partition_cmd->name) {
				const PgQuery__RangeVar *p = def->partition_cmd->name;
				struct effect *x = add(e, EFF_DETACH_PARTITION, a->relation, p->relname);
				x->schema2 = dup_or_null(p->schemaname);
			} else {
				e->opaque = true;
			}
			break;
		default:
			e->opaque = true;
			break;
		}
	}
}

/* What a statement changes outside its database, or NULL. */
static const char *cluster_wide(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		return "CREATE ROLE";
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
		return "ALTER ROLE";
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
		return "DROP ROLE";
	case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
		return "GRANT or REVOKE of a role";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT:
		return "ALTER DATABASE";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		return "CREATE TABLESPACE";
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		return "DROP TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT:
		return "ALTER TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return "ALTER SYSTEM";
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		switch (n->rename_stmt->rename_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_ROLE:
			return "ALTER ROLE ... RENAME";
		case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
			return "ALTER DATABASE ... RENAME";
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
			return "ALTER TABLESPACE ... RENAME";
		default:
			return NULL;
		}
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
		switch (n->alter_owner_stmt->object_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
			return "ALTER DATABASE ... OWNER";
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
			return "ALTER TABLESPACE ... OWNER";
		default:
			return NULL;
		}
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		switch (n->comment_stmt->objtype) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_ROLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
			return "COMMENT ON a role, database or tablespace";
		default:
			return NULL;
		}
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		switch (n->grant_stmt->objtype) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLESPACE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_PARAMETER_ACL:
			return "GRANT on a database, tablespace or parameter";
		default:
			return NULL;
		}
	default:
		return NULL;
	}
}

static bool is_concurrent(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return n->index_stmt->concurrent;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return n->drop_stmt->concurrent;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		for (size_t i = 0; i < n->reindex_stmt->n_params; i++) {
			const PgQuery__Node *p = n->reindex_stmt->params[i];
			if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && p->def_elem->defname &&
			    !strcmp(p->def_elem->defname, "concurrently"))
				return true;
		}
		return false;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (size_t i = 0; i < n->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *c = n->alter_table_stmt->cmds[i];
			if (c->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD && c->alter_table_cmd->def &&
			    c->alter_table_cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    c->alter_table_cmd->def->partition_cmd->concurrent)
				return true;
		}
		return false;
	default:
		return false;
	}
}

static void of_stmt(const PgQuery__Node *n, struct effects *e)
{
	const char *wide = cluster_wide(n);
	if (wide && !e->cluster_wide)
		e->cluster_wide = wide;
	e->concurrent |= is_concurrent(n);
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		if (n->index_stmt->idxname && *n->index_stmt->idxname)
			add(e, EFF_CREATE_INDEX, n->index_stmt->relation, n->index_stmt->idxname);
		else
			e->opaque = true;
		break;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		add(e, EFF_CREATE_TABLE, n->create_stmt->relation, NULL);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (n->create_table_as_stmt->into && n->create_table_as_stmt->into->rel)
			add(e, EFF_CREATE_TABLE, n->create_table_as_stmt->into->rel, NULL);
		else
			e->opaque = true;
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		of_drop(n->drop_stmt, e);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		for (size_t i = 0; i < n->truncate_stmt->n_relations; i++) {
			const PgQuery__Node *r = n->truncate_stmt->relations[i];
			if (r->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
				add(e, EFF_TRUNCATE, r->range_var, NULL);
		}
		e->opaque = true; /* its outcome cannot be seen afterwards */
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		of_alter_table(n->alter_table_stmt, e);
		break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		add(e, EFF_CREATE_DATABASE, NULL, n->createdb_stmt->dbname);
		break;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		add(e, EFF_DROP_DATABASE, NULL, n->dropdb_stmt->dbname);
		break;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		e->repeatable = true;
		break;
	default:
		e->opaque = true;
		break;
	}
}

void effects_of(const char *text, size_t start, size_t len, struct effects *out)
{
	struct sql_tree *tree = NULL;
	struct sql_error err = {0};
	if (sql_parse(text, start, len, &tree, &err) == 0) {
		out->parsed = true;
		const PgQuery__ParseResult *r = tree->result;
		for (size_t k = 0; k < r->n_stmts; k++)
			if (r->stmts[k]->stmt)
				of_stmt(r->stmts[k]->stmt, out);
	} else {
		err_clear();
		out->opaque = true;
	}
	/* repeatable only when nothing else is in it */
	if (out->opaque || out->n)
		out->repeatable = false;
	sql_tree_free(tree);
	sql_error_release(&err);
}

static char *qualified(const char *schema, const char *name)
{
	return schema ? xstrfmt("%s.%s", schema, name ? name : "?")
		      : xstrdup(name ? name : "?");
}

char *effect_describe(const struct effect *e)
{
	char *t = qualified(e->schema, e->table);
	char *s;
	switch (e->kind) {
	case EFF_CREATE_INDEX:
		s = xstrfmt("index %s on %s", e->name, t);
		break;
	case EFF_DROP_INDEX: {
		char *i = qualified(e->schema, e->name);
		s = xstrfmt("index %s", i);
		free(i);
		break;
	}
	case EFF_CREATE_TABLE:
	case EFF_DROP_TABLE:
	case EFF_TRUNCATE:
		s = xstrfmt("table %s", t);
		break;
	case EFF_ADD_COLUMN:
	case EFF_DROP_COLUMN:
		s = xstrfmt("column %s.%s", t, e->name);
		break;
	case EFF_ADD_CONSTRAINT:
	case EFF_DROP_CONSTRAINT:
	case EFF_VALIDATE_CONSTRAINT:
		s = xstrfmt("constraint %s on %s", e->name, t);
		break;
	case EFF_DETACH_PARTITION: {
		char *p = qualified(e->schema2, e->name);
		s = xstrfmt("partition %s of %s", p, t);
		free(p);
		break;
	}
	case EFF_DROP_SCHEMA:
		s = xstrfmt("schema %s", e->name);
		break;
	default:
		s = xstrfmt("database %s", e->name);
		break;
	}
	free(t);
	return s;
}
