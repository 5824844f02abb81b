/*
 * The libpq wrapper: the only module that includes libpq-fe.h. It finds the
 * connection URL (--url, DATABASE_URL, .env, config), connects with an
 * application_name that names revgate, runs SQL through PQexecParams (and
 * libpq's pipeline mode for batches), and turns every libpq and server
 * error into ERR_DB with the server's fields kept for the caller.
 *
 * A password never leaves this module: URLs are redacted before they are
 * shown, and every libpq message is scrubbed of the password it was given.
 *
 * Ownership: a db owns its PGconn and its last error; db_last_error() is
 * borrowed until the next call on that db. A db_res owns its PGresult. A
 * db_batch owns copies of its SQL and parameters.
 */
#ifndef REVGATE_DB_DB_H
#define REVGATE_DB_DB_H

#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

/* The fields of a server error (NULL when the server sent none). */
struct db_error {
	char *sqlstate;
	char *message;
	char *detail;
	char *hint;
	char *context;
	unsigned position; /* 1-based character position in the statement; 0 if none */
};
void db_error_release(struct db_error *e);

/*
 * Where the URL comes from, in DESIGN.md's order: `flag` (--url), else
 * DATABASE_URL in the environment, else DATABASE_URL in ./.env, else
 * `config_url`. `*url` is a fresh string; `*source` names where it came
 * from (static). ERR_CONFIG when none is set, naming every place looked at.
 */
int db_url_find(const char *flag, const char *config_url, char **url, const char **source);
/* `url` with its password replaced by "***" (fresh string). Handles URIs
 * and key=value strings. */
char *db_url_redact(const char *url);

/*
 * `url` as a key=value connection string (fresh, in *out, holding the
 * password if `url` does), for a run over many databases: to database
 * `dbname` instead of the URL's when not NULL, and with `setting` ("name=
 * value", the value as the server reads it) added to the startup options
 * after the URL's own (or PGOPTIONS'), when not NULL. ERR_CONFIG, the URL
 * redacted, when libpq cannot parse it.
 */
int db_url_derive(const char *url, const char *dbname, const char *setting, char **out);
/* Which database `url` names, as written ("host:port/dbname options"),
 * to tell two targets that are one database apart (fresh, in *out; no
 * password). ERR_CONFIG as db_url_derive. */
int db_url_identity(const char *url, char **out);
/* `text` with every password `url` holds replaced, then redacted as
 * db_url_redact does (fresh string): for what a process connected with
 * `url` printed. */
char *db_url_scrub(const char *url, const char *text);

struct db;

/*
 * Connects to `url` (to database `dbname` instead of the URL's when not
 * NULL) with application_name `app_name`. Fails with ERR_CONFIG
 * when the URL itself is malformed, ERR_DB when the server cannot be
 * reached or refuses; the message names the likely fix (server down, wrong
 * password, missing database or role) and never contains the password.
 */
int db_connect(struct db **out, const char *url, const char *dbname, const char *app_name);
/* The same, with `options` (libpq's "options": "-c key=value ...") given to
 * the server at startup, before any the URL or PGOPTIONS gives. A setting
 * given there survives RESET and RESET ALL. */
int db_connect_opts(struct db **out, const char *url, const char *dbname, const char *app_name,
		    const char *options);
void db_close(struct db *db);

/*
 * Cancelling from a signal handler. db_cancel_arm() prepares the cancel
 * request of `db` (PQgetCancel) ahead of time, replacing any armed before;
 * db_cancel_from_signal() sends it and is async-signal-safe (PQcancel with
 * a buffer on the stack): the running query, if any, fails with SQLSTATE
 * 57014. One connection is armed at a time; db_cancel_disarm() frees it.
 * Arm and disarm outside signal handlers only.
 */
void db_cancel_arm(struct db *db);
void db_cancel_disarm(void);
void db_cancel_from_signal(void);

