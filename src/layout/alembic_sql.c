/*
 * The SQL of Alembic revisions, from Alembic's own offline mode run in the
 * user's environment ([alembic] command): one `upgrade heads --sql` for
 * every upgrade, one `downgrade HEAD:base --sql` per head for the
 * downgrades, never a process per revision. The output is cut at
 * Alembic's "-- Running upgrade A -> B" comments; statements on the
 * version table and the transaction boundaries Alembic writes are
 * dropped, and a revision with statements outside a transaction (an
 * autocommit_block) runs outside one. Each statement is placed at the
 * op.<call> of upgrade() or downgrade() that produced it when the call can
 * be matched (its string arguments name the statement's objects), else at
 * the function's first line, quoting the statement.
 *
 * Results are cached per revision, named by the content hash of the .py
 * file and of env.py, so a pre-commit run on a long history starts no
 * Python once the cache is warm.
 */
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/proc.h"
#include "core/strmap.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "layout/alembic.h"
#include "layout/internal.h"
#include "sql/sql.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "revgate alembic sql v2\n"
/* Offline mode imports the project's models: generous, but never forever. */
#define ALEMBIC_TIMEOUT_MS (300L * 1000)

/* What one revision's SQL is, once known. */
struct rev_sql {
	bool have_up, have_down;
	bool transactional;
	struct strbuf up, down;
	char *up_failure, *down_failure; /* why a direction is unknown */
};

static void rev_sql_release(struct rev_sql *r)
{
	strbuf_release(&r->up);
	strbuf_release(&r->down);
	free(r->up_failure);
	free(r->down_failure);
}

/* ---- running Alembic ---- */

struct runner {
	const struct layout_settings *s;
	char *cwd;       /* alembic.ini's directory */
	char *ini;       /* its name there */
	struct strlist argv_base;
	char *shown;     /* the command as the user would type it */
	char *failure;   /* the first failure, for the one message */
	char *last;      /* the last run's failure */
	unsigned runs;
};

/*
 * Alembic runs of one lint at the most: each failing revision costs a run
 * that starts over after it, and a history where many fail offline would
 * otherwise take minutes. Failures are cached, so the next run goes on.
 */
#define MAX_RUNS 12

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	struct strlist dirs = STRLIST_INIT;
	strlist_split(&dirs, path, ':');
	bool found = false;
	for (size_t i = 0; i < dirs.n && !found; i++) {
		char *p = path_join(*dirs.v[i] ? dirs.v[i] : ".", prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	strlist_release(&dirs);
	return found;
}

static void runner_init(struct runner *r, const struct layout_settings *s)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	const char *ini = s->alembic_ini ? s->alembic_ini : "alembic.ini";
	const char *slash = strrchr(ini, '/');
	r->cwd = slash ? xstrndup(ini, (size_t)(slash - ini)) : xstrdup(".");
	r->ini = xstrdup(slash ? slash + 1 : ini);
	const char *cmd = s->alembic_command ? s->alembic_command : "alembic";
	/* the default command falls back to the module when no script is installed */
	if (!strcmp(cmd, "alembic") && !on_path("alembic"))
		cmd = "python3 -m alembic";
	strlist_split(&r->argv_base, cmd, ' ');
	size_t w = 0;
	for (size_t i = 0; i < r->argv_base.n; i++) {
		if (*r->argv_base.v[i])
			r->argv_base.v[w++] = r->argv_base.v[i];
		else
			free(r->argv_base.v[i]);
	}
	r->argv_base.n = w;
	r->shown = xstrdup(cmd);
}

static void runner_release(struct runner *r)
{
	free(r->cwd);
	free(r->ini);
	strlist_release(&r->argv_base);
	free(r->shown);
	free(r->failure);
	free(r->last);
}

/* Runs `<command> -c INI ARGS... --sql`; returns 0 when it exited 0,
 * 1 when it failed (r->failure says how), or a negative error. */
