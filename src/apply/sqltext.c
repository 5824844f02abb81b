/* The SQL revgate writes about itself: tables, version rows, history rows. */
#include "apply/sqltext.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void quote_one(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

char *sqltext_ident(const char *schema, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	if (schema && *schema) {
		quote_one(&sb, schema);
		strbuf_addch(&sb, '.');
	}
	quote_one(&sb, name);
	return strbuf_detach(&sb, NULL);
}

/* Quotes the same whatever standard_conforming_strings says: a backslash
 * makes it an E'' string, where backslashes are always escapes. */
static void literal(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_addstr(sb, "NULL");
		return;
	}
	bool backslash = strchr(s, '\\') != NULL;
	strbuf_addstr(sb, backslash ? "E'" : "'");
	for (; *s; s++) {
		if (*s == '\'' || (backslash && *s == '\\'))
			strbuf_addch(sb, *s);
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

void sqltext_literal(struct strbuf *out, const char *s)
{
	literal(out, s);
}

void sqltext_version_ddl(struct strbuf *out, const char *qtable, const char *name)
{
	/* Alembic's own DDL, so either tool can take over the other's table */
	char *pkc = xstrfmt("%s_pkc", name);
	char *qpkc = sqltext_ident(NULL, pkc);
	strbuf_addf(out,
		    "CREATE TABLE IF NOT EXISTS %s (\n"
		    "    version_num VARCHAR(32) NOT NULL,\n"
		    "    CONSTRAINT %s PRIMARY KEY (version_num)\n"
		    ");\n",
		    qtable, qpkc);
	free(qpkc);
	free(pkc);
}

void sqltext_history_ddl(struct strbuf *out, const char *schema, const char *table)
{
	char *qtable = sqltext_ident(schema, table);
	char *idx = xstrfmt("%s_revision_idx", table);
	char *qidx = sqltext_ident(NULL, idx);
	char *fn = xstrfmt("%s_append_only", table);
	char *qfn = sqltext_ident(schema, fn);
	char *qtrig = sqltext_ident(NULL, fn);
	strbuf_addf(out,
		    "CREATE TABLE IF NOT EXISTS %s (\n"
		    "    id BIGSERIAL PRIMARY KEY,\n"
		    "    revision TEXT NOT NULL,\n"
		    "    direction TEXT NOT NULL,\n"
		    "    outcome TEXT NOT NULL,\n"
		    "    segment INTEGER,\n"
		    "    segments INTEGER,\n"
		    "    from_heads TEXT[] NOT NULL DEFAULT '{}',\n"
		    "    to_heads TEXT[] NOT NULL DEFAULT '{}',\n"
		    "    checksum TEXT,\n"
		    "    statement_checksum TEXT,\n"
		    "    statement_checksums TEXT[],\n"
		    "    git_commit TEXT,\n"
		    "    started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),\n"
		    "    finished_at TIMESTAMPTZ,\n"
		    "    duration_ms DOUBLE PRECISION,\n"
		    "    db_user TEXT NOT NULL DEFAULT current_user,\n"
		    "    os_user TEXT,\n"
		    "    client_host TEXT,\n"
		    "    client_addr INET DEFAULT inet_client_addr(),\n"
		    "    tool_version TEXT NOT NULL,\n"
		    "    sqlstate TEXT,\n"
		    "    error TEXT,\n"
		    "    downgrade_checksum TEXT,\n"
		    "    header_keys TEXT,\n"
		    "    batch_key TEXT,\n"
		    "    batch_rows BIGINT,\n"
		    "    backup_file TEXT,\n"
		    "    backup_sha256 TEXT\n"
		    ");\n"
		    "CREATE INDEX IF NOT EXISTS %s ON %s (revision, id);\n",
		    qtable, qidx, qtable);
	sqltext_history_upgrade(out, qtable);
	/* append-only: a trigger refuses UPDATE, DELETE and TRUNCATE; created
	 * once, so the script can run again */
	struct strbuf lit = STRBUF_INIT, litfn = STRBUF_INIT;
	literal(&lit, qtable);
	literal(&litfn, fn);
	struct strbuf body = STRBUF_INIT;
	strbuf_addf(&body,
		    " BEGIN\n"
		    "  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass\n"
		    "                 AND tgname = %s) THEN\n"
		    "    CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $f$\n"
		    "    BEGIN\n"
		    "      RAISE EXCEPTION '%% is append-only: revgate keeps every step it ran', "
		    "TG_TABLE_NAME\n"
		    "        USING ERRCODE = 'insufficient_privilege';\n"
		    "    END $f$;\n"
		    "    CREATE TRIGGER %s BEFORE UPDATE OR DELETE OR TRUNCATE ON %s\n"
		    "      FOR EACH STATEMENT EXECUTE FUNCTION %s();\n"
		    "  END IF;\n"
		    "END ",
		    lit.buf, litfn.buf, qfn, qtrig, qtable, qfn);
	/* the block's quote must not occur in it, whatever the names hold */
	char *tag = xstrdup("$revgate$");
	for (unsigned n = 1; strstr(body.buf, tag); n++) {
		free(tag);
		tag = xstrfmt("$revgate%u$", n);
	}
	strbuf_addf(out, "DO %s%s%s;\n", tag, body.buf, tag);
	free(tag);
	strbuf_release(&body);
	strbuf_release(&lit);
	strbuf_release(&litfn);
	free(qtrig);
	free(qfn);
	free(fn);
	free(qidx);
	free(idx);
	free(qtable);
}

void sqltext_version_op(struct strbuf *out, const char *qtable, const struct vop *op, void *unused)
{
	(void)unused;
	switch (op->kind) {
	case VOP_INSERT:
		strbuf_addf(out, "INSERT INTO %s (version_num) VALUES (", qtable);
		literal(out, op->to);
		strbuf_addstr(out, ");\n");
		break;
	case VOP_DELETE:
		strbuf_addf(out, "DELETE FROM %s WHERE version_num = ", qtable);
		literal(out, op->from);
		strbuf_addstr(out, ";\n");
		break;
	case VOP_UPDATE:
		strbuf_addf(out, "UPDATE %s SET version_num = ", qtable);
		literal(out, op->to);
		strbuf_addstr(out, " WHERE version_num = ");
		literal(out, op->from);
		strbuf_addstr(out, ";\n");
		break;
	}
}

void sqltext_version_insert(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out, "INSERT INTO %s (version_num) VALUES ($1)", qtable);
}

