/*
 * The applier (DESIGN.md, "Applying"): plans the steps of an upgrade or a
 * downgrade from the graph and the version table, cuts each revision into
 * segments from its parse tree, writes the offline script, and runs a plan
 * on a live database under the advisory lock, keeping the version table
 * (Alembic's rows) and the append-only history table.
 *
 * Nothing here prints: progress goes through the `on_event` callback, a
 * failure is described in struct apply_failure, and the CLI shows both.
 *
 * Ownership: settings, plans, sessions and failures own everything in them
 * (release functions below); a plan borrows the graph and its revisions,
 * which must outlive it.
 */
#ifndef REVGATE_APPLY_APPLY_H
#define REVGATE_APPLY_APPLY_H

#include "apply/heads.h"
#include "core/strbuf.h"
#include "core/strlist.h"
#include "db/db.h"
#include "graph/graph.h"
#include "sql/batch.h"
#include "sql/sql.h"

#include <stdbool.h>
#include <stddef.h>

struct apply_session;
struct config;
struct sumcache;
struct findings;
struct revision;

/* ---- settings: [database] and the command line ---- */

struct apply_settings {
	char *url;               /* NULL until apply_settings_url() */
	const char *url_source;  /* static: where the URL came from */
	char *dbname;            /* connect to this database instead of the URL's, or NULL */
	char *config_url;        /* [database] url, or NULL */
	char *version_schema;    /* NULL: the search_path */
	char *version_table;
	char *history_table;
	long lock_timeout_ms;
	long statement_timeout_ms;
	long lock_wait_ms;
	/* lock_timeout of revgate's own statements on its tables */
	long own_lock_timeout_ms;
	/* lock_timeout of concurrent index builds and other CONCURRENTLY
	 * statements, which wait for every older transaction (0: wait) */
	long concurrent_lock_timeout_ms;
};
#define APPLY_SETTINGS_INIT {0}

/* Reads [database] and applies the flags (each may be NULL). ERR_CONFIG. */
int apply_settings_load(struct apply_settings *s, const struct config *cfg,
			const char *version_table_flag, const char *lock_wait_flag);
/* Finds the URL (--url, DATABASE_URL, .env, config). ERR_CONFIG when none. */
int apply_settings_url(struct apply_settings *s, const char *url_flag);
void apply_settings_release(struct apply_settings *s);

/* ---- plans ---- */

enum apply_dir {
	APPLY_UP,
	APPLY_DOWN,
};

/* Statements [first, first + n) of a step, run together. */
struct apply_segment {
	bool transactional; /* in one transaction (with the version update if last) */
	bool concurrent;    /* a CONCURRENTLY statement alone: its own lock timeout */
	size_t first, n;
	/* a batched backfill alone ('-- revgate: batch'): key-ordered
	 * batches, each committed with a history row saying how far it got */
	bool batched;
	struct sql_batch_spec batch;
};

struct apply_step {
	size_t node;
	const struct revision *rev; /* borrowed from the graph */
	enum apply_dir dir;
	struct vchange change;      /* version-table rows changed by this step */
	struct strlist heads_before, heads_after;
	struct sql_script stmts;    /* the section's statements, file offsets */
	struct apply_segment *seg;
	size_t nseg, seg_alloc;
};

struct apply_plan {
	const struct graph *g;
	enum apply_dir dir;
	struct strlist from; /* the heads the plan starts from */
	struct apply_step *v;
	size_t n, alloc;
};
#define APPLY_PLAN_INIT {NULL, APPLY_UP, STRLIST_INIT, NULL, 0, 0}

/*
 * The steps of `upgrade TARGET` (APPLY_UP) or `downgrade TARGET` from the
 * heads `current`, in Alembic's order, with each step's version-table
 * change and segments. Errors: the walk's (ERR_NOTFOUND, ERR_AMBIGUOUS,
 * ERR_USAGE with Alembic's message), ERR_CHECK for a section that cannot be
 * split or a downgrade of an irreversible revision.
 */
int apply_plan_build(struct apply_plan *p, const struct graph *g, const struct strlist *current,
		     const char *target, enum apply_dir dir);
/* Appends one step running `node` up or down from `heads` (updated), for
 * plans built by hand (revgate test). p->g must be set. */