static int run_alembic(struct runner *r, const char *verb, const char *range, struct strbuf *out)
{
	struct strbuf err = STRBUF_INIT;
	char **argv = xcalloc(r->argv_base.n + 7, sizeof(*argv));
	size_t n = 0;
	for (size_t i = 0; i < r->argv_base.n; i++)
		argv[n++] = r->argv_base.v[i];
	argv[n++] = (char *)"-c";
	argv[n++] = r->ini;
	argv[n++] = (char *)verb;
	argv[n++] = (char *)range;
	argv[n++] = (char *)"--sql";
	argv[n] = NULL;
	int status = 0;
	r->runs++;
	int ret = proc_run(argv, r->cwd, ALEMBIC_TIMEOUT_MS, out, &err, &status);
	if (ret < 0 || status != 0) {
		/* Alembic says why on stdout ("FAILED: ..."), Python on stderr */
		const char *said = strstr(out->buf, "FAILED:");
		char *tail = said ? xstrndup(said, strcspn(said, "\n")) : proc_tail(err.buf, 3);
		char *why = ret < 0 ? xstrdup(err_msg()) : xstrfmt("exit status %d", status);
		free(r->last);
		r->last = xstrfmt("'%s -c %s %s %s --sql' (in %s) failed (%s)%s%s", r->shown, r->ini,
				  verb, range, r->cwd, why, *tail ? ": " : "", tail);
		if (!r->failure)
			r->failure = xstrdup(r->last);
		err_clear();
		free(why);
		free(tail);
		ret = 1;
	}
	free(argv);
	strbuf_release(&err);
	return ret;
}

/* ---- reading the offline output ---- */

/* The statements of one revision in one direction, as Alembic wrote them. */
struct block {
	char *rev;
	struct strbuf text;
};

struct blocks {
	struct block *v;
	size_t n, alloc;
	struct strbuf preamble;
	bool complete_last; /* the run finished: the last block is whole */
};

static void blocks_release(struct blocks *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].rev);
		strbuf_release(&b->v[i].text);
	}
	free(b->v);
	strbuf_release(&b->preamble);
	memset(b, 0, sizeof(*b));
}

/*
 * "-- Running upgrade A, B -> C" names C; "-- Running downgrade C -> A"
 * names C: the revision whose function runs. Fresh string, or NULL.
 */
static char *marker_rev(const char *line, size_t len, bool upgrade)
{
	const char *tag = upgrade ? "-- Running upgrade " : "-- Running downgrade ";
	size_t tl = strlen(tag);
	if (len < tl || memcmp(line, tag, tl))
		return NULL;
	const char *arrow = memmem(line, len, " -> ", 4);
	if (!arrow)
		return NULL;
	const char *a, *b;
	if (upgrade) {
		a = arrow + 4;
		b = line + len;
	} else {
		a = line + tl;
		b = arrow;
	}
	while (a < b && isspace((unsigned char)*a))
		a++;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	/* a merge names several on the parents' side only; take one id */
	const char *comma = memchr(a, ',', (size_t)(b - a));
	if (comma)
		b = comma;
	return b > a ? xstrndup(a, (size_t)(b - a)) : NULL;
}

static void split_output(const char *out, bool upgrade, struct blocks *bl)
{
	struct strbuf *cur = &bl->preamble;
	for (const char *l = out; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		size_t m = n && l[n - 1] == '\r' ? n - 1 : n;
		char *id = marker_rev(l, m, upgrade);
		if (id) {
			ALLOC_GROW(bl->v, bl->n + 1, bl->alloc);
			bl->v[bl->n].rev = id;
			strbuf_init(&bl->v[bl->n].text, 0);
			cur = &bl->v[bl->n++].text;
		} else {
			strbuf_add(cur, l, n);
			strbuf_addch(cur, '\n');
		}
		l = e ? e + 1 : l + n;
	}
}

