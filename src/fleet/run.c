/*
 * A run over the targets: one revgate process per target, at most `jobs`
 * at once, read through two pipes each (its report on descriptor 3, what
 * it prints on 1 and 2) in one poll loop, so a slow target never holds up
 * what the others say. See fleet.h for why processes.
 */
#include "fleet/internal.h"
#include "core/err.h"
#include "core/proc.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* What a target's log keeps: enough for any failure's account. */
#define LOG_MAX ((size_t)256 * 1024)
/* How often the loop wakes when nothing is said: the live view's pace. */
#define TICK_MS 100
/* Descriptors the run hands to its children sit above the ones they get. */
#define FD_FLOOR 10

static const char *const outcome_names[FLEET_OUTCOMES] = {
	[FLEET_WAITING] = "waiting", [FLEET_RUNNING] = "running", [FLEET_APPLIED] = "applied",
	[FLEET_UNCHANGED] = "unchanged", [FLEET_FAILED] = "failed", [FLEET_SKIPPED] = "skipped",
};

const char *fleet_outcome_name(enum fleet_outcome o)
{
	return outcome_names[o];
}

/* The signal that stops the run. Global by necessity: a handler reaches
 * nothing else. */
static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
	caught_signal = sig;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct runner {
	struct fleet_run *r;
	const struct fleet_opts *o;
	char *exe;
	char **env;   /* revgate's environment without the two a target gets */
	size_t nenv;
	size_t next;  /* the next target to start */
	size_t limit; /* targets before it may start now (the canaries, then all) */
	size_t running;
	double t0;
};

static void emit(struct runner *ru, enum fleet_event_kind kind, size_t target, const char *text)
{
	if (!ru->o->on_event)
		return;
	struct fleet_event ev = {kind, target, text};
	ru->o->on_event(ru->o->ctx, ru->r, &ev);
}

static void halt(struct runner *ru, char *why)
{
	if (ru->r->halt) {
		free(why);
		return;
	}
	ru->r->halt = why;
	emit(ru, FLEET_EV_HALT, 0, why);
}

/* Moves a close-on-exec descriptor above FD_FLOOR (see proc_spawn). */
static int move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);
	close(fd);
	return high;
}

static int pipe_high(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	p[0] = move_high(p[0]);
	p[1] = move_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return -1;
	}
	return 0;
}

static void finish(struct runner *ru, size_t i, int status)
{
	struct fleet_state *s = &ru->r->st[i];
	const struct fleet_target *x = &ru->r->t->v[i];
	s->ms = now_ms() - ru->t0 - s->started_ms;
	s->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	s->pid = 0;
	free(s->step);
	s->step = NULL;
	free(s->waiting);
	s->waiting = NULL;
	if (s->log.len) {
		char *clean = db_url_scrub(x->url, s->log.buf);
		strbuf_setlen(&s->log, 0);
		strbuf_addstr(&s->log, clean);
		free(clean);
	}
	if (s->exit_code == 0) {
		s->outcome = strlist_same_set(&s->from, &s->to) ? FLEET_UNCHANGED : FLEET_APPLIED;
	} else {
		s->outcome = FLEET_FAILED;
		if (!s->error) {
			char *how = proc_status_text(status);
			s->error = xstrfmt("revgate %s", how);
			free(how);
		}
	}
	ru->running--;
	ru->r->count[FLEET_RUNNING]--;
	ru->r->count[s->outcome]++;
	emit(ru, FLEET_EV_END, i, NULL);
	if (s->outcome == FLEET_FAILED && !ru->o->keep_going)
		halt(ru, xstrfmt("'%s' failed", x->name));
}

/* A target that could not even start. */
static void fail_start(struct runner *ru, size_t i)
{
	struct fleet_state *s = &ru->r->st[i];
	s->error = xstrdup(err_msg());
	err_clear();
	ru->running++;
	ru->r->count[FLEET_RUNNING]++;
	emit(ru, FLEET_EV_START, i, NULL);
	finish(ru, i, 127 << 8);
}

