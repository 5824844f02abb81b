/*
 * libpq behind one small interface. Responsible for: finding the URL,
 * connecting with errors that name the fix, keeping passwords out of every
 * message, running parameterised SQL, and batching statements with
 * pipeline mode so a revision costs one round trip instead of one per
 * statement.
 */
#include "db/db.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct db {
	PGconn *conn;
	/* called while a query runs (db_set_watch) */
	db_tick_fn tick;
	void *tick_ctx;
	long tick_ms;
	/* every form of every password this connection was given (raw and
	 * percent-decoded, from the URL, its expansion and PGPASSWORD), to
	 * scrub from messages */
	struct strlist secrets;
	char *where; /* scrubbed */
	struct db_error last;
	/* the server ended the session (a FATAL or PANIC error: terminated,
	 * shut down, crashed) though libpq may not have seen the socket
	 * close yet */
	bool gone;
};

struct db_res {
	PGresult *res;
};

void db_error_release(struct db_error *e)
{
	free(e->sqlstate);
	free(e->message);
	free(e->detail);
	free(e->hint);
	free(e->context);
	memset(e, 0, sizeof(*e));
}

/* ---- URLs ---- */

/* DATABASE_URL from a dotenv file: KEY=VALUE lines, optional "export ",
 * optional single or double quotes, '#' comments. Fresh string or NULL. */
static char *dotenv_database_url(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *found = NULL;
	if (!path_exists(path) || file_read(path, 1 << 20, &sb) < 0) {
		err_clear();
		strbuf_release(&sb);
		return NULL;
	}
	char *line = sb.buf;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (!strncmp(line, "export ", 7))
			line += 7;
		while (isspace((unsigned char)*line))
			line++;
		if (!strncmp(line, "DATABASE_URL", 12)) {
			char *p = line + 12;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=') {
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				size_t n = strlen(p);
				while (n && isspace((unsigned char)p[n - 1]))
					n--;
				if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
					p++;
					n -= 2;
				}
				free(found);
				found = xstrndup(p, n);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	strbuf_release(&sb);
	return found;
}

int db_url_find(const char *flag, const char *config_url, char **url, const char **source)
{
	const char *env = getenv("DATABASE_URL");
	*url = NULL;
	if (flag && *flag) {
		*url = xstrdup(flag);
		*source = "--url";
		return 0;
	}
	if (env && *env) {
		*url = xstrdup(env);
		*source = "DATABASE_URL";
		return 0;
	}
	char *dotenv = dotenv_database_url(".env");
	if (dotenv && *dotenv) {
		*url = dotenv;
		*source = ".env";
		return 0;
	}
	free(dotenv);
	if (config_url && *config_url) {
		*url = xstrdup(config_url);
		*source = "revgate.ini [database] url";
		return 0;
	}
	return err_set(ERR_CONFIG, "no database to connect to: pass --url, set DATABASE_URL "
				   "(environment or .env), or set 'url' in [database] of revgate.ini");
}

/* Whether position `p` of `s` starts a "password" key: at the start, after
 * blanks (key=value strings) or after '?' or '&' (URI parameters). */
static bool password_key_at(const char *s, const char *p)
{
	if (strncmp(p, "password", 8))
		return false;
	return p == s || isspace((unsigned char)p[-1]) || p[-1] == '?' || p[-1] == '&';
}

/*
 * A "user:password@host/db" without its "postgresql://" (or after a bare
 * "//"): libpq reads it as a key=value string, fails, and quotes it whole.
 * When a token of the text starts at `p` (the text's start, or after a
 * blank, a quote, '=' or '('), is such a userinfo and has a password, sets
 * [*pw, *pw_end) around the password, up to the token's last '@'.
 */
static bool bare_userinfo_at(const char *text, const char *p, const char **pw,
			     const char **pw_end)
{
	static const char blank_or_quote[] = " \t\r\n\f\v'\"";
	if (p != text && !strchr(" \t\r\n\f\v'\"=(", p[-1]))
		return false;
	const char *u = p;
	if (u[0] == '/' && u[1] == '/')
		u += 2;
	const char *colon = u + strcspn(u, ":/@=\\ \t\r\n\f\v'\"");
	/* "scheme://" is the URI pass's */
	if (*colon != ':' || (colon[1] == '/' && colon[2] == '/'))
		return false;
	const char *end = colon + 1 + strcspn(colon + 1, blank_or_quote);
	const char *at = NULL;
	for (const char *q = colon + 1; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at || at == colon + 1)
		return false;
	*pw = colon + 1;
	*pw_end = at;
	return true;
}

/*
 * A whole connection string that is a URL without its scheme: no "://",
 * no '=' (so not key=value pairs either), an '@'. Sets *colon to the first
 * ':' before the last '@', or NULL when there is no password; all between
 * them is the password, blanks and quotes too. *at is the last '@'.
 */