/* The meaning-bearing words of a statement, keywords lower-cased. */
static char *stream_of(const char *text, const struct sql_stmt *st)
{
	struct strbuf sb = STRBUF_INIT;
	struct sql_error err = {0};
	if (sql_token_stream(text, st->start, st->len, &sb, &err) < 0)
		strbuf_reset(&sb);
	sql_error_release(&err);
	for (char *c = sb.buf; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return strbuf_detach(&sb, NULL);
}

static bool stream_starts(const char *stream, const char *words)
{
	size_t n = strlen(words);
	return !strncmp(stream, words, n) && (stream[n] == '\n' || !stream[n]);
}

/* Whether the token after `words` names the version table (maybe qualified). */
static bool on_table(const char *stream, const char *words, const char *table)
{
	if (!stream_starts(stream, words))
		return false;
	const char *t = stream + strlen(words) + 1;
	size_t n = strcspn(t, "\n");
	char *name = xstrndup(t, n);
	/* "public\n.\nalembic_version" never happens: the stream keeps a
	 * qualified name's parts on lines of their own */
	if (!strncmp(t + n, "\n.\n", 3)) {
		free(name);
		const char *u = t + n + 3;
		name = xstrndup(u, strcspn(u, "\n"));
	}
	size_t k = strlen(name);
	if (k >= 2 && name[0] == '"' && name[k - 1] == '"') {
		memmove(name, name + 1, k - 2);
		name[k - 2] = '\0';
	}
	bool yes = !strcmp(name, table);
	free(name);
	return yes;
}

static bool is_version_stmt(const char *stream, const char *table)
{
	return on_table(stream, "insert\ninto", table) || on_table(stream, "update", table) ||
	       on_table(stream, "delete\nfrom", table) || on_table(stream, "drop\ntable", table) ||
	       on_table(stream, "create\ntable", table);
}

/* The version table Alembic's preamble creates ("alembic_version" by default). */
static char *version_table(const char *preamble)
{
	const char *c = strstr(preamble, "CREATE TABLE ");
	if (!c)
		return xstrdup("alembic_version");
	c += 13;
	size_t n = strcspn(c, " (\n");
	const char *dot = memchr(c, '.', n);
	if (dot) {
		n -= (size_t)(dot + 1 - c);
		c = dot + 1;
	}
	if (n >= 2 && c[0] == '"')
		return xstrndup(c + 1, n - 2);
	return xstrndup(c, n);
}

/*
 * Whether a statement must run outside a transaction anyway (CREATE INDEX
 * CONCURRENTLY): revgate runs such a statement alone within a
 * transactional revision, which is what an autocommit_block around it
 * does in Alembic.
 */
static bool runs_alone(const char *text, const struct sql_stmt *st)
{
	struct sql_tree *tree = NULL;
	struct sql_error err = {0};
	bool alone = false;
	if (sql_parse(text, st->start, st->len, &tree, &err) == 0 && tree->result->n_stmts)
		alone = sql_stmt_needs_autocommit(tree->result->stmts[0]->stmt);
	sql_tree_free(tree);
	sql_error_release(&err);
	return alone;
}

/*
 * Turns the blocks of one run into SQL per revision: kept statements in
 * order, and whether each ran inside a transaction. `in_tx` carries the
 * transaction state from block to block (Alembic opens one transaction for
 * the run, or one per revision).
 */
static void collect(const struct blocks *bl, bool upgrade, const char *table, bool in_tx,
		    struct strmap *index, struct rev_sql *sqls)
{
	for (size_t i = 0; i < bl->n; i++) {
		size_t at;
		if (!strmap_get(index, bl->v[i].rev, &at))
			continue;
		struct rev_sql *r = &sqls[at];
		/* the block Alembic stopped in is incomplete: its SQL is unknown */
		if (i == bl->n - 1 && !bl->complete_last)
			break;
		if (upgrade ? r->have_up : r->have_down)
			continue;
		struct strbuf *dst = upgrade ? &r->up : &r->down;
		const char *text = bl->v[i].text.buf;
		struct sql_script sc = SQL_SCRIPT_INIT;
		struct sql_error err = {0};
		bool outside = false;
		if (sql_split(text, 0, bl->v[i].text.len, &sc, &err) == 0) {
			for (size_t k = 0; k < sc.n; k++) {
				char *st = stream_of(text, &sc.v[k]);
				if (stream_starts(st, "begin")) {
					in_tx = true;
				} else if (stream_starts(st, "commit")) {
					in_tx = false;
				} else if (!is_version_stmt(st, table)) {
					outside |= !in_tx && !runs_alone(text, &sc.v[k]);
					strbuf_add(dst, text + sc.v[k].start, sc.v[k].len);
					strbuf_addstr(dst, ";\n\n");
				}
				free(st);
			}
		}
		sql_error_release(&err);
		sql_script_release(&sc);
		if (upgrade) {
			r->have_up = true;
			r->transactional = !outside;
		} else {
			r->have_down = true;
			r->transactional &= !outside;
		}
	}
}

/* ---- placing statements at op calls ---- */

static char *lower(const char *s, size_t n)
{
	char *x = xstrndup(s, n);
	for (char *c = x; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return x;
}

/* The identifiers of a statement (unquoted, lower-cased unless quoted). */
static void idents(const char *text, const struct sql_stmt *st, struct strlist *out)
{
	struct sql_tokens toks = SQL_TOKENS_INIT;
	struct sql_error err = {0};
	if (sql_scan(text, st->start, st->len, &toks, &err) == 0) {
		for (size_t i = 0; i < toks.n; i++) {
			const struct sql_token *t = &toks.v[i];
			if (t->kind != SQL_TOKEN_IDENT && t->kind != SQL_TOKEN_KEYWORD)
				continue;
			size_t n = t->end - t->start;
			if (n >= 2 && text[t->start] == '"')
				strlist_push_owned(out, xstrndup(text + t->start + 1, n - 2));
			else
				strlist_push_owned(out, lower(text + t->start, n));
		}
	}
	sql_error_release(&err);
	sql_tokens_release(&toks);
}

/* Whitespace collapsed, lower-cased, without a trailing ';'. */
static char *squash(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i])) {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addch(&sb, ' ');
		space = false;
		strbuf_addch(&sb, (char)tolower((unsigned char)s[i]));
	}
	while (sb.len && (sb.buf[sb.len - 1] == ';' || sb.buf[sb.len - 1] == ' '))
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