static void start(struct runner *ru, size_t i)
{
	struct fleet_state *s = &ru->r->st[i];
	const struct fleet_target *x = &ru->r->t->v[i];
	char *const *args = ru->o->argv;
	size_t nargs = 0;
	while (args[nargs])
		nargs++;
	s->started_ms = now_ms() - ru->t0;
	s->outcome = FLEET_RUNNING;
	ru->r->count[FLEET_WAITING]--;
	int rep[2], log[2];
	if (pipe_high(rep) < 0) {
		err_set(ERR_RUNTIME, "cannot start revgate for '%s': %s", x->name, strerror(errno));
		fail_start(ru, i);
		return;
	}
	if (pipe_high(log) < 0) {
		err_set(ERR_RUNTIME, "cannot start revgate for '%s': %s", x->name, strerror(errno));
		close(rep[0]);
		close(rep[1]);
		fail_start(ru, i);
		return;
	}
	/* the program, the command's name, a schema's tables, the rest */
	char **argv = xcalloc(nargs + 4, sizeof(char *));
	char *vt = NULL;
	size_t n = 0;
	argv[n++] = ru->exe;
	argv[n++] = args[0];
	if (x->schema) {
		vt = xstrfmt("%s.%s", x->schema, ru->o->version_table);
		argv[n++] = "--version-table";
		argv[n++] = vt;
	}
	for (size_t k = 1; k < nargs; k++)
		argv[n++] = args[k];
	char *url_var = xstrfmt("DATABASE_URL=%s", x->url);
	ru->env[ru->nenv] = url_var;
	ru->env[ru->nenv + 1] = FLEET_FD_ENV "=3";
	ru->env[ru->nenv + 2] = NULL;
	int fds[3] = {log[1], log[1], rep[1]};
	pid_t pid = 0;
	int ret = proc_spawn(argv, ru->env, fds, 3, &pid);
	ru->env[ru->nenv] = NULL;
	memset(url_var, 0, strlen(url_var));
	free(url_var);
	free(vt);
	free(argv);
	close(rep[1]);
	close(log[1]);
	if (ret < 0) {
		close(rep[0]);
		close(log[0]);
		fail_start(ru, i);
		return;
	}
	s->pid = pid;
	s->fd_report = rep[0];
	s->fd_log = log[0];
	ru->running++;
	ru->r->count[FLEET_RUNNING]++;
	emit(ru, FLEET_EV_START, i, NULL);
}

static void set_text(char **slot, const char *text)
{
	free(*slot);
	*slot = xstrdup(text);
}

static void on_line(struct runner *ru, size_t i, const char *line, size_t len)
{
	struct fleet_state *s = &ru->r->st[i];
	const struct fleet_target *x = &ru->r->t->v[i];
	struct strbuf raw = STRBUF_INIT;
	enum fleet_msg m;
	if (fleet_msg_parse(line, len, &m, &raw) < 0) {
		strbuf_release(&raw);
		return;
	}
	/* the target's process redacts what it says; this is the second
	 * belt, with the password it was given */
	char *text = db_url_scrub(x->url, raw.buf);
	strbuf_release(&raw);
	switch (m) {
	case FLEET_MSG_FROM:
		strlist_release(&s->from);
		strlist_release(&s->to);
		strlist_split(&s->from, text, ' ');
		strlist_split(&s->to, text, ' ');
		if (!s->connected) {
			s->connected = true;
			emit(ru, FLEET_EV_HEADS, i, NULL);
		}
		break;
	case FLEET_MSG_TO:
	case FLEET_MSG_DONE:
		strlist_release(&s->to);
		strlist_split(&s->to, text, ' ');
		if (m == FLEET_MSG_DONE)
			s->steps_done++;
		break;
	case FLEET_MSG_PLAN:
		s->steps_total = strtoul(text, NULL, 10);
		s->steps_done = 0;
		break;
	case FLEET_MSG_UP:
	case FLEET_MSG_DOWN:
		s->up = m == FLEET_MSG_UP;
		set_text(&s->step, text);
		free(s->waiting);
		s->waiting = NULL;
		emit(ru, FLEET_EV_STEP, i, NULL);
		break;
	case FLEET_MSG_WAIT:
		set_text(&s->waiting, text);
		emit(ru, FLEET_EV_WAIT, i, text);
		break;
	case FLEET_MSG_FAILURE:
		if (s->failure) {
			char *both = xstrfmt("%s; %s", s->failure, text);
			free(s->failure);
			s->failure = both;
		} else {
			s->failure = xstrdup(text);
		}
		break;
	case FLEET_MSG_ERROR:
		set_text(&s->error, text);
		break;
	case FLEET_MSGS:
		break;
	}
	free(text);
}

/* Reads what is there on one of a target's pipes; false at its end. */
static bool drain(struct runner *ru, size_t i, int fd, bool report)
{
	struct fleet_state *s = &ru->r->st[i];
	char chunk[8192];
	ssize_t got = read(fd, chunk, sizeof(chunk));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (got <= 0)
		return false;
	if (!report) {
		if (s->log.len < LOG_MAX)
			strbuf_add(&s->log, chunk, (size_t)got);
		return true;
	}
	strbuf_add(&s->partial, chunk, (size_t)got);
	size_t used = 0;
	for (;;) {
		const char *nl = memchr(s->partial.buf + used, '\n', s->partial.len - used);
		if (!nl)
			break;
		on_line(ru, i, s->partial.buf + used, (size_t)(nl - s->partial.buf - used));
		used = (size_t)(nl - s->partial.buf) + 1;
	}
	if (used) {
		memmove(s->partial.buf, s->partial.buf + used, s->partial.len - used);
		strbuf_setlen(&s->partial, s->partial.len - used);
	}
	return true;
}

static void forward(struct runner *ru, int sig)
{
	for (size_t i = 0; i < ru->r->t->n; i++)
		if (ru->r->st[i].pid > 0)
			kill(ru->r->st[i].pid, sig);
}

/* One wait for the running targets: reads what they said, ends those
 * whose pipes closed. */
