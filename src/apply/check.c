/*
 * revgate test: a history checked against a real server. Every revision
 * is applied one step at a time with a snapshot of the schema from the
 * catalog after each; then each is reverted, newest first, and the schema
 * must equal the snapshot taken before it ran; then everything is applied
 * again and must give the same snapshots; and when the history merges
 * branches, applying the branches in the other order must give the same
 * final schema.
 */
#include "apply/effects.h"
#include "apply/internal.h"
#include "core/err.h"
#include "core/finding.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "graph/walk.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

#define RULE_TEST_UPGRADE "test-upgrade-failed"
#define RULE_TEST_DOWNGRADE "test-downgrade-differs"
#define RULE_TEST_REAPPLY "test-reapply-differs"
#define RULE_TEST_ORDER "test-merge-order-differs"

/* One line per schema object, sorted; objects of extensions and revgate's
 * own tables left out. Columns are keyed by name, so column order (which
 * ADD COLUMN in a different branch order changes) does not count. */
static const char snapshot_sql[] =
	"WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN "
	"('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' "
	"AND nspname NOT LIKE 'pg\\_temp%'), "
	"ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e'), "
	"rel AS (SELECT c.oid, c.relname, c.relkind, ns.nspname FROM pg_class c "
	"JOIN ns ON ns.oid = c.relnamespace WHERE c.oid NOT IN (SELECT objid FROM ext) "
	"AND c.relname NOT IN ($1, $2, $3) "
	"AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
	"WHERE i.indexrelid = c.oid AND t.relname IN ($1, $2))) "
	"SELECT line FROM ("
	"SELECT 'extension ' || extname::text AS line FROM pg_extension WHERE extname <> 'plpgsql' "
	"UNION ALL SELECT 'schema ' || nspname FROM ns WHERE nspname <> 'public' "
	"AND oid NOT IN (SELECT objid FROM ext) "
	"UNION ALL SELECT 'relation ' || nspname || '.' || relname || ' kind ' || relkind::text "
	"FROM rel WHERE relkind <> 'i' "
	"UNION ALL SELECT 'column ' || r.nspname || '.' || r.relname || '.' || a.attname || ' ' "
	"|| format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' "
	"ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') "
	"FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid LEFT JOIN pg_attrdef d "
	"ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm', 'f') "
	"UNION ALL SELECT 'constraint ' || r.nspname || '.' || r.relname || ' ' || co.conname "
	"|| ' ' || pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN rel r "
	"ON r.oid = co.conrelid "
	"UNION ALL SELECT 'index ' || pg_get_indexdef(r.oid) || CASE WHEN i.indisvalid THEN '' "
	"ELSE ' INVALID' END FROM rel r JOIN pg_index i ON i.indexrelid = r.oid "
	"UNION ALL SELECT 'view ' || r.nspname || '.' || r.relname || ' ' "
	"|| md5(pg_get_viewdef(r.oid)) FROM rel r WHERE r.relkind IN ('v', 'm') "
	"UNION ALL SELECT 'function ' || p.oid::regprocedure::text || ' ' "
	"|| md5(pg_get_functiondef(p.oid)) FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace "
	"WHERE p.prokind IN ('f', 'p') AND p.oid NOT IN (SELECT objid FROM ext) "
	"UNION ALL SELECT 'type ' || ns.nspname || '.' || t.typname || ' ' || t.typtype::text || "
	"coalesce(' (' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) "
	"FROM pg_enum e WHERE e.enumtypid = t.oid) || ')', '') FROM pg_type t "
	"JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype IN ('e', 'd') "
	"AND t.oid NOT IN (SELECT objid FROM ext) "
	"UNION ALL SELECT 'trigger ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg "
	"JOIN rel r ON r.oid = tg.tgrelid WHERE NOT tg.tgisinternal"
	") s ORDER BY line COLLATE \"C\"";

int apply_snapshot(struct apply_session *ss, struct strlist *lines)
{
	char *seq = xstrfmt("%s_id_seq", ss->s->history_table);
	const char *params[] = {ss->s->version_table, ss->s->history_table, seq};
	struct db_res *r = NULL;
	int ret = db_query(ss->db, snapshot_sql, 3, params, &r);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++)
		strlist_push(lines, db_res_value(r, i, 0));
	db_res_free(r);
	free(seq);
	return ret;
}

