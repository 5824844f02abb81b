/*
 * Planning without a database: settings from [database], the steps of a
 * walk with their version-table changes, each revision cut into segments
 * from its parse tree, and the offline script (--sql).
 */
#include "apply/apply.h"
#include "apply/effects.h"
#include "apply/sqltext.h"
#include "config/config.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "graph/walk.h"
#include "revision/revision.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- settings ---- */

static int duration(const struct config *cfg, const char *flag, const char *key, long *ms)
{
	const char *v = flag ? flag : config_get(cfg, "database", key);
	return config_duration_ms(v ? v : "0", key, ms);
}

int apply_settings_load(struct apply_settings *s, const struct config *cfg,
			const char *version_table_flag, const char *lock_wait_flag)
{
	const char *vt = version_table_flag ? version_table_flag
					    : config_get(cfg, "database", "version_table");
	const char *schema = config_get(cfg, "database", "version_table_schema");
	const char *ht = config_get(cfg, "database", "history_table");
	const char *url = config_get(cfg, "database", "url");
	/* "schema.table" in --version-table names both */
	const char *dot = version_table_flag ? strchr(version_table_flag, '.') : NULL;
	if (dot) {
		s->version_schema = xstrndup(version_table_flag, (size_t)(dot - version_table_flag));
		s->version_table = xstrdup(dot + 1);
	} else {
		s->version_schema = schema && *schema ? xstrdup(schema) : NULL;
		s->version_table = xstrdup(vt && *vt ? vt : "revgate_version");
	}
	s->history_table = xstrdup(ht && *ht ? ht : "revgate_history");
	s->config_url = url && *url ? xstrdup(url) : NULL;
	if (!*s->version_table || (s->version_schema && !*s->version_schema))
		return err_set(ERR_CONFIG, "the version table needs a name");
	/* PostgreSQL cuts longer names to 63 bytes, and the names revgate
	 * derives from them (<version>_pkc, <history>_revision_idx,
	 * <history>_append_only, <history>_id_seq) must stay distinct */
	const struct {
		const char *what, *name;
		size_t room;
	} names[] = {
	    {"version_table_schema", s->version_schema, 63},
	    {"version_table", s->version_table, 63 - strlen("_pkc")},
	    {"history_table", s->history_table, 63 - strlen("_revision_idx")},
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].name && strlen(names[i].name) > names[i].room)
			return err_set(ERR_CONFIG, "%s: '%s' is %zu bytes long; revgate's tables take "
						   "names of at most %zu bytes (PostgreSQL cuts names "
						   "at 63, and revgate adds suffixes to this one)",
				       names[i].what, names[i].name, strlen(names[i].name),
				       names[i].room);
	int ret;
	if ((ret = duration(cfg, NULL, "lock_timeout", &s->lock_timeout_ms)) < 0 ||
	    (ret = duration(cfg, NULL, "statement_timeout", &s->statement_timeout_ms)) < 0 ||
	    (ret = duration(cfg, lock_wait_flag, "lock_wait", &s->lock_wait_ms)) < 0 ||
	    (ret = duration(cfg, NULL, "own_lock_timeout", &s->own_lock_timeout_ms)) < 0 ||
	    (ret = duration(cfg, NULL, "concurrent_lock_timeout", &s->concurrent_lock_timeout_ms)) <
		0)
		return ret;
	return 0;
}

int apply_settings_url(struct apply_settings *s, const char *url_flag)
{
	free(s->url);
	s->url = NULL;
	return db_url_find(url_flag, s->config_url, &s->url, &s->url_source);
}

void apply_settings_release(struct apply_settings *s)
{
	free(s->url);
	free(s->dbname);
	free(s->config_url);
	free(s->version_schema);
	free(s->version_table);
	free(s->history_table);
	memset(s, 0, sizeof(*s));
}

/* ---- segments ---- */

/* Only statements naming one of these words can need autocommit (see
 * sql_stmt_needs_autocommit): the rest skip the parse, which is what the
 * time of planning a long history is made of. */
static bool may_need_autocommit(const char *s, size_t n)
{
	static const char *const words[] = {"concurrently", "vacuum", "database", "tablespace",
					    "system", "value"};
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);
		for (size_t w = 0; w < ARRAY_SIZE(words); w++) {
			size_t wl = strlen(words[w]);
			if (c == words[w][0] && i + wl <= n && !strncasecmp(s + i, words[w], wl))
				return true;
		}
	}
	return false;
}