/*
 * Which op calls can write a statement, by its first words: an op whose
 * name holds one of these words (create_index for "create index ...").
 * create_table writes the indexes, comments and enum types of its columns
 * too, and add_column the enum type of its column.
 */
static const struct {
	const char *stmt;
	const char *ops[4];
} kinds[] = {
	{"create\ntable", {"create_table", NULL}},
	{"create\nindex", {"index", "create_table", NULL}},
	{"create\nunique\nindex", {"index", "create_table", NULL}},
	{"drop\nindex", {"drop_index", NULL}},
	{"drop\ntable", {"drop_table", NULL}},
	{"alter\ntable", {"column", "constraint", "foreign_key", "primary_key"}},
	{"comment\non", {"comment", "create_table", "alter_column", NULL}},
	{"create\ntype", {"create_table", "add_column", NULL}},
	{"drop\ntype", {"drop_table", "drop_column", NULL}},
	{"insert", {"bulk_insert", NULL}},
	{"create\nsequence", {"sequence", NULL}},
	{"drop\nsequence", {"sequence", NULL}},
};

static bool kind_fits(const char *op, const char *stream)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!stream_starts(stream, kinds[i].stmt))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(kinds[i].ops) && kinds[i].ops[k]; k++)
			if (strstr(op, kinds[i].ops[k]))
				return true;
		return !strcmp(op, "rename_table") && !strcmp(kinds[i].stmt, "alter\ntable");
	}
	return false;
}

/*
 * How well call `c` explains a statement: its SQL (op.execute) contains
 * the statement, its string arguments name the statement's objects, its
 * kind fits. 0 when nothing ties them.
 */
static int call_score(const struct alembic_call *c, const struct strlist *ids, const char *sq,
		      const char *stream)
{
	/* each of the statement's names once: a bulk_insert repeating its
	 * column names row after row says no more than one mention */
	struct strlist hits = STRLIST_INIT;
	for (size_t i = 0; i < c->args.n; i++) {
		const char *a = c->args.v[i];
		if (strchr(a, ' ')) {
			char *x = squash(a, strlen(a));
			bool hit = *x && (strstr(x, sq) || strstr(sq, x));
			free(x);
			if (hit) {
				strlist_release(&hits);
				return 100;
			}
			continue;
		}
		char *l = lower(a, strlen(a));
		if ((strlist_has(ids, l) || strlist_has(ids, a)) && !strlist_has(&hits, l))
			strlist_push(&hits, l);
		free(l);
	}
	if (c->batch_table) {
		char *l = lower(c->batch_table, strlen(c->batch_table));
		if (strlist_has(ids, l) && !strlist_has(&hits, l))
			strlist_push(&hits, l);
		free(l);
	}
	int names = (int)hits.n;
	strlist_release(&hits);
	if (!names)
		return 0;
	return names + (kind_fits(c->name, stream) ? 10 : 0);
}

