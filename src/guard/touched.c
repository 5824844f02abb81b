/* Touched schema objects, from each statement's effects (sql/ddl.h; see touched.h). */
#include "guard/touched.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"
#include "sql/ddl.h"
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

static void add(struct touched_set *set, const char *kind, const char *key, const char *sub,
		size_t offset)
{
	if (!key || !*key)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s %s", kind, key);
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

static bool is_sub_object(enum ddl_kind k)
{
	return k == DDL_COLUMN || k == DDL_CONSTRAINT || k == DDL_TRIGGER || k == DDL_POLICY;
}

/* What one effect touches: the object (and its table), and after a rename
 * the new name too. */
static void add_effect(struct touched_set *set, const struct ddl_effect *e, size_t offset)
{
	if (is_sub_object(e->kind)) {
		add(set, "table", e->key, NULL, offset);
		add(set, ddl_kind_name(e->kind), e->key, e->sub, offset);
		if (e->action == DDL_RENAME && e->new_name)
			add(set, ddl_kind_name(e->kind), e->key, e->new_name, offset);
		return;
	}
	add(set, ddl_kind_name(e->kind), e->key, NULL, offset);
	if (e->kind == DDL_INDEX && e->table)
		add(set, "table", e->table, NULL, offset);
	if (e->action == DDL_RENAME && e->new_key)
		add(set, ddl_kind_name(e->kind), e->new_key, NULL, offset);
}

void touched_collect(const struct revision *rev, struct touched_set *out)
{
	if (!rev->upgrade.present && !rev->plain_sql)
		return;
	size_t start = rev->plain_sql ? rev->body_start : rev->upgrade.start;
	size_t end = rev->plain_sql ? rev->len : rev->upgrade.end;
	struct sql_script script = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	if (sql_split(rev->text, start, end, &script, &err) < 0)
		goto out;
	for (size_t i = 0; i < script.n; i++) {
		struct sql_tree *tree = NULL;
		struct sql_error perr = {0};
		const struct sql_stmt *s = &script.v[i];
		if (sql_parse(rev->text, s->start, s->len, &tree, &perr) == 0) {
			for (size_t k = 0; k < tree->result->n_stmts; k++) {
				ddl_describe(tree->result->stmts[k]->stmt, NULL, NULL, NULL, &d);
				for (size_t j = 0; j < d.n_effects; j++)
					add_effect(out, &d.effects[j], s->start);
			}
		}
		sql_tree_free(tree);
		sql_error_release(&perr);
	}
out:
	ddl_stmt_release(&d);
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
