/*
 * Alembic revision files read without running Python (alembic.c), and the
 * SQL Alembic's offline mode gives for them (alembic_sql.c). Internal to
 * src/layout/; layout.h is the public face.
 *
 * Ownership: alembic_calls owns its array and strings.
 */
#ifndef REVGATE_LAYOUT_ALEMBIC_H
#define REVGATE_LAYOUT_ALEMBIC_H

#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

/* One `op.<name>(...)` (or `batch_op.<name>`) call in upgrade() or downgrade(). */
struct alembic_call {
	char *name;           /* create_table, add_column, execute, ... */
	unsigned line, col;   /* where `op` is written */
	struct strlist args;  /* every string literal inside the call, in order */
	char *batch_table;    /* inside `with op.batch_alter_table("t")`: "t" */
};

struct alembic_calls {
	struct alembic_call *v;
	size_t n, alloc;
	unsigned def_line; /* the `def upgrade():` line; 0 when there is none */
};
#define ALEMBIC_CALLS_INIT {NULL, 0, 0, 0}

/* The op calls of function `fn` ("upgrade" or "downgrade") of a revision file. */
void alembic_calls_read(const char *text, size_t len, const char *fn, struct alembic_calls *out);
void alembic_calls_release(struct alembic_calls *c);

#endif
