/*
 * The facts the engine keeps while it walks a revision, for rules that
 * judge a statement by what came before it (a lock still held, a NOT VALID
 * constraint added in the same transaction, what the upgrade created and
 * the downgrade removes). Everything here is read from the statements'
 * effects (sql/ddl.h): this module never reads a parse tree's DDL itself.
 *
 * Ownership: lint_facts owns its lists and its catalog; facts_release
 * frees them.
 */
#ifndef REVGATE_LINT_FACTS_H
#define REVGATE_LINT_FACTS_H

#include "lint/rule.h"

void facts_init(struct lint_facts *f);
void facts_release(struct lint_facts *f);
/* A transaction ended: locks released, NOT VALID bookkeeping restarts. */
void facts_txn_reset(struct lint_facts *f);
/* A section starts: a new session, no transaction open. */
void facts_section_start(struct lint_facts *f);
/* Records what the current statement of `ctx` did (after the rules ran). */
void facts_after_stmt(struct lint_facts *f, const struct lint_ctx *ctx);
/*
 * Whether the current statement costs nothing while the transaction holds
 * an ACCESS EXCLUSIVE lock on `locked`: it reads and writes no rows and
 * rewrites or scans nothing, and every lock it takes is on `locked`, on a
 * relation this revision created, or a comment's.
 */
bool facts_cheap_under_lock(const struct lint_ctx *ctx, const char *locked);

#endif
