/*
 * One catalog query per effect of a statement, each answering "there" or
 * "not there"; the statement's answer is certain only when every effect
 * answers the same way (a statement is atomic: all of it or none).
 */
#include "apply/probe.h"
#include "apply/effects.h"
#include "apply/sqltext.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

void probe_result_release(struct probe_result *r)
{
	free(r->evidence);
	free(r->invalid_index);
	memset(r, 0, sizeof(*r));
}

enum there {
	THERE_UNKNOWN,
	THERE_YES,
	THERE_NO,
};

/* A relation's name as to_regclass() reads it: quoted, schema-qualified
 * when the statement qualified it. */
static char *regclass_text(const char *schema, const char *name)
{
	return sqltext_ident(schema, name ? name : "");
}

/* One row, one boolean column (NULL: no row): THERE_YES/NO by `yes`. */
static int ask(struct db *db, const char *sql, int n, const char *const *params, const char **val,
	       struct db_res **r)
{
	int ret = db_query(db, sql, n, params, r);
	*val = ret == 0 && db_res_nrows(*r) ? db_res_value(*r, 0, 0) : NULL;
	return ret;
}

static int probe_index(struct db *db, const struct effect *e, enum there *t,
		       struct probe_result *out)
{
	static const char create_q[] =
		"SELECT i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
		"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1 "
		"AND c.relnamespace = coalesce((SELECT r.relnamespace FROM pg_class r "
		"WHERE r.oid = to_regclass($2)), (SELECT oid FROM pg_namespace WHERE nspname = $3))";
	static const char drop_q[] =
		"SELECT i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indexrelid = to_regclass($1)";
	struct db_res *r = NULL;
	const char *valid;
	char *rel = e->kind == EFF_CREATE_INDEX ? regclass_text(e->schema, e->table)
						 : regclass_text(e->schema, e->name);
	int ret;
	if (e->kind == EFF_CREATE_INDEX) {
		const char *p[] = {e->name, rel, e->schema};
		ret = ask(db, create_q, 3, p, &valid, &r);
	} else {
		const char *p[] = {rel};
		ret = ask(db, drop_q, 1, p, &valid, &r);
	}
	if (ret == 0) {
		const char *qname = valid ? db_res_value(r, 0, 1) : NULL;
		bool ok = valid && !strcmp(valid, "t");
		if (e->kind == EFF_CREATE_INDEX)
			*t = ok ? THERE_YES : THERE_NO;
		else
			*t = valid ? THERE_NO : THERE_YES;
		if (valid && !ok && e->kind == EFF_CREATE_INDEX) {
			free(out->invalid_index);
			out->invalid_index = xstrdup(qname);
		}
		char *what = valid ? xstrfmt("index %s is %s", qname, ok ? "present and valid"
								     : "INVALID (its build did not finish)")
				   : xstrfmt("index %s does not exist", e->name);
		free(out->evidence);
		out->evidence = what;
	}
	db_res_free(r);
	free(rel);
	return ret;
}

