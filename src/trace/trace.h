/*
 * revgate trace: runs revisions on a server and reads back what each
 * statement really did there — the relation locks it took (pg_locks of its
 * own backend; for a statement that must run outside a transaction, seen
 * from other connections while it runs), the relations it rewrote (a
 * changed relfilenode), the tables it scanned (the transaction's scan
 * counters), its catalog effects, its duration and how long each lock
 * stayed held — and holds lint's lock prediction (sql/ddl's, through
 * ddl_predict) against it. Nothing here knows which lock a statement
 * should take: that is sql/ddl and sql/locks, asked like lint asks them.
 *
 *   struct trace_report r = TRACE_REPORT_INIT;
 *   trace_run(&ss, &before, &traced, &opts, &r);   ss: an open apply session
 *   ... r.v[i] per statement, r.findings ...
 *   trace_report_release(&r);
 *
 * Ownership: a trace_report owns its statements, their strings and its
 * findings. The session, plans and graph are borrowed.
 */
#ifndef REVGATE_TRACE_TRACE_H
#define REVGATE_TRACE_TRACE_H

#include "apply/apply.h"
#include "core/finding.h"
#include "core/strlist.h"
#include "sql/locks.h"

#include <stdbool.h>
#include <stddef.h>

/* The finding ids trace reports (README, "Tracing what PostgreSQL really takes"). */
#define RULE_LOCK_PREDICTION_MISMATCH "lock-prediction-mismatch"
#define RULE_LOCK_HELD_TOO_LONG "lock-held-too-long"

/* The default of --max-lock-ms: a lock that blocks reads or writes of a
 * table in use for longer than this makes requests queue visibly. */
#define TRACE_MAX_LOCK_MS_DEFAULT 1000L

struct trace_lock {
	char *relation;	 /* "name", or "schema.name" outside public (sql/ddl's keys) */
	enum lock_mode mode;
	char relkind;	 /* pg_class.relkind: 'r' table, 'p' partitioned, 'i' index, ... */
	bool existed;	 /* the relation existed before the revision */
	double held_ms;	 /* from the statement's start to the end of its transaction */
	bool predicted;	 /* lint predicts this mode or a stronger one on the relation */
};

struct trace_pred {
	char *relation;
	enum lock_mode mode;
	const struct lock_entry *entry; /* the lock table's row; NULL for LOCK TABLE */
	bool contradicted; /* neither taken nor already held at that mode or stronger */
	bool unobserved;   /* ran outside a transaction and no lock on the relation was seen */
};

struct trace_stmt {
	const char *revision; /* borrowed from the graph */
	const char *file;
	unsigned line, column;
	char *sql;
	bool transactional;  /* ran inside a transaction (else alone, watched from outside) */
	bool ran;	     /* false: not reached (an earlier statement failed) */
	double duration_ms;
	struct trace_lock *locks; /* taken by this statement, not held before it */
	size_t nlocks, locks_alloc;
	struct strlist rewrites; /* relations whose relfilenode changed */
	struct strlist scans;	 /* tables read in full (sequential scans counted) */
	struct strlist effects;	 /* catalog changes, "+ ..." and "- ..." lines */
	struct trace_pred *pred; /* lint's prediction */
	size_t npred;
	char *error;	/* the server's error when the statement failed */
};

struct trace_report {
	struct trace_stmt *v;
	size_t n, alloc;
	size_t revisions;	  /* revisions traced */
	int server_version;	  /* server_version_num */
	long rows;		  /* --rows */
	struct strlist filled;	  /* "table: N rows" for --rows */
	struct strlist notes;	  /* what could not be done (a table that could not be filled) */
	struct findings findings; /* lock-prediction-mismatch, lock-held-too-long */
	size_t failed;		  /* statements that failed */
	double total_ms;
};
#define TRACE_REPORT_INIT {NULL, 0, 0, 0, 0, 0, STRLIST_INIT, STRLIST_INIT, FINDINGS_INIT, 0, 0}
void trace_report_release(struct trace_report *r);

struct trace_opts {
	long rows;	   /* fill the touched tables with this many rows first; 0: none */
	long max_lock_ms;  /* lock-held-too-long above this */
	const char *url;   /* the session's server, for the watching connections */
	const char *dbname; /* its database (NULL: the URL's) */
};

/*
 * Traces the steps of `traced` (an upgrade plan) on the session's work
 * connection, after the steps of `before` have been applied (they are
 * only replayed into lint's schema here, for the predictions). Each step
 * runs in its real transaction mode: a transactional segment inside
 * BEGIN ... COMMIT, a statement that must run alone without one. A failed
 * statement ends its revision (rolled back when it was transactional) and
 * the trace goes on with the next; it is counted in r->failed. Errors:
 * ERR_DB when the server cannot be asked what happened, ERR_INTERRUPTED.
 */
int trace_run(struct apply_session *ss, const struct apply_plan *before,
	      const struct apply_plan *traced, const struct trace_opts *o, struct trace_report *r);

/* "reads and writes" when a mode blocks reads of a table in use, "writes"
 * when it blocks writes, else NULL: the locks --max-lock-ms judges. */
const char *trace_blocking(enum lock_mode m);

/* Whether PostgreSQL took `l`, a lock on a table that existed, at SHARE
 * UPDATE EXCLUSIVE or stronger, where lint predicts nothing as strong: a
 * gap of the lock table that no prediction can contradict. */
bool trace_unpredicted(const struct trace_lock *l);

#endif
