/*
 * --rows N: synthetic rows in the tables a trace touches, so that a
 * rewrite, a scan or a validation has something to read. Each column gets
 * a value made from its type and the row number (unique where the type
 * allows, so UNIQUE and PRIMARY KEY hold), a foreign key a value from the
 * referenced rows (referenced tables are filled first), a column a CHECK
 * names one of the CHECK's literals; defaults, identities and generated
 * columns are left to the server. All of it runs on the server in one
 * INSERT ... SELECT per table.
 */
#include "trace/internal.h"
#include "core/err.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char table_sql[] =
    "SELECT c.oid::text, c.relkind::text FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END = $1";

/* Any relation by that key (an index or a view is not filled, nor noted). */
static const char exists_sql[] =
    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END = $1";

static const char refs_sql[] =
    "SELECT DISTINCT c.confrelid::text FROM pg_constraint c WHERE c.conrelid = $1::oid "
    "AND c.contype = 'f' AND c.confrelid <> c.conrelid";

/* name, type, category, typtype, not null, filled by the server,
 * FK (referenced relation and column, single-column keys only), the
 * CHECK definitions naming the column alone */
static const char cols_sql[] =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory::text, "
    "t.typtype::text, a.attnotnull::text, "
    "(a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')::text, "
    "(SELECT co.confrelid::regclass::text || ' ' || quote_ident(ra.attname) "
    " FROM pg_constraint co JOIN pg_attribute ra ON ra.attrelid = co.confrelid "
    " AND ra.attnum = co.confkey[1] WHERE co.conrelid = a.attrelid AND co.contype = 'f' "
    " AND cardinality(co.conkey) = 1 AND co.conkey[1] = a.attnum LIMIT 1), "
    "(SELECT string_agg(pg_get_constraintdef(co.oid), ' ') FROM pg_constraint co "
    " WHERE co.conrelid = a.attrelid AND co.contype = 'c' AND co.conkey = ARRAY[a.attnum]) "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

/* The quoted literals of a CHECK definition, as an SQL array, or NULL. */
static char *check_literals(const char *def)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	for (const char *p = def ? strchr(def, '\'') : NULL; p; p = strchr(p, '\'')) {
		const char *e = p + 1;
		while (*e && !(*e == '\'' && e[1] != '\''))
			e += *e == '\'' ? 2 : 1;
		if (!*e)
			break;
		strbuf_addstr(&sb, n++ ? ", " : "ARRAY[");
		strbuf_add(&sb, p, (size_t)(e - p + 1));
		p = e + 1;
	}
	if (!n) {
		strbuf_release(&sb);
		return NULL;
	}
	strbuf_addch(&sb, ']');
	return strbuf_detach(&sb, NULL);
}

/* A value of `type` for row g, or NULL when revgate cannot make one. */
static char *value_for(const char *type, char cat, char typtype)
{
	if (typtype == 'e')
		return xstrfmt("(enum_range(NULL::%s))[1 + g %% cardinality(enum_range(NULL::%s))]",
			       type, type);
	if (!strcmp(type, "smallint"))
		return xstrdup("(g % 32000)::smallint");
	if (!strcmp(type, "integer") || !strcmp(type, "bigint"))
		return xstrfmt("g::%s", type);
	if (!strcmp(type, "uuid"))
		return xstrdup("md5(g::text)::uuid");
	if (!strcmp(type, "json") || !strcmp(type, "jsonb"))
		return xstrfmt("json_build_object('n', g)::%s", type);
	if (!strcmp(type, "bytea"))
		return xstrdup("decode(md5(g::text), 'hex')");
	if (!strcmp(type, "date"))
		return xstrdup("date '2020-01-01' + g % 3650");
	if (!strncmp(type, "timestamp", 9))
		return xstrfmt("(timestamp '2020-01-01' + g * interval '1 second')::%s", type);
	if (!strncmp(type, "time", 4))
		return xstrfmt("(time '00:00' + g * interval '1 second')::%s", type);
	switch (cat) {
	case 'N':
		return xstrfmt("(g %% 100)::%s", type);
	case 'S':
		return xstrfmt("('r' || g)::%s", type);
	case 'B':
		return xstrdup("g % 2 = 0");
	case 'T':
		return xstrfmt("(g * interval '1 second')::%s", type);
	case 'I':
		return xstrfmt("('10.' || g / 65536 %% 256 || '.' || g / 256 %% 256 || '.' || "
			       "g %% 256)::inet::%s",
			       type);
	case 'A':
		return xstrfmt("'{}'::%s", type);
	default:
		return NULL;
	}
}

