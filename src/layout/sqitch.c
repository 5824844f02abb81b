/*
 * sqitch: the plan (sqitch.plan in the migrations directory) lists the
 * changes in deploy order; change NAME deploys with deploy/NAME.sql and
 * reverts with revert/NAME.sql. A plan line reads
 *   NAME [DEP ...] 2024-01-31T12:00:00Z Planner <email> # note
 * and a tag line '@TAG ...' names the point before it. A change listed
 * twice was reworked: the earlier one's scripts are NAME@TAG.sql, TAG the
 * first tag after it. sqitch runs each script with psql, which commits
 * each statement unless the script opens its own transaction. Most scripts
 * do, as sqitch's templates write them: BEGIN; ... COMMIT;. That
 * transaction is the revision's own, so the section is the text between
 * them and the revision runs in a transaction as revgate revisions do;
 * a script without one runs outside a transaction (transaction: false).
 */
#include "core/err.h"
#include "core/fileio.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "layout/internal.h"
#include "sql/sql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_NAME "sqitch.plan"

struct plan_change {
	char *name;
	size_t unit; /* index in the units */
	unsigned line;
	/* tags that follow it in the plan before its name is reworked: sqitch
	 * looks for its scripts as NAME@TAG.sql, tag by tag */
	struct strlist tags;
	bool reworked;
};

/* Where sqitch.conf puts the plan and the scripts, relative to the
 * migrations directory. */
struct sqitch_dirs {
	char *plan, *deploy, *revert;
};

/* "./sql/" as "sql"; "." as "". Fresh string. */
static char *tidy_dir(const char *d)
{
	while (d[0] == '.' && d[1] == '/')
		d += 2;
	if (!strcmp(d, "."))
		d = "";
	char *x = xstrdup(d);
	size_t n = strlen(x);
	while (n && x[n - 1] == '/')
		x[--n] = '\0';
	return x;
}

/* A "key = value" of sqitch.conf's [core] section (git's config format). */
static char *core_value(const char *conf, const char *key)
{
	bool core = false;
	for (const char *l = conf; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char *line = xstrndup(l, n);
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		char *value = NULL;
		if (*s == '[') {
			core = !strncmp(s, "[core]", 6);
		} else if (core && !strncmp(s, key, strlen(key))) {
			char *eq = s + strlen(key);
			while (*eq == ' ' || *eq == '\t')
				eq++;
			if (*eq == '=') {
				eq++;
				while (*eq == ' ' || *eq == '\t')
					eq++;
				size_t k = strcspn(eq, "#;\r");
				while (k && (eq[k - 1] == ' ' || eq[k - 1] == '\t'))
					k--;
				if (k >= 2 && eq[0] == '"' && eq[k - 1] == '"') {
					eq++;
					k -= 2;
				}
				value = xstrndup(eq, k);
			}
		}
		free(line);
		if (value)
			return value;
		l = e ? e + 1 : NULL;
	}
	return NULL;
}

static void sqitch_dirs(const struct layout_tree *t, struct sqitch_dirs *d, struct findings *fs)
{
	char *conf = NULL, *top = NULL;
	size_t len;
	if (layout_tree_has(t, "sqitch.conf") &&
	    layout_read_other(t, "sqitch.conf", &conf, &len, fs) > 0) {
		char *v = core_value(conf, "top_dir");
		top = v ? tidy_dir(v) : NULL;
		free(v);
	}
	if (!top)
		top = xstrdup("");
	const char *keys[] = {"plan_file", "deploy_dir", "revert_dir"};
	const char *dflt[] = {"sqitch.plan", "deploy", "revert"};
	char **outs[] = {&d->plan, &d->deploy, &d->revert};
	for (size_t i = 0; i < 3; i++) {
		char *v = conf ? core_value(conf, keys[i]) : NULL;
		char *x = v ? tidy_dir(v) : path_join(top, dflt[i]);
		free(v);
		*outs[i] = x;
	}
	free(top);
	free(conf);
}

