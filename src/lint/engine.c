/*
 * The lint engine. For each revision: split each section into statements,
 * parse each one, walk its tree once and hand every node to the rules that
 * subscribed to its kind; then turn the byte offsets rules report into
 * line:column, apply "-- revgate: ignore" comments and severity overrides,
 * and replay the statement into the catalog so the next one sees the schema
 * it leaves.
 *
 * Ignore comments: a comment "-- revgate: ignore a, b" (or a block comment)
 * between the previous statement and a statement silences those rules for
 * that statement, and so does one at the end of the statement's last line;
 * in the header, for the whole file. A directive that
 * silences nothing is itself reported (unused-ignore), and one that names
 * an unknown rule is an error (unknown-rule).
 */
#include "lint/engine.h"
#include "lint/facts.h"
#include "lint/lint.h"
#include "lint/registry.h"
#include "lint/split.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "revision/revision.h"
#include "sql/lintparse.h"
#include "sql/lex.h"
#include "sql/plpgsql.h"
#include "sql/sql.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_KINDS 512
#define WALK_MAX_DEPTH 10000
/* DO blocks whose EXECUTE runs a DO block ...: deeper levels are only parsed */
#define LINT_MAX_NESTING 4

struct directive {
	size_t offset;
	struct strlist rules;
	bool *used;
	bool header;
};

struct lint_run {
	struct lint_engine *eng;
	const struct lint_settings *s;
	struct findings *out;
	const struct revision *rev;
	struct line_index li;
	struct findings scratch; /* this statement's findings, offsets kept in `offs` */
	size_t *offs;
	size_t offs_alloc;
	struct directive *dirs;
	size_t ndirs, dirs_alloc;
	size_t stmt_dirs_from; /* directives of the current statement: [from, ndirs) */
	struct lint_facts facts;
	struct sql_arena *arena; /* the current statement's tree */
	struct ddl_stmt ddl[LINT_MAX_NESTING]; /* per nesting level (statements in DO blocks) */
	unsigned depth;
	/* a statement PL/pgSQL runs whose text is not in the file as written
	 * (an EXECUTE of a string with doubled quotes): its text, and the file
	 * offset every finding about it points at */
	const char *vtext;
	size_t vat;
	/* this revision's PL/pgSQL functions, linted where the revision calls them */
	struct body *bodies;
	size_t nbodies, bodies_alloc;
	struct strmap body_names; /* a body's last name -> its index in bodies */
};

/* A function the revision created: its CREATE statement in the file, whose
 * body is read again where the revision calls it (rarely: not before). */
struct body {
	char *key;  /* ddl key */
	char *name; /* its last name, for finding calls in the text */
	size_t start, len;
};

/* The message-typed fields of one protobuf message type, and the node kind
 * it is (0 for none), found once. */
struct msg_fields {
	const ProtobufCMessageDescriptor *d;
	unsigned *idx;
	unsigned n;
	int kind;
};

#define FIELD_CACHE 1024 /* open addressing; libpg_query has ~250 message types */

struct lint_engine {
	struct msg_fields cache[FIELD_CACHE];
	bool light_ok;		/* no rule looks inside data statements: check their syntax only */
	bool prune[NODE_KINDS]; /* kinds whose subtrees hold nothing any rule wants */
	/* the Node field holding each kind, and each kind's message type */
	const ProtobufCFieldDescriptor *node_field[NODE_KINDS];
	const struct lint_settings *s;
	/* rules by node kind: indices into the registry */
	unsigned char *by_node[NODE_KINDS];
	unsigned char n_by_node[NODE_KINDS];
	const struct lint_rule *finishers[LINT_MAX_RULES];
	size_t nfinishers;
	const struct lint_rule *per_statement[LINT_MAX_RULES];
	size_t nper_statement;
};

static bool rule_enabled(const struct lint_settings *s, size_t idx)
{
	return s->severity[idx] != SEV_OFF;
}

/*
 * Node kinds that never occur inside INSERT, SELECT, COMMENT, GRANT or SET
 * statements (DDL and its parts). While rules subscribe only to these (and
 * to the data statements' own kinds, seen at the top level), data
 * statements need no tree: a syntax check is enough.
 */
static bool outside_data_statements(int k)
{
	switch (k) {
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
	case PG_QUERY__NODE__NODE_GRANT_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_INDEX_ELEM:
	case PG_QUERY__NODE__NODE_DROP_STMT:
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_CMD:
	case PG_QUERY__NODE__NODE_COLUMN_DEF:
	case PG_QUERY__NODE__NODE_CONSTRAINT:
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_RENAME_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
	case PG_QUERY__NODE__NODE_DO_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
	case PG_QUERY__NODE__NODE_LOCK_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
	case PG_QUERY__NODE__NODE_PARTITION_CMD:
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
	case PG_QUERY__NODE__NODE_COPY_STMT:
	case PG_QUERY__NODE__NODE_CALL_STMT:
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return true;
	default:
		return false;
	}
}

/* Expression kinds: below them there are only more expressions and names. */
static const int expression_kinds[] = {
    PG_QUERY__NODE__NODE_A_EXPR,
    PG_QUERY__NODE__NODE_FUNC_CALL,
    PG_QUERY__NODE__NODE_A_CONST,
    PG_QUERY__NODE__NODE_COLUMN_REF,
    PG_QUERY__NODE__NODE_TYPE_CAST,
    PG_QUERY__NODE__NODE_TYPE_NAME,
    PG_QUERY__NODE__NODE_BOOL_EXPR,
    PG_QUERY__NODE__NODE_NULL_TEST,
    PG_QUERY__NODE__NODE_CASE_EXPR,
    PG_QUERY__NODE__NODE_A_ARRAY_EXPR,
    PG_QUERY__NODE__NODE_COALESCE_EXPR,
    PG_QUERY__NODE__NODE_MIN_MAX_EXPR,
    PG_QUERY__NODE__NODE_SUB_LINK,
    PG_QUERY__NODE__NODE_A_INDIRECTION,
    PG_QUERY__NODE__NODE_RANGE_VAR,
    PG_QUERY__NODE__NODE_SORT_BY,
    PG_QUERY__NODE__NODE_DEF_ELEM,
    PG_QUERY__NODE__NODE_RES_TARGET,
    PG_QUERY__NODE__NODE_STRING,
    PG_QUERY__NODE__NODE_INTEGER,
    PG_QUERY__NODE__NODE_PARTITION_BOUND_SPEC,
};