static bool stmt_needs_autocommit(const struct revision *rev, const struct sql_stmt *st)
{
	if (!may_need_autocommit(rev->text + st->start, st->len))
		return false;
	struct sql_tree *tree = NULL;
	struct sql_error err = {0};
	bool need = false;
	if (sql_parse(rev->text, st->start, st->len, &tree, &err) == 0) {
		PgQuery__ParseResult *r = tree->result;
		for (size_t k = 0; k < r->n_stmts; k++)
			if (r->stmts[k]->stmt && sql_stmt_needs_autocommit(r->stmts[k]->stmt))
				need = true;
	}
	/* a statement that does not parse runs in the transaction: the server
	 * reports the syntax error and nothing is left behind */
	sql_tree_free(tree);
	sql_error_release(&err);
	err_clear();
	return need;
}

/* Whether the statement ends or starts a transaction (BEGIN, COMMIT,
 * ROLLBACK, PREPARE TRANSACTION, ...): inside revgate's transaction it
 * would commit half a revision without its version-table row. SAVEPOINT
 * and ROLLBACK TO stay inside the transaction and are fine. */
static bool ends_transaction(const struct revision *rev, const struct sql_stmt *st)
{
	static const char *const words[] = {"begin", "start", "commit", "end", "rollback",
					    "abort", "prepare"};
	const char *t = rev->text + st->start;
	bool maybe = false;
	for (size_t w = 0; w < ARRAY_SIZE(words); w++) {
		size_t wl = strlen(words[w]);
		if (st->len >= wl && !strncasecmp(t, words[w], wl) &&
		    (st->len == wl || !isalnum((unsigned char)t[wl])))
			maybe = true;
	}
	if (!maybe)
		return false;
	struct sql_tree *tree = NULL;
	struct sql_error err = {0};
	bool ends = false;
	if (sql_parse(rev->text, st->start, st->len, &tree, &err) == 0) {
		PgQuery__ParseResult *r = tree->result;
		for (size_t k = 0; k < r->n_stmts; k++) {
			const PgQuery__Node *n = r->stmts[k]->stmt;
			if (!n || n->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
				continue;
			PgQuery__TransactionStmtKind kind = n->transaction_stmt->kind;
			if (kind != PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT &&
			    kind != PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE &&
			    kind != PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO)
				ends = true;
		}
	}
	sql_tree_free(tree);
	sql_error_release(&err);
	err_clear();
	return ends;
}

static void add_segment(struct apply_step *s, bool transactional, size_t first, size_t n)
{
	ALLOC_GROW(s->seg, s->nseg + 1, s->seg_alloc);
	s->seg[s->nseg++] = (struct apply_segment){.transactional = transactional, .first = first, .n = n};
}

/* CONCURRENTLY: only a statement that names the word is parsed. */
static bool stmt_concurrent(const struct revision *rev, const struct sql_stmt *st)
{
	const char *t = rev->text + st->start;
	bool named = false;
	for (size_t i = 0; i + 12 <= st->len && !named; i++)
		named = !strncasecmp(t + i, "concurrently", 12);
	if (!named)
		return false;
	struct effects e = EFFECTS_INIT;
	effects_of(rev->text, st->start, st->len, &e);
	bool concurrent = e.concurrent;
	effects_release(&e);
	return concurrent;
}

/*
 * The batch marker before a statement: 1 and `spec`, 0 without one;
 * ERR_CHECK naming the file, line and what is wrong for a malformed marker
 * or a statement that cannot be batched.
 */
static int batch_marker(const struct revision *rev, const struct sql_stmt *st,
			struct sql_batch_spec *spec)
{
	int m = sql_batch_marker(rev->text, st->start, spec);
	size_t at = spec->marker;
	if (m == 1) {
		struct sql_batch_target t;
		m = sql_batch_target(rev->text, st->start, st->len, &t);
		sql_batch_target_release(&t);
		at = st->start;
		if (m == 0)
			return 1;
	}
	if (m == 0)
		return 0;
	unsigned line, col;
	text_pos(rev->text, rev->len, at, &line, &col);
	char *why = xstrdup(err_msg());
	int ret = err_set(ERR_CHECK, "%s:%u:%u: %s", rev->path, line, col, why);
	free(why);
	return ret;
}

static int plan_segments(struct apply_step *s)
{
	const struct revision *rev = s->rev;
	const struct rev_section *sec = s->dir == APPLY_UP ? &rev->upgrade : &rev->downgrade;
	if (sec->present) {
		struct sql_error err = {0};
		if (sql_split(rev->text, sec->start, sec->end, &s->stmts, &err) < 0) {
			unsigned line, col;
			text_pos(rev->text, rev->len, err.offset, &line, &col);
			int ret = err_set(ERR_CHECK, "%s:%u:%u: cannot split the %s section: %s",
					  rev->path, line, col,
					  s->dir == APPLY_UP ? "upgrade" : "downgrade",
					  err.message ? err.message : "syntax error");
			sql_error_release(&err);
			return ret;
		}
	}
	for (size_t k = 0; k < s->stmts.n; k++) {
		if (ends_transaction(rev, &s->stmts.v[k])) {
			unsigned line, col;
			text_pos(rev->text, rev->len, s->stmts.v[k].start, &line, &col);
			return err_set(ERR_CHECK, "%s:%u:%u: a revision must not begin or end "
						  "transactions: revgate runs it in its own, with its "
						  "version-table row, or statement by statement with "
						  "'transaction: false' (remove the statement)",
				       rev->path, line, col);
		}
		struct sql_batch_spec spec;
		int marked = batch_marker(rev, &s->stmts.v[k], &spec);
		if (marked < 0)
			return marked;
		if (marked) {
			add_segment(s, false, k, 1);
			s->seg[s->nseg - 1].batched = true;
			s->seg[s->nseg - 1].batch = spec;
			continue;
		}
		bool alone = !rev->transactional || stmt_needs_autocommit(rev, &s->stmts.v[k]);
		if (alone) {
			add_segment(s, false, k, 1);
			s->seg[s->nseg - 1].concurrent = stmt_concurrent(rev, &s->stmts.v[k]);
		}
		else if (s->nseg && s->seg[s->nseg - 1].transactional)
			s->seg[s->nseg - 1].n++;
		else
			add_segment(s, true, k, 1);
	}
	/* the version-table change always commits in a transaction of its own
	 * segment: the last one, or an empty one after a statement run alone */
	if (!s->nseg || !s->seg[s->nseg - 1].transactional)
		add_segment(s, true, s->stmts.n, 0);
	return 0;
}

bool apply_step_transactional(const struct apply_step *s)
{
	return s->nseg == 1 && s->seg[0].transactional;
}

/* ---- steps ---- */

static void step_release(struct apply_step *s)
{
	vchange_release(&s->change);
	strlist_release(&s->heads_before);
	strlist_release(&s->heads_after);
	sql_script_release(&s->stmts);
	free(s->seg);
}

void apply_plan_release(struct apply_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		step_release(&p->v[i]);
	free(p->v);
	strlist_release(&p->from);
	p->v = NULL;
	p->n = p->alloc = 0;
}

int apply_plan_add(struct apply_plan *p, struct strlist *heads, size_t node, enum apply_dir dir)
{
	const struct graph *g = p->g;
	const struct revision *rev = g->nodes[node].rev;
	if (dir == APPLY_DOWN && rev->irreversible)
		return err_set(ERR_CHECK, "cannot downgrade '%s' (%s): it is irreversible: %s", rev->id,
			       rev->path, rev->irreversible);
	if (dir == APPLY_DOWN && !rev->downgrade.present)
		return err_set(ERR_CHECK, "cannot downgrade '%s' (%s): it has no downgrade section",
			       rev->id, rev->path);
	ALLOC_GROW(p->v, p->n + 1, p->alloc);
	struct apply_step *s = &p->v[p->n++];
	memset(s, 0, sizeof(*s));
	s->node = node;
	s->rev = rev;
	s->dir = dir;
	strlist_sorted_copy(&s->heads_before, heads);
	int ret = heads_step(g, heads, node, dir == APPLY_UP, &s->change);
	if (ret < 0)
		return ret;
	strlist_sorted_copy(&s->heads_after, heads);
	return plan_segments(s);
}

int apply_plan_build(struct apply_plan *p, const struct graph *g, const struct strlist *current,
		     const char *target, enum apply_dir dir)
{
	struct idxvec steps = IDXVEC_INIT;
	struct strlist heads = STRLIST_INIT;
	int ret;
	p->g = g;
	p->dir = dir;
	for (size_t i = 0; i < current->n; i++) {
		strlist_push(&p->from, current->v[i]);
		strlist_push(&heads, current->v[i]);
	}
	if (g->has_cycle) {
		ret = err_set(ERR_GRAPH, "the revision graph has a cycle");
		goto out;
	}
	ret = dir == APPLY_UP ? graph_upgrade_steps(g, current, target, &steps)
			      : graph_downgrade_steps(g, current, target, &steps);
	for (size_t k = 0; ret == 0 && k < steps.n; k++)
		ret = apply_plan_add(p, &heads, steps.v[k], dir);
out:
	strlist_release(&heads);
	idxvec_release(&steps);
	return ret;
}

/* ---- the offline script ---- */

/*
 * One statement of the script and its terminator. A statement whose last
 * line holds a comment (a section's last statement without ';' keeps what
 * follows it) gets the ';' on a line of its own, where it cannot end up
 * inside the comment and glue the next statement onto this one.
 */
static void add_statement(struct strbuf *out, const char *text, size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	strbuf_add(out, text, len);
	const char *last = text + len;
	while (last > text && last[-1] != '\n')
		last--;
	size_t n = (size_t)(text + len - last);
	bool comment = false;
	for (size_t k = 0; k + 1 < n; k++)
		if ((last[k] == '-' && last[k + 1] == '-') || (last[k] == '/' && last[k + 1] == '*'))
			comment = true;
	strbuf_addstr(out, comment ? "\n;\n" : ";\n");
}

static void add_step_sql(struct strbuf *out, const struct apply_plan *p, const struct apply_step *s,
			 const char *vt, const char *ht, bool in_batch)
{
	const struct revision *rev = s->rev;
	char *from = strlist_join(&s->heads_before, ",");
	char *to = strlist_join(&s->heads_after, ",");
	const char *msg = rev->message ? rev->message : "";
	strbuf_addf(out, "-- Running %s %s -> %s%s%s (%s)\n",
		    s->dir == APPLY_UP ? "upgrade" : "downgrade",
		    s->dir == APPLY_UP ? from : rev->id, s->dir == APPLY_UP ? rev->id : to,
		    *msg ? ", " : "", msg, rev->path);
	for (size_t k = 0; k < s->nseg; k++) {
		const struct apply_segment *seg = &s->seg[k];
		bool last = k + 1 == s->nseg;
		if (seg->transactional && !in_batch)
			strbuf_addstr(out, "BEGIN;\n");
		if (seg->batched)
			strbuf_addf(out, "-- outside a transaction; revgate runs it in batches of %ld "
					 "by %s, each committed (here: at once):\n",
				    seg->batch.size, seg->batch.by);
		else if (!seg->transactional)
			strbuf_addstr(out, "-- outside a transaction:\n");
		for (size_t i = seg->first; i < seg->first + seg->n; i++)
			add_statement(out, rev->text + s->stmts.v[i].start, s->stmts.v[i].len);
		if (last) {
			for (size_t i = 0; i < s->change.n; i++)
				sqltext_version_op(out, vt, &s->change.ops[i], NULL);
			char checksum[65], stmt_checksum[65];
			struct strlist each = STRLIST_INIT;
			hash_sha256_hex(rev->text, rev->len, checksum);
			apply_section_checksums(rev, &s->stmts, stmt_checksum, &each);
			char *each_sql = sqltext_array(&each);
			char down[65];
			struct strbuf keys = STRBUF_INIT;
			apply_revision_keys(rev, down, &keys);
			struct sqltext_history h = {
				.revision = rev->id,
				.direction = s->dir == APPLY_UP ? "upgrade" : "downgrade",
				.outcome = s->dir == APPLY_UP ? "applied" : "reverted",
				.from = &s->heads_before,
				.to = &s->heads_after,
				.checksum = checksum,
				.statement_checksum = stmt_checksum,
				.statement_checksums = each_sql,
				.downgrade_checksum = down,
				.header_keys = keys.buf,
			};
			sqltext_history_insert_literal(out, ht, &h);
			strbuf_release(&keys);
			free(each_sql);
			strlist_release(&each);
		}
		if (seg->transactional && !in_batch)
			strbuf_addstr(out, "COMMIT;\n");
	}
	strbuf_addch(out, '\n');
	free(from);
	free(to);
	(void)p;
}

void apply_plan_sql(const struct apply_plan *p, const struct apply_settings *s,
		    bool single_transaction, struct strbuf *out)
{
	char *vt = sqltext_ident(s->version_schema, s->version_table);
	char *ht = sqltext_ident(s->version_schema, s->history_table);
	char *from = strlist_join(&p->from, ",");
	strbuf_addf(out, "-- revgate %s: offline script from '%s'\n",
		    p->dir == APPLY_UP ? "upgrade" : "downgrade", from);
	strbuf_addstr(out, "-- Run it with: psql -v ON_ERROR_STOP=1 -f FILE\n\n");
	if (single_transaction)
		strbuf_addstr(out, "BEGIN;\n\n");
	sqltext_version_ddl(out, vt, s->version_table);
	sqltext_history_ddl(out, s->version_schema, s->history_table);
	strbuf_addch(out, '\n');
	for (size_t i = 0; i < p->n; i++)
		add_step_sql(out, p, &p->v[i], vt, ht, single_transaction);
	if (single_transaction)
		strbuf_addstr(out, "COMMIT;\n");
	free(from);
	free(vt);
	free(ht);
}