/* The next whitespace-separated token of `*p` (up to `stop` characters too). */
static char *token(const char **p, const char *stop)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = 0;
	while (s[n] && !isspace((unsigned char)s[n]) && !strchr(stop, s[n]))
		n++;
	*p = s + n;
	return n ? xstrndup(s, n) : NULL;
}

/* The id of the latest change called `name` among pc[0..before), or NULL. */
static const char *latest(const struct layout_units *out, const struct plan_change *pc,
			  size_t before, const char *name)
{
	for (size_t i = before; i-- > 0;)
		if (!strcmp(pc[i].name, name))
			return out->v[pc[i].unit].id;
	return NULL;
}

static void plan_finding(struct findings *fs, const char *path, unsigned line, const char *msg)
{
	struct finding *f = findings_add(fs, RULE_INVALID_HEADER_VALUE, SEV_ERROR, path, line, 1,
					 "%s", msg);
	finding_set_hint(f, "fix the plan line (see 'sqitch help plan')");
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	struct sqitch_dirs dirs;
	sqitch_dirs(t, &dirs, fs);
	if (!layout_tree_has(t, dirs.plan)) {
		if (t->names.n) {
			struct finding *f = findings_add(
				fs, RULE_INVALID_FILE, SEV_ERROR, t->settings->dir, 0, 0,
				"no %s in the migrations directory: sqitch's order of changes is unknown",
				dirs.plan);
			finding_set_hint(f, "set 'migrations' in revgate.ini to sqitch's directory, "
					    "the one holding sqitch.conf or sqitch.plan");
		}
		free(dirs.plan);
		free(dirs.deploy);
		free(dirs.revert);
		return 0;
	}
	char *plan;
	size_t plan_len;
	int ret = layout_read_other(t, dirs.plan, &plan, &plan_len, fs);
	if (ret <= 0) {
		free(dirs.plan);
		free(dirs.deploy);
		free(dirs.revert);
		return ret;
	}
	out->plan_name = xstrdup(dirs.plan);
	char *plan_path = path_join(t->settings->dir, dirs.plan);
	struct plan_change *pc = NULL;
	size_t npc = 0;
	unsigned line = 0;
	for (char *l = plan; l && *l;) {
		char *e = strchr(l, '\n');
		if (e)
			*e = '\0';
		line++;
		size_t n = strlen(l);
		if (n && l[n - 1] == '\r')
			l[n - 1] = '\0';
		const char *p = l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#' || *p == '%') {
			/* blank, comment, pragma */
		} else if (*p == '@') {
			/* a tag: a candidate name for the scripts of every change
			 * before it that is reworked later */
			const char *q = p + 1;
			char *tag = token(&q, "#");
			for (size_t i = 0; tag && i < npc; i++)
				if (!pc[i].reworked)
					strlist_push(&pc[i].tags, tag);
			free(tag);
		} else {
			bool revert = *p == '-';
			if (*p == '+' || *p == '-')
				p++;
			char *name = token(&p, "[#");
			if (!name) {
				plan_finding(fs, plan_path, line, "a plan line without a change name");
			} else if (revert) {
				struct finding *f = findings_add(
					fs, RULE_UNSUPPORTED_MIGRATION, SEV_WARNING, plan_path, line, 1,
					"'-%s' reverts a change in the plan: revgate reads only "
					"deployed changes",
					name);
				finding_set_hint(f, "remove the change from the plan instead");
				free(name);
			} else {
				struct layout_unit *u = layout_unit_push(out, "");
				u->plan_line = line;
				u->conf_name = xstrdup(dirs.plan);
				u->version = xstrdup(name);
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p == '[') {
					const char *close = strchr(p, ']');
					char *deps = xstrndup(p + 1, close ? (size_t)(close - p - 1)
									   : strlen(p + 1));
					p = close ? close + 1 : p + strlen(p);
					const char *d = deps;
					char *dep;
					while ((dep = token(&d, "")) != NULL) {
						/* conflicts and other projects' changes
						 * order nothing here */
						char *at = strchr(dep, '@');
						if (at)
							*at = '\0';
						if (dep[0] != '!' && !strchr(dep, ':'))
							strlist_push(&u->depends_on, dep);
						free(dep);
					}
					free(deps);
				}
				char *stamp = token(&p, "#");
				if (stamp && strlen(stamp) >= 19 && stamp[10] == 'T')
					u->created = stamp;
				else
					free(stamp);
				/* the note: after '#', past the planner's <email> */
				const char *mail = strchr(p, '>');
				const char *hash = strchr(mail ? mail : p, '#');
				if (hash) {
					const char *note = hash + 1;
					while (*note == ' ')
						note++;
					if (*note)
						u->message = xstrdup(note);
				}
				for (size_t i = 0; i < npc; i++)
					if (!strcmp(pc[i].name, name))
						pc[i].reworked = true;
				pc = xrealloc(pc, (npc + 1) * sizeof(*pc));
				memset(&pc[npc], 0, sizeof(*pc));
				pc[npc].name = name;
				pc[npc].unit = out->n - 1;
				pc[npc].line = line;
				npc++;
			}
		}
		l = e ? e + 1 : NULL;
	}
	/* names, ids and files, now that reworked changes are known: the last
	 * instance of a name keeps NAME.sql; an earlier one NAME@TAG.sql, the
	 * first of its tags that has a deploy script, as sqitch looks for it */
	for (size_t i = 0; i < npc; i++) {
		struct layout_unit *u = &out->v[pc[i].unit];
		char *script = NULL;
		for (size_t k = 0; pc[i].reworked && !script && k < pc[i].tags.n; k++) {
			char *cand = xstrfmt("%s@%s", pc[i].name, pc[i].tags.v[k]);
			char *file = xstrfmt("%s/%s.sql", dirs.deploy, cand);
			if (layout_tree_has(t, file))
				script = cand;
			else
				free(cand);
			free(file);
		}
		if (!script)
			script = pc[i].reworked && pc[i].tags.n
					 ? xstrfmt("%s@%s", pc[i].name, pc[i].tags.v[0])
					 : xstrdup(pc[i].name);
		free(u->name);
		u->name = xstrfmt("%s%s%s.sql", dirs.deploy, *dirs.deploy ? "/" : "", script);
		char *revert = xstrfmt("%s%s%s.sql", dirs.revert, *dirs.revert ? "/" : "", script);
		if (layout_tree_has(t, revert))
			u->down_name = revert;
		else
			free(revert);
		free(u->id);
		u->id = layout_id_from_version(script);
		free(u->version);
		/* sqitch's own name for it: NAME, or NAME@TAG for an earlier one */
		u->version = script;
	}
	/* dependencies name changes declared before (the last instance) */
	for (size_t i = 0; i < npc; i++) {
		struct layout_unit *u = &out->v[pc[i].unit];
		for (size_t k = 0; k < u->depends_on.n; k++) {
			const char *id = latest(out, pc, i, u->depends_on.v[k]);
			char *fresh = id ? NULL : layout_id_from_version(u->depends_on.v[k]);
			free(u->depends_on.v[k]);
			u->depends_on.v[k] = fresh;
		}
		/* a change declared earlier is an ancestor in the plan's chain
		 * already: only a name the plan lacks stays, to be reported */
		size_t w = 0;
		for (size_t k = 0; k < u->depends_on.n; k++)
			if (u->depends_on.v[k])
				u->depends_on.v[w++] = u->depends_on.v[k];
		u->depends_on.n = w;
	}
	for (size_t i = 0; i < npc; i++) {
		free(pc[i].name);
		strlist_release(&pc[i].tags);
	}
	free(pc);
	free(dirs.plan);
	free(dirs.deploy);
	free(dirs.revert);
	free(plan_path);
	free(plan);
	return 0;
}

