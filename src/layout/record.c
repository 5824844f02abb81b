/*
 * What each tool records in the database about the migrations it ran, and
 * how to read it back as the versions it has applied: the knowledge
 * 'revgate adopt' needs to stamp revgate's version table in its place.
 */
#include "core/err.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <stdlib.h>
#include <string.h>

static const struct layout_record records[] = {
	[LAYOUT_ALEMBIC] = {"alembic_version", "SELECT version_num FROM alembic_version", 1},
	[LAYOUT_DBMATE] = {"schema_migrations",
			   "SELECT version::text FROM schema_migrations ORDER BY version", 1},
	[LAYOUT_GOLANG_MIGRATE] = {"schema_migrations",
				   "SELECT version::text, dirty::text FROM schema_migrations", 2},
	[LAYOUT_GOOSE] = {"goose_db_version",
			  "SELECT version_id::text, is_applied::text FROM goose_db_version "
			  "ORDER BY id",
			  2},
	[LAYOUT_FLYWAY] = {"flyway_schema_history",
			   "SELECT version, type, success::text, script FROM flyway_schema_history "
			   "ORDER BY installed_rank",
			   4},
	[LAYOUT_DIESEL] = {"__diesel_schema_migrations",
			   "SELECT version::text FROM __diesel_schema_migrations ORDER BY version", 1},
	[LAYOUT_SQITCH] = {"sqitch.changes",
			   "SELECT change FROM sqitch.changes ORDER BY committed_at", 1},
};

const struct layout_record *layout_record_of(enum layout_kind kind)
{
	if ((size_t)kind >= ARRAY_SIZE(records) || !records[kind].table)
		return NULL;
	return &records[kind];
}

static bool truth(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "t"));
}

bool layout_version_equal(enum layout_kind kind, const char *a, const char *b)
{
	switch (kind) {
	case LAYOUT_GOLANG_MIGRATE:
	case LAYOUT_GOOSE:
		return layout_numeric_cmp(a, b) == 0;
	case LAYOUT_FLYWAY:
		return layout_flyway_cmp(a, b) == 0;
	case LAYOUT_SQITCH: {
		/* a reworked change's earlier script is recorded by its name */
		size_t na = strcspn(a, "@"), nb = strcspn(b, "@");
		return na == nb && !strncmp(a, b, na);
	}
	default:
		return !strcmp(a, b);
	}
}

static void remove_version(enum layout_kind kind, struct strlist *l, const char *v)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (layout_version_equal(kind, l->v[i], v))
			free(l->v[i]);
		else
			l->v[w++] = l->v[i];
	}
	l->n = w;
}

int layout_record_applied(enum layout_kind kind, const char *const *cells, size_t nrows,
			  struct strlist *applied, char **baseline)
{
	const struct layout_record *r = layout_record_of(kind);
	size_t nc = r->columns;
	*baseline = NULL;
	for (size_t i = 0; i < nrows; i++) {
		const char *const *row = cells + i * nc;
		if (!row[0])
			continue;
		switch (kind) {
		case LAYOUT_GOLANG_MIGRATE:
			/* one row: the version the database is at; all before it ran */
			if (truth(row[1]))
				return err_set(ERR_CHECK,
					       "golang-migrate marked version %s dirty: it failed "
					       "part-way; fix the database and 'migrate force' a clean "
					       "version first",
					       row[0]);
			free(*baseline);
			*baseline = xstrdup(row[0]);
			break;
		case LAYOUT_GOOSE:
			/* an append-only log: the last row of a version decides */
			if (!strcmp(row[0], "0"))
				break;
			remove_version(kind, applied, row[0]);
			if (truth(row[1]))
				strlist_push(applied, row[0]);
			break;
		case LAYOUT_FLYWAY:
			if (row[2] && !truth(row[2]))
				return err_set(ERR_CHECK,
					       "flyway_schema_history records version %s (%s) as "
					       "failed: repair it with Flyway first",
					       row[0], row[3] ? row[3] : "?");
			if (row[1] && !strcmp(row[1], "BASELINE")) {
				free(*baseline);
				*baseline = xstrdup(row[0]);
			} else if (row[1] && strstr(row[1], "UNDO")) {
				remove_version(kind, applied, row[0]);
			} else if (row[1] && strstr(row[1], "SQL")) {
				remove_version(kind, applied, row[0]);
				strlist_push(applied, row[0]);
			}
			break;
		default:
			strlist_push(applied, row[0]);
			break;
		}
	}
	return 0;
}