struct lint_engine *lint_engine_new(const struct lint_settings *s)
{
	struct lint_engine *e = xcalloc(1, sizeof(*e));
	e->s = s;
	for (unsigned i = 0; i < pg_query__node__descriptor.n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &pg_query__node__descriptor.fields[i];
		if (f->id < NODE_KINDS)
			e->node_field[f->id] = f;
	}
	e->light_ok = true;
	size_t n = lint_rule_count();
	for (size_t i = 0; i < n; i++) {
		const struct lint_rule *r = lint_rule_at(i);
		if (!rule_enabled(s, i))
			continue;
		if (r->finish)
			e->finishers[e->nfinishers++] = r;
		if (r->statement)
			e->per_statement[e->nper_statement++] = r;
		if (!r->check || !r->nodes)
			continue;
		for (const int *k = r->nodes; *k; k++) {
			if (*k <= 0 || *k >= NODE_KINDS)
				BUG("rule '%s' subscribes to node kind %d", r->id, *k);
			if (!outside_data_statements(*k))
				e->light_ok = false;
			e->by_node[*k] = xrealloc(e->by_node[*k], e->n_by_node[*k] + 1u);
			e->by_node[*k][e->n_by_node[*k]++] = (unsigned char)i;
		}
	}
	/* while rules want only statements and their DDL parts, expressions
	 * (a subquery included: a data-modifying CTE is only legal at the top
	 * of a statement) are not walked into */
	if (e->light_ok)
		for (size_t i = 0; i < ARRAY_SIZE(expression_kinds); i++)
			e->prune[expression_kinds[i]] = true;
	return e;
}

void lint_engine_free(struct lint_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < FIELD_CACHE; i++)
		free(e->cache[i].idx);
	for (size_t i = 0; i < NODE_KINDS; i++)
		free(e->by_node[i]);
	free(e);
}

/* ---- reporting ---- */

struct finding *lint_report(struct lint_ctx *ctx, size_t offset, const char *fmt, ...)
{
	struct lint_run *run = ctx->run;
	const struct lint_rule *r = ctx->rule;
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
	struct finding *f =
	    findings_add(&run->scratch, r->id, r->severity, run->rev->path, 0, 0, "%s", msg);
	free(msg);
	ALLOC_GROW(run->offs, run->scratch.n, run->offs_alloc);
	if (run->vtext)
		offset = run->vat;
	run->offs[run->scratch.n - 1] = offset > ctx->len ? ctx->len : offset;
	return f;
}

size_t lint_loc(const struct lint_ctx *ctx, int32_t location)
{
	if (location < 0)
		return ctx->stmt_start;
	return ctx->base + (size_t)location;
}

unsigned lint_line_of(const struct lint_ctx *ctx, size_t offset)
{
	unsigned line, col;
	line_index_pos(&ctx->run->li, offset, &line, &col);
	/* a message names the line of the file the statement is in */
	return revision_file_line(ctx->run->rev, line);
}

bool lint_table_is_new(const struct lint_ctx *ctx, const struct cat_table *t)
{
	return t && t->origin == ctx->origin;
}

bool lint_relation_is_new(const struct lint_ctx *ctx, const char *key)
{
	const struct cat_table *t = catalog_table(ctx->cat, key);
	if (t)
		return t->origin == ctx->origin;
	const struct cat_index *x = catalog_index(ctx->cat, key);
	return x && x->origin == ctx->origin;
}

