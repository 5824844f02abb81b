/*
 * The server's relations as trace compares them before and after a
 * statement: one query returns each relation (its file and the
 * transaction's scan counter) and one line per column, constraint and
 * index, so a statement's catalog effects are the lines that changed.
 */
#include "trace/internal.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Relations in the system schemas and TOAST tables are PostgreSQL's own;
 * sequences, views and foreign tables are kept for their names. */
static const char snap_sql[] =
    "WITH r AS (SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode, "
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS k "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
    "AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'S', 'v', 'f')) "
    "SELECT 'R', r.oid::text, r.k, r.relkind::text, r.relfilenode::text, "
    "pg_stat_get_xact_numscans(r.oid)::text, r.nspname, r.relname FROM r "
    "UNION ALL "
    "SELECT 'L', NULL, NULL, 'column ' || r.k || '.' || a.attname || ' ' || "
    "format_type(a.atttypid, a.atttypmod) || "
    "CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || "
    "CASE WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) "
    "ELSE '' END, NULL, NULL, NULL, NULL "
    "FROM pg_attribute a JOIN r ON r.oid = a.attrelid AND r.relkind IN ('r', 'p', 'm', 'f') "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attnum > 0 AND NOT a.attisdropped "
    "UNION ALL "
    "SELECT 'L', NULL, NULL, 'constraint ' || r.k || '.' || co.conname || ' ' || "
    "pg_get_constraintdef(co.oid), NULL, NULL, NULL, NULL "
    "FROM pg_constraint co JOIN r ON r.oid = co.conrelid "
    "UNION ALL "
    "SELECT 'L', NULL, NULL, 'index ' || ri.k || ' on ' || r.k || "
    "CASE WHEN i.indisunique THEN ' (unique)' ELSE '' END || "
    "CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END, NULL, NULL, NULL, NULL "
    "FROM pg_index i JOIN r ri ON ri.oid = i.indexrelid JOIN r ON r.oid = i.indrelid "
    "UNION ALL "
    "SELECT 'L', NULL, NULL, CASE r.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN "
    "'partitioned table ' WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence ' "
    "WHEN 'v' THEN 'view ' ELSE 'relation ' END || r.k, NULL, NULL, NULL, NULL "
    "FROM r WHERE r.relkind NOT IN ('i', 'I')";

static int cmp_oid(const void *a, const void *b)
{
	const struct trace_rel *x = a, *y = b;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

int trace_snap_read(struct db *db, struct trace_snap *s)
{
	struct db_res *res = NULL;
	trace_snap_release(s);
	int ret = db_query(db, snap_sql, 0, NULL, &res);
	if (ret < 0)
		return err_wrap(ret, "cannot read the catalog");
	for (size_t i = 0; i < db_res_nrows(res); i++) {
		const char *t = db_res_value(res, i, 0);
		if (t[0] == 'L') {
			const char *line = db_res_value(res, i, 3);
			if (line)
				strlist_push(&s->lines, line);
			continue;
		}
		ALLOC_GROW(s->v, s->n + 1, s->alloc);
		struct trace_rel *r = &s->v[s->n++];
		r->oid = (unsigned)strtoul(db_res_value(res, i, 1), NULL, 10);
		r->key = xstrdup(db_res_value(res, i, 2));
		r->kind = db_res_value(res, i, 3)[0];
		r->filenode = xstrdup(db_res_value(res, i, 4));
		r->scans = strtol(db_res_value(res, i, 5), NULL, 10);
		r->schema = xstrdup(db_res_value(res, i, 6));
		r->name = xstrdup(db_res_value(res, i, 7));
	}
	db_res_free(res);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_oid);
	strlist_sort(&s->lines);
	return 0;
}

void trace_snap_release(struct trace_snap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].schema);
		free(s->v[i].name);
		free(s->v[i].filenode);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
	strlist_release(&s->lines);
}

void trace_snap_copy(struct trace_snap *dst, const struct trace_snap *src)
{
	trace_snap_release(dst);
	dst->v = xcalloc(src->n + 1, sizeof(*dst->v));
	dst->n = dst->alloc = src->n;
	for (size_t i = 0; i < src->n; i++) {
		const struct trace_rel *r = &src->v[i];
		dst->v[i] = (struct trace_rel){r->oid,		  xstrdup(r->key),
					       xstrdup(r->schema), xstrdup(r->name),
					       r->kind,		  xstrdup(r->filenode),
					       r->scans};
	}
	for (size_t i = 0; i < src->lines.n; i++)
		strlist_push(&dst->lines, src->lines.v[i]);
}

const struct trace_rel *trace_snap_oid(const struct trace_snap *s, unsigned oid)
{
	struct trace_rel k = {.oid = oid};
	return s->n ? bsearch(&k, s->v, s->n, sizeof(*s->v), cmp_oid) : NULL;
}

const struct trace_rel *trace_snap_key(const struct trace_snap *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}