/*
 * Every object a user made in this database, whatever its class: what has
 * an oid past the ones initdb hands out (FirstNormalObjectId) in the
 * catalogs of things one can create, named as PostgreSQL names them.
 * Tables' row and array types, toast tables, and what belongs to a table
 * (constraints, triggers, rules, policies) come with their table.
 */
static const struct {
	const char *class_id; /* the catalog pg_identify_object() knows the object by */
	const char *from;     /* where its rows are */
	const char *where;
} user_catalogs[] = {
    {"pg_class", "pg_class", "oid >= 16384 AND relnamespace <> 'pg_toast'::regnamespace"},
    {"pg_proc", "pg_proc", "oid >= 16384"},
    {"pg_type", "pg_type", "oid >= 16384 AND typrelid = 0 AND typcategory <> 'A'"},
    {"pg_namespace", "pg_namespace", "oid >= 16384 AND nspname !~ '^pg_(toast_)?temp_'"},
    {"pg_operator", "pg_operator", "oid >= 16384"},
    {"pg_opclass", "pg_opclass", "oid >= 16384"},
    {"pg_opfamily", "pg_opfamily", "oid >= 16384"},
    {"pg_am", "pg_am", "oid >= 16384"},
    {"pg_cast", "pg_cast", "oid >= 16384"},
    {"pg_collation", "pg_collation", "oid >= 16384"},
    {"pg_conversion", "pg_conversion", "oid >= 16384"},
    {"pg_ts_config", "pg_ts_config", "oid >= 16384"},
    {"pg_ts_dict", "pg_ts_dict", "oid >= 16384"},
    {"pg_ts_parser", "pg_ts_parser", "oid >= 16384"},
    {"pg_ts_template", "pg_ts_template", "oid >= 16384"},
    {"pg_publication", "pg_publication", "true"},
    {"pg_subscription", "pg_subscription",
     "subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"},
    {"pg_foreign_data_wrapper", "pg_foreign_data_wrapper", "oid >= 16384"},
    {"pg_foreign_server", "pg_foreign_server", "true"},
    {"pg_extension", "pg_extension", "oid >= 16384"},
    {"pg_language", "pg_language", "oid >= 16384"},
    {"pg_largeobject", "pg_largeobject_metadata", "true"},
    {"pg_event_trigger", "pg_event_trigger", "true"},
    {"pg_statistic_ext", "pg_statistic_ext", "true"},
    {"pg_transform", "pg_transform", "true"},
    {"pg_default_acl", "pg_default_acl", "true"},
};

int apply_test_check_empty(struct apply_session *ss)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	strbuf_addstr(&sql, "SELECT d FROM (");
	for (size_t i = 0; i < ARRAY_SIZE(user_catalogs); i++)
		strbuf_addf(&sql,
			    "%sSELECT (SELECT o.type || ' ' || o.identity FROM "
			    "pg_identify_object('%s'::regclass, oid, 0) o) AS d FROM %s WHERE %s",
			    i ? " UNION ALL " : "", user_catalogs[i].class_id, user_catalogs[i].from,
			    user_catalogs[i].where);
	strbuf_addstr(&sql, ") objects ORDER BY d COLLATE \"C\"");
	int ret = db_query(ss->db, sql.buf, 0, NULL, &r);
	if (ret == 0 && db_res_nrows(r)) {
		struct strbuf sb = STRBUF_INIT;
		size_t n = db_res_nrows(r);
		for (size_t i = 0; i < n && i < 5; i++)
			strbuf_addf(&sb, "%s%s", i ? "; " : "", db_res_value(r, i, 0));
		if (n > 5)
			strbuf_addf(&sb, "; and %zu more", n - 5);
		ret = err_set(ERR_CHECK, "--in-place runs every downgrade, so it needs "
					 "a database without objects; %s holds %zu (%s)",
			      db_where(ss->db), n, sb.buf);
		strbuf_release(&sb);
	}
	db_res_free(r);
	strbuf_release(&sql);
	return ret;
}