/*
 * The guard: a version-table DELETE or UPDATE that touches other than one
 * row must abort the run. Checked by the server in the same statement, so
 * the COMMIT can travel in the same pipeline as the revision: the failed
 * cast raises an error that carries the explanation (SQLSTATE 22P02).
 */
#define GUARD(what)                                                                          \
	") SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('" SQLTEXT_GUARD_PREFIX                \
	"the version table changed under this run: " what " touched ' || count(*) || "      \
	"' rows, not 1')::int END FROM changed"

void sqltext_version_delete(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "WITH changed AS (DELETE FROM %s WHERE version_num = $1 RETURNING 1" GUARD(
			    "deleting ' || $1 || '"),
		    qtable);
}

void sqltext_version_update(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "WITH changed AS (UPDATE %s SET version_num = $2 WHERE version_num = $1 "
		    "RETURNING 1" GUARD("updating ' || $1 || ' to ' || $2 || '"),
		    qtable);
}

static const char history_columns[] =
	"revision, direction, outcome, segment, segments, from_heads, to_heads, checksum, "
	"statement_checksum, statement_checksums, git_commit, started_at, finished_at, "
	"duration_ms, os_user, client_host, tool_version, sqlstate, error";

void sqltext_history_upgrade(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "ALTER TABLE %s ADD COLUMN IF NOT EXISTS downgrade_checksum TEXT, "
		    "ADD COLUMN IF NOT EXISTS header_keys TEXT;\n",
		    qtable);
}

