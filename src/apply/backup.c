/*
 * A backup of exactly what a step destroys, written before the step runs
 * (--backup DIR): the whole table, with pg_dump in custom format, for a
 * table dropped, emptied, or written whole; the primary key and the column,
 * with COPY as CSV, for a column dropped or retyped with USING (the whole
 * table when there is no primary key to put the values back by). Which
 * statements destroy what comes from the DDL model (ddl_losses). Each file
 * is recorded in the history with its SHA-256; one that cannot be written
 * stops the step before anything of it runs.
 */
#include "apply/internal.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/proc.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "revision/revision.h"
#include "sql/ddl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef REVGATE_VERSION
#define REVGATE_VERSION "0.0.0"
#endif

#define BACKUP_MAX_LOSSES 16
/* pg_dump of one table; a backup that takes longer is stopped and fails */
#define BACKUP_TIMEOUT_MS (6L * 3600 * 1000)

/* A name for a file: letters, digits, '.', '-', '_' kept, others '_'. */
static void add_safe(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == '_';
		strbuf_addch(sb, ok ? (char)c : '_');
	}
}

/* The table of `key` as it exists now: its schema and name, resolved
 * through the work connection's search_path; *found false when it does
 * not exist (created later in the same step: nothing to lose yet). */
static int resolve_table(struct apply_session *ss, const char *key, char **schema, char **name,
			 char **pk, bool *found)
{
	const char *dot = strchr(key, '.');
	char *s = dot ? xstrndup(key, (size_t)(dot - key)) : NULL;
	char *q = sqltext_ident(s, dot ? dot + 1 : key);
	free(s);
	static const char sql[] =
		"SELECT n.nspname, c.relname, (SELECT string_agg(quote_ident(a.attname), ', ' "
		"ORDER BY array_position(i.indkey::int2[], a.attnum)) FROM pg_index i JOIN "
		"pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
		"WHERE i.indrelid = c.oid AND i.indisprimary) FROM pg_class c JOIN pg_namespace n "
		"ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)";
	const char *params[] = {q};
	struct db_res *r = NULL;
	int ret = db_query(ss->db, sql, 1, params, &r);
	free(q);
	*found = false;
	if (ret == 0 && db_res_nrows(r)) {
		*found = true;
		*schema = xstrdup(db_res_value(r, 0, 0));
		*name = xstrdup(db_res_value(r, 0, 1));
		*pk = db_res_value(r, 0, 2) ? xstrdup(db_res_value(r, 0, 2)) : NULL;
	}
	db_res_free(r);
	return ret;
}

static char *pg_dump_path(int major)
{
	char *p = xstrfmt("/usr/lib/postgresql/%d/bin/pg_dump", major);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return xstrdup("pg_dump");
}

/* The whole table, schema and rows, in pg_dump's custom format. */
static int dump_table(struct apply_session *ss, const char *qtable, const char *path)
{
	struct strlist args = STRLIST_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *password = NULL, *env_pw = NULL;
	int major = 0, status = 0;
	db_client_args(ss->db, &args, &password, &major);
	char *bin = pg_dump_path(major);
	char *table = xstrfmt("--table=%s", qtable);
	char *file = xstrfmt("--file=%s", path);
	size_t n = 0;
	char **argv = xcalloc(args.n + 6, sizeof(*argv));
	argv[n++] = bin;
	argv[n++] = (char *)"--format=custom";
	argv[n++] = (char *)"--no-password";
	argv[n++] = table;
	argv[n++] = file;
	for (size_t i = 0; i < args.n; i++)
		argv[n++] = args.v[i];
	argv[n] = NULL;
	char *env[2] = {NULL, NULL};
	if (password)
		env[0] = env_pw = xstrfmt("PGPASSWORD=%s", password);
	int ret = proc_run_env(argv, NULL, env, BACKUP_TIMEOUT_MS, &out, &err, &status);
	if (ret == 0 && status != 0) {
		char *tail = proc_tail(err.buf, 3);
		ret = err_set(ERR_RUNTIME, "pg_dump of %s failed (exit %d): %s", qtable, status,
			      *tail ? tail : "no message");
		free(tail);
	}
	free(argv);
	free(file);
	free(table);
	free(bin);
	free(env_pw);
	free(password);
	strbuf_release(&out);
	strbuf_release(&err);
	strlist_release(&args);
	return ret;
}