/* Fills one table; a problem is a note. */
static int fill_one(struct db *db, const char *oid, long rows, struct strlist *filled,
		    struct strlist *notes)
{
	const char *params[1] = {oid};
	struct db_res *res = NULL, *name = NULL;
	struct strbuf cols = STRBUF_INIT, vals = STRBUF_INIT, from = STRBUF_INIT;
	char *problem = NULL;
	int ret = db_query(db, "SELECT $1::oid::regclass::text", 1, params, &name);
	if (ret == 0)
		ret = db_query(db, cols_sql, 1, params, &res);
	if (ret < 0)
		goto out;
	const char *table = db_res_value(name, 0, 0);
	strbuf_addf(&from, " FROM generate_series(1, %ld) g", rows);
	for (size_t i = 0; i < db_res_nrows(res) && !problem; i++) {
		const char *col = db_res_value(res, i, 0), *type = db_res_value(res, i, 1);
		bool notnull = !strcmp(db_res_value(res, i, 4), "true");
		if (!strcmp(db_res_value(res, i, 5), "true"))
			continue;
		const char *fk = db_res_value(res, i, 6);
		char *lits = check_literals(db_res_value(res, i, 7));
		char *v = NULL;
		if (fk) {
			const char *sp = strrchr(fk, ' ');
			strbuf_addf(&from, ", (SELECT array_agg(%s) a FROM %.*s) f%zu", sp + 1,
				    (int)(sp - fk), fk, i);
			v = xstrfmt("f%zu.a[1 + g %% cardinality(f%zu.a)]", i, i);
		} else if (lits) {
			v = xstrfmt("(%s)[1 + g %% cardinality(%s)]::%s", lits, lits, type);
		} else {
			v = value_for(type, db_res_value(res, i, 2)[0], db_res_value(res, i, 3)[0]);
		}
		free(lits);
		if (!v && notnull) {
			problem = xstrfmt("no value of type %s can be made for column %s", type, col);
			break;
		}
		if (!v)
			continue;
		char *q = db_quote_ident(db, NULL, col);
		strbuf_addf(&cols, "%s%s", cols.len ? ", " : "", q);
		strbuf_addf(&vals, "%s%s", vals.len ? ", " : "", v);
		free(q);
		free(v);
	}
	if (!problem) {
		char *sql = cols.len ? xstrfmt("INSERT INTO %s (%s) SELECT %s%s", table, cols.buf,
					       vals.buf, from.buf)
				     : xstrfmt("INSERT INTO %s SELECT%s", table, from.buf);
		if (db_exec(db, sql) < 0) {
			if (!db_alive(db)) {
				ret = err_last_code();
				free(sql);
				goto out;
			}
			problem = xstrdup(err_msg());
			err_clear();
		}
		free(sql);
	}
	if (problem)
		strlist_push_owned(notes, xstrfmt("'%s' could not be filled: %s", table, problem));
	else
		strlist_push_owned(filled, xstrfmt("%s: %ld rows", table, rows));
out:
	free(problem);
	strbuf_release(&cols);
	strbuf_release(&vals);
	strbuf_release(&from);
	db_res_free(res);
	db_res_free(name);
	return ret;
}

/* Adds `oid` after the tables it references (depth first, once each). */
static int order(struct db *db, const char *oid, struct strlist *seen, struct strlist *out,
		 unsigned depth)
{
	if (strlist_has(seen, oid) || depth > 32)
		return 0;
	strlist_push(seen, oid);
	const char *params[1] = {oid};
	struct db_res *res = NULL;
	int ret = db_query(db, refs_sql, 1, params, &res);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(res); i++)
		ret = order(db, db_res_value(res, i, 0), seen, out, depth + 1);
	db_res_free(res);
	if (ret == 0)
		strlist_push(out, oid);
	return ret;
}

int trace_fill(struct db *db, const struct strlist *keys, long rows, struct strlist *filled,
	       struct strlist *notes)
{
	struct strlist seen = STRLIST_INIT, todo = STRLIST_INIT;
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < keys->n; i++) {
		const char *params[1] = {keys->v[i]};
		struct db_res *res = NULL;
		ret = db_query(db, table_sql, 1, params, &res);
		if (ret == 0 && db_res_nrows(res))
			ret = order(db, db_res_value(res, 0, 0), &seen, &todo, 0);
		else if (ret == 0) {
			struct db_res *any = NULL;
			ret = db_query(db, exists_sql, 1, params, &any);
			if (ret == 0 && !db_res_nrows(any))
				strlist_push_owned(notes,
						   xstrfmt("'%s' does not exist before the traced "
							   "revisions (they create it): not filled",
							   keys->v[i]));
			db_res_free(any);
		}
		db_res_free(res);
	}
	for (size_t i = 0; ret == 0 && i < todo.n; i++)
		ret = fill_one(db, todo.v[i], rows, filled, notes);
	strlist_release(&seen);
	strlist_release(&todo);
	return ret;
}