static void wait_some(struct runner *ru)
{
	size_t n = ru->r->t->n;
	struct pollfd *fds = xcalloc(2 * ru->running + 1, sizeof(*fds));
	size_t *who = xcalloc(2 * ru->running + 1, sizeof(*who));
	size_t nf = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fleet_state *s = &ru->r->st[i];
		if (s->outcome != FLEET_RUNNING)
			continue;
		if (s->fd_report >= 0) {
			fds[nf] = (struct pollfd){s->fd_report, POLLIN, 0};
			who[nf++] = i;
		}
		if (s->fd_log >= 0) {
			fds[nf] = (struct pollfd){s->fd_log, POLLIN, 0};
			who[nf++] = i;
		}
	}
	int ready = poll(fds, nf, TICK_MS);
	for (size_t k = 0; ready > 0 && k < nf; k++) {
		if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct fleet_state *s = &ru->r->st[who[k]];
		bool report = fds[k].fd == s->fd_report;
		if (!drain(ru, who[k], fds[k].fd, report)) {
			close(fds[k].fd);
			if (report)
				s->fd_report = -1;
			else
				s->fd_log = -1;
		}
	}
	free(fds);
	free(who);
	for (size_t i = 0; i < n; i++) {
		struct fleet_state *s = &ru->r->st[i];
		if (s->outcome != FLEET_RUNNING || s->fd_report >= 0 || s->fd_log >= 0)
			continue;
		/* both pipes closed: the process is ending */
		int status = 0;
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
		finish(ru, i, status);
	}
}

static void env_init(struct runner *ru)
{
	size_t n = 0;
	while (environ[n])
		n++;
	ru->env = xcalloc(n + 3, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "DATABASE_URL=", 13) &&
		    strncmp(environ[i], FLEET_FD_ENV "=", strlen(FLEET_FD_ENV) + 1))
			ru->env[ru->nenv++] = environ[i];
}

int fleet_run(struct fleet_run *r, const struct fleet_targets *t, const struct fleet_opts *o)
{
	struct runner ru = {.r = r, .o = o, .t0 = now_ms()};
	size_t n = t->n;
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->st = xcalloc(n ? n : 1, sizeof(*r->st));
	for (size_t i = 0; i < n; i++) {
		struct fleet_state *s = &r->st[i];
		s->fd_report = s->fd_log = -1;
		strbuf_init(&s->log, 0);
		strbuf_init(&s->partial, 0);
	}
	r->count[FLEET_WAITING] = n;
	int ret = proc_self_exe(&ru.exe);
	if (ret < 0)
		return ret;
	env_init(&ru);

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	caught_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	size_t jobs = o->jobs ? o->jobs : 1;
	bool canary_stage = o->canary && o->canary < n;
	ru.limit = canary_stage ? o->canary : n;
	for (;;) {
		if (caught_signal && !r->signal) {
			r->signal = caught_signal;
			/* a terminal's ^C reached every target already; a kill of
			 * this process alone must reach them too */
			forward(&ru, r->signal);
			halt(&ru, xstrfmt("stopped by %s", r->signal == SIGINT ? "SIGINT" : "SIGTERM"));
		}
		while (!r->halt && ru.running < jobs && ru.next < ru.limit)
			start(&ru, ru.next++);
		if (canary_stage && ru.next == ru.limit && !ru.running) {
			canary_stage = false;
			size_t failed = 0;
			for (size_t i = 0; i < ru.limit; i++)
				failed += r->st[i].outcome == FLEET_FAILED;
			if (failed)
				halt(&ru, xstrfmt("%zu of the %zu canar%s failed", failed, ru.limit,
						  ru.limit == 1 ? "y" : "ies"));
			ru.limit = n;
			continue;
		}
		if (!ru.running)
			break;
		wait_some(&ru);
		r->ms = now_ms() - ru.t0;
		emit(&ru, FLEET_EV_TICK, 0, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (r->st[i].outcome == FLEET_WAITING) {
			r->st[i].outcome = FLEET_SKIPPED;
			r->count[FLEET_WAITING]--;
			r->count[FLEET_SKIPPED]++;
		}
	}
	r->ms = now_ms() - ru.t0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(ru.env);
	free(ru.exe);
	return 0;
}

char *fleet_state_error(const struct fleet_state *s)
{
	if (s->failure && s->error)
		return xstrfmt("%s; %s", s->failure, s->error);
	if (s->failure || s->error)
		return xstrdup(s->failure ? s->failure : s->error);
	return NULL;
}

void fleet_run_release(struct fleet_run *r)
{
	size_t n = r->t ? r->t->n : 0;
	for (size_t i = 0; r->st && i < n; i++) {
		struct fleet_state *s = &r->st[i];
		strlist_release(&s->from);
		strlist_release(&s->to);
		free(s->step);
		free(s->waiting);
		free(s->failure);
		free(s->error);
		strbuf_release(&s->log);
		strbuf_release(&s->partial);
		if (s->fd_report >= 0)
			close(s->fd_report);
		if (s->fd_log >= 0)
			close(s->fd_log);
	}
	free(r->st);
	free(r->halt);
	memset(r, 0, sizeof(*r));
}