size_t lint_clause(const struct lint_ctx *ctx, const PgQuery__AlterTableCmd *cmd)
{
	if (!ctx->ddl || !ctx->stmt || ctx->stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return ctx->stmt_start;
	return ddl_clause_offset(ctx->ddl, ctx->stmt->alter_table_stmt, cmd, ctx->stmt_start);
}

const struct ddl_lock *lint_lock_at(const struct lint_ctx *ctx, const char *relation,
				    size_t offset)
{
	for (size_t i = 0; ctx->ddl && relation && i < ctx->ddl->n_locks; i++) {
		const struct ddl_lock *l = &ctx->ddl->locks[i];
		if (!strcmp(l->relation, relation) && (offset == SIZE_MAX || l->offset == offset))
			return l;
	}
	return NULL;
}

/* A finding made by the engine itself (syntax-error, unused-ignore, ...). */
static struct finding *engine_report(struct lint_run *run, const char *rule, size_t offset,
				     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct finding *engine_report(struct lint_run *run, const char *rule, size_t offset,
				     const char *fmt, ...)
{
	const struct lint_rule *r = lint_rule_find(rule);
	if (!r)
		BUG("unregistered rule '%s'", rule);
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
	struct finding *f =
	    findings_add(&run->scratch, rule, r->severity, run->rev->path, 0, 0, "%s", msg);
	free(msg);
	ALLOC_GROW(run->offs, run->scratch.n, run->offs_alloc);
	run->offs[run->scratch.n - 1] = offset;
	return f;
}

static void finding_free_fields(struct finding *f)
{
	free(f->rule);
	free(f->file);
	free(f->message);
	free(f->hint);
	free(f->excerpt);
}

/* Whether a directive silences `rule`; marks it used. */
static bool silenced(struct lint_run *run, const char *rule, size_t from, size_t to)
{
	bool hit = false;
	for (size_t d = from; d < to; d++) {
		struct directive *dir = &run->dirs[d];
		for (size_t k = 0; k < dir->rules.n; k++) {
			if (!strcmp(dir->rules.v[k], rule)) {
				dir->used[k] = true;
				hit = true;
			}
		}
	}
	return hit;
}

static size_t header_dirs_end(const struct lint_run *run)
{
	size_t n = 0;
	while (n < run->ndirs && run->dirs[n].header)
		n++;
	return n;
}

/* The directives that may silence the current findings: the header's, and
 * the statement's when `statement` is set. */
struct silencer {
	struct lint_run *run;
	size_t header_end;
	bool statement;
};

static bool silences(void *arg, const char *rule)
{
	struct silencer *sc = arg;
	bool h = silenced(sc->run, rule, 0, sc->header_end);
	bool st = sc->statement &&
		  silenced(sc->run, rule, sc->run->stmt_dirs_from, sc->run->ndirs);
	return h || st;
}

/* Moves this statement's findings to the output, minus ignored and off ones
 * (lint_settle decides). */
static void flush(struct lint_run *run, bool statement_dirs)
{
	struct silencer sc = {run, header_dirs_end(run), statement_dirs};
	for (size_t i = 0; i < run->scratch.n; i++) {
		struct finding *f = &run->scratch.v[i];
		if (!lint_settle(run->s, f, silences, &sc)) {
			finding_free_fields(f);
			continue;
		}
		unsigned line, col;
		line_index_pos(&run->li, run->offs[i], &line, &col);
		f->line = line;
		f->column = col;
		size_t ls, le;
		line_index_line(&run->li, line, &ls, &le);
		if (le > ls && run->rev->text[le - 1] == '\r')
			le--;
		finding_set_excerpt(f, run->rev->text + ls, le - ls);
		ALLOC_GROW(run->out->v, run->out->n + 1, run->out->alloc);
		run->out->v[run->out->n++] = *f;
	}
	run->scratch.n = 0;
}

/* ---- ignore directives ---- */

static void add_directive(struct lint_run *run, size_t offset, const char *list, size_t len,
			  bool header)
{
	char *s = xstrndup(list, len);
	ALLOC_GROW(run->dirs, run->ndirs + 1, run->dirs_alloc);
	struct directive *d = &run->dirs[run->ndirs++];
	memset(d, 0, sizeof(*d));
	d->offset = offset;
	d->header = header;
	strlist_split(&d->rules, s, ',');
	free(s);
	d->used = xcalloc(d->rules.n + 1, sizeof(bool));
	for (size_t k = 0; k < d->rules.n; k++) {
		if (lint_rule_index(d->rules.v[k]) < 0) {
			struct finding *f =
			    engine_report(run, "unknown-rule", offset,
					  "'revgate: ignore' names the unknown rule "
					  "'%s'",
					  d->rules.v[k]);
			finding_set_hint(f, "'revgate rules' lists every rule id");
			d->used[k] = true; /* reported once, as unknown */
		}
	}
}

/*
 * Reads one comment's text: "revgate: ignore a, b". Returns whether it is a
 * directive (header parsing already rejected malformed ones in the header).
 */
static void parse_comment(struct lint_run *run, const char *t, size_t start, size_t end,
			  bool header)
{
	size_t i = start;
	if (end - i >= 2 && t[i] == '-' && t[i + 1] == '-')
		i += 2;
	else if (end - i >= 4 && t[i] == '/' && t[i + 1] == '*') {
		i += 2;
		end -= 2;
	} else
		return;
	while (i < end && isspace((unsigned char)t[i]))
		i++;
	if (end - i < 8 || strncmp(t + i, "revgate:", 8))
		return;
	i += 8;
	while (i < end && isspace((unsigned char)t[i]))
		i++;
	if (end - i < 6 || strncmp(t + i, "ignore", 6))
		return; /* the header parser reports unknown directives */
	i += 6;
	size_t e = end;
	while (e > i && isspace((unsigned char)t[e - 1]))
		e--;
	add_directive(run, start, t + i, e - i, header);
}

/* Header directives: comment lines before the first section marker. */
static void header_directives(struct lint_run *run)
{
	const struct revision *rev = run->rev;
	if (rev->plain_sql)
		return;
	size_t end = rev->len;
	if (rev->upgrade.present && rev->upgrade.marker_line) {
		size_t ls, le;
		line_index_line(&run->li, rev->upgrade.marker_line, &ls, &le);
		end = ls;
	}
	const char *t = rev->text;
	size_t i = rev->body_start;
	while (i < end) {
		size_t le = i;
		while (le < end && t[le] != '\n')
			le++;
		size_t a = i;
		while (a < le && (t[a] == ' ' || t[a] == '\t'))
			a++;
		size_t b = le;
		while (b > a && isspace((unsigned char)t[b - 1]))
			b--;
		if (b - a > 2 && t[a] == '-' && t[a + 1] == '-')
			parse_comment(run, t, a, b, true);
		i = le + 1;
	}
}

/*
 * Parses the directives among the comments of text [from, to) that begin in
 * [keep_from, keep_to): the region is scanned whole so a block comment that
 * crosses keep_to still reads as one token.
 */
static void scan_directives(struct lint_run *run, size_t from, size_t to, size_t keep_from,
			    size_t keep_to)
{
	if (keep_to <= keep_from || !memmem(run->rev->text + from, to - from, "revgate:", 8))
		return;
	struct sql_tokens toks = SQL_TOKENS_INIT;
	struct sql_error err = {0, NULL};
	if (sql_scan(run->rev->text, from, to - from, &toks, &err) == 0) {
		for (size_t i = 0; i < toks.n; i++)
			if ((toks.v[i].kind == SQL_TOKEN_LINE_COMMENT ||
			     toks.v[i].kind == SQL_TOKEN_BLOCK_COMMENT) &&
			    toks.v[i].start >= keep_from && toks.v[i].start < keep_to)
				parse_comment(run, run->rev->text, toks.v[i].start, toks.v[i].end,
					      false);
	}
	sql_error_release(&err);
	sql_tokens_release(&toks);
}

/*
 * Where the gap after a statement ending at `end` splits between its
 * trailing comments and the next statement's leading ones: comments that
 * begin on the line where the statement ends are its own
 * ("ALTER ...; -- revgate: ignore x"), unless the next statement begins on
 * that line too, which then owns everything between them. `next` is the
 * next statement's start, or the section's end (`next_is_stmt` false).
 */
static size_t trailing_end(const char *t, size_t end, size_t next, bool next_is_stmt)
{
	const char *nl = memchr(t + end, '\n', next - end);
	return nl ? (size_t)(nl - t) + 1 : next_is_stmt ? end : next;
}

/*
 * A statement's directives: the comments in the gap before it that follow
 * the previous statement's line, and those trailing it on its last line.
 */
static void statement_directives(struct lint_run *run, size_t gap_from, size_t lead_from,
				 size_t start, size_t end, size_t trail_to, size_t next)
{
	run->stmt_dirs_from = run->ndirs;
	scan_directives(run, gap_from, start, lead_from, start);
	scan_directives(run, end, next, end, trail_to);
}

static void report_unused(struct lint_run *run)
{
	for (size_t d = 0; d < run->ndirs; d++) {
		struct directive *dir = &run->dirs[d];
		for (size_t k = 0; k < dir->rules.n; k++) {
			if (dir->used[k])
				continue;
			int idx = lint_rule_index(dir->rules.v[k]);
			const struct lint_rule *r = lint_rule_at((size_t)idx);
			/* graph and git findings are filtered elsewhere; off rules report nothing
			 */
			if (r->family != LINT_FAMILY_SQL || !rule_enabled(run->s, (size_t)idx))
				continue;
			struct finding *f =
			    engine_report(run, "unused-ignore", dir->offset,
					  "'revgate: ignore %s' silences nothing", dir->rules.v[k]);
			finding_set_hint(f, "remove '%s' from the comment: %s", dir->rules.v[k],
					 dir->header ? "no statement of this file reports it"
						     : "its statement does not report it");
		}
	}
}

/* ---- the walk ---- */

struct walk {
	struct lint_engine *eng;
	struct lint_ctx *ctx;
	bool too_deep;
};

static void dispatch(struct walk *w, const PgQuery__Node *n)
{
	int k = (int)n->node_case;
	if (k <= 0 || k >= NODE_KINDS)
		return;
	for (unsigned i = 0; i < w->eng->n_by_node[k]; i++) {
		const struct lint_rule *r = lint_rule_at(w->eng->by_node[k][i]);
		/* a downgrade undoes on purpose: only rules that say so check it */
		if (w->ctx->section == LINT_DOWNGRADE && !(r->flags & LR_DOWNGRADE))
			continue;
		w->ctx->rule = r;
		r->check(w->ctx, n);
	}
}

static const struct msg_fields *message_fields(struct lint_engine *e,
					       const ProtobufCMessageDescriptor *d)
{
	size_t h = ((uintptr_t)d >> 4) % FIELD_CACHE;
	while (e->cache[h].d && e->cache[h].d != d)
		h = (h + 1) % FIELD_CACHE;
	struct msg_fields *mf = &e->cache[h];
	if (!mf->d) {
		mf->d = d;
		mf->idx = xmalloc((d->n_fields + 1) * sizeof(*mf->idx));
		for (unsigned i = 0; i < d->n_fields; i++)
			if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
				mf->idx[mf->n++] = i;
		for (unsigned i = 0; i < pg_query__node__descriptor.n_fields && !mf->kind; i++)
			if (pg_query__node__descriptor.fields[i].descriptor == d)
				mf->kind = (int)pg_query__node__descriptor.fields[i].id;
	}
	return mf;
}

/*
 * Generic walk through protobuf-c descriptors: every message field of every
 * message, so a rule sees nodes wherever the grammar puts them, and a new
 * field in libpg_query is walked without code here changing.
 */
static void walk_msg(struct walk *w, const ProtobufCMessage *m, unsigned depth)
{
	if (depth > WALK_MAX_DEPTH) {
		w->too_deep = true;
		return;
	}
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__node__descriptor) {
		const PgQuery__Node *n = (const PgQuery__Node *)m;
		dispatch(w, n);
		if ((unsigned)n->node_case < NODE_KINDS && w->eng->prune[n->node_case])
			return;
	}
	if (d == &pg_query__node__descriptor) {
		/* a Node is a oneof of every kind: go straight to the one it holds */
		const PgQuery__Node *n = (const PgQuery__Node *)m;
		const ProtobufCFieldDescriptor *f =
		    (unsigned)n->node_case < NODE_KINDS ? w->eng->node_field[n->node_case] : NULL;
		const ProtobufCMessage *sub =
		    f ? *(const ProtobufCMessage *const *)((const char *)m + f->offset) : NULL;
		if (sub)
			walk_msg(w, sub, depth + 1);
		return;
	}
	/* a part reached directly (a ColumnDef's TypeName, an IndexStmt's RangeVar):
	 * pruned like the node of its kind */
	const struct msg_fields *mf = message_fields(w->eng, d);
	if (mf->kind > 0 && mf->kind < NODE_KINDS && w->eng->prune[mf->kind])
		return;
	for (unsigned k = 0; k < mf->n; k++) {
		ProtobufCMessage *const *v;
		size_t n = sql_msg_children(m, &d->fields[mf->idx[k]], &v);
		for (size_t j = 0; j < n; j++)
			if (v[j])
				walk_msg(w, v[j], depth + 1);
	}
}

/* ---- sections and statements ---- */

/* The major whose grammar libpg_query carries (PG_VERSION_NUM / 10000). */
#define GRAMMAR_MAJOR 15

/*
 * A statement the parser rejects. The grammar is PostgreSQL 15's: for a
 * newer target the statement may be valid syntax there, so it is an
 * info-level finding that does not fail the run, and says so.
 */
static void syntax_error(struct lint_run *run, const struct sql_error *err, const char *what)
{
	const char *msg = err->message ? err->message : "syntax error";
	struct finding *f;
	if (run->s->pg_version > GRAMMAR_MAJOR) {
		f = engine_report(run, "syntax-error", err->offset,
				  "PostgreSQL %d's grammar rejects this (%s%s); your target version "
				  "%d may accept it",
				  GRAMMAR_MAJOR, what, msg, run->s->pg_version);
		f->severity = SEV_INFO;
		finding_set_hint(f, "revgate parses with PostgreSQL %d's grammar and could not check "
				    "this statement; the statements after it are still checked",
				 GRAMMAR_MAJOR);
		return;
	}
	f = engine_report(run, "syntax-error", err->offset, "%s%s", what, msg);
	finding_set_hint(f, "PostgreSQL will refuse this statement; the statements after it "
			    "are still checked");
}

static void run_finishers(struct lint_run *run, struct lint_ctx *ctx)
{
	ctx->stmt = NULL;
	ctx->stmt_start = ctx->stmt_len = 0;
	for (size_t i = 0; i < run->eng->nfinishers; i++) {
		ctx->rule = run->eng->finishers[i];
		ctx->rule->finish(ctx);
	}
}

static void lint_statement(struct lint_run *run, struct lint_ctx *ctx, const PgQuery__Node *node,
			   struct catalog *cat, size_t start, size_t len);

/* The function this revision created under `key`, or NULL. */
static struct body *body_find(struct lint_run *run, const char *key)
{
	for (size_t i = 0; key && i < run->nbodies; i++)
		if (!strcmp(run->bodies[i].key, key))
			return &run->bodies[i];
	return NULL;
}

static void bodies_release(struct lint_run *run)
{
	for (size_t i = 0; i < run->nbodies; i++) {
		free(run->bodies[i].key);
		free(run->bodies[i].name);
	}
	free(run->bodies);
	strmap_release(&run->body_names);
}

/* Remembers where a CREATE FUNCTION is, for the revision's calls of it. */
static void body_keep(struct lint_run *run, const struct ddl_stmt *d, size_t start, size_t len)
{
	for (size_t i = 0; i < d->n_effects; i++) {
		const struct ddl_effect *e = &d->effects[i];
		if (e->action != DDL_CREATE || e->kind != DDL_FUNCTION)
			continue;
		struct body *b = body_find(run, e->key);
		if (!b) {
			ALLOC_GROW(run->bodies, run->nbodies + 1, run->bodies_alloc);
			b = &run->bodies[run->nbodies++];
			memset(b, 0, sizeof(*b));
			b->key = xstrdup(e->key);
			const char *dot = strrchr(e->key, '.');
			b->name = xstrdup(dot ? dot + 1 : e->key);
			strmap_put(&run->body_names, b->name, run->nbodies - 1);
		}
		b->start = start;
		b->len = len;
		return;
	}
}

/*
 * Lints the statements a PL/pgSQL body runs as part of the migration (a DO
 * block, a function the revision calls), each at its own position, in the
 * transaction of the statement that runs them and with the catalog.
 */
static void lint_inner(struct lint_run *run, struct lint_ctx *ctx, struct catalog *cat,
		       const struct sql_inner_list *l);

/* A call of a function the revision created: its body runs here. */
static void lint_body(struct lint_run *run, struct lint_ctx *ctx, struct catalog *cat,
		      const struct body *b)
{
	struct sql_tree tree;
	struct sql_error err = {0, NULL};
	if (sql_parse_arena(run->rev->text, b->start, b->len, run->arena, &tree, &err) == 0 &&
	    tree.result->n_stmts) {
		struct sql_inner_list l = SQL_INNER_LIST_INIT;
		const PgQuery__RawStmt *raw = tree.result->stmts[0];
		if (sql_plpgsql_statements(raw->stmt, run->rev->text, tree.base, b->start, b->len, &l,
					   NULL) == 0)
			lint_inner(run, ctx, cat, &l);
		sql_inner_list_release(&l);
	}
	sql_error_release(&err);
}

static void lint_inner(struct lint_run *run, struct lint_ctx *ctx, struct catalog *cat,
		       const struct sql_inner_list *l)
{
	if (!l->n || run->depth + 1 >= LINT_MAX_NESTING)
		return;
	struct lint_ctx saved = *ctx;
	const char *saved_vtext = run->vtext;
	size_t saved_vat = run->vat;
	const char *file = run->rev->text;
	run->depth++;
	for (size_t i = 0; i < l->n; i++) {
		const struct sql_inner *s = &l->v[i];
		const char *t = s->text ? s->text : file;
		size_t st = s->text ? 0 : s->start, sl = s->text ? strlen(s->text) : s->len;
		struct sql_tree tree;
		struct sql_error err = {0, NULL};
		run->vtext = s->text ? s->text : saved_vtext;
		run->vat = s->text ? s->start : saved_vat;
		if (sql_parse_arena(t, st, sl, run->arena, &tree, &err) < 0) {
			if (run->vtext)
				err.offset = run->vat;
			syntax_error(run, &err, s->dynamic ? "EXECUTE: " : "");
			sql_error_release(&err);
			continue;
		}
		ctx->base = tree.base;
		ctx->text = run->vtext ? run->vtext : file;
		ctx->len = run->vtext ? strlen(run->vtext) : run->rev->len;
		for (size_t k = 0; k < tree.result->n_stmts; k++) {
			const PgQuery__RawStmt *raw = tree.result->stmts[k];
			if (!raw->stmt)
				continue;
			size_t rs = tree.base + (size_t)raw->stmt_location;
			size_t rl = raw->stmt_len ? (size_t)raw->stmt_len : st + sl - rs;
			lint_statement(run, ctx, raw->stmt, cat, rs, rl);
		}
	}
	run->depth--;
	run->vtext = saved_vtext;
	run->vat = saved_vat;
	*ctx = saved;
}

/* A statement that calls a function this revision created runs its body:
 * CALL p(), or SELECT f() (data statements have no tree: the text is searched). */
static void lint_calls(struct lint_run *run, struct lint_ctx *ctx, struct catalog *cat,
		       const PgQuery__Node *node, size_t start, size_t len)
{
	if (!run->nbodies)
		return;
	if (node->node_case == PG_QUERY__NODE__NODE_CALL_STMT && node->call_stmt->funccall) {
		const PgQuery__FuncCall *fc = node->call_stmt->funccall;
		char *key = ddl_names_key(fc->funcname, fc->n_funcname);
		struct body *b = body_find(run, key);
		free(key);
		if (b)
			lint_body(run, ctx, cat, b);
		return;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_SELECT_STMT || run->vtext)
		return;
	/* a name followed by '(' that is one of the revision's functions */
	const char *t = run->rev->text;
	size_t pos = start, end = start + len;
	struct sql_ident id;
	while (sql_lex_next_ident(t, &pos, end, &id)) {
		size_t j = sql_lex_skip_blank(t, id.end, end);
		if (id.quoted || j >= end || t[j] != '(' || id.bytes > 63)
			continue;
		char name[64];
		for (size_t k = 0; k < id.bytes; k++)
			name[k] = (char)tolower((unsigned char)t[id.start + k]);
		name[id.bytes] = '\0';
		size_t at;
		if (strmap_get(&run->body_names, name, &at))
			lint_body(run, ctx, cat, &run->bodies[at]);
	}
}

static void lint_statement(struct lint_run *run, struct lint_ctx *ctx, const PgQuery__Node *node,
			   struct catalog *cat, size_t start, size_t len)
{
	struct lint_facts *f = &run->facts;
	const struct revision *rev = run->rev;
	ctx->stmt = node;
	ctx->stmt_start = run->vtext ? run->vat : start;
	ctx->stmt_len = run->vtext ? 0 : len;
	ctx->src = run->vtext ? run->vtext : rev->text;
	ctx->src_start = start;
	ctx->src_len = len;
	ctx->nesting = run->depth;
	ctx->autocommit = sql_stmt_needs_autocommit(node);
	if (!run->depth) {
		ctx->explicit_block = f->block_open;
		ctx->in_transaction = f->block_open || (ctx->managed_txn && !ctx->autocommit);
		/* revgate commits before a statement that must run alone, and after
		 * each statement of a non-transactional revision */
		if (!f->block_open && (ctx->autocommit || !ctx->managed_txn))
			facts_txn_reset(f);
	} else {
		/* a DO block or a function call is atomic: what its body runs
		 * commits or rolls back with it, in its caller's transaction */
		ctx->in_transaction = true;
	}
	struct sql_inner_list inner = SQL_INNER_LIST_INIT;
	if (node->node_case == PG_QUERY__NODE__NODE_DO_STMT ||
	    node->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		struct sql_error err = {0, NULL};
		const char *t = run->vtext ? run->vtext : rev->text;
		/* a function's statements are read where the revision calls it */
		bool want = node->node_case == PG_QUERY__NODE__NODE_DO_STMT;
		if (sql_plpgsql_statements(node, t, ctx->base, start, len, want ? &inner : NULL,
					   &err) < 0) {
			if (run->vtext)
				err.offset = run->vat;
			syntax_error(run, &err, "PL/pgSQL: ");
		}
		sql_error_release(&err);
	}
	struct ddl_env env;
	catalog_ddl_env(cat, run->s->pg_version, &env);
	struct ddl_src src = {run->vtext ? run->vtext : rev->text, start, len, ctx->base};
	struct ddl_stmt *d = &run->ddl[run->depth];
	ddl_describe(node, &src, &env, &f->session, d);
	if (run->vtext) {
		/* nothing of it is in the file as written: all of it is at vat */
		for (size_t i = 0; i < d->n_effects; i++)
			d->effects[i].offset = run->vat;
		for (size_t i = 0; i < d->n_locks; i++)
			d->locks[i].offset = run->vat;
		for (size_t i = 0; i < d->n_clause; i++)
			d->clause[i] = run->vat;
	}
	ctx->ddl = d;
	struct walk w = {run->eng, ctx, false};
	walk_msg(&w, &node->base, 0);
	for (size_t i = 0; i < run->eng->nper_statement; i++) {
		const struct lint_rule *r = run->eng->per_statement[i];
		if (ctx->section == LINT_DOWNGRADE && !(r->flags & LR_DOWNGRADE))
			continue;
		ctx->rule = r;
		r->statement(ctx);
	}
	if (w.too_deep)
		engine_report(run, "syntax-error", start,
			      "statement nested too deeply to check (more than %d levels)",
			      WALK_MAX_DEPTH);
	facts_after_stmt(f, ctx);
	if (ctx->section == LINT_UPGRADE)
		catalog_apply(cat, d, ctx->origin);
	/* after BEGIN, the explicit block starts */
	if (node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT && f->block_open &&
	    !ctx->explicit_block)
		facts_txn_reset(f);
	if (node->node_case == PG_QUERY__NODE__NODE_DO_STMT)
		lint_inner(run, ctx, cat, &inner);
	else if (node->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT &&
		 ctx->section == LINT_UPGRADE)
		body_keep(run, d, start, len); /* code that runs later, unless the revision calls it */
	else
		lint_calls(run, ctx, cat, node, start, len);
	sql_inner_list_release(&inner);
}

/* Whether `needle` (lower case) occurs in hay[0, n), ignoring case. */
static bool memmem_nocase(const char *hay, size_t n, const char *needle, size_t nl)
{
	for (size_t i = 0; i + nl <= n; i++)
		if (!strncasecmp(hay + i, needle, nl))
			return true;
	return false;
}

/*
 * A data statement (INSERT, SELECT, COMMENT, GRANT) by its first
 * keyword: its node kind, or 0. WITH is not one: a data-modifying CTE may
 * hide an UPDATE or DELETE that rules want to see; nor is SET, whose
 * setting rules want to read (session-state-change).
 */
static int light_kind(const char *t, size_t start, size_t len)
{
	static const struct {
		const char *word;
		int kind;
	} kinds[] = {
	    {"insert", PG_QUERY__NODE__NODE_INSERT_STMT},
	    {"select", PG_QUERY__NODE__NODE_SELECT_STMT},
	    {"comment", PG_QUERY__NODE__NODE_COMMENT_STMT},
	    {"grant", PG_QUERY__NODE__NODE_GRANT_STMT},
	};
	size_t n = 0;
	while (n < len && n < 8 && isalpha((unsigned char)t[start + n]))
		n++;
	if (n < len && !isspace((unsigned char)t[start + n]))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strlen(kinds[i].word) != n || strncasecmp(t + start, kinds[i].word, n))
			continue;
		/* SET TIME ZONE changes what a type change costs (sql/ddl reads it) */
		if (kinds[i].kind == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT &&
		    memmem_nocase(t + start, len, "time", 4))
			return 0;
		return kinds[i].kind;
	}
	return 0;
}