void sqltext_history_batch_insert(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "INSERT INTO %s (revision, direction, outcome, segment, segments, from_heads, "
		    "to_heads, checksum, started_at, finished_at, duration_ms, os_user, "
		    "client_host, tool_version, batch_key, batch_rows) VALUES ($1, $2, 'started', "
		    "$3, $4, $5, $6, $7, $8, clock_timestamp(), $9, $10, $11, $12, $13, $14)",
		    qtable);
}

void sqltext_history_step_columns(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "ALTER TABLE %s ADD COLUMN IF NOT EXISTS batch_key TEXT, "
		    "ADD COLUMN IF NOT EXISTS batch_rows BIGINT, "
		    "ADD COLUMN IF NOT EXISTS backup_file TEXT, "
		    "ADD COLUMN IF NOT EXISTS backup_sha256 TEXT",
		    qtable);
}

void sqltext_history_backup_insert(struct strbuf *out, const char *qtable)
{
	strbuf_addf(out,
		    "INSERT INTO %s (revision, direction, outcome, checksum, started_at, "
		    "finished_at, duration_ms, os_user, client_host, tool_version, backup_file, "
		    "backup_sha256, error) VALUES ($1, $2, 'backup', $3, $4, clock_timestamp(), $5, "
		    "$6, $7, $8, $9, $10, $11)",
		    qtable);
}

void sqltext_history_insert(struct strbuf *out, const char *qtable, bool extended)
{
	strbuf_addf(out,
		    "INSERT INTO %s (%s%s) VALUES ($1, $2, $3, $4::int, $5::int, $6::text[], "
		    "$7::text[], $8, $9, $10::text[], $11, coalesce($12::timestamptz, now()), "
		    "coalesce($13::timestamptz, clock_timestamp()), coalesce($14::float8, "
		    "extract(epoch FROM clock_timestamp() - coalesce($12::timestamptz, now())) * "
		    "1000), $15, $16, $17, $18, $19%s)",
		    qtable, history_columns, extended ? ", downgrade_checksum, header_keys" : "",
		    extended ? ", $20, $21" : "");
}

char *sqltext_array(const struct strlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addch(&sb, '{');
	for (size_t i = 0; l && i < l->n; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, l->v[i]);
	}
	strbuf_addch(&sb, '}');
	return strbuf_detach(&sb, NULL);
}

void sqltext_history_params(const struct sqltext_history *h, const char **params, char *arrays[2])
{
	arrays[0] = sqltext_array(h->from);
	arrays[1] = sqltext_array(h->to);
	const char *v[SQLTEXT_HISTORY_NPARAMS] = {
		h->revision,	   h->direction,     h->outcome,     h->segment,
		h->segments,	   arrays[0],	     arrays[1],	     h->checksum,
		h->statement_checksum, h->statement_checksums, h->git_commit, h->started_at,
		h->finished_at,	   h->duration_ms,   h->os_user,     h->client_host,
		h->tool_version,   h->sqlstate,	     h->error,	     h->downgrade_checksum,
		h->header_keys,
	};
	memcpy(params, v, sizeof(v));
}

void sqltext_history_insert_literal(struct strbuf *out, const char *qtable,
				    const struct sqltext_history *h)
{
	char *from = sqltext_array(h->from), *to = sqltext_array(h->to);
	strbuf_addf(out, "INSERT INTO %s (revision, direction, outcome, from_heads, to_heads, "
			 "checksum, statement_checksum, statement_checksums, downgrade_checksum, "
			 "header_keys, finished_at, tool_version) VALUES (",
		    qtable);
	/* in the order of the columns above */
	const char *v[] = {h->revision, h->direction, h->outcome, from, to, h->checksum,
			   h->statement_checksum, h->statement_checksums, h->downgrade_checksum,
			   h->header_keys};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (i)
			strbuf_addstr(out, ", ");
		literal(out, v[i]);
	}
	strbuf_addstr(out, ", clock_timestamp(), ");
	literal(out, "revgate " REVGATE_VERSION " (offline)");
	strbuf_addstr(out, ");\n");
	free(from);
	free(to);
}