static bool bare_url(const char *url, const char **colon, const char **at)
{
	*at = strrchr(url, '@');
	*colon = strchr(url, ':');
	if (*colon && *at && *colon > *at)
		*colon = NULL;
	return !strstr(url, "://") && !strchr(url, '=') && *at;
}

/*
 * Two passes over any text (a URL, a key=value string, a libpq message):
 * the password of every "scheme://user:password@" authority, then the
 * value of every "password=" key, quoted or not. Neither pass trusts the
 * other to have recognised the form: a key=value string may hold "://" in
 * another value, and a message may quote a URL in its middle.
 */
static char *redact_forms(const char *url)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const char *p = url;
	for (;;) {
		const char *sep = strstr(p, "://");
		if (!sep) {
			strbuf_addstr(&a, p);
			break;
		}
		const char *auth = sep + 3;
		/* not up to the first '/': a password may hold one, and libpq
		 * then reads its start as host and port */
		const char *end = auth + strcspn(auth, "?# \t\r\n'\"");
		const char *at = NULL;
		for (const char *q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			strbuf_add(&a, p, (size_t)(colon + 1 - p));
			strbuf_addstr(&a, "***");
			p = at;
		} else {
			strbuf_add(&a, p, (size_t)(auth - p));
			p = auth;
		}
	}
	p = a.buf;
	while (*p) {
		const char *pw, *pw_end;
		if (bare_userinfo_at(a.buf, p, &pw, &pw_end)) {
			strbuf_add(&b, p, (size_t)(pw - p));
			strbuf_addstr(&b, "***");
			p = pw_end;
			continue;
		}
		if (!password_key_at(a.buf, p)) {
			strbuf_addch(&b, *p++);
			continue;
		}
		/* libpq skips any white space around '=', line breaks too */
		const char *e = p + 8;
		while (isspace((unsigned char)*e))
			e++;
		if (*e != '=') {
			strbuf_add(&b, p, (size_t)(e - p));
			p = e;
			continue;
		}
		strbuf_addstr(&b, "password=***");
		e++;
		while (isspace((unsigned char)*e))
			e++;
		if (*e == '\'') {
			/* libpq escapes with a backslash; SQL doubles the quote:
			 * hide through either */
			e++;
			while (*e && (*e != '\'' || e[1] == '\''))
				e += ((*e == '\\' || *e == '\'') && e[1]) ? 2 : 1;
			if (*e)
				e++;
		} else {
			/* a key=value value runs to a blank, as libpq reads it; a
			 * URI parameter also ends at '&' */
			bool uri_param = p > a.buf && (p[-1] == '?' || p[-1] == '&');
			while (*e && !isspace((unsigned char)*e) && !(uri_param && *e == '&'))
				e++;
		}
		p = e;
	}
	strbuf_release(&a);
	return strbuf_detach(&b, NULL);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Adds `n` bytes of `s` as a secret, and its percent-decoded and
 * backslash-unescaped forms when they differ. Short values are left out:
 * replacing every "ab" would garble the message, and db_url_redact hides
 * them where they stand in a URL anyway. */