/* The error of the last failed call (borrowed); all fields NULL after success. */
const struct db_error *db_last_error(const struct db *db);
/* The server's pid for this connection. */
int db_backend_pid(const struct db *db);
/* Whether the connection is still usable (false after the server went away). */
bool db_alive(const struct db *db);
/* "host:port/dbname" for messages, without user or password (borrowed). */
const char *db_where(const struct db *db);

/* A query result: rows of text values. */
struct db_res;
size_t db_res_nrows(const struct db_res *r);
/* The value at (row, col), or NULL for SQL NULL (borrowed from r). */
const char *db_res_value(const struct db_res *r, size_t row, size_t col);
/* The number of rows a command touched (INSERT/UPDATE/DELETE), or 0. */
long db_res_affected(const struct db_res *r);
void db_res_free(struct db_res *r);

/*
 * Runs one statement with text parameters through PQexecParams (so never
 * more than one statement, and no SQL built from values). `out` may be
 * NULL. ERR_DB on failure with the server's message; details in
 * db_last_error().
 */
int db_query(struct db *db, const char *sql, int nparams, const char *const *params,
	     struct db_res **out);
/* Like db_query without parameters, for migration text that is sent as written. */
int db_exec(struct db *db, const char *sql);
/* Runs a COPY ... TO STDOUT and writes what it sends to `fd`; `*bytes`
 * counts them. ERR_DB (the server's error in db_last_error), ERR_IO
 * naming `what` when the write fails. */
int db_copy_out(struct db *db, const char *sql, int fd, const char *what, long long *bytes);
/* How another PostgreSQL client reaches the same database: "--host=...",
 * "--port=...", "--username=...", "--dbname=..." pushed onto `args`, and
 * the password (fresh string) or NULL; the server's major version. */
void db_client_args(const struct db *db, struct strlist *args, char **password, int *major);

/*
 * A statement that runs while the caller watches it from another
 * connection: db_send() starts `sql` (migration text, sent as written,
 * one statement) and returns at once; db_running() reads what arrived and
 * says whether it still runs; db_wait() waits for its end. 0, or ERR_DB
 * with db_last_error() set (db_wait: the statement's own error).
 */
int db_send(struct db *db, const char *sql);
int db_running(struct db *db, bool *running);
int db_wait(struct db *db);

/*
 * A watch on a connection: while a query or batch on `db` runs, `tick`
 * is called every `interval_ms` with the milliseconds since it was sent
 * (it must not use `db`; another connection may ask the server what the
 * query waits for). NULL `tick` ends the watch.
 */
typedef void (*db_tick_fn)(void *ctx, double elapsed_ms);
void db_set_watch(struct db *db, long interval_ms, db_tick_fn tick, void *ctx);

/* A quoted identifier ("schema"."name" for two parts; fresh string). */
char *db_quote_ident(struct db *db, const char *schema, const char *name);

/*
 * A batch of statements sent in one round trip with libpq's pipeline mode
 * and read back in order. Statements after a failure are skipped by the
 * server. A batch that does not open its own transaction runs as one
 * implicit transaction, so statements that need autocommit never go in one.
 */
struct db_batch_item {
	char *sql;
	char **params;
	int nparams;
	long affected;  /* after db_batch_run: rows touched */
	bool done;      /* after db_batch_run: ran without error */
};
struct db_batch {
	struct db_batch_item *v;
	size_t n, alloc;
	size_t failed; /* index of the failing item after ERR_DB, else n */
};
#define DB_BATCH_INIT {NULL, 0, 0, 0}
/* Adds a statement (copied, parameters too); returns its index. */
size_t db_batch_add(struct db_batch *b, const char *sql, int nparams, const char *const *params);
/* Adds migration text: `len` bytes of `sql`, sent as written. */
size_t db_batch_add_text(struct db_batch *b, const char *sql, size_t len);
/* Runs the batch; 0, or ERR_DB with b->failed and db_last_error() set. */
int db_batch_run(struct db *db, struct db_batch *b);
void db_batch_release(struct db_batch *b);

#endif