/* A data statement whose syntax was checked: shown to the rules as an
 * empty node of its kind (they only look at data statements' kinds), an
 * INSERT with the table it writes. */
/* An identifier as PostgreSQL reads it: unquoted folded to lower case,
 * quoted with "" as one quote; cut at 63 bytes. */
static void ident_value(const char *t, const struct sql_ident *id, char out[64])
{
	size_t n = 0;
	if (id->quoted) {
		for (size_t k = id->start + 1; k + 1 < id->end && n < 63; k++) {
			out[n++] = t[k];
			if (t[k] == '"')
				k++;
		}
	} else {
		for (size_t k = id->start; k < id->end && n < 63; k++)
			out[n++] = (char)tolower((unsigned char)t[k]);
	}
	out[n] = '\0';
}

/* The table an INSERT writes ("INSERT INTO [schema.]name"), read from the
 * text: data statements get no tree, but a table this revision fills is
 * one whose foreign keys cost a validation. */
static bool insert_target(const char *t, size_t start, size_t len, char schema[64], char name[64])
{
	size_t pos = start, end = start + len;
	struct sql_ident a, b;
	if (!sql_lex_next_ident(t, &pos, end, &a)) /* INSERT */
		return false;
	if (!sql_lex_next_ident(t, &pos, end, &a) || a.end - a.start != 4 ||
	    strncasecmp(t + a.start, "into", 4) ||
	    !sql_lex_next_ident(t, &pos, end, &a))
		return false;
	schema[0] = '\0';
	ident_value(t, &a, name);
	size_t dot = sql_lex_skip_blank(t, a.end, end);
	if (dot < end && t[dot] == '.') {
		pos = dot + 1;
		if (!sql_lex_next_ident(t, &pos, end, &b))
			return false;
		memcpy(schema, name, 64);
		ident_value(t, &b, name);
	}
	return *name != '\0';
}

