/*
 * What a lint rule is, and what it sees. A rule lives in
 * src/lint/rules/<id>.c and exports one `const struct lint_rule`. It is
 * pure: it reads the statement's tree, what sql/ddl says the statement does
 * (ctx->ddl: its effects and locks), the catalog and the facts the engine
 * keeps, and reports findings through lint_report(); it never prints, keeps
 * no state of its own, and does no I/O. Severity overrides, ignore comments
 * and positions (byte offset -> line:column) are the engine's job.
 *
 * Ownership: everything in a lint_ctx is borrowed from the engine for the
 * duration of one call.
 */
#ifndef REVGATE_LINT_RULE_H
#define REVGATE_LINT_RULE_H

#include "catalog/catalog.h"
#include "core/finding.h"
#include "core/strlist.h"
#include "core/strmap.h"
#include "sql/ddl.h"

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stddef.h>

struct lint_settings;
struct lint_run;
struct revision;

enum lint_family {
	LINT_FAMILY_SQL,   /* from the parse tree (this module) */
	LINT_FAMILY_GRAPH, /* revision files and the graph (revision/, graph/) */
	LINT_FAMILY_GIT,   /* history against a base ref (git/, guard/) */
};

enum lint_rule_flags {
	LR_DOWNGRADE = 1 << 0, /* also checks statements of the downgrade section */
};

enum lint_section {
	LINT_UPGRADE,
	LINT_DOWNGRADE,
};

/* What the engine knows about the revision so far; rules read it. */
struct lint_facts {
	size_t statements[2];	 /* parsed statements per section */
	bool syntax_error[2];	 /* a section could not be read completely */
	size_t up_autocommit;	 /* upgrade statements that cannot run in a transaction */
	size_t up_transactional; /* ... and those that can */
	size_t first_autocommit; /* offset of the first of each, when counted */
	size_t first_transactional;
	bool block_open; /* an explicit BEGIN not yet committed, this section */
	size_t block_offset;
	/* the transaction the current statement runs in */
	bool ax_held; /* an ACCESS EXCLUSIVE lock on an existing relation is held */
	size_t ax_offset;
	char *ax_table;
	size_t ax_costly_after;	  /* statements since then that are not cheap under the lock */
	struct strlist not_valid; /* "table/constraint" added NOT VALID in this transaction */
	/* constraints dropped IF EXISTS earlier in this section and not added
	 * again since: adding one of them again is safe to re-run */
	struct strlist redo_safe;
	struct ddl_session session; /* what SET changed in this section's session */
	/*
	 * This revision alone, replayed from an empty schema (tables it does
	 * not create are stubs): the upgrade's objects under origin
	 * LINT_REV_UP, then the downgrade's effects under LINT_REV_DOWN. What
	 * still has origin LINT_REV_UP at the end is not undone. Empty for a
	 * plain SQL file, whose catalog holds only what it created anyway.
	 */
	struct catalog rev;
};
#define LINT_REV_UP 1u
#define LINT_REV_DOWN 2u

struct lint_ctx {
	const struct lint_settings *settings;
	const struct revision *rev;
	const char *text; /* the whole file */
	size_t len;
	enum lint_section section;
	const struct catalog *cat; /* the schema before this statement */
	unsigned origin;	   /* catalog origin of this revision's objects */
	/* the current statement (NULL in finish hooks) */
	const PgQuery__Node *stmt;
	size_t stmt_start, stmt_len;
	/* The current statement's own text: src[src_start, src_start +
	 * src_len). It is the file, except for a statement in a string that
	 * EXECUTE runs: then it is that string, positions in it are no file
	 * offsets, and stmt_start is where the EXECUTE is (stmt_len 0). */
	const char *src;
	size_t src_start, src_len;
	size_t base;	     /* add to a node's location to get a file offset */
	bool autocommit;     /* cannot run inside a transaction block */
	bool in_transaction; /* runs inside a transaction (revgate's or an explicit block) */
	bool explicit_block; /* inside BEGIN ... COMMIT written in the file */
	/* the tool that runs the file wraps it in a transaction: a revision
	 * without 'transaction: false', or a plain SQL file linted with
	 * --assume-in-transaction */
	bool managed_txn;
	size_t section_statements; /* statements in the current section */
	unsigned nesting; /* 0, or the depth of a statement a PL/pgSQL body runs */
	const struct lint_facts *facts;
	const struct ddl_stmt *ddl; /* what the current statement does (sql/ddl.h) */
	/* engine-private */
	struct lint_run *run;
	const struct lint_rule *rule;
};

/*
 * Node kinds: a rule is called for every node of a kind it subscribed to,
 * wherever the grammar puts it. While every enabled rule subscribes only to
 * statement kinds and the parts of DDL (lint/engine.c keeps the list),
 * the engine takes two shortcuts that rules must not notice: it does not
 * walk into expressions, and it checks data statements (INSERT, SELECT,
 * COMMENT, GRANT, SET) for syntax only, showing rules an empty node of the
 * statement's kind. A rule that subscribes to an expression kind turns both
 * off.
 */
struct lint_rule {
	const char *id;	     /* kebab-case, never reused */
	const char *summary; /* one line */
	enum severity severity;
	enum lint_family family;
	unsigned flags;	  /* enum lint_rule_flags */
	const int *nodes; /* node kinds (PgQuery__Node__NodeCase) it wants, 0-terminated */
	const int *forms; /* lock table forms (sql/locks.h) it judges, 0-terminated; explained */
	void (*check)(struct lint_ctx *ctx, const PgQuery__Node *node);
	void (*statement)(struct lint_ctx *ctx); /* once per statement, after check */
	void (*finish)(struct lint_ctx *ctx); /* once per revision, after both sections */
};

/* The node kinds a rule subscribes to, as a 0-terminated static array. */
#define LINT_NODES(...) ((const int[]){__VA_ARGS__, 0})
/* The statement forms of the lock table a rule is about (LF_NONE ends it). */
#define LINT_FORMS(...) ((const int[]){__VA_ARGS__, 0})

/*
 * Reports a finding of the running rule at byte `offset` of the file. The
 * returned finding (borrowed until the next report) takes a hint through
 * finding_set_hint(). The engine may drop it later (ignored, off).
 */
struct finding *lint_report(struct lint_ctx *ctx, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The file offset of a node location (-1: the statement's start). */
size_t lint_loc(const struct lint_ctx *ctx, int32_t location);

/* The 1-based line of a file offset, for messages that point elsewhere. */
unsigned lint_line_of(const struct lint_ctx *ctx, size_t offset);

/* Whether the table was created by this revision (earlier in the file). */
bool lint_table_is_new(const struct lint_ctx *ctx, const struct cat_table *t);
/* Whether the relation `key` was created by this revision. */
bool lint_relation_is_new(const struct lint_ctx *ctx, const char *key);
/* The file offset of an ALTER TABLE command's clause. */
size_t lint_clause(const struct lint_ctx *ctx, const PgQuery__AlterTableCmd *cmd);
/* The current statement's lock on `relation` taken by the clause at `offset`
 * (any clause when `offset` is SIZE_MAX), or NULL. */
const struct ddl_lock *lint_lock_at(const struct lint_ctx *ctx, const char *relation,
				    size_t offset);

#endif