int apply_plan_add(struct apply_plan *p, struct strlist *heads, size_t node, enum apply_dir dir);
void apply_plan_release(struct apply_plan *p);
/* Whether every segment of the step is transactional (one transaction). */
bool apply_step_transactional(const struct apply_step *s);

/* ERR_USAGE, naming the statement, when a step of the plan cannot run
 * inside one transaction for the whole run (--single-transaction). */
int apply_check_single_transaction(const struct apply_plan *p);

/* The exact offline script of the plan (version-table DDL and DML,
 * transactions, segments, history rows), as `--sql` prints it. */
void apply_plan_sql(const struct apply_plan *p, const struct apply_settings *s,
		    bool single_transaction, struct strbuf *out);

/* ---- what a downgrade destroys ---- */

enum apply_loss_kind {
	LOSS_TABLE,
	LOSS_TRUNCATE,
	LOSS_COLUMN,
	LOSS_SCHEMA,
};

struct apply_loss_item {
	size_t step; /* in the plan */
	enum apply_loss_kind kind;
	char *what;  /* "drops table public.a", "drops column a.b", ... */
	char *schema, *table, *column; /* as the statement names them (schema may be NULL) */
	long rows;   /* rows it holds (for a column: rows where it is not NULL); -1: not known */
	bool capped; /* there are more than `rows` */
};

struct apply_loss {
	struct apply_loss_item *v;
	size_t n, alloc;
};
#define APPLY_LOSS_INIT {NULL, 0, 0}
void apply_loss_release(struct apply_loss *l);

/* What the downgrade steps of `p` drop or empty, from their statements
 * (rows unknown): for --plan, without a database. */
void apply_loss_plan(const struct apply_plan *p, struct apply_loss *out);
/* Counts the rows each item holds now (a schema's tables become items of
 * their own). ERR_DB. */
int apply_loss_measure(struct apply_session *ss, struct apply_loss *l);
/* How many items hold rows. */
size_t apply_loss_holding(const struct apply_loss *l);

/* ---- running on a database ---- */

enum apply_event_kind {
	APPLY_EV_LOCK_WAIT,  /* text: who holds the lock */
	APPLY_EV_LOCKED,     /* ms: how long it waited */
	APPLY_EV_STEP_BEGIN, /* step */
	APPLY_EV_SEGMENT,    /* step, segment index done, ms it took */
	APPLY_EV_STEP_DONE,  /* step, ms */
	APPLY_EV_STEP_FAILED, /* step, ms, fail (its `set` may be false: no statement failed) */
	APPLY_EV_PROGRESS,   /* step, segment, ms, progress: a long statement alone */
	APPLY_EV_BATCH,      /* step, segment, ms (of the batch), batch */
	APPLY_EV_BACKUP,     /* step, ms, text: the file written before it */
};

/* How far a batched backfill got, after each committed batch. */
struct apply_batch_progress {
	long batches;     /* committed in this run */
	long rows;        /* changed in this run */
	long batch_rows;  /* changed by this batch */
	const char *last_key; /* the batch's last key */
	double elapsed_ms;    /* since this run started the statement */
	double fraction;      /* of the key range done (-1: not numeric) */
	bool resumed;         /* it continued after a recorded key */
};

/* What a statement running alone is doing, from pg_stat_activity and
 * pg_stat_progress_create_index (strings borrowed for the event). */
struct apply_progress {
	const char *phase;   /* the index build's phase, or NULL */
	long blocks_done, blocks_total, tuples_done, tuples_total; /* -1: not known */
	const char *waiting; /* what it waits for ("a lock on table t"), or NULL */
	/* the sessions it waits for: "pid 12 ('app', user u, in its
	 * transaction for 00:05:12)", or NULL */
	const char *blockers;
};

struct apply_event {
	enum apply_event_kind kind;
	const struct apply_step *step;
	size_t segment;
	double ms;
	const char *text;
	const struct apply_progress *progress;
	const struct apply_failure *fail;
	const struct apply_batch_progress *batch;
};

typedef void (*apply_event_fn)(void *ctx, const struct apply_event *ev);

/* What failed, where, and what the server said. */
struct apply_failure {
	bool set;
	char *revision;
	char *file;
	unsigned line, column; /* of the failing statement (or the error position in it) */
	char *excerpt;         /* the source line */
	struct db_error err;   /* message, detail, hint, SQLSTATE */
	bool commit_unknown;   /* the connection ended before COMMIT's answer came */
	/* ... or under a statement outside a transaction, which may have
	 * finished: the history says it started, not how it ended */
	bool outcome_unknown;
	/* the revision stopped part-way and the history says so: 'revgate
	 * resolve' lists it (false when its first transaction rolled back
	 * and the history closed it) */
	bool half_done;
};
void apply_failure_release(struct apply_failure *f);