static void lint_light(struct lint_run *run, struct lint_ctx *ctx, int kind, struct catalog *cat,
		       size_t start, size_t len)
{
	PgQuery__InsertStmt ins = PG_QUERY__INSERT_STMT__INIT;
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__CommentStmt com = PG_QUERY__COMMENT_STMT__INIT;
	PgQuery__GrantStmt gra = PG_QUERY__GRANT_STMT__INIT;
	PgQuery__VariableSetStmt set = PG_QUERY__VARIABLE_SET_STMT__INIT;
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = (PgQuery__Node__NodeCase)kind;
	PgQuery__RangeVar target = PG_QUERY__RANGE_VAR__INIT;
	char schema[64], name[64];
	switch (kind) {
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		node.insert_stmt = &ins;
		if (insert_target(run->rev->text, start, len, schema, name)) {
			target.relname = name;
			target.schemaname = schema;
			target.location = -1;
			ins.relation = &target;
		}
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		node.select_stmt = &sel;
		break;
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		node.comment_stmt = &com;
		break;
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		node.grant_stmt = &gra;
		break;
	default:
		node.variable_set_stmt = &set;
		break;
	}
	ctx->base = start;
	lint_statement(run, ctx, &node, cat, start, len);
}

/*
 * A statement made ready for the rules: its tree, or for a data statement
 * only its kind, or its syntax error. Preparing is the expensive part and
 * touches nothing shared, so revisions can be prepared ahead on other
 * threads (lint_prepare) while the rules and the catalog advance in order.
 */