/* Tables, columns, constraints, partitions and databases. */
static int probe_other(struct db *db, const struct effect *e, enum there *t,
		       struct probe_result *out)
{
	static const char table_q[] = "SELECT to_regclass($1) IS NOT NULL";
	static const char column_q[] =
		"SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) "
		"AND attname = $2 AND attnum > 0 AND NOT attisdropped)";
	static const char constraint_q[] =
		"SELECT convalidated FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname = $2";
	static const char partition_q[] =
		"SELECT CASE WHEN to_regclass($2) IS NULL THEN NULL "
		"ELSE coalesce((SELECT CASE WHEN i.inhdetachpending THEN 'pending' ELSE 'attached' END "
		"FROM pg_inherits i WHERE i.inhrelid = to_regclass($2) "
		"AND i.inhparent = to_regclass($1)), 'detached') END";
	static const char database_q[] =
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)";
	static const char schema_q[] =
		"SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";
	char *rel = regclass_text(e->schema, e->table);
	char *part = e->kind == EFF_DETACH_PARTITION ? regclass_text(e->schema2, e->name) : NULL;
	char *what = effect_describe(e);
	struct db_res *r = NULL;
	const char *v = NULL;
	int ret;
	*t = THERE_UNKNOWN;
	switch (e->kind) {
	case EFF_CREATE_TABLE:
	case EFF_DROP_TABLE: {
		const char *p[] = {rel};
		ret = ask(db, table_q, 1, p, &v, &r);
		if (ret == 0 && v) {
			bool yes = !strcmp(v, "t");
			*t = (yes == (e->kind == EFF_CREATE_TABLE)) ? THERE_YES : THERE_NO;
			out->evidence = xstrfmt("%s %s", what, yes ? "exists" : "does not exist");
		}
		break;
	}
	case EFF_ADD_COLUMN:
	case EFF_DROP_COLUMN: {
		const char *p[] = {rel, e->name};
		ret = ask(db, column_q, 2, p, &v, &r);
		if (ret == 0 && v) {
			bool yes = !strcmp(v, "t");
			*t = (yes == (e->kind == EFF_ADD_COLUMN)) ? THERE_YES : THERE_NO;
			out->evidence = xstrfmt("%s %s", what, yes ? "exists" : "does not exist");
		}
		break;
	}
	case EFF_ADD_CONSTRAINT:
	case EFF_DROP_CONSTRAINT:
	case EFF_VALIDATE_CONSTRAINT: {
		const char *p[] = {rel, e->name};
		ret = ask(db, constraint_q, 2, p, &v, &r);
		if (ret != 0)
			break;
		if (e->kind == EFF_ADD_CONSTRAINT)
			*t = v && (!e->valid || !strcmp(v, "t")) ? THERE_YES : THERE_NO;
		else if (e->kind == EFF_DROP_CONSTRAINT)
			*t = v ? THERE_NO : THERE_YES;
		else if (v)
			*t = !strcmp(v, "t") ? THERE_YES : THERE_NO;
		out->evidence = xstrfmt("%s %s", what,
					!v ? "does not exist"
					: !strcmp(v, "t") ? "exists and is validated"
							  : "exists, not validated");
		break;
	}
	case EFF_DETACH_PARTITION: {
		const char *p[] = {rel, part};
		ret = ask(db, partition_q, 2, p, &v, &r);
		if (ret != 0 || !v)
			break;
		if (!strcmp(v, "detached"))
			*t = THERE_YES;
		else if (!strcmp(v, "attached"))
			*t = THERE_NO;
		out->evidence = !strcmp(v, "pending")
				    ? xstrfmt("%s is pending detach: finish it with 'ALTER TABLE %s "
					      "DETACH PARTITION %s FINALIZE;'",
					      what, rel, part)
				    : xstrfmt("%s is %s", what, v);
		break;
	}
	case EFF_DROP_SCHEMA: {
		const char *p[] = {e->name};
		ret = ask(db, schema_q, 1, p, &v, &r);
		if (ret == 0 && v) {
			bool yes = !strcmp(v, "t");
			*t = yes ? THERE_NO : THERE_YES;
			out->evidence = xstrfmt("%s %s", what, yes ? "exists" : "does not exist");
		}
		break;
	}
	default: {
		const char *p[] = {e->name};
		ret = ask(db, database_q, 1, p, &v, &r);
		if (ret == 0 && v) {
			bool yes = !strcmp(v, "t");
			*t = (yes == (e->kind == EFF_CREATE_DATABASE)) ? THERE_YES : THERE_NO;
			out->evidence = xstrfmt("%s %s", what, yes ? "exists" : "does not exist");
		}
		break;
	}
	}
	db_res_free(r);
	free(what);
	free(part);
	free(rel);
	return ret;
}

int probe_statement(struct db *db, const char *text, size_t start, size_t len,
		    struct probe_result *out)
{
	struct effects e = EFFECTS_INIT;
	struct strbuf said = STRBUF_INIT;
	int ret = 0;
	memset(out, 0, sizeof(*out));
	effects_of(text, start, len, &e);
	size_t yes = 0, no = 0;
	for (size_t i = 0; ret == 0 && i < e.n; i++) {
		struct probe_result one = {0};
		enum there t = THERE_UNKNOWN;
		if (e.v[i].kind == EFF_TRUNCATE)
			continue;
		if (e.v[i].kind == EFF_CREATE_INDEX || e.v[i].kind == EFF_DROP_INDEX)
			ret = probe_index(db, &e.v[i], &t, &one);
		else
			ret = probe_other(db, &e.v[i], &t, &one);
		yes += t == THERE_YES;
		no += t == THERE_NO;
		if (one.evidence)
			strbuf_addf(&said, "%s%s", said.len ? "; " : "", one.evidence);
		if (one.invalid_index && !out->invalid_index)
			out->invalid_index = xstrdup(one.invalid_index);
		probe_result_release(&one);
	}
	if (ret == 0) {
		if (e.repeatable)
			out->answer = PROBE_REPEATABLE;
		else if (!e.opaque && e.n && yes == e.n)
			out->answer = PROBE_DONE;
		else if (!e.opaque && e.n && no == e.n)
			out->answer = PROBE_NOT_DONE;
		/* an INVALID index left behind: the statement did not finish,
		 * whatever else it did */
		if (out->invalid_index)
			out->answer = PROBE_NOT_DONE;
		out->evidence = said.len ? strbuf_detach(&said, NULL) : NULL;
	}
	strbuf_release(&said);
	effects_release(&e);
	return ret;
}