int apply_test_cluster_changes(const struct graph *g, struct strlist *found)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct revision *rev = g->nodes[i].rev;
		const struct rev_section *secs[] = {&rev->upgrade, &rev->downgrade};
		for (size_t k = 0; k < 2; k++) {
			struct sql_script stmts = SQL_SCRIPT_INIT;
			struct sql_error err = {0};
			if (!secs[k]->present ||
			    sql_split(rev->text, secs[k]->start, secs[k]->end, &stmts, &err) < 0)
				err_clear();
			for (size_t j = 0; j < stmts.n; j++) {
				struct effects e = EFFECTS_INIT;
				effects_of(rev->text, stmts.v[j].start, stmts.v[j].len, &e);
				if (e.cluster_wide) {
					unsigned line, col;
					text_pos(rev->text, rev->len, stmts.v[j].start, &line, &col);
					strlist_push_owned(found, xstrfmt("%s:%u: %s (%s)", rev->path,
									  line, e.cluster_wide,
									  k ? "downgrade" : "upgrade"));
				}
				effects_release(&e);
			}
			sql_script_release(&stmts);
			sql_error_release(&err);
		}
	}
	return 0;
}

/* The first difference between two sorted snapshots, or NULL (fresh). */
static char *first_difference(const struct strlist *want, const struct strlist *got)
{
	size_t i = 0, k = 0;
	while (i < want->n || k < got->n) {
		int c = i == want->n ? 1 : k == got->n ? -1 : strcmp(want->v[i], got->v[k]);
		if (c < 0)
			return xstrfmt("missing: %s", want->v[i]);
		if (c > 0)
			return xstrfmt("left over: %s", got->v[k]);
		i++;
		k++;
	}
	return NULL;
}

struct test_state {
	struct apply_session *ss;
	struct strlist heads;
	struct findings *out;
	struct apply_failure *fail;
};

/* Runs one step; the database's heads follow. */
static int run_one(struct test_state *t, size_t node, enum apply_dir dir)
{
	struct apply_plan p = APPLY_PLAN_INIT;
	p.g = t->ss->g;
	p.dir = dir;
	int ret = apply_plan_add(&p, &t->heads, node, dir);
	if (ret == 0)
		ret = apply_run(t->ss, &p, NULL, t->fail);
	apply_plan_release(&p);
	return ret;
}

/* Adds a finding about `node`; `msg` has one %s for the id and is followed
 * by `diff` (may be ""). */
#define report(t, rule, node, msg, diff)                                                    \
	report_at((t), (rule), (node), xstrfmt(msg, (t)->ss->g->nodes[(node)].id, (diff)))

static void report_at(struct test_state *t, const char *rule, size_t node, char *msg)
{
	const struct revision *rev = t->ss->g->nodes[node].rev;
	struct finding *f = findings_add(t->out, rule, SEV_ERROR, rev->path, 0, 0, "%s", msg);
	free(msg);
	finding_set_hint(f, "the schema is compared from the catalog: tables, columns, "
			    "constraints, indexes, views, functions, types, triggers");
}

static void snapshots_release(struct strlist *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		strlist_release(&s[i]);
	free(s);
}

/* Alembic's order with siblings taken the other way round: a topological
 * order that picks, each time, the ready revision Alembic runs last. */
static void other_order(const struct graph *g, const struct idxvec *order, struct idxvec *out)
{
	size_t *pending = xcalloc(g->n, sizeof(size_t));
	bool *in = xcalloc(g->n, sizeof(bool));
	struct idxvec down = IDXVEC_INIT;
	for (size_t k = 0; k < order->n; k++)
		in[order->v[k]] = true;
	for (size_t k = 0; k < order->n; k++) {
		graph_normalized_down(g, order->v[k], &down);
		for (size_t d = 0; d < down.n; d++)
			pending[order->v[k]] += in[down.v[d]];
	}
	for (size_t done = 0; done < order->n; done++) {
		/* the ready revision that comes last in Alembic's order */
		size_t pick = GRAPH_NONE;
		for (size_t k = 0; k < order->n; k++) {
			size_t i = order->v[k];
			if (in[i] && !pending[i])
				pick = i;
		}
		if (pick == GRAPH_NONE)
			break;
		in[pick] = false;
		idxvec_push(out, pick);
		for (size_t k = 0; k < order->n; k++) {
			graph_normalized_down(g, order->v[k], &down);
			if (idxvec_has(&down, pick))
				pending[order->v[k]]--;
		}
	}
	idxvec_release(&down);
	free(pending);
	free(in);
}

