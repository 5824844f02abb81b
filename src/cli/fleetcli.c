/*
 * A database command over a target set: the options checked and the
 * targets read and checked before anything runs, the command line each
 * target's revgate gets, what the operator sees while it runs, and the
 * report at the end.
 */
#include "cli/fleetcli.h"
#include "cli/dbcli.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "fleet/fleet.h"
#include "output/jsonw.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_JOBS 4
#define MAX_JOBS 256
/* Failed targets whose whole output follows the table on a terminal. */
#define LOGS_SHOWN 5

static const char *const source_opts[] = {"targets", "databases", "each-database",
					  "each-schema"};
static const char *const policy_opts[] = {"jobs", "keep-going", "canary"};
/* The target options, never handed to a target's revgate. */
static const char *const fleet_opts[] = {"targets", "databases",  "each-database", "each-schema",
					 "jobs",    "keep-going", "canary"};
/* What only one database can do: show a plan, or write to one file or
 * directory that every target's process would write over. */
static const char *const single_opts[] = {"sql", "plan", "dry-run", "backup", "metrics",
					  "events"};

static bool has_opt(const struct command *cmd, const char *name)
{
	for (size_t i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (!strcmp(cmd->opts[i].name, name))
			return true;
	return false;
}

static bool opt_set(const struct command *cmd, const struct cli_args *a, const char *name)
{
	return has_opt(cmd, name) && a->set[cli_opt_index(cmd, name)];
}

static bool in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

bool fleetcli_wanted(const struct command *cmd, const struct cli_args *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(fleet_opts); i++)
		if (opt_set(cmd, a, fleet_opts[i]))
			return true;
	return false;
}

static int parse_count(const char *opt, const char *v, size_t max, size_t *out)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < 1 || (size_t)n > max)
		return err_set(ERR_USAGE, "--%s takes a number from 1 to %zu, not '%s'", opt, max, v);
	*out = (size_t)n;
	return 0;
}

/* ---- the options and the targets ---- */

static int check_options(const struct command *cmd, const struct cli_args *a,
			 const char **source)
{
	*source = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(source_opts); i++) {
		if (!opt_set(cmd, a, source_opts[i]))
			continue;
		if (*source)
			return err_set(ERR_USAGE, "--%s and --%s: give one target set", *source,
				       source_opts[i]);
		*source = source_opts[i];
	}
	if (!*source)
		for (size_t i = 0; i < ARRAY_SIZE(policy_opts); i++)
			if (opt_set(cmd, a, policy_opts[i]))
				return err_set(ERR_USAGE, "--%s is for a target set: add --targets "
							  "FILE, --databases PATTERN, --each-database "
							  "PATTERN or --each-schema PATTERN",
					       policy_opts[i]);
	for (size_t i = 0; i < ARRAY_SIZE(single_opts); i++)
		if (opt_set(cmd, a, single_opts[i]))
			return err_set(ERR_USAGE, "--%s is for one database: run it with --url",
				       single_opts[i]);
	if (!*source)
		return err_set(ERR_USAGE, "no target set given");
	bool server = !strcmp(*source, "each-database") || !strcmp(*source, "each-schema");
	if (!server && opt_set(cmd, a, "url"))
		return err_set(ERR_USAGE, "--url and --%s: the target set names the databases "
					  "(--url is the server for --each-database and --each-schema)",
			       *source);
	if (!strcmp(*source, "each-schema") && opt_set(cmd, a, "version-table") &&
	    strchr(cli_value(cmd, a, "version-table"), '.'))
		return err_set(ERR_USAGE, "--each-schema puts revgate's tables in each schema: give "
					  "--version-table a name without a schema");
	return 0;
}

static void print_problems(const struct strlist *problems)
{
	fflush(stdout);
	for (size_t i = 0; i < problems->n; i++)
		fprintf(stderr, "revgate: %s\n", problems->v[i]);
}

