/*
 * verify: the revisions the database has applied, checked against the
 * files. The byte checksum recorded when a revision ran settles most cases
 * at the cost of one hash; only a revision whose bytes differ is split and
 * compared statement by statement (token streams, so a comment or
 * whitespace edit is told apart from a change of meaning), its downgrade
 * section by token stream, and its header key by key.
 */
#include "apply/effects.h"
#include "apply/internal.h"
#include "apply/sumcache.h"
#include "core/err.h"
#include "core/finding.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "revision/revision.h"

#include <stdlib.h>
#include <string.h>

#define RULE_APPLIED_CHANGED "applied-checksum-mismatch"
#define RULE_APPLIED_COSMETIC "applied-checksum-cosmetic"
#define RULE_APPLIED_DOWNGRADE "applied-downgrade-changed"
#define RULE_APPLIED_HEADER "applied-header-changed"
#define RULE_APPLIED_UNRECORDED "applied-without-history"
#define RULE_HISTORY_ORPHAN "history-without-file"
#define RULE_HISTORY_MISSING "history-table-missing"
#define RULE_TRIGGER "history-trigger-disabled"
#define RULE_INDEX_INVALID "applied-index-invalid"

/* Parses '{a,b,c}' into `out`. */
static void parse_array(const char *s, struct strlist *out)
{
	if (!s || *s != '{')
		return;
	char *body = xstrdup(s + 1);
	size_t n = strlen(body);
	if (n && body[n - 1] == '}')
		body[n - 1] = '\0';
	strlist_split(out, body, ',');
	free(body);
}

/* What a history row recorded of an applied revision (NULL: not recorded). */
struct recorded {
	const char *statement_checksums;
	const char *downgrade_checksum;
	const char *header_keys;
};

/* The value of `key` in "key: value" lines, or NULL (fresh string). */
static char *header_value(const char *lines, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = lines; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > kl + 1 && !strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ')
			return xstrndup(p + kl + 2, n - kl - 2);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Compares the header keys; adds one finding naming every key that
 * changed. Returns whether it added one. */
static bool compare_header(const struct revision *rev, const char *then, struct findings *out)
{
	static const char *const keys[] = {"down_revision", "depends_on", "transaction",
					   "branch_labels", "irreversible"};
	static const size_t n_meaning = 3; /* the first three change what runs, and how */
	struct strbuf now = STRBUF_INIT, what = STRBUF_INIT;
	char down[65];
	bool meaning = false;
	apply_revision_keys(rev, down, &now);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *a = header_value(then, keys[i]), *b = header_value(now.buf, keys[i]);
		if (strcmp(a ? a : "", b ? b : "")) {
			strbuf_addf(&what, "%s%s ('%s' -> '%s')", what.len ? ", " : "", keys[i],
				    a ? a : "", b ? b : "");
			meaning |= i < n_meaning;
		}
		free(a);
		free(b);
	}
	if (what.len) {
		struct finding *f = findings_add(
			out, RULE_APPLIED_HEADER, meaning ? SEV_ERROR : SEV_WARNING, rev->path, 0, 0,
			"the header of revision '%s' changed since it was applied: %s", rev->id,
			what.buf);
		finding_set_hint(f, meaning ? "the database ran the revision as its old header said: "
					      "restore the header and put the change in a new revision"
					    : "restore the header, or accept it knowingly");
	}
	bool added = what.len > 0;
	strbuf_release(&now);
	strbuf_release(&what);
	return added;
}

