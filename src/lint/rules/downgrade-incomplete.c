/*
 * Every object the upgrade creates, the downgrade must remove. The engine
 * replays this revision alone into facts->rev: the upgrade's effects, then
 * the downgrade's, with what PostgreSQL drops along (an index with its
 * column, a sequence OWNED BY a dropped table, everything under CASCADE,
 * the objects of a renamed table). What the upgrade created and is still
 * there at the end is reported; the parts of a table the upgrade created
 * are reported with the table.
 */
#include "lint/facts.h"
#include "lint/util.h"
#include "revision/revision.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static bool created_here(const struct catalog *rev, const char *table)
{
	const struct cat_table *t = catalog_table(rev, table);
	return t && t->origin == LINT_REV_UP;
}

/* Whether every column of `cols` is one the upgrade added to `t`: the
 * object goes with those columns. */
static bool on_new_columns(const struct cat_table *t, const struct strlist *cols)
{
	if (!t || !cols->n)
		return false;
	for (size_t i = 0; i < cols->n; i++) {
		const struct cat_column *c = catalog_column(t, cols->v[i]);
		if (!c || c->origin != LINT_REV_UP)
			return false;
	}
	return true;
}

static void report(struct lint_ctx *ctx, size_t offset, const char *kind, const char *name,
		   const char *sql)
{
	struct finding *f = lint_report(ctx, offset,
					"the upgrade creates %s '%s', which the downgrade does not "
					"remove",
					kind, name);
	finding_set_hint(f, "add to the downgrade: %s", sql);
}

static void tables(struct lint_ctx *ctx, const struct catalog *rev)
{
	for (size_t i = 0; i < rev->ntables; i++) {
		const struct cat_table *t = rev->tables[i];
		if (t->dropped || catalog_table(rev, t->name) != t)
			continue;
		if (t->origin == LINT_REV_UP) {
			char *sql = xstrfmt("DROP %s IF EXISTS %s;",
					    t->matview ? "MATERIALIZED VIEW" : "TABLE", t->name);
			report(ctx, t->offset, t->matview ? "materialized view" : "table", t->name,
			       sql);
			free(sql);
			continue;
		}
		for (size_t k = 0; k < t->ncols; k++) {
			if (t->cols[k].origin != LINT_REV_UP)
				continue;
			char *name = xstrfmt("%s.%s", t->name, t->cols[k].name);
			char *sql = xstrfmt("ALTER TABLE %s DROP COLUMN IF EXISTS %s;", t->name,
					    t->cols[k].name);
			report(ctx, t->cols[k].offset, "column", name, sql);
			free(name);
			free(sql);
		}
		for (size_t k = 0; k < t->ncons; k++) {
			const struct cat_constraint *c = &t->cons[k];
			if (c->origin != LINT_REV_UP || !c->name || on_new_columns(t, &c->columns))
				continue;
			char *name = xstrfmt("%s.%s", t->name, c->name);
			char *sql =
			    xstrfmt("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;", t->name, c->name);
			report(ctx, c->offset, "constraint", name, sql);
			free(name);
			free(sql);
		}
	}
	for (size_t i = 0; i < rev->nindexes; i++) {
		const struct cat_index *x = rev->indexes[i];
		if (x->dropped || x->origin != LINT_REV_UP || x->conditional ||
		    catalog_index(rev, x->name) != x || created_here(rev, x->table) ||
		    on_new_columns(catalog_table(rev, x->table), &x->columns))
			continue;
		char *sql = xstrfmt("DROP INDEX IF EXISTS %s;", x->name);
		report(ctx, x->offset, "index", x->name, sql);
		free(sql);
	}
}

static char *object_sql(const struct cat_object *o)
{
	switch (o->kind) {
	case DDL_TRIGGER:
		return xstrfmt("DROP TRIGGER IF EXISTS %s ON %s;", o->sub, o->key);
	case DDL_POLICY:
		return xstrfmt("DROP POLICY IF EXISTS %s ON %s;", o->sub, o->key);
	default: {
		char *upper = xstrdup(ddl_kind_name(o->kind));
		for (char *c = upper; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		char *sql = xstrfmt("DROP %s IF EXISTS %s;", upper, o->key);
		free(upper);
		return sql;
	}
	}
}

static void objects(struct lint_ctx *ctx, const struct catalog *rev)
{
	for (size_t i = 0; i < rev->nobjects; i++) {
		const struct cat_object *o = rev->objects[i];
		if (o->dropped || o->origin != LINT_REV_UP || o->conditional)
			continue;
		/* the parts of a table the upgrade created go with it */
		if ((o->kind == DDL_TRIGGER || o->kind == DDL_POLICY) && created_here(rev, o->key))
			continue;
		if (o->kind == DDL_SEQUENCE && o->table && created_here(rev, o->table))
			continue;
		char *name = o->sub ? xstrfmt("%s.%s", o->key, o->sub) : xstrdup(o->key);
		char *sql = object_sql(o);
		report(ctx, o->offset, ddl_kind_name(o->kind), name, sql);
		free(name);
		free(sql);
	}
}

static void finish(struct lint_ctx *ctx)
{
	const struct revision *rev = ctx->rev;
	const struct lint_facts *f = ctx->facts;
	if (ctx->section != LINT_DOWNGRADE || rev->plain_sql || rev->irreversible ||
	    !f->statements[1] || f->syntax_error[0] || f->syntax_error[1])
		return;
	tables(ctx, &f->rev);
	objects(ctx, &f->rev);
}

const struct lint_rule rule_downgrade_incomplete = {
    .id = "downgrade-incomplete",
    .summary = "an object the upgrade creates that the downgrade does not remove",
    .severity = SEV_WARNING,
    .finish = finish,
};