static void add_secret(struct strlist *l, const char *s, size_t n)
{
	if (!s || n < 4)
		return;
	char *raw = xstrndup(s, n);
	struct strbuf dec = STRBUF_INIT, unesc = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			strbuf_addch(&dec, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			strbuf_addch(&dec, s[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		strbuf_addch(&unesc, s[i]);
	}
	if (!strlist_has(l, raw))
		strlist_push(l, raw);
	if (dec.len >= 4 && !strlist_has(l, dec.buf))
		strlist_push(l, dec.buf);
	if (unesc.len >= 4 && !strlist_has(l, unesc.buf))
		strlist_push(l, unesc.buf);
	free(raw);
	strbuf_release(&dec);
	strbuf_release(&unesc);
}

/*
 * Collects the passwords a connection string holds, read by hand so that
 * a string libpq cannot parse (whose error message echoes the bad token)
 * is covered too: the userinfo password of every "scheme://" in it (up to
 * the last '@', so a '/' in it counts), and every "password=" value.
 */
static void collect_secrets(struct strlist *l, const char *text)
{
	for (const char *p = text; (p = strstr(p, "://")); p += 3) {
		const char *auth = p + 3;
		/* libpq's reading: the userinfo ends at the first '@' before any
		 * '/' ('?', '#' and quotes may be in it); and the wider one, up
		 * to the last '@' before a blank, for a '/' in a password */
		const char *at1 = auth + strcspn(auth, "@/");
		const char *end = auth + strcspn(auth, " \t\r\n");
		const char *at2 = NULL;
		for (const char *q = auth; q < end; q++)
			if (*q == '@')
				at2 = q;
		const char *ats[2] = {*at1 == '@' ? at1 : NULL, at2};
		for (size_t i = 0; i < 2; i++) {
			const char *at = ats[i];
			const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
			if (colon)
				add_secret(l, colon + 1, (size_t)(at - colon - 1));
		}
	}
	/* a userinfo without a scheme: in a token, and the whole text read
	 * as one (its password may hold a blank or a quote) */
	const char *pw, *pw_end;
	for (const char *p = text; *p; p++)
		if (bare_userinfo_at(text, p, &pw, &pw_end))
			add_secret(l, pw, (size_t)(pw_end - pw));
	const char *colon, *at;
	if (bare_url(text, &colon, &at) && colon)
		add_secret(l, colon + 1, (size_t)(at - colon - 1));
	for (const char *p = text; *p; p++) {
		if (!password_key_at(text, p))
			continue;
		const char *e = p + 8;
		while (*e == ' ' || *e == '\t')
			e++;
		if (*e++ != '=')
			continue;
		while (*e == ' ' || *e == '\t')
			e++;
		const char *v = e;
		if (*e == '\'') {
			v = ++e;
			while (*e && *e != '\'')
				e += (*e == '\\' && e[1]) ? 2 : 1;
		} else {
			/* a key=value value ends at a blank, a URI parameter at
			 * '&' too */
			bool uri_param = p > text && (p[-1] == '?' || p[-1] == '&');
			while (*e && !isspace((unsigned char)*e) && !(uri_param && *e == '&'))
				e++;
		}
		add_secret(l, v, (size_t)(e - v));
	}
}

/* `msg` with every occurrence of every secret replaced (fresh string). */
static char *replace_secrets(const struct strlist *secrets, const char *msg)
{
	char *cur = xstrdup(msg);
	size_t n = secrets ? secrets->n : 0;
	bool *done = n ? xcalloc(n, sizeof(bool)) : NULL;
	/* longest first: a shorter candidate is often a prefix of a longer
	 * one, and replacing it first would leave the longer one's tail */
	for (size_t round = 0; round < n; round++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (!done[i] && (best == n || strlen(secrets->v[i]) > strlen(secrets->v[best])))
				best = i;
		done[best] = true;
		const char *pw = secrets->v[best];
		size_t pl = strlen(pw);
		if (pl < 4)
			continue;
		struct strbuf sb = STRBUF_INIT;
		const char *p = cur;
		const char *hit;
		while ((hit = strstr(p, pw))) {
			strbuf_add(&sb, p, (size_t)(hit - p));
			strbuf_addstr(&sb, "***");
			p = hit + pl;
		}
		strbuf_addstr(&sb, p);
		free(cur);
		cur = strbuf_detach(&sb, NULL);
	}
	free(done);
	return cur;
}

/*
 * The passwords the text itself holds, read as libpq reads them (a '#',
 * '&', '?', quote or second '@' in a URI password, a space in its user
 * name), replaced first; then the two passes, which also catch passwords
 * too short to search for. The secrets first: the passes may cut one in
 * two and leave its tail.
 */
char *db_url_redact(const char *url)
{
	struct strlist own = STRLIST_INIT;
	collect_secrets(&own, url);
	char *cur = replace_secrets(&own, url);
	char *red = redact_forms(cur);
	free(cur);
	strlist_release(&own);
	return red;
}

/* `msg` with every secret of the connection replaced, then redacted
 * (fresh string); the belt to db_url_redact's braces. */
static char *scrub(const struct strlist *secrets, const char *msg)
{
	char *cur = replace_secrets(secrets, msg);
	char *red = db_url_redact(cur);
	free(cur);
	return red;
}

/* First line of a libpq message, scrubbed, without the "FATAL:  " prefix. */
static char *first_line(const struct strlist *secrets, const char *msg)
{
	if (!msg)
		return xstrdup("");
	while (!strncmp(msg, "FATAL:  ", 8) || !strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	size_t n = strcspn(msg, "\n");
	char *line = xstrndup(msg, n);
	char *clean = scrub(secrets, line);
	free(line);
	return clean;
}

/* ---- connecting ---- */

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static char *conninfo_value(PQconninfoOption *opts, const char *key)
{
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, key) && o->val && *o->val)
			return xstrdup(o->val);
	return NULL;
}

/* `user` and `dbname` are scrubbed already. */
static int connect_failure(struct db *db, const char *user, const char *dbname)
{
	char *line = first_line(&db->secrets, PQerrorMessage(db->conn));
	char *lower = xstrdup(line);
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int ret;
	if (strstr(lower, "password authentication failed") || strstr(lower, "no password supplied"))
		ret = err_set(ERR_DB, "cannot connect to %s: wrong or missing password for role '%s' "
				      "(fix the password in the URL, PGPASSWORD or ~/.pgpass)",
			      db->where, user ? user : "?");
	else if (strstr(lower, "database \"") && strstr(lower, "does not exist"))
		ret = err_set(ERR_DB, "cannot connect to %s: database '%s' does not exist (create it "
				      "with 'createdb %s', or fix the database name in the URL)",
			      db->where, dbname ? dbname : "?", dbname ? dbname : "NAME");
	else if (strstr(lower, "role \"") && strstr(lower, "does not exist"))
		ret = err_set(ERR_DB, "cannot connect to %s: role '%s' does not exist (fix the user "
				      "name in the URL, or create the role)",
			      db->where, user ? user : "?");
	else if (strstr(lower, "connection refused") || strstr(lower, "no such file or directory") ||
		 strstr(lower, "could not translate host name") || strstr(lower, "timeout expired") ||
		 strstr(lower, "could not connect") || strstr(lower, "network is unreachable"))
		ret = err_set(ERR_DB, "cannot reach the PostgreSQL server at %s: %s (is the server "
				      "running, and are host and port in the URL right?)",
			      db->where, line);
	else
		ret = err_set(ERR_DB, "cannot connect to %s: %s", db->where, line);
	free(lower);
	free(line);
	return ret;
}

/* ERR_CONFIG for a URL libpq cannot parse: its message quotes the token it
 * could not read, which may be the password, so it is scrubbed with what
 * was read by hand. Frees `errmsg`. */
static int parse_failure(const struct strlist *secrets, const char *url, char *errmsg)
{
	char *line = first_line(secrets, errmsg ? errmsg : "cannot parse it");
	const char *colon, *at;
	bool bare = bare_url(url, &colon, &at);
	char *redacted = bare && colon ? xstrfmt("%.*s***%s", (int)(colon + 1 - url), url, at)
				       : scrub(secrets, url);
	int ret = bare ? err_set(ERR_CONFIG, "invalid database URL '%s': a URL starts with "
					     "'postgresql://' (or use key=value pairs)",
				 redacted)
		       : err_set(ERR_CONFIG, "invalid database URL '%s': %s", redacted, line);
	free(line);
	free(redacted);
	PQfreemem(errmsg);
	return ret;
}

/* A key=value pair of a connection string, the value quoted as libpq reads
 * it: in single quotes, with backslash before a quote or a backslash. */
static void conninfo_add(struct strbuf *sb, const char *key, const char *value)
{
	if (sb->len)
		strbuf_addch(sb, ' ');
	strbuf_addf(sb, "%s='", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '\'')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

int db_url_derive(const char *url, const char *dbname, const char *setting, char **out)
{
	char *errmsg = NULL;
	*out = NULL;
	struct strlist secrets = STRLIST_INIT;
	collect_secrets(&secrets, url);
	PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
	if (!opts) {
		int ret = parse_failure(&secrets, url, errmsg);
		strlist_release(&secrets);
		return ret;
	}
	strlist_release(&secrets);
	struct strbuf sb = STRBUF_INIT;
	char *theirs = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val || (dbname && !strcmp(o->keyword, "dbname")))
			continue;
		if (setting && !strcmp(o->keyword, "options")) {
			theirs = xstrdup(o->val);
			continue;
		}
		conninfo_add(&sb, o->keyword, o->val);
	}
	PQconninfoFree(opts);
	if (dbname)
		conninfo_add(&sb, "dbname", dbname);
	if (setting) {
		/* an explicit "options" hides PGOPTIONS: keep what it said */
		const char *env = getenv("PGOPTIONS");
		if (!theirs && env && *env)
			theirs = xstrdup(env);
		/* the server splits options at blanks; a backslash keeps one */
		struct strbuf opt = STRBUF_INIT;
		if (theirs)
			strbuf_addf(&opt, "%s ", theirs);
		strbuf_addstr(&opt, "-c ");
		for (const char *p = setting; *p; p++) {
			if (*p == '\\' || isspace((unsigned char)*p))
				strbuf_addch(&opt, '\\');
			strbuf_addch(&opt, *p);
		}
		conninfo_add(&sb, "options", opt.buf);
		strbuf_release(&opt);
	}
	free(theirs);
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

int db_url_identity(const char *url, char **out)
{
	char *errmsg = NULL;
	*out = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
	if (!opts) {
		struct strlist secrets = STRLIST_INIT;
		collect_secrets(&secrets, url);
		int ret = parse_failure(&secrets, url, errmsg);
		strlist_release(&secrets);
		return ret;
	}
	char *host = conninfo_value(opts, "host");
	char *hostaddr = conninfo_value(opts, "hostaddr");
	char *port = conninfo_value(opts, "port");
	char *user = conninfo_value(opts, "user");
	char *dbname = conninfo_value(opts, "dbname");
	char *options = conninfo_value(opts, "options");
	PQconninfoFree(opts);
	/* libpq's defaults for what is not written: the same for every
	 * target of one run, so two that leave it out still compare */
	*out = xstrfmt("%s:%s/%s%s%s", host ? host : (hostaddr ? hostaddr : ""), port ? port : "",
		       dbname ? dbname : (user ? user : ""), options ? " " : "",
		       options ? options : "");
	free(host);
	free(hostaddr);
	free(port);
	free(user);
	free(dbname);
	free(options);
	return 0;
}

char *db_url_scrub(const char *url, const char *text)
{
	struct strlist secrets = STRLIST_INIT;
	collect_secrets(&secrets, url);
	char *clean = scrub(&secrets, text);
	strlist_release(&secrets);
	return clean;
}

int db_connect(struct db **out, const char *url, const char *dbname_override,
	       const char *app_name)
{
	return db_connect_opts(out, url, dbname_override, app_name, NULL);
}

/* libpq's own check of a value (a port that is not a number, an sslmode it
 * does not know): a mistake in the URL, not a server that refused. */
static bool option_value_error(const char *line)
{
	return (!strncmp(line, "invalid ", 8) && strstr(line, " value")) ||
	       strstr(line, "invalid port number");
}

int db_connect_opts(struct db **out, const char *url, const char *dbname_override,
		    const char *app_name, const char *options)
{
	char *errmsg = NULL;
	*out = NULL;
	struct strlist secrets = STRLIST_INIT;
	collect_secrets(&secrets, url);
	const char *pgpassword = getenv("PGPASSWORD");
	if (pgpassword && *pgpassword)
		add_secret(&secrets, pgpassword, strlen(pgpassword));
	PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
	if (!opts) {
		int ret = parse_failure(&secrets, url, errmsg);
		strlist_release(&secrets);
		return ret;
	}
	struct db *db = xcalloc(1, sizeof(*db));
	db->secrets = secrets;
	char *pw = conninfo_value(opts, "password");
	if (pw)
		add_secret(&db->secrets, pw, strlen(pw));
	free(pw);
	/* revgate's startup options first, the user's (the URL's, else
	 * PGOPTIONS, which an explicit "options" would hide) after them */
	char *merged = NULL;
	if (options) {
		char *theirs = conninfo_value(opts, "options");
		const char *env = getenv("PGOPTIONS");
		if (!theirs && env && *env)
			theirs = xstrdup(env);
		merged = theirs ? xstrfmt("%s %s", options, theirs) : xstrdup(options);
		free(theirs);
	}
	PQconninfoFree(opts);

	/* connect_timeout first, so a value in the URL overrides it; the
	 * application_name last, so revgate is always named */
	const char *keys[6] = {"connect_timeout", "dbname", "application_name"};
	const char *vals[6] = {"10", url, app_name};
	size_t nk = 3;
	if (merged) {
		keys[nk] = "options";
		vals[nk++] = merged;
	}
	if (dbname_override) {
		keys[nk] = "dbname";
		vals[nk++] = dbname_override;
	}
	keys[nk] = vals[nk] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	free(merged);

	/* the parameters as libpq expanded them (a "dbname=" that holds a
	 * URL, the environment): what it used is what messages describe,
	 * and its password is one more to scrub */
	char *host = NULL, *port = NULL, *user = NULL, *dbname = NULL;
	PQconninfoOption *used = db->conn ? PQconninfo(db->conn) : NULL;
	if (used) {
		pw = conninfo_value(used, "password");
		if (pw)
			add_secret(&db->secrets, pw, strlen(pw));
		free(pw);
		host = conninfo_value(used, "host");
		port = conninfo_value(used, "port");
		user = conninfo_value(used, "user");
		dbname = conninfo_value(used, "dbname");
		PQconninfoFree(used);
	}
	if (db->conn && PQpass(db->conn) && *PQpass(db->conn))
		add_secret(&db->secrets, PQpass(db->conn), strlen(PQpass(db->conn)));
	if (dbname_override) {
		free(dbname);
		dbname = xstrdup(dbname_override);
	}
	char *raw_where = xstrfmt("%s:%s/%s", host ? host : "localhost", port ? port : "5432",
				  dbname ? dbname : (user ? user : "?"));
	db->where = scrub(&db->secrets, raw_where);
	free(raw_where);
	char *suser = user ? scrub(&db->secrets, user) : NULL;
	char *sdbname = dbname ? scrub(&db->secrets, dbname) : NULL;
	int ret = 0;
	if (!db->conn) {
		ret = err_set(ERR_DB, "cannot connect to %s: out of memory", db->where);
	} else if (PQstatus(db->conn) != CONNECTION_OK) {
		char *line = first_line(&db->secrets, PQerrorMessage(db->conn));
		if (option_value_error(line)) {
			char *redacted = scrub(&db->secrets, url);
			ret = err_set(ERR_CONFIG, "invalid database URL '%s': %s", redacted, line);
			free(redacted);
		} else {
			ret = connect_failure(db, suser, sdbname);
		}
		free(line);
	} else {
		PQsetNoticeProcessor(db->conn, ignore_notice, NULL);
	}
	free(suser);
	free(sdbname);
	free(host);
	free(port);
	free(user);
	free(dbname);
	if (ret < 0) {
		db_close(db);
		return ret;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	for (size_t i = 0; i < db->secrets.n; i++)
		memset(db->secrets.v[i], 0, strlen(db->secrets.v[i]));
	strlist_release(&db->secrets);
	free(db->where);
	db_error_release(&db->last);
	free(db);
}

/* ---- cancelling ---- */

/* The one global here: a signal handler has no other way to reach the
 * connection whose query it must cancel. Cleared before it is freed, so a
 * handler sees either a valid handle or NULL. */
static PGcancel *volatile armed_cancel;

void db_cancel_arm(struct db *db)
{
	db_cancel_disarm();
	if (db && db->conn)
		armed_cancel = PQgetCancel(db->conn);
}

void db_cancel_disarm(void)
{
	PGcancel *c = armed_cancel;
	armed_cancel = NULL;
	if (c)
		PQfreeCancel(c);
}

void db_cancel_from_signal(void)
{
	char errbuf[256];
	PGcancel *c = armed_cancel;
	if (c)
		(void)PQcancel(c, errbuf, (int)sizeof(errbuf));
}

const struct db_error *db_last_error(const struct db *db)
{
	return &db->last;
}

int db_backend_pid(const struct db *db)
{
	return PQbackendPID(db->conn);
}

bool db_alive(const struct db *db)
{
	return db && db->conn && !db->gone && PQstatus(db->conn) == CONNECTION_OK;
}

const char *db_where(const struct db *db)
{
	return db->where;
}

/* ---- results and errors ---- */

size_t db_res_nrows(const struct db_res *r)
{
	return r ? (size_t)PQntuples(r->res) : 0;
}

const char *db_res_value(const struct db_res *r, size_t row, size_t col)
{
	if (PQgetisnull(r->res, (int)row, (int)col))
		return NULL;
	return PQgetvalue(r->res, (int)row, (int)col);
}

static long affected_of(PGresult *res)
{
	const char *t = PQcmdTuples(res);
	return t && *t ? strtol(t, NULL, 10) : 0;
}

long db_res_affected(const struct db_res *r)
{
	return affected_of(r->res);
}

void db_res_free(struct db_res *r)
{
	if (!r)
		return;
	PQclear(r->res);
	free(r);
}

static char *field_dup(const struct db *db, const PGresult *res, int code)
{
	const char *v = res ? PQresultErrorField(res, code) : NULL;
	return v ? scrub(&db->secrets, v) : NULL;
}

/* Stores the error of `res` (or of the connection when res has none) and
 * returns ERR_DB with the server's message. */
static int store_error(struct db *db, const PGresult *res)
{
	db_error_release(&db->last);
	db->last.sqlstate = field_dup(db, res, PG_DIAG_SQLSTATE);
	db->last.message = field_dup(db, res, PG_DIAG_MESSAGE_PRIMARY);
	db->last.detail = field_dup(db, res, PG_DIAG_MESSAGE_DETAIL);
	db->last.hint = field_dup(db, res, PG_DIAG_MESSAGE_HINT);
	db->last.context = field_dup(db, res, PG_DIAG_CONTEXT);
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	db->last.position = pos ? (unsigned)strtoul(pos, NULL, 10) : 0;
	if (!db->last.message) {
		const char *m = res ? PQresultErrorMessage(res) : NULL;
		if (!m || !*m)
			m = PQerrorMessage(db->conn);
		db->last.message = first_line(&db->secrets, m && *m ? m : "unknown error");
	}
	/* an error libpq made itself (no SQLSTATE) may come from a socket the
	 * server closed, which libpq only marks on its next read: read now */
	if (!db->last.sqlstate && PQstatus(db->conn) == CONNECTION_OK)
		(void)PQconsumeInput(db->conn);
	/* a FATAL error ends the session: the server closes the connection
	 * right after sending it */
	const char *sev = res ? PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED) : NULL;
	if (sev && (!strcmp(sev, "FATAL") || !strcmp(sev, "PANIC")))
		db->gone = true;
	if (db->gone || PQstatus(db->conn) != CONNECTION_OK) {
		db->gone = true;
		if (db->last.sqlstate)
			return err_set(ERR_DB, "lost the connection to %s: %s (SQLSTATE %s)", db->where,
				       db->last.message, db->last.sqlstate);
		return err_set(ERR_DB, "lost the connection to %s: %s", db->where, db->last.message);
	}
	if (db->last.sqlstate)
		return err_set(ERR_DB, "%s (SQLSTATE %s)", db->last.message, db->last.sqlstate);
	return err_set(ERR_DB, "%s", db->last.message);
}

static bool res_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void db_set_watch(struct db *db, long interval_ms, db_tick_fn tick, void *ctx)
{
	db->tick = tick;
	db->tick_ctx = ctx;
	db->tick_ms = interval_ms;
}

/*
 * Waits until a result can be read without blocking, calling the watch
 * every tick_ms meanwhile. A signal interrupts poll(): its handler has
 * sent the cancel request, and the wait goes on for the answer. Any
 * trouble with the socket is left to PQgetResult() to report.
 */
static void wait_watched(struct db *db, double start_ms)
{
	int sock = PQsocket(db->conn);
	if (!db->tick || sock < 0)
		return;
	while (PQflush(db->conn) > 0) {
		struct pollfd pf = {sock, POLLOUT, 0};
		(void)poll(&pf, 1, (int)db->tick_ms);
	}
	while (PQisBusy(db->conn)) {
		struct pollfd pf = {sock, POLLIN, 0};
		int n = poll(&pf, 1, (int)db->tick_ms);
		if (n < 0 && errno != EINTR)
			return;
		if (n > 0 && !PQconsumeInput(db->conn))
			return;
		if (n == 0)
			db->tick(db->tick_ctx, now_ms() - start_ms);
	}
}

/* PQexecParams, watched: sent, waited for with the watch, read. */
static PGresult *exec_watched(struct db *db, const char *sql, int nparams,
			      const char *const *params)
{
	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return NULL;
	wait_watched(db, now_ms());
	PGresult *first = NULL, *res;
	/* the last result counts, as with PQexecParams */
	while ((res = PQgetResult(db->conn))) {
		PQclear(first);
		first = res;
		if (PQstatus(db->conn) != CONNECTION_OK)
			break;
	}
	return first;
}

int db_query(struct db *db, const char *sql, int nparams, const char *const *params,
	     struct db_res **out)
{
	if (out)
		*out = NULL;
	db_error_release(&db->last);
	PGresult *res = db->tick ? exec_watched(db, sql, nparams, params)
				 : PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!res_ok(res)) {
		int ret = store_error(db, res);
		PQclear(res);
		return ret;
	}
	if (out) {
		*out = xmalloc(sizeof(**out));
		(*out)->res = res;
	} else {
		PQclear(res);
	}
	return 0;
}