/* The source line `line` of `text` (fresh). */
static char *source_line(const char *text, size_t len, unsigned line)
{
	struct line_index li;
	line_index_build(&li, text, len);
	size_t a, b;
	line_index_line(&li, line, &a, &b);
	line_index_release(&li);
	return xstrndup(text + a, b - a);
}

static char *quote_of(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	bool space = false;
	for (size_t i = 0; i < n && sb.len < 80; i++) {
		if (isspace((unsigned char)s[i])) {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addch(&sb, ' ');
		space = false;
		strbuf_addch(&sb, s[i]);
	}
	if (sb.len >= 80)
		strbuf_addstr(&sb, "...");
	return strbuf_detach(&sb, NULL);
}

/* Adds a span per statement of section [start, end) of rev->text. */
static void place(struct revision *rev, const char *py, size_t py_len, const char *fn,
		  size_t start, size_t end)
{
	struct alembic_calls calls = ALEMBIC_CALLS_INIT;
	alembic_calls_read(py, py_len, fn, &calls);
	struct sql_script sc = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	if (sql_split(rev->text, start, end, &sc, &err) == 0 && !sc.n && start <= end) {
		/* no statement (a downgrade() that passes): what is said about the
		 * section belongs at the function */
		struct rev_span *sp = revision_add_span(rev, start, end, rev->path, 1);
		sp->fixed = true;
		sp->first_line = calls.def_line ? calls.def_line : 1;
		sp->column = 1;
		sp->excerpt = source_line(py, py_len, sp->first_line);
	} else if (!err.message) {
		size_t cursor = 0;
		for (size_t k = 0; k < sc.n; k++) {
			struct strlist ids = STRLIST_INIT;
			idents(rev->text, &sc.v[k], &ids);
			char *sq = squash(rev->text + sc.v[k].start, sc.v[k].len);
			char *stream = stream_of(rev->text, &sc.v[k]);
			/* the best call, the earliest from the cursor on a tie: ops
			 * write their statements in order */
			size_t hit = calls.n;
			int best = 0;
			for (size_t n = 0; n < calls.n; n++) {
				size_t c = (cursor + n) % calls.n;
				int score = call_score(&calls.v[c], &ids, sq, stream);
				if (score > best) {
					best = score;
					hit = c;
				}
			}
			free(stream);
			size_t from = k ? sc.v[k].start : start;
			size_t to = k + 1 < sc.n ? sc.v[k + 1].start : end;
			struct rev_span *sp = revision_add_span(rev, from, to, rev->path, 1);
			sp->fixed = true;
			if (hit < calls.n) {
				cursor = hit;
				sp->first_line = calls.v[hit].line;
				sp->column = calls.v[hit].col;
			} else {
				sp->first_line = calls.def_line ? calls.def_line : 1;
				sp->column = 1;
			}
			sp->excerpt = source_line(py, py_len, sp->first_line);
			sp->quote = quote_of(rev->text + sc.v[k].start, sc.v[k].len);
			free(sq);
			strlist_release(&ids);
		}
	}
	sql_error_release(&err);
	sql_script_release(&sc);
	alembic_calls_release(&calls);
}

/* Makes the SQL the revision's text; the .py becomes its source. */
static void attach(struct revision *rev, const struct rev_sql *r)
{
	rev->source = rev->text;
	rev->source_len = rev->len;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, r->up.buf, r->up.len);
	size_t up_end = sb.len;
	if (r->have_down)
		strbuf_add(&sb, r->down.buf, r->down.len);
	rev->text = strbuf_detach(&sb, &rev->len);
	rev->body_start = 0;
	rev->transactional = r->transactional;
	rev->upgrade = (struct rev_section){.present = true, .start = 0, .end = up_end};
	if (r->have_down) {
		rev->downgrade =
			(struct rev_section){.present = true, .start = up_end, .end = rev->len};
	} else if (!rev->irreversible) {
		/* lint must not call a downgrade missing that Alembic could not write */
		rev->irreversible = xstrdup(r->down_failure ? r->down_failure
							   : "its downgrade SQL is unknown");
	}
	place(rev, rev->source, rev->source_len, "upgrade", 0, up_end);
	if (r->have_down)
		place(rev, rev->source, rev->source_len, "downgrade", up_end, rev->len);
}

