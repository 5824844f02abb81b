/* Touched schema objects, read from libpg_query's parse tree (see touched.h). */
#include "guard/touched.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"
#include "sql/sql.h"

#include <stdlib.h>
#include <string.h>

const struct touched *touched_find(const struct touched_set *set, const char *object)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].object, object))
			return &set->v[i];
	return NULL;
}

static void add(struct touched_set *set, const char *kind, const char *schema, const char *rel,
		const char *sub, size_t offset)
{
	if (!rel || !*rel)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s ", kind);
	if (schema && *schema && strcmp(schema, "public"))
		strbuf_addf(&sb, "%s.", schema);
	strbuf_addstr(&sb, rel);
	if (sub && *sub)
		strbuf_addf(&sb, ".%s", sub);
	if (touched_find(set, sb.buf)) {
		strbuf_release(&sb);
		return;
	}
	ALLOC_GROW(set->v, set->n + 1, set->alloc);
	set->v[set->n].object = strbuf_detach(&sb, NULL);
	set->v[set->n].offset = offset;
	set->n++;
}

static void add_rangevar(struct touched_set *set, const PgQuery__RangeVar *rv, const char *sub,
			 size_t offset)
{
	if (!rv)
		return;
	add(set, "table", rv->schemaname, rv->relname, NULL, offset);
	if (sub)
		add(set, "column", rv->schemaname, rv->relname, sub, offset);
}

/* DROP's objects: each a list of name parts, the last one the object's name. */
static void add_dropped(struct touched_set *set, const PgQuery__DropStmt *d, size_t offset)
{
	const char *kind;
	switch (d->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		kind = "table";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		kind = "index";
		break;
	default:
		return;
	}
	for (size_t i = 0; i < d->n_objects; i++) {
		const PgQuery__Node *o = d->objects[i];
		if (o->node_case != PG_QUERY__NODE__NODE_LIST || !o->list->n_items)
			continue;
		const PgQuery__List *l = o->list;
		const PgQuery__Node *last = l->items[l->n_items - 1];
		const PgQuery__Node *first = l->items[0];
		if (last->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		const char *schema = l->n_items > 1 && first->node_case == PG_QUERY__NODE__NODE_STRING
					     ? first->string->sval
					     : NULL;
		add(set, kind, schema, last->string->sval, NULL, offset);
	}
}

static void add_alter(struct touched_set *set, const PgQuery__AlterTableStmt *a, size_t offset)
{
	add_rangevar(set, a->relation, NULL, offset);
	for (size_t i = 0; i < a->n_cmds; i++) {
		const PgQuery__Node *c = a->cmds[i];
		if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
		const char *col = NULL;
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			col = cmd->def->column_def->colname;
		else if (cmd->name && *cmd->name &&
			 cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint &&
			 cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint)
			col = cmd->name;
		if (col)
			add_rangevar(set, a->relation, col, offset);
	}
}

static void add_rename(struct touched_set *set, const PgQuery__RenameStmt *r, size_t offset)
{
	switch (r->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		add_rangevar(set, r->relation, r->subname, offset);
		if (r->relation)
			add(set, "column", r->relation->schemaname, r->relation->relname, r->newname,
			    offset);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		if (r->relation)
			add(set, "index", r->relation->schemaname, r->relation->relname, NULL, offset);
		add(set, "index", NULL, r->newname, NULL, offset);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		add_rangevar(set, r->relation, NULL, offset);
		add(set, "table", r->relation ? r->relation->schemaname : NULL, r->newname, NULL,
		    offset);
		break;
	default:
		add_rangevar(set, r->relation, NULL, offset);
		break;
	}
}

static void add_stmt(struct touched_set *set, const PgQuery__Node *n, size_t offset)
{
	if (!n)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		add_rangevar(set, n->create_stmt->relation, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		add_alter(set, n->alter_table_stmt, offset);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		add_rangevar(set, n->index_stmt->relation, NULL, offset);
		add(set, "index", n->index_stmt->relation ? n->index_stmt->relation->schemaname : NULL,
		    n->index_stmt->idxname, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		add_dropped(set, n->drop_stmt, offset);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		add_rename(set, n->rename_stmt, offset);
		break;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		add_rangevar(set, n->view_stmt->view, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (n->create_table_as_stmt->into)
			add_rangevar(set, n->create_table_as_stmt->into->rel, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		add_rangevar(set, n->create_trig_stmt->relation, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		add_rangevar(set, n->insert_stmt->relation, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		add_rangevar(set, n->update_stmt->relation, NULL, offset);
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		add_rangevar(set, n->delete_stmt->relation, NULL, offset);
		break;
	default:
		break;
	}
}

void touched_collect(const struct revision *rev, struct touched_set *out)
{
	if (!rev->upgrade.present && !rev->plain_sql)
		return;
	size_t start = rev->plain_sql ? rev->body_start : rev->upgrade.start;
	size_t end = rev->plain_sql ? rev->len : rev->upgrade.end;
	struct sql_script script = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	if (sql_split(rev->text, start, end, &script, &err) < 0)
		goto out;
	for (size_t i = 0; i < script.n; i++) {
		struct sql_tree *tree = NULL;
		struct sql_error perr = {0};
		const struct sql_stmt *s = &script.v[i];
		if (sql_parse(rev->text, s->start, s->len, &tree, &perr) == 0) {
			for (size_t k = 0; k < tree->result->n_stmts; k++)
				add_stmt(out, tree->result->stmts[k]->stmt, s->start);
		}
		sql_tree_free(tree);
		sql_error_release(&perr);
	}
out:
	sql_error_release(&err);
	sql_script_release(&script);
}

void touched_set_release(struct touched_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].object);
	free(set->v);
	set->v = NULL;
	set->n = set->alloc = 0;
}
