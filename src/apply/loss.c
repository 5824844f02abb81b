/*
 * What a downgrade destroys: the tables, columns and schemas its
 * statements drop (and the tables it truncates), read from their parse
 * trees, and, on a live database, how many rows each holds now. A
 * downgrade that would destroy rows is refused unless the operator says
 * so (DESIGN.md, "Applying, additions").
 */
#include "apply/effects.h"
#include "apply/internal.h"
#include "apply/sqltext.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

/* Counting stops here: "1000000 or more" says enough, and a count of a
 * billion rows would hold the run for minutes. */
#define LOSS_COUNT_CAP 1000000

void apply_loss_release(struct apply_loss *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].what);
		free(l->v[i].schema);
		free(l->v[i].table);
		free(l->v[i].column);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct apply_loss_item *loss_add(struct apply_loss *l, size_t step, enum apply_loss_kind kind,
					const char *schema, const char *table, const char *column)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	struct apply_loss_item *it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->step = step;
	it->kind = kind;
	it->schema = schema ? xstrdup(schema) : NULL;
	it->table = table ? xstrdup(table) : NULL;
	it->column = column ? xstrdup(column) : NULL;
	it->rows = -1;
	return it;
}

static char *qualified(const char *schema, const char *name)
{
	return schema ? xstrfmt("%s.%s", schema, name) : xstrdup(name);
}

void apply_loss_plan(const struct apply_plan *p, struct apply_loss *out)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct apply_step *s = &p->v[i];
		if (s->dir != APPLY_DOWN)
			continue;
		for (size_t k = 0; k < s->stmts.n; k++) {
			struct effects e = EFFECTS_INIT;
			effects_of(s->rev->text, s->stmts.v[k].start, s->stmts.v[k].len, &e);
			for (size_t j = 0; j < e.n; j++) {
				const struct effect *x = &e.v[j];
				struct apply_loss_item *it;
				char *t;
				switch (x->kind) {
				case EFF_DROP_TABLE:
				case EFF_TRUNCATE:
					it = loss_add(out, i, x->kind == EFF_DROP_TABLE ? LOSS_TABLE
											: LOSS_TRUNCATE,
						      x->schema, x->table, NULL);
					t = qualified(x->schema, x->table);
					it->what = xstrfmt("%s table %s",
							   x->kind == EFF_DROP_TABLE ? "drops" : "empties",
							   t);
					free(t);
					break;
				case EFF_DROP_COLUMN:
					it = loss_add(out, i, LOSS_COLUMN, x->schema, x->table, x->name);
					t = qualified(x->schema, x->table);
					it->what = xstrfmt("drops column %s.%s", t, x->name);
					free(t);
					break;
				case EFF_DROP_SCHEMA:
					it = loss_add(out, i, LOSS_SCHEMA, x->name, NULL, NULL);
					it->what = xstrfmt("drops schema %s", x->name);
					break;
				default:
					break;
				}
			}
			effects_release(&e);
		}
	}
}

/* Rows of `qtable` (quoted), up to the cap; with `qcolumn`, rows where it
 * is not NULL. -1 when the table or column is not there. */
static int count_rows(struct apply_session *ss, const char *schema, const char *table,
		      const char *column, long *rows, bool *capped)
{
	static const char exists_q[] =
		"SELECT to_regclass($1) IS NOT NULL AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM "
		"pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 "
		"AND NOT attisdropped))";
	char *qtable = sqltext_ident(schema, table);
	const char *params[] = {qtable, column};
	struct db_res *r = NULL;
	*rows = -1;
	*capped = false;
	int ret = db_query(ss->db, exists_q, 2, params, &r);
	if (ret == 0 && !strcmp(db_res_value(r, 0, 0), "t")) {
		db_res_free(r);
		r = NULL;
		char *qcol = column ? sqltext_ident(NULL, column) : NULL;
		char *sql = xstrfmt("SELECT count(*) FROM (SELECT 1 FROM %s%s%s%s LIMIT %d) s", qtable,
				    qcol ? " WHERE " : "", qcol ? qcol : "", qcol ? " IS NOT NULL" : "",
				    LOSS_COUNT_CAP + 1);
		ret = own_query(ss, sql, 0, NULL, &r, qtable);
		if (ret == 0) {
			*rows = strtol(db_res_value(r, 0, 0), NULL, 10);
			*capped = *rows > LOSS_COUNT_CAP;
			if (*capped)
				*rows = LOSS_COUNT_CAP;
		}
		free(sql);
		free(qcol);
	}
	db_res_free(r);
	free(qtable);
	return ret;
}

/* A schema dropped: each of its tables that holds rows, as items of its own. */
static int measure_schema(struct apply_session *ss, struct apply_loss *l, size_t at)
{
	static const char q[] = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
				"c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm') "
				"ORDER BY 1";
	const char *params[] = {l->v[at].schema};
	struct db_res *r = NULL;
	int ret = db_query(ss->db, q, 1, params, &r);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++) {
		long rows;
		bool capped;
		const char *table = db_res_value(r, i, 0);
		if ((ret = count_rows(ss, l->v[at].schema, table, NULL, &rows, &capped)) < 0 ||
		    rows <= 0)
			continue;
		size_t step = l->v[at].step;
		struct apply_loss_item *it = loss_add(l, step, LOSS_TABLE, l->v[at].schema, table, NULL);
		it->what = xstrfmt("drops table %s.%s (with schema %s)", l->v[at].schema, table,
				   l->v[at].schema);
		it->rows = rows;
		it->capped = capped;
	}
	/* what the schema holds is counted in the items of its tables */
	l->v[at].rows = ret == 0 ? 0 : -1;
	db_res_free(r);
	return ret;
}

int apply_loss_measure(struct apply_session *ss, struct apply_loss *l)
{
	int ret = 0;
	size_t n = l->n; /* a schema adds items after the first n */
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct apply_loss_item *it = &l->v[i];
		if (it->kind == LOSS_SCHEMA)
			ret = measure_schema(ss, l, i);
		else
			ret = count_rows(ss, it->schema, it->table, it->column, &l->v[i].rows,
					 &l->v[i].capped);
	}
	return interrupted_or(ret);
}

size_t apply_loss_holding(const struct apply_loss *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].rows > 0;
	return n;
}
