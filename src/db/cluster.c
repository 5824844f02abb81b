/* Throwaway clusters: initdb and pg_ctl run as child processes. */
#include "db/cluster.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *find_bindir(void)
{
	const char *env = getenv("PG_BIN");
	if (env && *env) {
		char *p = path_join(env, "initdb");
		bool ok = access(p, X_OK) == 0;
		free(p);
		if (ok)
			return xstrdup(env);
	}
	for (int v = 17; v >= 13; v--) {
		char *dir = xstrfmt("/usr/lib/postgresql/%d/bin", v);
		char *p = path_join(dir, "initdb");
		bool ok = access(p, X_OK) == 0;
		free(p);
		if (ok)
			return dir;
		free(dir);
	}
	return NULL;
}

/* Runs argv as the cluster's owner with output appended to `log`;
 * returns the exit status (or -1). */
static int run(char *const argv[], const char *log, const struct passwd *owner)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* become the owner first: the log must be the owner's, as pg_ctl
		 * appends the server's output to it */
		if (owner && (setgroups(0, NULL) < 0 || setgid(owner->pw_gid) < 0 ||
			      setuid(owner->pw_uid) < 0))
			_exit(126);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		if (chdir("/") < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *last_log_line(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (file_read(path, 1 << 20, &sb) < 0) {
		err_clear();
		strbuf_release(&sb);
		return xstrdup("(no log)");
	}
	strbuf_rtrim(&sb);
	const char *nl = strrchr(sb.buf, '\n');
	char *line = xstrdup(nl ? nl + 1 : sb.buf);
	strbuf_release(&sb);
	return line;
}

/* The signal caught while the cluster starts. Global by necessity: the
 * handler can reach nothing else. */
static volatile sig_atomic_t start_signal;

static void on_start_signal(int sig)
{
	start_signal = sig;
}

/*
 * Where the cluster's directory goes: $TMPDIR when it suits, else /tmp.
 * The server's socket lies in it, and a socket path has at most 107 bytes;
 * as root the server runs as 'nobody', who must be able to enter it.
 */
static const char *cluster_parent(void)
{
	const char *t = getenv("TMPDIR");
	struct stat st;
	if (!t || t[0] != '/' || strlen(t) > 64 || stat(t, &st) < 0 || !S_ISDIR(st.st_mode))
		return "/tmp";
	if (geteuid() == 0 && !(st.st_mode & S_IXOTH))
		return "/tmp";
	return t;
}

static int cluster_start(struct pg_cluster *c)
{
	char tmpl[96];
	snprintf(tmpl, sizeof(tmpl), "%s/revgate-test.XXXXXX", cluster_parent());
	const struct passwd *owner = NULL;
	int ret = 0;
	memset(c, 0, sizeof(*c));
	if (!(c->bindir = find_bindir()))
		return err_set(ERR_CONFIG, "revgate test needs a database: pass --url, or install "
					   "PostgreSQL's server (apt-get install postgresql-15) so "
					   "it can start a throwaway one");
	if (!mkdtemp(tmpl))
		return err_set(ERR_IO, "cannot create a temporary directory for the cluster");
	c->dir = xstrdup(tmpl);
	if (geteuid() == 0) {
		owner = getpwnam("nobody");
		if (!owner || chown(c->dir, owner->pw_uid, owner->pw_gid) < 0)
			return err_set(ERR_RUNTIME, "cannot hand '%s' to the user 'nobody' (PostgreSQL "
						    "refuses to run as root)",
				       c->dir);
	}
	char *data = path_join(c->dir, "data");
	char *log = path_join(c->dir, "server.log");
	char *initdb = path_join(c->bindir, "initdb");
	char *pg_ctl = path_join(c->bindir, "pg_ctl");
	char *const init_argv[] = {initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E",
				   "UTF8", "--locale=C", "--no-sync", "--no-instructions", NULL};
	if (run(init_argv, log, owner) != 0) {
		char *line = last_log_line(log);
		ret = err_set(ERR_RUNTIME, "initdb failed: %s", line);
		free(line);
		goto out;
	}
	if (start_signal)
		goto out;
	for (int attempt = 0; attempt < 5; attempt++) {
		c->port = 20000 + (int)((getpid() * 7 + attempt * 101) % 30000);
		char *opts = xstrfmt("-k %s -p %d -c listen_addresses= -F -c full_page_writes=off "
				     "-c wal_level=minimal -c max_wal_senders=0",
				     c->dir, c->port);
		char *const ctl_argv[] = {pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o",
					  opts, "start", NULL};
		int st = run(ctl_argv, log, owner);
		free(opts);
		if (st == 0) {
			c->running = true;
			break;
		}
	}
	if (!c->running) {
		char *line = last_log_line(log);
		ret = err_set(ERR_RUNTIME, "the throwaway PostgreSQL server did not start: %s", line);
		free(line);
		goto out;
	}
	c->url = xstrfmt("postgresql:///postgres?host=%s&port=%d&user=postgres", c->dir, c->port);
out:
	free(data);
	free(log);
	free(initdb);
	free(pg_ctl);
	return ret;
}

/*
 * initdb and the server's start take a second or two, the longest a
 * signal is likely to land in: it is held off until the child at work
 * ends, then what was made is stopped and removed. Killed by the signal
 * instead, revgate would leave a server running in /tmp.
 */
int pg_cluster_start(struct pg_cluster *c)
{
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_start_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	start_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int ret = cluster_start(c);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (!start_signal)
		return ret;
	pg_cluster_stop(c);
	return err_set(ERR_INTERRUPTED, "interrupted by %s while the throwaway cluster started; "
					"it was stopped and removed",
		       start_signal == SIGINT ? "SIGINT" : "SIGTERM");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void pg_cluster_stop(struct pg_cluster *c)
{
	if (c->running) {
		char *data = path_join(c->dir, "data");
		char *log = path_join(c->dir, "server.log");
		char *pg_ctl = path_join(c->bindir, "pg_ctl");
		char *const argv[] = {pg_ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL};
		run(argv, log, geteuid() == 0 ? getpwnam("nobody") : NULL);
		free(data);
		free(log);
		free(pg_ctl);
	}
	if (c->dir)
		nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(c->dir);
	free(c->bindir);
	free(c->url);
	memset(c, 0, sizeof(*c));
}