int db_exec(struct db *db, const char *sql)
{
	return db_query(db, sql, 0, NULL, NULL);
}

int db_send(struct db *db, const char *sql)
{
	db_error_release(&db->last);
	if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return store_error(db, NULL);
	return 0;
}

int db_running(struct db *db, bool *running)
{
	*running = false;
	if (!PQconsumeInput(db->conn))
		return store_error(db, NULL);
	*running = PQisBusy(db->conn) != 0;
	return 0;
}

int db_wait(struct db *db)
{
	int ret = 0;
	PGresult *res;
	/* read every result, so the connection is ready for the next query */
	while ((res = PQgetResult(db->conn))) {
		if (ret == 0 && !res_ok(res))
			ret = store_error(db, res);
		PQclear(res);
	}
	return ret;
}

int db_copy_out(struct db *db, const char *sql, int fd, const char *what, long long *bytes)
{
	db_error_release(&db->last);
	*bytes = 0;
	PGresult *res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		int ret = store_error(db, res);
		PQclear(res);
		return ret;
	}
	PQclear(res);
	int ret = 0, write_errno = 0;
	char *buf = NULL;
	int n;
	while ((n = PQgetCopyData(db->conn, &buf, 0)) > 0) {
		/* keep reading after a failed write: the COPY must end */
		for (size_t off = 0; !write_errno && off < (size_t)n;) {
			ssize_t w = write(fd, buf + off, (size_t)n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				write_errno = errno;
				break;
			}
			off += (size_t)w;
		}
		*bytes += n;
		PQfreemem(buf);
	}
	while ((res = PQgetResult(db->conn))) {
		if (!res_ok(res) && ret == 0)
			ret = store_error(db, res);
		PQclear(res);
	}
	if (ret == 0 && write_errno)
		ret = err_set(ERR_IO, "cannot write '%s': %s", what, strerror(write_errno));
	return ret;
}