int apply_test(struct apply_session *ss, struct findings *out, struct apply_failure *fail,
	       size_t *nsteps)
{
	const struct graph *g = ss->g;
	struct test_state t = {.ss = ss, .heads = STRLIST_INIT, .out = out, .fail = fail};
	struct idxvec order = IDXVEC_INIT, alt = IDXVEC_INIT;
	struct strlist empty = STRLIST_INIT, now = STRLIST_INIT;
	struct strlist *snap = NULL;
	size_t before = out->n;
	int ret;
	*nsteps = 0;
	if (ss->heads.n)
		return err_set(ERR_USAGE, "revgate test needs an empty database; %s holds revisions",
			       ss->vtable);
	if ((ret = graph_upgrade_steps(g, &empty, "heads", &order)) < 0)
		goto out;
	size_t n = order.n;
	snap = xcalloc(n + 1, sizeof(*snap));
	if ((ret = apply_snapshot(ss, &snap[0])) < 0)
		goto out;
	/* 1. up, one step at a time */
	for (size_t i = 0; i < n; i++) {
		if ((ret = run_one(&t, order.v[i], APPLY_UP)) < 0) {
			report(&t, RULE_TEST_UPGRADE, order.v[i], "upgrading '%s' failed%s", "");
			goto out;
		}
		if ((ret = apply_snapshot(ss, &snap[i + 1])) < 0)
			goto out;
		(*nsteps)++;
	}
	/* 2. down, newest first, each back to the snapshot before it */
	size_t low = n;
	while (low > 0) {
		size_t node = order.v[low - 1];
		const struct revision *rev = g->nodes[node].rev;
		if (rev->irreversible || !rev->downgrade.present)
			break;
		if ((ret = run_one(&t, node, APPLY_DOWN)) < 0) {
			report(&t, RULE_TEST_DOWNGRADE, node, "downgrading '%s' failed%s", "");
			goto out;
		}
		(*nsteps)++;
		low--;
		strlist_release(&now);
		if ((ret = apply_snapshot(ss, &now)) < 0)
			goto out;
		char *diff = first_difference(&snap[low], &now);
		if (diff) {
			report(&t, RULE_TEST_DOWNGRADE, node,
			       "downgrading '%s' does not restore the schema before it: %s", diff);
			free(diff);
			goto out;
		}
	}
	/* 3. up again, each step as the first time */
	for (size_t i = low; i < n; i++) {
		if ((ret = run_one(&t, order.v[i], APPLY_UP)) < 0) {
			report(&t, RULE_TEST_REAPPLY, order.v[i], "upgrading '%s' again failed%s", "");
			goto out;
		}
		(*nsteps)++;
		strlist_release(&now);
		if ((ret = apply_snapshot(ss, &now)) < 0)
			goto out;
		char *diff = first_difference(&snap[i + 1], &now);
		if (diff) {
			report(&t, RULE_TEST_REAPPLY, order.v[i],
			       "upgrading '%s' after its downgrade gives another schema: %s", diff);
			free(diff);
			goto out;
		}
	}
	/* 4. merged branches in the other order, when the history has any and
	 * can go back to base */
	other_order(g, &order, &alt);
	if (low != 0 || alt.n != n || n == 0 || !memcmp(alt.v, order.v, n * sizeof(size_t)))
		goto out;
	for (size_t i = n; i > 0; i--) {
		if ((ret = run_one(&t, order.v[i - 1], APPLY_DOWN)) < 0)
			goto out;
		(*nsteps)++;
	}
	for (size_t i = 0; i < n; i++) {
		if ((ret = run_one(&t, alt.v[i], APPLY_UP)) < 0) {
			report(&t, RULE_TEST_ORDER, alt.v[i],
			       "upgrading '%s' with the merged branches in the other order "
			       "failed%s",
			       "");
			goto out;
		}
		(*nsteps)++;
	}
	strlist_release(&now);
	if ((ret = apply_snapshot(ss, &now)) < 0)
		goto out;
	char *diff = first_difference(&snap[n], &now);
	if (diff) {
		report(&t, RULE_TEST_ORDER, alt.v[n - 1],
		       "with the merged branches in the other order, the schema at '%s' differs: %s",
		       diff);
		free(diff);
	}
out:
	/* a failed statement is a finding of the test, not an error of revgate */
	if (ret == ERR_DB && fail->set && out->n > before)
		ret = 0;
	snapshots_release(snap, order.n + 1);
	strlist_release(&now);
	strlist_release(&t.heads);
	idxvec_release(&order);
	idxvec_release(&alt);
	return ret;
}
