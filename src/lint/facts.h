/*
 * The facts the engine keeps while it walks a revision, for rules that
 * judge a statement by what came before it (a lock still held, a NOT VALID
 * constraint added in the same transaction, objects the upgrade created
 * and the downgrade must drop).
 *
 * Ownership: lint_facts owns its lists; facts_release frees them.
 */
#ifndef REVGATE_LINT_FACTS_H
#define REVGATE_LINT_FACTS_H

#include "lint/rule.h"

void facts_init(struct lint_facts *f);
void facts_release(struct lint_facts *f);
/* A transaction ended: locks released, NOT VALID bookkeeping restarts. */
void facts_txn_reset(struct lint_facts *f);
/* Records what the current statement of `ctx` did (after the rules ran). */
void facts_after_stmt(struct lint_facts *f, const struct lint_ctx *ctx);
void lint_objs_add(struct lint_objs *o, enum lint_obj_kind kind, const char *name,
		   const char *table, size_t offset);
bool lint_objs_has(const struct lint_objs *o, enum lint_obj_kind kind, const char *name);
const char *lint_obj_kind_name(enum lint_obj_kind k);

#endif