static int read_targets(struct app *app, const struct command *cmd, const struct cli_args *a,
			const char *source, struct apply_settings *s, struct fleet_targets *t)
{
	struct strlist problems = STRLIST_INIT;
	const char *value = cli_value(cmd, a, source);
	char *empty = NULL;
	int ret = 0;
	if (!strcmp(source, "targets")) {
		ret = fleet_targets_read(t, value, &problems);
		empty = xstrfmt("'%s' names no database (lines 'name = URL')", value);
	} else if (!strcmp(source, "databases")) {
		fleet_targets_config(t, &app->cfg, value, &problems);
		empty = xstrfmt("no entry of [databases] in %s matches '%s'",
				app->cfg.path ? app->cfg.path : "revgate.ini (none found)", value);
	} else {
		if ((ret = apply_settings_url(s, cli_value(cmd, a, "url"))) < 0)
			goto out;
		bool dbs = !strcmp(source, "each-database");
		ret = dbs ? fleet_targets_each_database(t, s->url, value)
			  : fleet_targets_each_schema(t, s->url, value, &problems);
		char *shown = db_url_redact(s->url);
		empty = xstrfmt(dbs ? "no database on the server of '%s' matches '%s'"
				    : "no schema in the database '%s' matches '%s'",
				shown, value);
		free(shown);
	}
	if (ret < 0)
		goto out;
	fleet_targets_check(t, empty, &problems);
	if (problems.n) {
		print_problems(&problems);
		ret = err_set(ERR_CONFIG, "the target set has %zu problem%s (above); nothing ran",
			      problems.n, problems.n == 1 ? "" : "s");
	}
out:
	free(empty);
	strlist_release(&problems);
	return ret;
}

/* The command line of each target's revgate, after its program: the
 * command, its options but the target ones and --url, quiet (what it
 * says comes through the report), then its arguments. */
static char **target_argv(const struct app *app, const struct command *cmd,
			  const struct cli_args *a, bool schema)
{
	size_t cap = 8 + a->npos;
	for (size_t i = 0; cmd->opts[i].name; i++)
		cap += (size_t)2 * (a->set[i] ? a->count[i] : 0);
	char **v = xcalloc(cap, sizeof(char *));
	size_t n = 0;
	v[n++] = xstrdup(cmd->name);
	if (app->config_path) {
		v[n++] = xstrdup("--config");
		v[n++] = xstrdup(app->config_path);
	}
	for (size_t i = 0; cmd->opts[i].name; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		if (!a->set[i] || in(o->name, fleet_opts, ARRAY_SIZE(fleet_opts)) ||
		    !strcmp(o->name, "url") || (schema && !strcmp(o->name, "version-table")))
			continue;
		for (unsigned k = 0; k < (o->arg ? 1 : a->count[i]); k++) {
			v[n++] = xstrfmt("--%s", o->name);
			if (o->arg)
				v[n++] = xstrdup(a->value[i]);
		}
	}
	v[n++] = xstrdup("--quiet");
	v[n++] = xstrdup("--no-color");
	v[n++] = xstrdup("--");
	for (size_t i = 0; i < a->npos; i++)
		v[n++] = xstrdup(a->pos[i]);
	v[n] = NULL;
	return v;
}

static void argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* ---- what the operator sees while it runs ---- */

struct view {
	const struct app *app;
	const struct command *cmd;
	const char *what; /* "upgrade head" */
	const char *noun; /* "database", or "schema" for --each-schema */
	bool live;        /* a terminal: the view redrawn in place */
	bool lines;       /* a log: a line per event */
	size_t jobs;
	int drawn;        /* lines the live view holds on the screen */
	double drawn_at;
	unsigned width;
};

static char *heads_text(const struct fleet_state *s, const struct strlist *h)
{
	if (!s->connected)
		return xstrdup("-");
	if (!h->n)
		return xstrdup("base");
	return strlist_join(h, ",");
}