void db_client_args(const struct db *db, struct strlist *args, char **password, int *major)
{
	const struct {
		const char *flag, *value;
	} v[] = {{"--host", PQhost(db->conn)},
		 {"--port", PQport(db->conn)},
		 {"--username", PQuser(db->conn)},
		 {"--dbname", PQdb(db->conn)}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!v[i].value || !*v[i].value)
			continue;
		char *a = xstrfmt("%s=%s", v[i].flag, v[i].value);
		strlist_push(args, a);
		free(a);
	}
	const char *pw = PQpass(db->conn);
	*password = pw && *pw ? xstrdup(pw) : NULL;
	*major = PQserverVersion(db->conn) / 10000;
}

char *db_quote_ident(struct db *db, const char *schema, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *parts[2] = {schema, name};
	for (int i = 0; i < 2; i++) {
		if (!parts[i] || !*parts[i])
			continue;
		char *q = PQescapeIdentifier(db->conn, parts[i], strlen(parts[i]));
		if (!q)
			BUG("PQescapeIdentifier failed: %s", PQerrorMessage(db->conn));
		if (sb.len)
			strbuf_addch(&sb, '.');
		strbuf_addstr(&sb, q);
		PQfreemem(q);
	}
	return strbuf_detach(&sb, NULL);
}

