/*
 * The SQL revgate itself writes: the version and history tables' DDL, the
 * version-table DML and the history row, in one place so that the online
 * runner (parameters through PQexecParams) and the offline script
 * (literals, for --sql) cannot drift apart.
 *
 * Ownership: functions append to caller-owned strbufs; sqltext_ident
 * returns a fresh string.
 */
#ifndef REVGATE_APPLY_SQLTEXT_H
#define REVGATE_APPLY_SQLTEXT_H

#include "apply/heads.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/strlist.h"

#include <stdbool.h>

/* "schema"."name" (or "name"), quoted as PQescapeIdentifier quotes. */
char *sqltext_ident(const char *schema, const char *name);

/* CREATE TABLE IF NOT EXISTS for the version table `qtable` (quoted);
 * `name` (unquoted) names its primary key as Alembic does: <name>_pkc. */
void sqltext_version_ddl(struct strbuf *out, const char *qtable, const char *name);
/* CREATE TABLE IF NOT EXISTS for the history table `schema`.`table`
 * (schema may be NULL), its index, and the trigger that keeps it
 * append-only; several statements, each ending with ";\n". A NULL
 * started_at in a row means now() (the transaction's start), a NULL
 * finished_at clock_timestamp(). */
void sqltext_history_ddl(struct strbuf *out, const char *schema, const char *table);

/* One version-table change with literal ids (offline script). */
void sqltext_version_op(struct strbuf *out, const char *qtable, const struct vop *op, void *unused);
/* The parameterised statements for the online runner: insert ($1 = to),
 * delete ($1 = from), update ($1 = from, $2 = to). Delete and update fail
 * on the server unless they touch exactly one row, with an error whose
 * message holds SQLTEXT_GUARD_PREFIX and the explanation. */
#define SQLTEXT_GUARD_PREFIX "revgate: "
void sqltext_version_insert(struct strbuf *out, const char *qtable);
void sqltext_version_delete(struct strbuf *out, const char *qtable);
void sqltext_version_update(struct strbuf *out, const char *qtable);

/* The values of one history row. NULL fields are SQL NULL. */
struct sqltext_history {
	const char *revision;
	const char *direction; /* upgrade, downgrade, stamp, resolve */
	const char *outcome;   /* applied, reverted, stamped, failed, started, segment,
				  interrupted, resolved */
	const char *segment, *segments;
	const struct strlist *from, *to;
	const char *checksum, *statement_checksum, *statement_checksums; /* the last as '{..}' */
	/* token-stream checksum of the downgrade section, and the header keys
	 * that carry meaning, one "key: value" per line (apply_revision_keys) */
	const char *downgrade_checksum, *header_keys;
	const char *git_commit;
	const char *started_at, *finished_at, *duration_ms;
	const char *os_user, *client_host, *tool_version;
	const char *sqlstate, *error;
};
#define SQLTEXT_HISTORY_NPARAMS 21
/* Without downgrade_checksum and header_keys, for a history table made
 * before they existed that revgate could not alter. */
#define SQLTEXT_HISTORY_NPARAMS_V1 19
/* INSERT ... VALUES ($1..$21), or $1..$19 without `extended`, and the
 * parameters in that order (borrowed from `h`, except the two arrays,
 * which go into `arrays` as fresh strings the caller frees). */
void sqltext_history_insert(struct strbuf *out, const char *qtable, bool extended);
/* ALTER TABLE adding the columns a history table made by an older revgate
 * lacks (idempotent). */
void sqltext_history_upgrade(struct strbuf *out, const char *qtable);
void sqltext_history_params(const struct sqltext_history *h, const char **params, char *arrays[2]);
/* The row a batched backfill commits with each batch: a "started" row of
 * its segment that also says the last key done and the rows it changed.
 * Parameters, in order: revision, direction, segment, segments,
 * from_heads, to_heads ('{..}'), checksum, started_at, duration_ms,
 * os_user, client_host, tool_version, batch_key, batch_rows. */
#define SQLTEXT_BATCH_NPARAMS 14
void sqltext_history_batch_insert(struct strbuf *out, const char *qtable);
/* The columns batched backfills and backups record (idempotent), for a
 * history table made before they existed. */
#define SQLTEXT_STEP_COLUMNS "'batch_key', 'batch_rows', 'backup_file', 'backup_sha256'"
#define SQLTEXT_STEP_NCOLUMNS 4
void sqltext_history_step_columns(struct strbuf *out, const char *qtable);
/* The row that says a backup was written before a step: parameters
 * revision, direction, checksum, started_at, duration_ms, os_user,
 * client_host, tool_version, backup_file, backup_sha256, error (what the
 * statement destroys). */
#define SQLTEXT_BACKUP_NPARAMS 11
void sqltext_history_backup_insert(struct strbuf *out, const char *qtable);
/* The same row with literals, for the offline script (no client facts). */
void sqltext_history_insert_literal(struct strbuf *out, const char *qtable,
				    const struct sqltext_history *h);
/* A string literal, quoted the same whatever standard_conforming_strings
 * says (an E'' string when it holds a backslash); NULL gives NULL. */
void sqltext_literal(struct strbuf *out, const char *s);
/* '{a,b}' array literal of ids (fresh string). */
char *sqltext_array(const struct strlist *l);

#endif