static double clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static unsigned term_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static unsigned term_rows(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

/* One line of the terminal, cut to its width so that redrawing in place
 * never meets a wrapped line. */
static void live_line(struct view *v, const char *text)
{
	size_t n = strlen(text);
	if (v->width && n >= v->width)
		n = v->width - 1;
	fprintf(stderr, "\r%.*s\033[K\n", (int)n, text);
}

static void live_clear(struct view *v)
{
	if (v->drawn)
		fprintf(stderr, "\033[%dA\r\033[J", v->drawn);
	v->drawn = 0;
}

static void live_draw(struct view *v, const struct fleet_run *r)
{
	const struct fleet_targets *t = r->t;
	size_t done = r->count[FLEET_APPLIED] + r->count[FLEET_UNCHANGED] + r->count[FLEET_FAILED];
	struct strbuf sb = STRBUF_INIT;
	enum { BAR = 24 };
	size_t fill = t->n ? done * BAR / t->n : BAR;
	live_clear(v);
	unsigned rows = term_rows();
	strbuf_addf(&sb, "%s [", v->what);
	for (size_t i = 0; i < BAR; i++)
		strbuf_addch(&sb, i < fill ? '#' : '-');
	strbuf_addf(&sb, "] %zu/%zu  %zu applied, %zu unchanged, %zu failed  %.1f s", done, t->n,
		    r->count[FLEET_APPLIED], r->count[FLEET_UNCHANGED], r->count[FLEET_FAILED],
		    r->ms / 1000.0);
	v->width = term_width();
	live_line(v, sb.buf);
	int lines = 1;
	/* the view never scrolls: what does not fit is counted */
	size_t room = rows > 4 ? rows - 3 : 1, hidden = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct fleet_state *s = &r->st[i];
		if (s->outcome != FLEET_RUNNING)
			continue;
		if ((size_t)lines > room) {
			hidden++;
			continue;
		}
		strbuf_setlen(&sb, 0);
		strbuf_addf(&sb, "  %-20s ", t->v[i].name);
		if (s->waiting)
			strbuf_addf(&sb, "waiting: %s", s->waiting);
		else if (s->step)
			strbuf_addf(&sb, "%s %s  %zu/%zu", s->up ? "upgrade" : "downgrade", s->step,
				    s->steps_done + 1, s->steps_total);
		else if (s->connected) {
			char *h = heads_text(s, &s->from);
			strbuf_addf(&sb, "at %s", h);
			free(h);
		} else {
			strbuf_addstr(&sb, "connecting");
		}
		live_line(v, sb.buf);
		lines++;
	}
	if (hidden) {
		strbuf_setlen(&sb, 0);
		strbuf_addf(&sb, "  and %zu more running", hidden);
		live_line(v, sb.buf);
		lines++;
	}
	strbuf_release(&sb);
	v->drawn = lines;
	v->drawn_at = clock_ms();
	fflush(stderr);
}

static void end_line(struct strbuf *sb, const struct fleet_target *x, const struct fleet_state *s)
{
	char *from = heads_text(s, &s->from), *to = heads_text(s, &s->to);
	strbuf_addf(sb, "%s: %s", x->name, fleet_outcome_name(s->outcome));
	if (s->outcome == FLEET_APPLIED)
		strbuf_addf(sb, " %s -> %s", from, to);
	else if (s->outcome == FLEET_UNCHANGED)
		strbuf_addf(sb, " at %s", to);
	strbuf_addf(sb, " (%.1f s)", s->ms / 1000.0);
	char *e = fleet_state_error(s);
	if (e)
		strbuf_addf(sb, ": %s", e);
	free(e);
	free(from);
	free(to);
}

/* Whether the target's output says more than its error line. */
static bool log_says_more(const struct fleet_state *s)
{
	const char *nl = strchr(s->log.buf, '\n');
	return nl && nl[1];
}