static void compare_revision(const struct revision *rev, const struct recorded *rec,
			     struct findings *out)
{
	struct sql_script stmts = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	struct strlist now = STRLIST_INIT, then = STRLIST_INIT;
	char whole[65];
	bool reported = false;
	if (rec->header_keys)
		reported |= compare_header(rev, rec->header_keys, out);
	if (rec->downgrade_checksum) {
		char down[65];
		struct strbuf keys = STRBUF_INIT;
		apply_revision_keys(rev, down, &keys);
		strbuf_release(&keys);
		if (strcmp(down, rec->downgrade_checksum)) {
			struct finding *f = findings_add_at(
				out, RULE_APPLIED_DOWNGRADE, SEV_WARNING, rev->path, rev->text, rev->len,
				rev->downgrade.present ? rev->downgrade.start : 0,
				"the downgrade of revision '%s' changed since it was applied", rev->id);
			finding_set_hint(f, "a downgrade runs what the file says now, not what was "
					    "reviewed with the upgrade: check it before you rely on it");
			reported = true;
		}
	}
	if (!rec->statement_checksums ||
	    sql_split(rev->text, rev->upgrade.start, rev->upgrade.end, &stmts, &err) < 0) {
		err_clear();
		struct finding *f = findings_add(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, 0, 0,
						 "revision '%s' changed since it was applied",
						 rev->id);
		finding_set_hint(f, "an applied revision must not be edited: restore it and put "
				    "the change in a new revision");
		goto out;
	}
	apply_section_checksums(rev, &stmts, whole, &now);
	parse_array(rec->statement_checksums, &then);
	size_t k = 0;
	while (k < now.n && k < then.n && !strcmp(now.v[k], then.v[k]))
		k++;
	if (k == now.n && k == then.n) {
		if (reported)
			goto out;
		struct finding *f;
		if (rec->downgrade_checksum && rec->header_keys)
			f = findings_add(out, RULE_APPLIED_COSMETIC, SEV_WARNING, rev->path, 0, 0,
					 "revision '%s' was edited since it was applied, but only in "
					 "comments or whitespace",
					 rev->id);
		else
			f = findings_add(out, RULE_APPLIED_COSMETIC, SEV_WARNING, rev->path, 0, 0,
					 "revision '%s' was edited since it was applied; its upgrade "
					 "changed only in comments or whitespace, its downgrade and "
					 "header were not recorded when it ran, so they could not be "
					 "checked",
					 rev->id);
		finding_set_hint(f, "harmless for the database; restore the file to silence this");
		goto out;
	}
	struct finding *f;
	if (k < now.n) {
		f = findings_add_at(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, rev->text,
				    rev->len, stmts.v[k].start,
				    "statement %zu of revision '%s' %s since it was applied", k + 1,
				    rev->id, k < then.n ? "changed" : "was added");
	} else {
		f = findings_add_at(out, RULE_APPLIED_CHANGED, SEV_ERROR, rev->path, rev->text,
				    rev->len, rev->upgrade.end,
				    "revision '%s' lost statement %zu since it was applied", rev->id,
				    k + 1);
	}
	finding_set_hint(f, "an applied revision must not be edited: restore it and put the "
			    "change in a new revision");
out:
	strlist_release(&now);
	strlist_release(&then);
	sql_script_release(&stmts);
	sql_error_release(&err);
}

/* The applied revision whose upgrade creates index `name` in `schema`,
 * and where; false when none does. Only revisions naming the index are
 * parsed. */
static bool index_creator(const struct graph *g, const struct bitset *applied, const char *schema,
			  const char *name, size_t *node, size_t *offset, bool *need_text)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct revision *rev = g->nodes[i].rev;
		if (!bitset_test(applied, i) || !rev->upgrade.present)
			continue;
		if (!rev->text) {
			*need_text = true;
			continue;
		}
		if (!strcasestr(rev->text + rev->upgrade.start, name))
			continue;
		struct sql_script stmts = SQL_SCRIPT_INIT;
		struct sql_error err = {0};
		bool found = false;
		if (sql_split(rev->text, rev->upgrade.start, rev->upgrade.end, &stmts, &err) == 0) {
			for (size_t k = 0; k < stmts.n && !found; k++) {
				struct effects e = EFFECTS_INIT;
				effects_of(rev->text, stmts.v[k].start, stmts.v[k].len, &e);
				for (size_t j = 0; j < e.n && !found; j++)
					found = e.v[j].kind == EFF_CREATE_INDEX &&
						!strcmp(e.v[j].name, name) &&
						(!e.v[j].schema || !strcmp(e.v[j].schema, schema));
				if (found)
					*offset = stmts.v[k].start;
				effects_release(&e);
			}
		}
		err_clear();
		sql_script_release(&stmts);
		sql_error_release(&err);
		if (found) {
			*node = i;
			return true;
		}
	}
	return false;
}

/* Compares each changed revision (graph nodes `nodes`, their history
 * rows' ids `rows`) with what its row recorded. */
static int compare_changed(struct apply_session *ss, const struct idxvec *nodes,
			   const struct strlist *rows, struct findings *out)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	char *ids = sqltext_array(rows);
	strbuf_addf(&sql,
		    "SELECT id::text, statement_checksums, %s FROM %s WHERE id = ANY ($1::bigint[])",
		    ss->history_ext ? "downgrade_checksum, header_keys" : "NULL::text, NULL::text",
		    ss->htable);
	const char *params[] = {ids};
	int ret = own_query(ss, sql.buf, 1, params, &r, ss->htable);
	for (size_t k = 0; ret == 0 && k < nodes->n; k++) {
		for (size_t i = 0; i < db_res_nrows(r); i++) {
			if (strcmp(db_res_value(r, i, 0), rows->v[k]))
				continue;
			struct recorded rec = {db_res_value(r, i, 1), db_res_value(r, i, 2),
					       db_res_value(r, i, 3)};
			compare_revision(ss->g->nodes[nodes->v[k]].rev, &rec, out);
		}
	}
	db_res_free(r);
	free(ids);
	strbuf_release(&sql);
	return ret;
}