/* The primary key and the column, as CSV with a header. */
static int dump_column(struct apply_session *ss, const char *qtable, const char *pk,
		       const char *column, const char *path)
{
	char *qcol = sqltext_ident(NULL, column);
	char *sql = xstrfmt("COPY (SELECT %s, %s FROM %s ORDER BY %s) TO STDOUT WITH (FORMAT csv, "
			    "HEADER true)",
			    pk, qcol, qtable, pk);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret;
	if (fd < 0) {
		ret = err_set(ERR_IO, "cannot create '%s': %s", path, strerror(errno));
	} else {
		long long bytes;
		ret = db_copy_out(ss->db, sql, fd, path, &bytes);
		if (ret < 0 && db_last_error(ss->db)->message)
			ret = err_set(ERR_DB, "cannot copy %s.%s: %s", qtable, qcol,
				      db_last_error(ss->db)->message);
		if (close(fd) < 0 && ret == 0)
			ret = err_set(ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	}
	free(sql);
	free(qcol);
	return ret;
}

static int record(struct apply_session *ss, const struct apply_step *s, const char *path,
		  const char *what, const char *started, double t0)
{
	struct strbuf data = STRBUF_INIT, sql = STRBUF_INIT;
	char sum[HASH_HEX_LEN + 1], ms[32], checksum[65] = "";
	int ret = file_read(path, 0, &data);
	if (ret < 0)
		goto out;
	hash_sha256_hex(data.buf, data.len, sum);
	hash_sha256_hex(s->rev->text, s->rev->len, checksum);
	snprintf(ms, sizeof(ms), "%.3f", mono_ms() - t0);
	sqltext_history_backup_insert(&sql, ss->htable);
	const char *params[SQLTEXT_BACKUP_NPARAMS] = {
		s->rev->id, s->dir == APPLY_UP ? "upgrade" : "downgrade", checksum, started, ms,
		ss->os_user, ss->host, REVGATE_VERSION, path, sum, what,
	};
	ret = own_query(ss, sql.buf, SQLTEXT_BACKUP_NPARAMS, params, NULL, ss->htable);
	if (ret == 0 && ss->on_event) {
		struct apply_event ev = {.kind = APPLY_EV_BACKUP, .step = s, .ms = mono_ms() - t0,
					 .text = path};
		ss->on_event(ss->event_ctx, &ev);
	}
out:
	strbuf_release(&sql);
	strbuf_release(&data);
	return ret;
}

/* One loss of statement `k`: the file written and recorded. */
static int backup_one(struct apply_session *ss, const struct apply_step *s, size_t k,
		      const struct ddl_loss *l, const char *dir, const char *stamp)
{
	char *schema = NULL, *name = NULL, *pk = NULL, *qtable = NULL, *path = NULL, *what = NULL;
	bool found;
	double t0 = mono_ms();
	char *started = iso_now();
	int ret = resolve_table(ss, l->key, &schema, &name, &pk, &found);
	if (ret < 0 || !found)
		goto out;
	qtable = sqltext_ident(schema, name);
	bool column = l->kind == DDL_LOSS_COLUMN && pk;
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s/", dir);
	add_safe(&p, s->rev->id);
	strbuf_addf(&p, "_%s_%zu_", s->dir == APPLY_UP ? "upgrade" : "downgrade", k + 1);
	add_safe(&p, schema);
	strbuf_addch(&p, '.');
	add_safe(&p, name);
	if (column) {
		strbuf_addch(&p, '.');
		add_safe(&p, l->column);
	}
	strbuf_addf(&p, "_%s.%s", stamp, column ? "csv" : "dump");
	path = strbuf_detach(&p, NULL);
	what = l->column ? xstrfmt("%s %s.%s", l->what, qtable, l->column)
			 : xstrfmt("%s %s", l->what, qtable);
	ret = column ? dump_column(ss, qtable, pk, l->column, path) : dump_table(ss, qtable, path);
	if (ret == 0)
		ret = record(ss, s, path, what, started, t0);
out:
	if (ret < 0 && path) {
		char *why = xstrdup(err_msg());
		unlink(path);
		ret = err_set(ret, "the backup before revision '%s' (%s) failed: %s; nothing of the "
				   "revision ran",
			      s->rev->id, what ? what : l->key, why);
		free(why);
	}
	free(started);
	free(what);
	free(path);
	free(qtable);
	free(pk);
	free(name);
	free(schema);
	return ret;
}

int apply_backup_step(struct apply_session *ss, const struct apply_step *s, const char *dir)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	int ret = 0;
	bool columns_ready = false;
	for (size_t k = 0; ret == 0 && k < s->stmts.n; k++) {
		const struct sql_stmt *st = &s->stmts.v[k];
		struct sql_tree *tree = NULL;
		struct sql_error err = {0, NULL};
		if (sql_parse(s->rev->text, st->start, st->len, &tree, &err) < 0) {
			/* the run reports it when the statement fails */
			sql_error_release(&err);
			err_clear();
			continue;
		}
		struct ddl_src src = {s->rev->text, st->start, st->len, tree->base};
		const PgQuery__ParseResult *r = tree->result;
		for (size_t j = 0; ret == 0 && j < r->n_stmts; j++) {
			struct ddl_stmt d;
			struct ddl_loss l[BACKUP_MAX_LOSSES];
			ddl_stmt_init(&d);
			ddl_describe(r->stmts[j]->stmt, &src, NULL, NULL, &d);
			size_t n = ddl_losses(&d, l, BACKUP_MAX_LOSSES);
			if (n > BACKUP_MAX_LOSSES)
				n = BACKUP_MAX_LOSSES;
			if (n && !columns_ready) {
				path_mkdirs(dir);
				ret = history_step_columns(ss);
				columns_ready = ret == 0;
			}
			for (size_t i = 0; ret == 0 && i < n; i++)
				ret = backup_one(ss, s, k, &l[i], dir, stamp);
			ddl_stmt_release(&d);
		}
		sql_tree_free(tree);
		sql_error_release(&err);
	}
	return ret;
}