struct pre_stmt {
	size_t start, len;
	int light; /* a data statement's node kind, else 0 */
	int ret;   /* < 0: `err` holds the syntax error */
	struct sql_error err;
	struct sql_tree tree; /* in the arena of whoever prepared it */
};

struct pre_section {
	int ret;		       /* < 0: the section could not be split to its end */
	struct sql_error err, gap_err; /* ... and where; text the splitter skipped */
	struct sql_script script;
	struct pre_stmt *v; /* one per statement of `script`, when prepared */
};

struct lint_prepared {
	struct pre_section sec[2];
	struct sql_arena *arena;
};

static void prepare_stmt(const char *text, size_t start, size_t len, bool light_ok,
			 struct sql_arena *arena, struct pre_stmt *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->start = start;
	ps->len = len;
	ps->light = light_ok ? light_kind(text, start, len) : 0;
	if (ps->light)
		ps->ret = sql_check_syntax(text, start, len, &ps->err);
	else
		ps->ret = sql_parse_arena(text, start, len, arena, &ps->tree, &ps->err);
}

static void split_section(const struct revision *rev, enum lint_section sec, struct pre_section *ps)
{
	const struct rev_section *s = sec == LINT_UPGRADE ? &rev->upgrade : &rev->downgrade;
	memset(ps, 0, sizeof(*ps));
	if (s->present)
		ps->ret =
		    lint_split(rev->text, s->start, s->end, &ps->script, &ps->err, &ps->gap_err);
}

