/* Every object the upgrade creates, the downgrade must remove. */
#include "lint/facts.h"
#include "lint/util.h"
#include "revision/revision.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static bool undone(const struct lint_facts *f, const struct lint_obj *o)
{
	if (lint_objs_has(&f->dropped, o->kind, o->name))
		return true;
	/* a column, index, constraint or trigger goes with its table */
	return o->table && lint_objs_has(&f->dropped, LOBJ_TABLE, o->table);
}

/* The SQL that removes `o`, as a fresh string. */
static char *drop_sql(const struct lint_obj *o)
{
	if (o->table && strlen(o->name) > strlen(o->table)) {
		const char *sub = o->name + strlen(o->table) + 1;
		switch (o->kind) {
		case LOBJ_COLUMN:
			return xstrfmt("ALTER TABLE %s DROP COLUMN IF EXISTS %s;", o->table, sub);
		case LOBJ_CONSTRAINT:
			return xstrfmt("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;", o->table,
				       sub);
		case LOBJ_TRIGGER:
			return xstrfmt("DROP TRIGGER IF EXISTS %s ON %s;", sub, o->table);
		default:
			break;
		}
	}
	char *upper = xstrdup(lint_obj_kind_name(o->kind));
	for (char *c = upper; *c; c++)
		*c = (char)(*c - 'a' + 'A');
	char *sql = xstrfmt("DROP %s IF EXISTS %s;", upper, o->name);
	free(upper);
	return sql;
}

static void finish(struct lint_ctx *ctx)
{
	const struct revision *rev = ctx->rev;
	const struct lint_facts *f = ctx->facts;
	if (ctx->section != LINT_DOWNGRADE || rev->plain_sql || rev->irreversible ||
	    !f->statements[1] || f->syntax_error[0] || f->syntax_error[1])
		return;
	for (size_t i = 0; i < f->created.n; i++) {
		const struct lint_obj *o = &f->created.v[i];
		if (o->removed || undone(f, o))
			continue;
		const char *kind = lint_obj_kind_name(o->kind);
		struct finding *fd = lint_report(ctx, o->offset,
						 "the upgrade creates %s '%s', which the downgrade "
						 "does not remove",
						 kind, o->name);
		char *sql = drop_sql(o);
		finding_set_hint(fd, "add to the downgrade: %s", sql);
		free(sql);
	}
}

const struct lint_rule rule_downgrade_incomplete = {
    .id = "downgrade-incomplete",
    .summary = "an object the upgrade creates that the downgrade does not remove",
    .severity = SEV_WARNING,
    .finish = finish,
};