/* What the history says of one segment of a half-done revision. */
enum apply_seg_state {
	APPLY_SEG_NOT_STARTED,
	APPLY_SEG_DONE,    /* a row says it completed */
	APPLY_SEG_FAILED,  /* it did not complete: the server refused it, or a signal stopped it */
	APPLY_SEG_UNKNOWN, /* a row says it started; the connection ended before its end */
};

struct apply_seg_record {
	enum apply_seg_state state;
	char *error, *sqlstate; /* why it failed, or how its outcome was settled */
};

/* A revision left half-done by a failed or interrupted non-transactional
 * segment, as the history table records it. */
struct apply_pending {
	char *revision;
	char *direction;
	char *outcome;
	int segment, segments; /* last segment recorded; 0 when none */
	char *error;
	char *sqlstate;
	char *checksum; /* of the file when the revision ran; NULL when not recorded */
	struct apply_seg_record *seg; /* [segments], from the rows since it last settled */
};

struct apply_session {
	const struct apply_settings *s;
	const struct graph *g;
	struct db *db;   /* the work connection */
	struct db *lock; /* holds the advisory lock */
	char *vtable;    /* quoted, always schema-qualified (resolved at open) */
	char *htable;
	char *schema;    /* the version table's schema, resolved (unquoted) */
	char *lock_key;  /* the advisory lock's second key, from the resolved table */
	char *search_path; /* the work connection's, as it connected */
	char *replication_role; /* session_replication_role, as it connected */
	char *login_user;       /* the user it logged in as (quoted) */
	/* what the running statement was last seen waiting for ("a lock on
	 * table t held by pid 12 ('psql', ...)"), or NULL */
	char *waited_for;
	bool locked;
	unsigned flags;    /* enum apply_open_flags */
	bool have_history; /* the history table exists */
	/* the version table's comment says revgate kept a history for it,
	 * and the history table is gone */
	bool history_lost;
	bool history_ext;  /* ... with downgrade_checksum and header_keys */
	struct strlist heads; /* the version table's rows */
	apply_event_fn on_event;
	void *event_ctx;
	char *command; /* "upgrade", ... for application_name and history */
	const char *git_commit; /* recorded in the history when set (borrowed) */
	/* checksums verified before (borrowed; may be NULL): apply_verify
	 * checks a revision without its text when its file is unchanged */
	struct sumcache *sums;
	/* set by apply_verify when a revision read from the header cache
	 * (no text) could not be checked without it */
	bool need_text;
	/* apply_verify leaves out what it asks the catalog (the history's
	 * trigger, INVALID indexes): the gate of a run with nothing to do */
	bool verify_light;
	/* read ahead by apply_prefetch, handed over once (owned) */
	struct db_res *verify_rows;
	struct apply_pending *pending;
	size_t npending;
	bool pending_known;
	char *os_user, *host;
};

enum apply_open_flags {
	APPLY_OPEN_CREATE = 1 << 0,  /* create the version and history tables if missing */
	APPLY_OPEN_NO_LOCK = 1 << 1, /* read-only commands: no advisory lock */
	/* with APPLY_OPEN_CREATE: start a new history table even where one
	 * was lost (stamp, which then records the heads) */
	APPLY_OPEN_NEW_HISTORY = 1 << 2,
};

/*
 * Connects (work and lock connections), takes the advisory lock by polling
 * (events report the holder), creates the version and history tables with
 * APPLY_OPEN_CREATE (else a missing version table reads as the empty
 * database), and reads the current heads. Errors: ERR_CONFIG (URL), ERR_DB,
 * ERR_RUNTIME when the lock was not had within lock_wait.
 */
int apply_open(struct apply_session *ss, const struct apply_settings *s, const struct graph *g,
	       const char *command, unsigned flags, apply_event_fn on_event, void *ctx);
/*
 * Takes the lock for a session opened with APPLY_OPEN_NO_LOCK (after a
 * look at the state without it) and reads the heads again, now stable;
 * creates the tables when `create`.
 */
int apply_lock(struct apply_session *ss, bool create);
/* Releases the lock and closes both connections (the lock last); restores
 * the signal dispositions apply_open() replaced. */