static void pre_section_release(struct pre_section *ps)
{
	for (size_t i = 0; ps->v && i < ps->script.n; i++)
		sql_error_release(&ps->v[i].err);
	free(ps->v);
	sql_script_release(&ps->script);
	sql_error_release(&ps->err);
	sql_error_release(&ps->gap_err);
}

struct lint_prepared *lint_prepare(const struct revision *rev, bool light_ok)
{
	struct lint_prepared *p = xcalloc(1, sizeof(*p));
	p->arena = sql_arena_new();
	for (int sec = 0; sec < 2; sec++) {
		struct pre_section *ps = &p->sec[sec];
		split_section(rev, (enum lint_section)sec, ps);
		ps->v = xcalloc(ps->script.n + 1, sizeof(*ps->v));
		for (size_t i = 0; i < ps->script.n; i++)
			prepare_stmt(rev->text, ps->script.v[i].start, ps->script.v[i].len,
				     light_ok, p->arena, &ps->v[i]);
	}
	return p;
}

void lint_prepared_free(struct lint_prepared *p)
{
	if (!p)
		return;
	pre_section_release(&p->sec[0]);
	pre_section_release(&p->sec[1]);
	sql_arena_free(p->arena);
	free(p);
}

bool lint_engine_light_ok(const struct lint_engine *e)
{
	return e->light_ok;
}

static void lint_prepared_stmt(struct lint_run *run, struct lint_ctx *ctx, struct catalog *cat,
			       const struct pre_stmt *ps)
{
	if (ps->ret < 0) {
		syntax_error(run, &ps->err, "");
		run->facts.syntax_error[ctx->section] = true;
		return;
	}
	if (ps->light) {
		lint_light(run, ctx, ps->light, cat, ps->start, ps->len);
		return;
	}
	ctx->base = ps->tree.base;
	const PgQuery__ParseResult *pr = ps->tree.result;
	for (size_t k = 0; k < pr->n_stmts; k++) {
		const PgQuery__RawStmt *raw = pr->stmts[k];
		if (!raw->stmt)
			continue;
		size_t st = ps->tree.base + (size_t)raw->stmt_location;
		size_t sl = raw->stmt_len ? (size_t)raw->stmt_len : ps->start + ps->len - st;
		lint_statement(run, ctx, raw->stmt, cat, st, sl);
	}
}

/* One section, from statements prepared ahead (`pre`) or prepared here one
 * at a time (`pre` NULL), so a huge section never holds all its trees. */