/*
 * In one query, which finds nothing on a healthy database: the trigger
 * that keeps the history append-only (missing or disabled, the history
 * can be edited without a trace), and INVALID indexes an applied revision
 * created (a concurrent build that failed and was then recorded as done,
 * or an IF NOT EXISTS that kept it).
 */
static int trigger_and_indexes(struct apply_session *ss, const struct bitset *applied,
			       struct findings *out)
{
	static const char q[] =
		"SELECT 'trigger', coalesce((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = "
		"to_regclass($1) AND tgname = $2), 'missing'), NULL, NULL "
		"UNION ALL SELECT 'index', n.nspname, c.relname, "
		"quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid "
		"AND n.nspname NOT IN ('pg_catalog', 'information_schema')";
	char *name = xstrfmt("%s_append_only", ss->s->history_table);
	const char *params[] = {ss->htable, name};
	struct db_res *r = NULL;
	int ret = db_query(ss->db, q, 2, params, &r);
	for (size_t i = 0; ret == 0 && i < db_res_nrows(r); i++) {
		const char *state = db_res_value(r, i, 1);
		if (!strcmp(db_res_value(r, i, 0), "trigger")) {
			if (!strcmp(state, "O") || !strcmp(state, "A"))
				continue;
			bool missing = !strcmp(state, "missing");
			struct finding *f = findings_add(
				out, RULE_TRIGGER, SEV_ERROR, NULL, 0, 0,
				"the trigger that keeps the history table %s append-only is %s: its "
				"rows may have been changed or deleted since",
				ss->htable, missing ? "missing"
					    : !strcmp(state, "D") ? "disabled"
								  : "enabled only for replicas");
			if (missing)
				finding_set_hint(f, "create it again with the DO block 'revgate upgrade "
						    "--sql' prints, and compare the history with your "
						    "backups");
			else
				finding_set_hint(f, "enable it again with 'ALTER TABLE %s ENABLE TRIGGER "
						    "%s;', and compare the history with your backups",
						 ss->htable, name);
			continue;
		}
		size_t node, off = 0;
		const char *qname = db_res_value(r, i, 3);
		if (!index_creator(ss->g, applied, state, db_res_value(r, i, 2), &node, &off,
				   &ss->need_text))
			continue;
		const struct revision *rev = ss->g->nodes[node].rev;
		struct finding *f = findings_add_at(
			out, RULE_INDEX_INVALID, SEV_ERROR, rev->path, rev->text, rev->len, off,
			"index %s, created by applied revision '%s', is INVALID: its build did not "
			"finish, so it is not used and a unique one does not hold",
			qname, rev->id);
		finding_set_hint(f, "rebuild it with 'REINDEX INDEX CONCURRENTLY %s;' (after fixing "
				    "what made the build fail)",
				 qname);
	}
	db_res_free(r);
	free(name);
	return ret;
}

/* The newest row that applied, stamped or took back each revision. */
static int verify_rows(struct apply_session *ss, struct db_res **r)
{
	struct strbuf sql = STRBUF_INIT;
	strbuf_addf(&sql,
		    "SELECT DISTINCT ON (revision) revision, checksum, id, outcome FROM %s "
		    "WHERE outcome IN ('applied', 'stamped', 'reverted', 'rolled-back') "
		    "ORDER BY revision, id DESC",
		    ss->htable);
	int ret = own_query(ss, sql.buf, 0, NULL, r, ss->htable);
	strbuf_release(&sql);
	return ret;
}

int apply_prefetch(struct apply_session *ss)
{
	if (!ss->have_history || ss->verify_rows)
		return 0;
	int ret = apply_pending_list(ss, &ss->pending, &ss->npending);
	if (ret == 0)
		ss->pending_known = true;
	if (ret == 0)
		ret = verify_rows(ss, &ss->verify_rows);
	return ret;
}