/* ---- batches ---- */

size_t db_batch_add(struct db_batch *b, const char *sql, int nparams, const char *const *params)
{
	ALLOC_GROW(b->v, b->n + 1, b->alloc);
	struct db_batch_item *it = &b->v[b->n];
	memset(it, 0, sizeof(*it));
	it->sql = xstrdup(sql);
	it->nparams = nparams;
	if (nparams) {
		it->params = xcalloc((size_t)nparams, sizeof(char *));
		for (int i = 0; i < nparams; i++)
			it->params[i] = params[i] ? xstrdup(params[i]) : NULL;
	}
	return b->n++;
}

size_t db_batch_add_text(struct db_batch *b, const char *sql, size_t len)
{
	char *copy = xstrndup(sql, len);
	size_t i = db_batch_add(b, copy, 0, NULL);
	free(copy);
	return i;
}

void db_batch_release(struct db_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].sql);
		for (int k = 0; k < b->v[i].nparams; k++)
			free(b->v[i].params[k]);
		free(b->v[i].params);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* One statement after the other: for huge batches (where a pipeline in
 * blocking mode could fill both socket buffers) and when pipelining is
 * switched off (REVGATE_NO_PIPELINE=1, for servers that mishandle it). */
static int batch_run_serial(struct db *db, struct db_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct db_batch_item *it = &b->v[i];
		PGresult *res = PQexecParams(db->conn, it->sql, it->nparams, NULL,
					     (const char *const *)it->params, NULL, NULL, 0);
		if (!res_ok(res)) {
			b->failed = i;
			int ret = store_error(db, res);
			PQclear(res);
			return ret;
		}
		it->affected = affected_of(res);
		it->done = true;
		PQclear(res);
	}
	return 0;
}