void apply_close(struct apply_session *ss);

/*
 * SIGINT and SIGTERM during a session (apply_open to apply_close) do not
 * kill revgate: they cancel the work connection's running query and set a
 * flag that the runner checks, so a run stops with a rolled-back
 * transaction, an "interrupted" history row and the lock released, and
 * the command exits 130 (ERR_INTERRUPTED). The number of the signal
 * caught, or 0.
 */
int apply_interrupted(void);
/* ERR_INTERRUPTED after a signal; ERR_RUNTIME when the advisory lock is no
 * longer held (its connection was lost). 0 otherwise. */
int apply_check_continue(struct apply_session *ss);

/* ERR_NOTFOUND when the version table holds a revision the graph lacks. */
int apply_check_heads_known(const struct apply_session *ss);
/* Revisions whose last history row leaves them half-done (fills `out`). */
int apply_pending_list(struct apply_session *ss, struct apply_pending **out, size_t *n);
/* Reads ahead what the next apply_pending_list and apply_verify would
 * read, none of which needs the graph: a deploy reads it while its
 * revisions load. Dropped when the lock is taken (it may be stale). */
int apply_prefetch(struct apply_session *ss);
void apply_pending_free(struct apply_pending *v, size_t n);

struct apply_run_opts {
	bool single_transaction;
	/* before each step, a backup here of what it destroys (or NULL) */
	const char *backup_dir;
};

/*
 * Runs the plan step by step. A transactional step runs in one transaction
 * with its version-table change and its history row; other steps segment by
 * segment, each recorded as it completes. On a failing statement: ERR_DB,
 * `fail` filled, the failure recorded in the history, nothing of a
 * transactional step left behind. ERR_DB as well when a version-table
 * UPDATE or DELETE touches other than one row (the run aborts).
 */
int apply_run(struct apply_session *ss, struct apply_plan *p, const struct apply_run_opts *o,
	      struct apply_failure *fail);

/* Sets the version table to exactly `heads` (stamp); records it. */
int apply_stamp(struct apply_session *ss, const struct strlist *heads);

/*
 * Checks applied revisions against the files: the byte checksum recorded
 * when each was applied, and, when it differs, the statement checksums, to
 * name the first statement that changed, the downgrade's token-stream
 * checksum and the header keys. Adds findings to `out`: a changed
 * statement ("applied-checksum-mismatch", error), a changed header
 * ("applied-header-changed": error for down_revision, depends_on and
 * transaction, warning for the others, naming each key), a changed
 * downgrade ("applied-downgrade-changed", warning), or else an edit only in
 * comments or whitespace ("applied-checksum-cosmetic", warning, which says
 * when the downgrade and header were not recorded by an older revgate).
 * Revisions without a recorded checksum are skipped. A revision without
 * its text (read from the header cache) is checked by the checksum
 * ss->sums recorded for its unchanged file; when that cannot settle it,
 * ss->need_text is set: load the text and verify again.
 */
int apply_verify(struct apply_session *ss, struct findings *out, size_t *checked);

/* Where a half-done revision stopped, for messages (fresh string, may be
 * ""): " after segment 1 of 3" when segment 1 completed and the next did
 * not start, " in segment 2 of 3 (failed)", "(interrupted)" or "(outcome
 * unknown)" when segment 2 is the first that did not complete. */
char *apply_pending_where(const struct apply_pending *p);

/* One segment of a half-done revision, as `resolve` shows it. */
struct apply_seg_view {
	unsigned line;       /* of its first statement; 0 for the version-table update alone */
	bool transactional;
	size_t statements;
	enum apply_seg_state state;
	const char *error;   /* borrowed from the pending record */
	char *excerpt;       /* its first statement's first line, or NULL */
	char *catalog;       /* what the catalog showed when asked, or NULL */
	bool settled;        /* its outcome was unknown; the catalog settled it, now recorded */
	bool repeatable;     /* outcome unknown, but running it again is harmless */
	char *invalid_index; /* an INVALID index it left (quoted, qualified), or NULL */
};

struct apply_inspection {
	const struct revision *rev; /* borrowed from the graph */
	/* the file is not what ran (checksum or segments differ): segments are
	 * shown as recorded, and nothing is settled or resumed */
	bool file_changed;
	struct apply_plan plan;     /* the one step, as it would run now */
	struct apply_seg_view *seg;
	size_t n;
};
void apply_inspection_release(struct apply_inspection *in);