static bool stream_is(const char *text, const struct sql_stmt *st, const char *const *words)
{
	struct strbuf sb = STRBUF_INIT;
	struct sql_error err = {0};
	bool yes = false;
	if (sql_token_stream(text, st->start, st->len, &sb, &err) == 0) {
		/* one token per line: the last line break ends the stream */
		if (sb.len && sb.buf[sb.len - 1] == '\n')
			strbuf_setlen(&sb, sb.len - 1);
		for (size_t i = 0; words[i] && !yes; i++)
			yes = !strcmp(sb.buf, words[i]);
	}
	sql_error_release(&err);
	strbuf_release(&sb);
	return yes;
}

/*
 * Narrows section `s` to the inside of the script's own transaction: the
 * statements before BEGIN may only be SET, none may follow COMMIT, and
 * none between may end the transaction. False when the script has no such
 * transaction (it then runs statement by statement, as psql runs it).
 */
static bool narrow_to_transaction(const struct revision *rev, struct rev_section *s)
{
	static const char *const begin[] = {"begin", "begin\ntransaction", "begin\nwork",
					    "start\ntransaction", NULL};
	static const char *const commit[] = {"commit", "commit\ntransaction", "commit\nwork",
					     "end", "end\ntransaction", NULL};
	static const char *const ends[] = {"commit", "commit\ntransaction", "commit\nwork",
					   "end", "end\ntransaction", "rollback", "begin",
					   "begin\ntransaction", "start\ntransaction", NULL};
	struct sql_script sc = SQL_SCRIPT_INIT;
	struct sql_error err = {0};
	bool ok = false;
	if (sql_split(rev->text, s->start, s->end, &sc, &err) < 0 || sc.n < 2)
		goto out;
	size_t b = 0;
	while (b < sc.n && !stream_is(rev->text, &sc.v[b], begin)) {
		struct strbuf sb = STRBUF_INIT;
		struct sql_error e2 = {0};
		bool set = sql_token_stream(rev->text, sc.v[b].start, sc.v[b].len, &sb, &e2) == 0 &&
			   !strncmp(sb.buf, "set\n", 4);
		sql_error_release(&e2);
		strbuf_release(&sb);
		if (!set)
			goto out;
		b++;
	}
	size_t c = sc.n - 1;
	if (b >= c || !stream_is(rev->text, &sc.v[c], commit))
		goto out;
	for (size_t i = b + 1; i < c; i++)
		if (stream_is(rev->text, &sc.v[i], ends))
			goto out;
	size_t from = sc.v[b].start + sc.v[b].len;
	if (from < s->end && rev->text[from] == ';')
		from++;
	s->start = from;
	s->end = sc.v[c].start;
	ok = true;
out:
	sql_error_release(&err);
	sql_script_release(&sc);
	return ok;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	if (!layout_tree_has(t, u->name)) {
		layout_rev_from_unit(t, u, rev);
		char *plan = path_join(t->settings->dir, u->conf_name ? u->conf_name : PLAN_NAME);
		struct finding *f = findings_add(fs, RULE_INVALID_FILE, SEV_ERROR, plan, u->plan_line,
						 1, "the plan's change '%s' has no deploy script '%s'",
						 u->version, u->name);
		finding_set_hint(f, "add the script, or remove the change from the plan");
		free(plan);
		return 0;
	}
	int ret = layout_read_pair(t, u, rev, NULL, fs);
	if (ret <= 0)
		return ret;
	bool up_tx = narrow_to_transaction(rev, &rev->upgrade);
	bool down_tx = !rev->downgrade.present || narrow_to_transaction(rev, &rev->downgrade);
	rev->transactional = up_tx && down_tx;
	return 0;
}

const struct layout_ops layout_sqitch = {
	.kind = LAYOUT_SQITCH,
	.name = "sqitch",
	.downgrade_how = "in the change's revert script",
	.linear = true,
	.depth = 3,
	.list = list,
	.parse = parse,
};