int apply_verify(struct apply_session *ss, struct findings *out, size_t *checked)
{
	const struct graph *g = ss->g;
	struct strbuf sql = STRBUF_INIT;
	struct db_res *r = NULL;
	struct bitset applied = BITSET_INIT, covered = BITSET_INIT;
	struct idxvec heads = IDXVEC_INIT, stamped = IDXVEC_INIT, changed = IDXVEC_INIT;
	struct strlist changed_rows = STRLIST_INIT;
	int ret = 0;
	*checked = 0;
	ss->need_text = false;
	if (ss->history_lost) {
		struct finding *f = findings_add(
			out, RULE_HISTORY_MISSING, SEV_ERROR, NULL, 0, 0,
			"the history table %s is gone, though revgate kept one for the version table "
			"%s: what was applied, and whether it changed since, cannot be checked",
			ss->htable, ss->vtable);
		finding_set_hint(f, "restore it from a backup, or start a new one from the current "
				    "heads with 'revgate stamp HEADS'");
		return 0;
	}
	if (!ss->have_history)
		return 0;
	for (size_t i = 0; i < ss->heads.n; i++) {
		size_t idx;
		if (graph_find(g, ss->heads.v[i], &idx))
			idxvec_push(&heads, idx);
	}
	bitset_init(&applied, g->n);
	bitset_init(&covered, g->n);
	if (heads.n)
		graph_ancestors(g, heads.v, heads.n, true, &applied);
	/* the newest row that applied, stamped or took back each revision;
	 * rows written before the downgrade and header were recorded (or by
	 * a revgate that could not add the columns) read as not recorded */
	if (ss->verify_rows) {
		r = ss->verify_rows;
		ss->verify_rows = NULL;
	} else if ((ret = verify_rows(ss, &r)) < 0) {
		goto out;
	}
	for (size_t i = 0; i < db_res_nrows(r); i++) {
		size_t idx;
		const char *id = db_res_value(r, i, 0);
		const char *outcome = db_res_value(r, i, 3);
		bool on = !strcmp(outcome, "applied") || !strcmp(outcome, "stamped");
		if (!graph_find(g, id, &idx)) {
			/* a stamp of 'base', or a revision taken back and then deleted */
			if (on && strcmp(id, "base") && db_res_value(r, i, 1)) {
				struct finding *f = findings_add(
					out, RULE_HISTORY_ORPHAN, SEV_ERROR, NULL, 0, 0,
					"the history table %s records revision '%s' as applied, and "
					"no file in the migrations directory has it",
					ss->htable, id);
				finding_set_hint(f, "restore its file: the database ran it");
			}
			continue;
		}
		if (!on)
			continue;
		bitset_set(&covered, idx);
		if (!strcmp(outcome, "stamped"))
			idxvec_push(&stamped, idx);
		const char *sum = db_res_value(r, i, 1);
		if (!sum || !bitset_test(&applied, idx))
			continue;
		const struct revision *rev = g->nodes[idx].rev;
		if (!rev->text) {
			/* from the header cache: its file unchanged since it was
			 * verified, the checksum recorded then settles it */
			const char *known =
				ss->sums ? sumcache_lookup(ss->sums, rev->file_name, rev->path) : NULL;
			if (known && !strcmp(known, sum))
				(*checked)++;
			else
				ss->need_text = true;
			continue;
		}
		char now[65];
		hash_sha256_hex(rev->text, rev->len, now);
		(*checked)++;
		if (strcmp(now, sum)) {
			idxvec_push(&changed, idx);
			strlist_push(&changed_rows, db_res_value(r, i, 2));
		} else if (ss->sums) {
			sumcache_store(ss->sums, rev->file_name, rev->path, now);
		}
	}
	/* what else the rows recorded, read only for the revisions whose
	 * bytes changed: on a healthy deploy, none */
	if (changed.n && (ret = compare_changed(ss, &changed, &changed_rows, out)) < 0)
		goto out;
	/* a stamp vouches for what lies below it, which never ran here */
	if (stamped.n) {
		struct bitset below = BITSET_INIT;
		bitset_init(&below, g->n);
		graph_ancestors(g, stamped.v, stamped.n, true, &below);
		bitset_or(&covered, &below);
		bitset_release(&below);
	}
	for (size_t i = 0; i < g->n; i++) {
		if (!bitset_test(&applied, i) || bitset_test(&covered, i))
			continue;
		const struct revision *rev = g->nodes[i].rev;
		struct finding *f = findings_add(
			out, RULE_APPLIED_UNRECORDED, SEV_ERROR, rev->path, 0, 0,
			"the version table %s has revision '%s' applied, and no row of the history "
			"table %s says it was applied or stamped",
			ss->vtable, rev->id, ss->htable);
		finding_set_hint(f, "the history lost rows, or the version table was edited by "
				    "hand: find out which before going on");
	}
	if (!ss->verify_light && (ret = trigger_and_indexes(ss, &applied, out)) < 0)
		goto out;
out:
	db_res_free(r);
	bitset_release(&applied);
	bitset_release(&covered);
	idxvec_release(&heads);
	idxvec_release(&stamped);
	idxvec_release(&changed);
	strlist_release(&changed_rows);
	strbuf_release(&sql);
	return interrupted_or(ret);
}