static void lint_section(struct lint_run *run, struct lint_ctx *ctx, enum lint_section sec,
			 struct catalog *cat, const struct pre_section *pre)
{
	const struct revision *rev = run->rev;
	ctx->section = sec;
	facts_section_start(&run->facts);
	struct pre_section own;
	if (!pre) {
		split_section(rev, sec, &own);
		pre = &own;
	}
	if (pre->ret < 0 || pre->gap_err.message) {
		syntax_error(run, pre->ret < 0 ? &pre->err : &pre->gap_err, "");
		run->facts.syntax_error[sec] = true;
		flush(run, false);
	}
	const struct rev_section *rs = sec == LINT_UPGRADE ? &rev->upgrade : &rev->downgrade;
	ctx->section_statements = pre->script.n;
	size_t prev = rs->start;
	size_t lead_from = prev; /* where the next statement's own comments begin */
	for (size_t i = 0; i < pre->script.n; i++) {
		size_t start = pre->script.v[i].start, len = pre->script.v[i].len;
		bool last = i + 1 == pre->script.n;
		size_t next = last ? rs->end : pre->script.v[i + 1].start;
		if (next < start + len)
			next = start + len;
		size_t trail_to = trailing_end(rev->text, start + len, next, !last);
		statement_directives(run, prev, lead_from, start, start + len, trail_to, next);
		prev = start + len;
		lead_from = trail_to;
		if (pre->v) {
			lint_prepared_stmt(run, ctx, cat, &pre->v[i]);
			sql_arena_reset(run->arena); /* the trees of PL/pgSQL statements */
		} else {
			struct pre_stmt ps;
			prepare_stmt(rev->text, start, len, run->eng->light_ok, run->arena, &ps);
			lint_prepared_stmt(run, ctx, cat, &ps);
			sql_error_release(&ps.err);
			sql_arena_reset(run->arena);
		}
		flush(run, true);
		run->stmt_dirs_from = run->ndirs;
	}
	if (pre == &own)
		pre_section_release(&own);
	ctx->stmt = NULL;
	run_finishers(run, ctx);
	flush(run, false);
}

void lint_engine_run(struct lint_engine *eng, const struct revision *rev, struct catalog *cat,
		     unsigned origin, struct findings *out)
{
	lint_engine_run_prepared(eng, rev, NULL, cat, origin, out);
}

void lint_engine_run_prepared(struct lint_engine *eng, const struct revision *rev,
			      const struct lint_prepared *prep, struct catalog *cat,
			      unsigned origin, struct findings *out)
{
	struct lint_run run;
	memset(&run, 0, sizeof(run));
	run.eng = eng;
	run.s = eng->s;
	run.out = out;
	run.rev = rev;
	run.arena = sql_arena_new();
	line_index_build(&run.li, rev->text, rev->len);
	facts_init(&run.facts);
	header_directives(&run);
	run.stmt_dirs_from = run.ndirs;
	flush(&run, false);

	struct lint_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.settings = eng->s;
	ctx.rev = rev;
	ctx.text = rev->text;
	ctx.len = rev->len;
	ctx.cat = cat;
	ctx.origin = origin;
	ctx.facts = &run.facts;
	ctx.run = &run;
	ctx.managed_txn = rev->plain_sql ? eng->s->assume_in_transaction : rev->transactional;
	lint_section(&run, &ctx, LINT_UPGRADE, cat, prep ? &prep->sec[0] : NULL);
	lint_section(&run, &ctx, LINT_DOWNGRADE, cat, prep ? &prep->sec[1] : NULL);
	report_unused(&run);
	run.stmt_dirs_from = run.ndirs;
	flush(&run, false);

	for (size_t d = 0; d < run.ndirs; d++) {
		strlist_release(&run.dirs[d].rules);
		free(run.dirs[d].used);
	}
	free(run.dirs);
	free(run.offs);
	findings_release(&run.scratch);
	facts_release(&run.facts);
	bodies_release(&run);
	for (size_t i = 0; i < LINT_MAX_NESTING; i++)
		ddl_stmt_release(&run.ddl[i]);
	line_index_release(&run.li);
	sql_arena_free(run.arena);
}

/* Only DDL changes the catalog: skip parsing data statements while replaying
 * (DO blocks run DDL too). */
static bool may_change_schema(const char *t, size_t start, size_t len)
{
	static const char *const verbs[] = {"create", "alter", "drop", "do"};
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		size_t n = strlen(verbs[i]);
		if (len > n && !strncasecmp(t + start, verbs[i], n) &&
		    !isalnum((unsigned char)t[start + n]))
			return true;
	}
	return false;
}

/* The statements of a DO block change the schema as if written outside it. */
static void replay_do(const char *text, const PgQuery__Node *node, size_t base, size_t start,
		      size_t len, struct catalog *cat, unsigned origin, struct ddl_stmt *d)
{
	struct sql_inner_list inner = SQL_INNER_LIST_INIT;
	if (sql_plpgsql_statements(node, text, base, start, len, &inner, NULL) < 0)
		goto out;
	for (size_t i = 0; i < inner.n; i++) {
		const char *t = inner.v[i].text ? inner.v[i].text : text;
		size_t st = inner.v[i].text ? 0 : inner.v[i].start;
		size_t sl = inner.v[i].text ? strlen(inner.v[i].text) : inner.v[i].len;
		struct sql_tree *tree = NULL;
		if (sql_parse(t, st, sl, &tree, NULL) < 0)
			continue;
		for (size_t k = 0; k < tree->result->n_stmts; k++) {
			ddl_describe(tree->result->stmts[k]->stmt, NULL, NULL, NULL, d);
			catalog_apply(cat, d, origin);
		}
		sql_tree_free(tree);
	}
out:
	sql_inner_list_release(&inner);
}

void lint_engine_replay(const struct revision *rev, struct catalog *cat, unsigned origin)
{
	if (!rev->upgrade.present)
		return;
	struct sql_script script = SQL_SCRIPT_INIT;
	struct sql_error err = {0, NULL};
	struct sql_error gap_err = {0, NULL};
	struct ddl_stmt d;
	ddl_stmt_init(&d);
	int ret =
	    lint_split(rev->text, rev->upgrade.start, rev->upgrade.end, &script, &err, &gap_err);
	sql_error_release(&gap_err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < script.n; i++) {
		size_t start = script.v[i].start, len = script.v[i].len;
		if (!may_change_schema(rev->text, start, len))
			continue;
		struct sql_tree *tree = NULL;
		if (sql_parse(rev->text, start, len, &tree, &err) < 0) {
			sql_error_release(&err);
			continue;
		}
		for (size_t k = 0; k < tree->result->n_stmts; k++) {
			const PgQuery__RawStmt *raw = tree->result->stmts[k];
			if (raw->stmt && raw->stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT) {
				size_t rs = tree->base + (size_t)raw->stmt_location;
				size_t rl = raw->stmt_len ? (size_t)raw->stmt_len : start + len - rs;
				replay_do(rev->text, raw->stmt, tree->base, rs, rl, cat, origin, &d);
				continue;
			}
			ddl_describe(raw->stmt, NULL, NULL, NULL, &d);
			catalog_apply(cat, &d, origin);
		}
		sql_tree_free(tree);
	}
out:
	ddl_stmt_release(&d);
	sql_error_release(&err);
	sql_script_release(&script);
}
