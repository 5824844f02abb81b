/* Child processes with captured output (see proc.h). */
#include "core/proc.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int proc_run(char *const argv[], const char *cwd, long timeout_ms, struct strbuf *out,
	     struct strbuf *err, int *status)
{
	return proc_run_env(argv, cwd, NULL, timeout_ms, out, err, status);
}

int proc_run_env(char *const argv[], const char *cwd, char *const env[], long timeout_ms,
		 struct strbuf *out, struct strbuf *err, int *status)
{
	int po[2], pe[2], pf[2];
	if (pipe(po) < 0)
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(errno));
	if (pipe(pe) < 0) {
		close(po[0]);
		close(po[1]);
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(errno));
	}
	/* a third pipe reports a failed exec: the child writes errno into it */
	if (pipe2(pf, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		close(pf[0]);
		close(pf[1]);
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(pf[0]);
		int e = 0;
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (cwd && chdir(cwd) < 0)
			e = errno;
		if (!e) {
			/* a new process group, so a timeout ends the whole tool */
			setpgid(0, 0);
			execvp(argv[0], argv);
			e = errno;
		}
		ssize_t w = write(pf[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(pf[1]);
	int exec_errno = 0;
	ssize_t r = read(pf[0], &exec_errno, sizeof(exec_errno));
	close(pf[0]);
	int ret = 0;
	if (r == (ssize_t)sizeof(exec_errno)) {
		ret = err_set(ERR_RUNTIME, "cannot run '%s'%s%s: %s", argv[0], cwd ? " in " : "",
			      cwd ? cwd : "", strerror(exec_errno));
	}
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	struct strbuf *bufs[2] = {out, err};
	long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	bool killed = false;
	int open_fds = 2;
	while (open_fds > 0) {
		int wait = -1;
		if (deadline) {
			long left = deadline - now_ms();
			if (left <= 0) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				killed = true;
				break;
			}
			wait = (int)(left > 1000 ? 1000 : left);
		}
		int n = poll(fds, 2, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char chunk[8192];
			ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got > 0) {
				strbuf_add(bufs[i], chunk, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (killed && !ret)
		ret = err_set(ERR_RUNTIME, "'%s' was still running after %ld s and was stopped",
			      argv[0], timeout_ms / 1000);
	return ret;
}

char *proc_tail(const char *text, unsigned n)
{
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	size_t i = len;
	unsigned lines = 0;
	while (i > 0) {
		if (text[i - 1] == '\n' && ++lines == n)
			break;
		i--;
	}
	return xstrndup(text + i, len - i);
}

int proc_spawn(char *const argv[], char *const envp[], const int *fds, size_t nfds, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int e = posix_spawn_file_actions_init(&fa);
	if (e)
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(e));
	e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* a descriptor already at its place would keep its close-on-exec
	 * flag through dup2: the caller's are well above 2 + nfds */
	for (size_t i = 0; !e && i < nfds; i++) {
		if (fds[i] <= (int)nfds)
			BUG("descriptor %d handed to a child is too low", fds[i]);
		e = posix_spawn_file_actions_adddup2(&fa, fds[i], (int)i + 1);
	}
	if (!e)
		e = posix_spawn(pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (e)
		return err_set(ERR_RUNTIME, "cannot run '%s': %s", argv[0], strerror(e));
	return 0;
}

int proc_self_exe(char **out)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
		return err_set(ERR_RUNTIME, "cannot find revgate's own program: %s",
			       n < 0 ? strerror(errno) : "path too long");
	*out = xstrndup(buf, (size_t)n);
	return 0;
}

char *proc_status_text(int status)
{
	if (WIFEXITED(status))
		return xstrfmt("exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return xstrfmt("was killed by signal %d (%s)", WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
	return xstrfmt("ended with wait status %d", status);
}
