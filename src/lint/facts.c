/* What a revision did so far: locks, transactions, what it created (see facts.h). */
#include "lint/facts.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

void facts_init(struct lint_facts *f)
{
	memset(f, 0, sizeof(*f));
	catalog_init(&f->rev);
}

void facts_release(struct lint_facts *f)
{
	free(f->ax_table);
	strlist_release(&f->not_valid);
	strlist_release(&f->redo_safe);
	catalog_release(&f->rev);
	memset(f, 0, sizeof(*f));
}

void facts_txn_reset(struct lint_facts *f)
{
	f->ax_held = false;
	f->ax_costly_after = 0;
	free(f->ax_table);
	f->ax_table = NULL;
	strlist_release(&f->not_valid);
}

void facts_section_start(struct lint_facts *f)
{
	f->block_open = false;
	f->session = (struct ddl_session)DDL_SESSION_INIT;
	strlist_release(&f->redo_safe);
	facts_txn_reset(f);
}

/* New to this revision: created earlier in it, or by this very statement
 * (the catalog learns of it only after the rules ran). */
static bool is_new(const struct lint_ctx *ctx, const char *key)
{
	if (lint_relation_is_new(ctx, key))
		return true;
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->action == DDL_CREATE && !e->sub && !strcmp(e->key, key))
			return true;
	}
	return false;
}

bool facts_cheap_under_lock(const struct lint_ctx *ctx, const char *locked)
{
	const struct ddl_stmt *d = ctx->ddl;
	if (!d || d->work)
		return false;
	for (size_t i = 0; i < d->n_locks; i++) {
		const struct ddl_lock *l = &d->locks[i];
		if (l->rewrite || l->scan || l->index_rebuild)
			return false;
		if (l->entry && l->entry->form == LF_COMMENT)
			continue;
		if ((locked && !strcmp(l->relation, locked)) || is_new(ctx, l->relation))
			continue;
		return false;
	}
	return true;
}

/* The first ACCESS EXCLUSIVE lock the statement takes on a relation that
 * existed before this revision, or NULL. */
static const struct ddl_lock *exclusive_on_existing(const struct lint_ctx *ctx)
{
	for (size_t i = 0; i < ctx->ddl->n_locks; i++) {
		const struct ddl_lock *l = &ctx->ddl->locks[i];
		if (l->mode == LOCK_ACCESS_EXCLUSIVE && !is_new(ctx, l->relation))
			return l;
	}
	return NULL;
}

void facts_after_stmt(struct lint_facts *f, const struct lint_ctx *ctx)
{
	const PgQuery__Node *s = ctx->stmt;
	int sec = ctx->section == LINT_UPGRADE ? 0 : 1;
	if (!ctx->nesting)
		f->statements[sec]++;
	if (s->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
		switch (s->transaction_stmt->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
			f->block_open = true;
			f->block_offset = ctx->stmt_start;
			break;
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
			f->block_open = false;
			facts_txn_reset(f);
			break;
		default:
			break;
		}
		return;
	}
	if (sec == 0 && !ctx->nesting) {
		if (ctx->autocommit) {
			if (!f->up_autocommit++)
				f->first_autocommit = ctx->stmt_start;
		} else {
			if (!f->up_transactional++)
				f->first_transactional = ctx->stmt_start;
		}
	}
	/* a plain file has no downgrade to check, and its catalog holds only
	 * what it created: no second copy */
	if (!ctx->rev->plain_sql)
		catalog_apply(&f->rev, ctx->ddl, sec == 0 ? LINT_REV_UP : LINT_REV_DOWN);
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->kind != DDL_CONSTRAINT || !e->sub)
			continue;
		char *k = xstrfmt("%s/%s", e->key, e->sub);
		if (e->action == DDL_DROP && (e->flags & DDL_IF_EXISTS)) {
			if (!strlist_has(&f->redo_safe, k))
				strlist_push(&f->redo_safe, k);
		} else if (e->action == DDL_CREATE) {
			/* added again: a second ADD is not safe any more */
			for (size_t j = 0; j < f->redo_safe.n; j++)
				if (!strcmp(f->redo_safe.v[j], k))
					f->redo_safe.v[j][0] = '\0';
		}
		free(k);
	}
	if (!ctx->in_transaction)
		return;
	/* what the transaction holds from now on */
	if (f->ax_held && !facts_cheap_under_lock(ctx, f->ax_table))
		f->ax_costly_after++;
	const struct ddl_lock *ax = f->ax_held ? NULL : exclusive_on_existing(ctx);
	if (ax) {
		f->ax_held = true;
		f->ax_offset = ctx->stmt_start;
		f->ax_table = xstrdup(ax->relation);
	}
	for (size_t i = 0; i < ctx->ddl->n_effects; i++) {
		const struct ddl_effect *e = &ctx->ddl->effects[i];
		if (e->action == DDL_CREATE && e->kind == DDL_CONSTRAINT && e->sub &&
		    (e->flags & DDL_NOT_VALID))
			strlist_push_owned(&f->not_valid, xstrfmt("%s/%s", e->key, e->sub));
	}
}