/* What the target's revgate printed, each line under its name. */
static void print_log(const struct fleet_target *x, const struct fleet_state *s)
{
	const char *p = s->log.buf;
	while (*p) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "  %s| %.*s\n", x->name, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The line one target's event prints (none for some), into `sb`. */
static void target_line(const struct view *v, const struct fleet_target *x,
			const struct fleet_state *s, const struct fleet_event *ev, struct strbuf *sb)
{
	switch (ev->kind) {
	case FLEET_EV_HEADS:
		if (v->lines) {
			char *h = heads_text(s, &s->from);
			strbuf_addf(sb, "%s: at %s", x->name, h);
			free(h);
		}
		break;
	case FLEET_EV_STEP:
		if (v->lines) {
			strbuf_addf(sb, "%s: %s %s", x->name, s->up ? "upgrade" : "downgrade", s->step);
			if (s->steps_total)
				strbuf_addf(sb, " (%zu/%zu)", s->steps_done + 1, s->steps_total);
		}
		break;
	case FLEET_EV_WAIT:
		if (v->lines)
			strbuf_addf(sb, "%s: waiting: %s", x->name, ev->text);
		break;
	case FLEET_EV_END:
		/* a failure stays on the screen above the live view */
		if (v->lines || s->outcome == FLEET_FAILED)
			end_line(sb, x, s);
		break;
	default:
		break;
	}
}

static void on_event(void *ctx, const struct fleet_run *r, const struct fleet_event *ev)
{
	struct view *v = ctx;
	if (!v->live && !v->lines)
		return;
	struct strbuf sb = STRBUF_INIT;
	const struct fleet_target *x = NULL;
	const struct fleet_state *s = NULL;
	if (ev->kind == FLEET_EV_HALT) {
		strbuf_addf(&sb, "revgate %s: no new %s starts: %s%s", v->cmd->name, v->noun, ev->text,
			    strncmp(ev->text, "stopped", 7) && strstr(ev->text, "failed") &&
				    !strstr(ev->text, "canar")
				? " (--keep-going runs them all)"
				: "");
	} else if (ev->kind != FLEET_EV_TICK) {
		x = &r->t->v[ev->target];
		s = &r->st[ev->target];
		target_line(v, x, s, ev, &sb);
	}
	if (sb.len) {
		if (v->live)
			live_clear(v);
		fprintf(stderr, "%s\n", sb.buf);
		if (v->lines && x && s && ev->kind == FLEET_EV_END && s->outcome == FLEET_FAILED &&
		    log_says_more(s))
			print_log(x, s);
	}
	strbuf_release(&sb);
	if (v->live && (sb.len || ev->kind == FLEET_EV_END || clock_ms() - v->drawn_at >= 100))
		live_draw(v, r);
	else
		fflush(stderr);
}

/* ---- the report ---- */

static void print_table(const struct fleet_run *r, const char *noun, size_t jobs)
{
	const struct fleet_targets *t = r->t;
	const char *head[] = {noun, "from", "to", "outcome", "duration", "error"};
	size_t w[5];
	for (size_t k = 0; k < 5; k++)
		w[k] = strlen(head[k]);
	char **cells = xcalloc(t->n * 6 + 1, sizeof(char *));
	for (size_t i = 0; i < t->n; i++) {
		const struct fleet_state *s = &r->st[i];
		char **c = &cells[i * 6];
		c[0] = xstrdup(t->v[i].name);
		c[1] = heads_text(s, &s->from);
		c[2] = heads_text(s, &s->to);
		c[3] = xstrdup(fleet_outcome_name(s->outcome));
		c[4] = s->outcome == FLEET_SKIPPED ? xstrdup("-") : xstrfmt("%.1f s", s->ms / 1000.0);
		c[5] = fleet_state_error(s);
		for (size_t k = 0; k < 5; k++)
			if (strlen(c[k]) > w[k])
				w[k] = strlen(c[k]);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %*s  %s\n", (int)w[0], head[0], (int)w[1], head[1],
	       (int)w[2], head[2], (int)w[3], head[3], (int)w[4], head[4], head[5]);
	for (size_t i = 0; i < t->n; i++) {
		char **c = &cells[i * 6];
		printf("%-*s  %-*s  %-*s  %-*s  %*s", (int)w[0], c[0], (int)w[1], c[1], (int)w[2],
		       c[2], (int)w[3], c[3], (int)w[4], c[4]);
		/* no blanks at the end of a line without an error */
		printf("%s%s\n", c[5] ? "  " : "", c[5] ? c[5] : "");
		for (size_t k = 0; k < 6; k++)
			free(c[k]);
	}
	free(cells);
	printf("%zu %s%s: %zu applied, %zu unchanged, %zu failed, %zu skipped (%.1f s, %zu at a "
	       "time)%s%s\n",
	       t->n, noun, t->n == 1 ? "" : "s", r->count[FLEET_APPLIED], r->count[FLEET_UNCHANGED],
	       r->count[FLEET_FAILED], r->count[FLEET_SKIPPED], r->ms / 1000.0, jobs,
	       r->halt && r->count[FLEET_SKIPPED] ? "; skipped because " : "",
	       r->halt && r->count[FLEET_SKIPPED] ? r->halt : "");
}

static void json_heads(struct jsonw *w, const char *key, const struct strlist *h)
{
	jsonw_key(w, key);
	jsonw_arr_begin(w);
	for (size_t i = 0; i < h->n; i++)
		jsonw_str(w, h->v[i]);
	jsonw_arr_end(w);
}

static void print_json(const struct command *cmd, const struct fleet_run *r, size_t jobs)
{
	const struct fleet_targets *t = r->t;
	struct jsonw w;
	jsonw_init(&w, stdout, true);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "command", cmd->name);
	jsonw_key(&w, "targets");
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < t->n; i++) {
		const struct fleet_state *s = &r->st[i];
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "name", t->v[i].name);
		jsonw_kstr(&w, "url", t->v[i].shown);
		if (t->v[i].schema)
			jsonw_kstr(&w, "schema", t->v[i].schema);
		json_heads(&w, "from", &s->from);
		json_heads(&w, "to", &s->to);
		jsonw_kstr(&w, "outcome", fleet_outcome_name(s->outcome));
		char *e = fleet_state_error(s);
		jsonw_kstr(&w, "error", e);
		free(e);
		jsonw_kbool(&w, "connected", s->connected);
		jsonw_kint(&w, "steps", (long long)s->steps_done);
		jsonw_kint(&w, "duration_ms", (long long)s->ms);
		if (s->outcome == FLEET_FAILED && s->log.len)
			jsonw_kstr(&w, "log", s->log.buf);
		jsonw_obj_end(&w);
	}
	jsonw_arr_end(&w);
	jsonw_key(&w, "summary");
	jsonw_obj_begin(&w);
	jsonw_kint(&w, "targets", (long long)t->n);
	for (enum fleet_outcome o = FLEET_APPLIED; o <= FLEET_SKIPPED; o++)
		jsonw_kint(&w, fleet_outcome_name(o), (long long)r->count[o]);
	jsonw_kint(&w, "jobs", (long long)jobs);
	jsonw_kint(&w, "duration_ms", (long long)r->ms);
	jsonw_kstr(&w, "stopped", r->halt);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_finish(&w);
}