#define PIPELINE_MAX_BYTES ((size_t)1 << 20)
#define PIPELINE_MAX_ITEMS 2000

int db_batch_run(struct db *db, struct db_batch *b)
{
	db_error_release(&db->last);
	b->failed = b->n;
	size_t bytes = 0;
	for (size_t i = 0; i < b->n; i++)
		bytes += strlen(b->v[i].sql);
	const char *off = getenv("REVGATE_NO_PIPELINE");
	if ((off && *off && strcmp(off, "0")) || bytes > PIPELINE_MAX_BYTES ||
	    b->n > PIPELINE_MAX_ITEMS || b->n < 2)
		return batch_run_serial(db, b);

	if (!PQenterPipelineMode(db->conn))
		return batch_run_serial(db, b);
	int ret = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct db_batch_item *it = &b->v[i];
		if (!PQsendQueryParams(db->conn, it->sql, it->nparams, NULL,
				       (const char *const *)it->params, NULL, NULL, 0)) {
			ret = store_error(db, NULL);
			b->failed = i;
			break;
		}
	}
	if (ret == 0 && !PQpipelineSync(db->conn))
		ret = store_error(db, NULL);
	/* Read one result set per command sent, then the sync. */
	size_t sent = ret == 0 ? b->n : b->failed;
	double start = now_ms();
	for (size_t i = 0; i < sent; i++) {
		wait_watched(db, start);
		PGresult *res = PQgetResult(db->conn);
		if (!res) {
			if (ret == 0) {
				ret = store_error(db, NULL);
				b->failed = i;
			}
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_ABORTED) {
			/* skipped after an earlier failure */
		} else if (!res_ok(res)) {
			if (ret == 0) {
				ret = store_error(db, res);
				b->failed = i;
			}
		} else {
			b->v[i].affected = affected_of(res);
			b->v[i].done = true;
		}
		PQclear(res);
		/* the NULL that ends this command's results */
		while ((res = PQgetResult(db->conn)))
			PQclear(res);
	}
	if (PQstatus(db->conn) == CONNECTION_OK) {
		PGresult *res;
		while ((res = PQgetResult(db->conn))) {
			ExecStatusType st = PQresultStatus(res);
			PQclear(res);
			if (st == PGRES_PIPELINE_SYNC)
				break;
		}
		PQexitPipelineMode(db->conn);
	} else if (ret == 0) {
		ret = store_error(db, NULL);
	}
	return ret;
}