/* ---- the cache ---- */

static char *cache_key(const struct revision *rev, const char *env_hash)
{
	char hex[HASH_HEX_LEN + 1];
	size_t len;
	const char *src = revision_source(rev, &len);
	hash_sha256_hex(src, len, hex);
	char *key = xstrfmt("%s%s\n%s\n", CACHE_MAGIC, hex, env_hash);
	hash_sha256_hex(key, strlen(key), hex);
	free(key);
	return xstrdup(hex);
}

/* A failure as one line of the cache file. Fresh string. */
static char *one_line(const char *s)
{
	char *x = xstrdup(s ? s : "");
	for (char *c = x; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	return x;
}

/*
 * The cache file of one revision: what its offline run gave, failures too,
 * so that a revision Alembic cannot write offline costs no run until its
 * file or env.py changes:
 *   MAGIC
 *   <transactional> <upgrade bytes or -1> <downgrade bytes or -1>
 *   <why the upgrade is unknown, or nothing>
 *   <why the downgrade is unknown, or nothing>
 *   <upgrade><downgrade>
 */
static void cache_put(const char *dir, const char *key, const struct rev_sql *r)
{
	if (!dir || (!r->have_up && !r->up_failure))
		return;
	struct strbuf sb = STRBUF_INIT;
	char *uf = one_line(r->up_failure), *df = one_line(r->down_failure);
	strbuf_addstr(&sb, CACHE_MAGIC);
	strbuf_addf(&sb, "%d %zd %zd\n%s\n%s\n", r->transactional,
		    r->have_up ? (ssize_t)r->up.len : (ssize_t)-1,
		    r->have_down ? (ssize_t)r->down.len : (ssize_t)-1, uf, df);
	if (r->have_up)
		strbuf_add(&sb, r->up.buf, r->up.len);
	if (r->have_down)
		strbuf_add(&sb, r->down.buf, r->down.len);
	char *path = xstrfmt("%s/%s.sql", dir, key);
	if (file_write_atomic(path, sb.buf, sb.len, false) < 0)
		err_clear(); /* only a cache */
	free(path);
	free(uf);
	free(df);
	strbuf_release(&sb);
}

/* The next line of `*p` (fresh), moving past it; NULL at the end. */
static char *take_line(char **p, const char *end)
{
	char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return NULL;
	char *line = xstrndup(*p, (size_t)(nl - *p));
	*p = nl + 1;
	return line;
}

static bool cache_get(const char *dir, const char *key, struct rev_sql *r)
{
	if (!dir)
		return false;
	char *path = xstrfmt("%s/%s.sql", dir, key);
	struct strbuf sb = STRBUF_INIT;
	char *uf = NULL, *df = NULL;
	bool ok = false;
	if (file_read(path, 0, &sb) < 0) {
		err_clear();
		goto out;
	}
	size_t ml = strlen(CACHE_MAGIC);
	if (sb.len < ml || memcmp(sb.buf, CACHE_MAGIC, ml))
		goto out;
	char *p = sb.buf + ml, *end, *stop = sb.buf + sb.len;
	long tx = strtol(p, &end, 10);
	if (end == p || *end != ' ')
		goto out;
	p = end + 1;
	long up = strtol(p, &end, 10);
	if (end == p || *end != ' ')
		goto out;
	p = end + 1;
	long down = strtol(p, &end, 10);
	if (end == p || *end != '\n')
		goto out;
	p = end + 1;
	if (!(uf = take_line(&p, stop)) || !(df = take_line(&p, stop)))
		goto out;
	size_t at = (size_t)(p - sb.buf);
	size_t ul = up > 0 ? (size_t)up : 0, dl = down > 0 ? (size_t)down : 0;
	if (at + ul + dl != sb.len || (up < 0 && !*uf))
		goto out;
	if (up >= 0) {
		strbuf_add(&r->up, sb.buf + at, ul);
		r->have_up = true;
	}
	if (down >= 0) {
		strbuf_add(&r->down, sb.buf + at + ul, dl);
		r->have_down = true;
	}
	if (*uf)
		r->up_failure = xstrdup(uf);
	if (*df)
		r->down_failure = xstrdup(df);
	r->transactional = tx != 0;
	ok = true;
out:
	free(uf);
	free(df);
	strbuf_release(&sb);
	free(path);
	return ok;
}

/* ---- driving the runs ---- */

static int upgrades(struct runner *rn, struct revset *set, struct strmap *index,
		    struct rev_sql *sqls, char **table)
{
	char *from = NULL;
	int ret = 0;
	for (size_t round = 0; round <= set->n && rn->runs < MAX_RUNS; round++) {
		struct strbuf out = STRBUF_INIT;
		char *range = from ? xstrfmt("%s:heads", from) : xstrdup("heads");
		int rc = run_alembic(rn, "upgrade", range, &out);
		free(range);
		struct blocks bl = {0};
		strbuf_init(&bl.preamble, 0);
		split_output(out.buf, true, &bl);
		bl.complete_last = rc == 0;
		if (!*table)
			*table = version_table(bl.preamble.buf);
		bool in_tx = strstr(bl.preamble.buf, "BEGIN;") != NULL;
		collect(&bl, true, *table, in_tx, index, sqls);
		char *failed = rc == 1 && bl.n ? xstrdup(bl.v[bl.n - 1].rev) : NULL;
		blocks_release(&bl);
		strbuf_release(&out);
		if (rc < 0) {
			ret = rc;
			break;
		}
		if (rc == 0 || !failed) {
			free(failed);
			break;
		}
		/* one revision's upgrade() fails offline: note it, go on after it */
		size_t at;
		if (strmap_get(index, failed, &at) && !sqls[at].up_failure)
			sqls[at].up_failure = xstrdup(rn->last);
		if (from && !strcmp(from, failed)) {
			free(failed);
			break;
		}
		free(from);
		from = failed;
	}
	free(from);
	return ret;
}

static int downgrades(struct runner *rn, const struct revset *set, const struct strlist *heads,
		      struct strmap *index, struct rev_sql *sqls, const char *table)
{
	struct strlist todo = STRLIST_INIT, done = STRLIST_INIT;
	for (size_t i = 0; i < heads->n; i++)
		strlist_push(&todo, heads->v[i]);
	int ret = 0;
	for (size_t k = 0; k < todo.n && k <= set->n + heads->n && rn->runs < MAX_RUNS; k++) {
		const char *start = todo.v[k];
		size_t at;
		if (strlist_has(&done, start) ||
		    (strmap_get(index, start, &at) && sqls[at].have_down))
			continue;
		strlist_push(&done, start);
		struct strbuf out = STRBUF_INIT;
		char *range = xstrfmt("%s:base", start);
		int rc = run_alembic(rn, "downgrade", range, &out);
		free(range);
		struct blocks bl = {0};
		strbuf_init(&bl.preamble, 0);
		split_output(out.buf, false, &bl);
		bl.complete_last = rc == 0;
		collect(&bl, false, table, strstr(bl.preamble.buf, "BEGIN;") != NULL, index, sqls);
		if (rc == 1 && bl.n && strmap_get(index, bl.v[bl.n - 1].rev, &at)) {
			/* downgrade() raises offline (often on purpose): the revisions
			 * below it are reached from its parents */
			const struct revision *r = set->v[at];
			if (!sqls[at].down_failure)
				sqls[at].down_failure = xstrfmt(
					"its downgrade() fails in Alembic's offline mode (%s)", rn->last);
			for (size_t p = 0; p < r->down_revisions.n; p++)
				strlist_push(&todo, r->down_revisions.v[p]);
		}
		blocks_release(&bl);
		strbuf_release(&out);
		if (rc < 0) {
			ret = rc;
			break;
		}
	}
	strlist_release(&todo);
	strlist_release(&done);
	return ret;
}

/* What the SQL depends on besides the revision file: env.py. Fresh hex. */
static char *env_hash_of(const struct layout_settings *s)
{
	char hex[HASH_HEX_LEN + 1];
	struct strbuf env = STRBUF_INIT;
	char *env_path = s->alembic_script_dir ? path_join(s->alembic_script_dir, "env.py") : NULL;
	if (!env_path || file_read(env_path, 0, &env) < 0)
		err_clear();
	hash_sha256_hex(env.buf, env.len, hex);
	strbuf_release(&env);
	free(env_path);
	return xstrdup(hex);
}

bool layout_alembic_sql_cached(const struct layout_settings *s, struct revision *rev,
			       const char *cache_root)
{
	if (!cache_root || !rev->usable || !rev->id || rev->source || !rev->text)
		return false;
	char *env_hash = env_hash_of(s);
	char *key = cache_key(rev, env_hash);
	char *dir = path_join(cache_root, "alembic-sql");
	struct rev_sql r;
	memset(&r, 0, sizeof(r));
	strbuf_init(&r.up, 0);
	strbuf_init(&r.down, 0);
	bool hit = cache_get(dir, key, &r) && r.have_up;
	if (hit)
		attach(rev, &r);
	rev_sql_release(&r);
	free(dir);
	free(key);
	free(env_hash);
	return hit;
}

static bool same_as_file(const struct revision *rev)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	const char *src = revision_source(rev, &len);
	bool same = file_read(rev->path, 0, &sb) == 0 && sb.len == len && !memcmp(sb.buf, src, len);
	err_clear();
	strbuf_release(&sb);
	return same;
}