/*
 * Reads what each segment of the half-done revision did, asking the
 * catalog about the segment whose outcome is unknown and, with `settle`,
 * recording its outcome when the answer is certain (the statement's index
 * present and valid, its column there, ...); finds INVALID indexes its
 * failed concurrent builds left. Updates `p`. ERR_NOTFOUND when the
 * revision is not in the migrations directory, ERR_DB.
 */
int apply_inspect(struct apply_session *ss, struct apply_pending *p, bool settle,
		  struct apply_inspection *out);

/*
 * Continues the half-done revision from its first segment not known to be
 * complete, after dropping (DROP INDEX CONCURRENTLY) an INVALID index that
 * segment left; on success the revision is applied (or reverted). ERR_CHECK
 * when the file changed since, or when that segment's outcome is unknown
 * and the catalog cannot tell; else as apply_run. `dropped` receives the
 * indexes dropped.
 */
int apply_resume(struct apply_session *ss, struct apply_pending *p, struct strlist *dropped,
		 struct apply_failure *fail);
/* Whether the half-done revision stopped in a batched backfill, with its
 * file unchanged: resuming it is always safe (its batches are recorded),
 * so the next upgrade may do it without asking. ERR_NOTFOUND, ERR_DB. */
int apply_pending_in_batch(struct apply_session *ss, struct apply_pending *p, bool *out);
/*
 * The half-done revision `rev` names: its exact id, or a unique prefix of
 * at least four characters. ERR_USAGE for a shorter prefix, ERR_AMBIGUOUS
 * (listing the candidates) for several, ERR_NOTFOUND for none.
 */
int apply_pending_find(struct apply_pending *v, size_t n, const char *rev,
		       struct apply_pending **out);
/* Marks a half-done revision resolved: `done` records it as applied
 * (version table updated as if the step had completed), else as rolled
 * back by the operator (version table untouched). The claim is checked
 * against the catalog first: ERR_CHECK, naming each, when a segment not
 * recorded as complete has visibly not taken effect (`done`: an INVALID
 * index, a missing column), or when what ran is still there (rolled back:
 * its index, its table; an INVALID index it left). */
int apply_resolve(struct apply_session *ss, struct apply_pending *pending, bool done);
/* A diagnosis from the catalog for a half-done revision (INVALID indexes). */
int apply_diagnose(struct apply_session *ss, struct strlist *lines);

/* Drops the version and history tables and the history's trigger function
 * (after `revgate test --in-place`, which created them). ERR_DB. */
int apply_drop_tables(struct apply_session *ss);

/* The schema as sorted lines from the catalog (revgate's tables left out). */
int apply_snapshot(struct apply_session *ss, struct strlist *lines);
/* ERR_CHECK, naming the first objects, unless the database holds no
 * objects of any class a user can create (revgate's tables count too):
 * the check before `revgate test --in-place`, which runs every downgrade. */
int apply_test_check_empty(struct apply_session *ss);
/* The statements of any revision, upgrade or downgrade, that change more
 * than their database (roles, databases, tablespaces, ALTER SYSTEM), one
 * "file:line: what (section)" each: `revgate test --url` refuses them on a
 * server that is not throwaway. */
int apply_test_cluster_changes(const struct graph *g, struct strlist *found);
/*
 * revgate test on an empty database: up step by step with snapshots, down
 * step by step back to each snapshot, up again, and the merged branches in
 * the other order. Problems are findings (rules test-*); a failing
 * statement also fills `fail`. `nsteps` counts the steps run.
 */
int apply_test(struct apply_session *ss, struct findings *out, struct apply_failure *fail,
	       size_t *nsteps);

/* What else a history row records of a revision, so that verify can tell
 * a cosmetic edit from a changed downgrade or header: the token-stream
 * checksum of the downgrade section ("absent" hashed when it has none)
 * and the header keys that carry meaning, one "key: value" line each
 * (down_revision, depends_on, branch_labels, transaction, irreversible). */
void apply_revision_keys(const struct revision *rev, char downgrade[65], struct strbuf *header);

/* Statement checksums of a section: `whole` over all, one short hex per
 * statement in `each`. */
int apply_section_checksums(const struct revision *rev, const struct sql_script *stmts,
			    char whole[65], struct strlist *each);

#endif