/* On a terminal the failures' whole output follows the live view. */
static void print_logs(const struct fleet_run *r)
{
	size_t shown = 0, more = 0;
	for (size_t i = 0; i < r->t->n; i++) {
		const struct fleet_state *s = &r->st[i];
		if (s->outcome != FLEET_FAILED || !log_says_more(s))
			continue;
		if (shown == LOGS_SHOWN) {
			more++;
			continue;
		}
		fprintf(stderr, "%s:\n", r->t->v[i].name);
		print_log(&r->t->v[i], s);
		shown++;
	}
	if (more)
		fprintf(stderr, "(and %zu more; --format json holds every one's output)\n", more);
}

/* ---- the run ---- */

int fleetcli_run(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct fleet_targets t = FLEET_TARGETS_INIT;
	struct fleet_run r;
	memset(&r, 0, sizeof(r));
	char **argv = NULL;
	const char *source;
	size_t jobs = DEFAULT_JOBS, canary = 0;
	int ret = check_options(cmd, a, &source);
	if (ret == 0 && opt_set(cmd, a, "jobs"))
		ret = parse_count("jobs", cli_value(cmd, a, "jobs"), MAX_JOBS, &jobs);
	if (ret == 0 && opt_set(cmd, a, "canary"))
		ret = parse_count("canary", cli_value(cmd, a, "canary"), INT_MAX, &canary);
	/* what every target would refuse alike is refused once, here: the
	 * flags, the layout, a broken history */
	if (ret == 0)
		ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0 && !(cmd->needs & NEEDS_REVISIONS))
		ret = app_setup(app, NEEDS_HEADERS);
	if (ret == 0 && (!strcmp(cmd->name, "upgrade") || !strcmp(cmd->name, "downgrade") ||
			 !strcmp(cmd->name, "stamp")))
		ret = dbcli_refuse_broken_graph(app);
	if (ret == 0)
		ret = read_targets(app, cmd, a, source, &s, &t);
	if (ret < 0)
		goto out;

	bool schemas = source && !strcmp(source, "each-schema");
	const char *noun = schemas ? "schema" : "database";
	argv = target_argv(app, cmd, a, schemas);
	struct strbuf what = STRBUF_INIT;
	strbuf_addstr(&what, cmd->name);
	for (size_t i = 0; i < a->npos; i++)
		strbuf_addf(&what, " %s", a->pos[i]);
	const char *term = getenv("TERM");
	bool tty = isatty(STDERR_FILENO) && term && strcmp(term, "dumb");
	struct view v = {.app = app,
			 .cmd = cmd,
			 .what = what.buf,
			 .noun = noun,
			 .live = !app->quiet && tty,
			 .lines = !app->quiet && !tty,
			 .jobs = jobs,
			 .width = tty ? term_width() : 0};
	if (v.lines) {
		fflush(stdout);
		fprintf(stderr, "revgate %s: %zu %s%s, %zu at a time\n", what.buf, t.n, v.noun,
			t.n == 1 ? "" : "s", jobs < t.n ? jobs : t.n);
	}
	struct fleet_opts o = {.argv = argv,
			       .version_table = s.version_table,
			       .jobs = jobs,
			       .canary = canary,
			       .keep_going = cli_flag(cmd, a, "keep-going"),
			       .on_event = on_event,
			       .ctx = &v};
	ret = fleet_run(&r, &t, &o);
	if (v.live) {
		live_clear(&v);
		print_logs(&r);
	}
	strbuf_release(&what);
	if (ret < 0)
		goto out;
	if (!strcmp(app_format(app), "json"))
		print_json(cmd, &r, jobs);
	else
		print_table(&r, noun, jobs < t.n ? jobs : t.n);

	size_t reached = 0, failed = r.count[FLEET_FAILED], skipped = r.count[FLEET_SKIPPED];
	for (size_t i = 0; i < t.n; i++)
		reached += r.st[i].connected;
	if (r.signal)
		ret = err_set(ERR_INTERRUPTED, "stopped by %s: %zu %s%s failed or stopped, %zu "
					       "never started",
			      r.signal == SIGINT ? "SIGINT" : "SIGTERM", failed, noun,
			      failed == 1 ? "" : "s", skipped);
	else if (!reached)
		ret = err_set(ERR_DB, "no %s could be reached (%zu failed, %zu skipped)", noun, failed,
			      skipped);
	else if (failed || skipped)
		ret = err_set(ERR_CHECK, "%zu of %zu %ss did not succeed (%zu failed, %zu skipped); "
					 "the same command again touches only those not done",
			      failed + skipped, t.n, noun, failed, skipped);
out:
	argv_free(argv);
	fleet_run_release(&r);
	fleet_targets_release(&t);
	apply_settings_release(&s);
	return ret;
}