int layout_alembic_sql(const struct layout_settings *s, struct revset *set,
		       const struct strlist *heads, const char *cache_root, char **failure)
{
	*failure = NULL;
	char *env_hash = env_hash_of(s);
	char *dir = cache_root ? path_join(cache_root, "alembic-sql") : NULL;
	if (dir)
		path_mkdirs(dir);
	struct rev_sql *sqls = xcalloc(set->n ? set->n : 1, sizeof(*sqls));
	struct strmap index = STRMAP_INIT;
	char **keys = xcalloc(set->n ? set->n : 1, sizeof(*keys));
	size_t missing = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct revision *rev = set->v[i];
		strbuf_init(&sqls[i].up, 0);
		strbuf_init(&sqls[i].down, 0);
		if (!rev->usable || !rev->id || rev->source)
			continue;
		keys[i] = cache_key(rev, env_hash);
		if (cache_get(dir, keys[i], &sqls[i])) {
			strmap_put(&index, rev->id, i);
			continue;
		}
		/* Alembic reads the working tree: a revision whose file there
		 * differs (a staged version) cannot get its SQL from it */
		if (!same_as_file(rev)) {
			free(keys[i]);
			keys[i] = NULL;
			continue;
		}
		strmap_put(&index, rev->id, i);
		missing++;
	}
	int ret = 0;
	if (missing) {
		struct runner rn;
		runner_init(&rn, s);
		char *table = NULL;
		ret = upgrades(&rn, set, &index, sqls, &table);
		if (ret == 0)
			ret = downgrades(&rn, set, heads, &index, sqls, table);
		/* what a run settled, failures too; what it did not reach is
		 * asked again next time */
		for (size_t i = 0; i < set->n; i++)
			if (keys[i] && (sqls[i].up_failure || (sqls[i].have_up &&
							       (sqls[i].have_down || sqls[i].down_failure))))
				cache_put(dir, keys[i], &sqls[i]);
		if (rn.runs >= MAX_RUNS && rn.failure) {
			char *more = xstrfmt("%s; stopped after %u Alembic runs, the rest is tried "
					     "on the next lint",
					     rn.failure, rn.runs);
			free(rn.failure);
			rn.failure = more;
		}
		if (rn.failure)
			*failure = xstrdup(rn.failure);
		free(table);
		runner_release(&rn);
		if (ret < 0) {
			/* Alembic could not be started at all: say so once */
			free(*failure);
			*failure = xstrdup(err_msg());
			err_clear();
			ret = 0;
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		/* a failure known from the cache is said again, once */
		if (keys[i] && sqls[i].up_failure && !*failure)
			*failure = xstrdup(sqls[i].up_failure);
		if (keys[i] && sqls[i].have_up)
			attach(set->v[i], &sqls[i]);
		rev_sql_release(&sqls[i]);
		free(keys[i]);
	}
	free(keys);
	free(sqls);
	strmap_release(&index);
	free(dir);
	free(env_hash);
	return ret;
}
