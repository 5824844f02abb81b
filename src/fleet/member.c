/*
 * The report a target's process writes to the fleet run that started it,
 * and its reading: "<kind>\t<text>\n", the text escaped as one field of a
 * tab-separated line (strbuf_add_field_escaped), so any message fits in
 * one line.
 */
#include "fleet/internal.h"
#include "core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const msg_names[FLEET_MSGS] = {
	[FLEET_MSG_FROM] = "from",       [FLEET_MSG_TO] = "to",
	[FLEET_MSG_PLAN] = "plan",       [FLEET_MSG_UP] = "up",
	[FLEET_MSG_DOWN] = "down",       [FLEET_MSG_DONE] = "done",
	[FLEET_MSG_WAIT] = "wait",       [FLEET_MSG_FAILURE] = "failure",
	[FLEET_MSG_ERROR] = "error",
};

/* -2: not looked at yet; -1: not a member. Set once, from the environment
 * the run gave this process. */
static int report_fd = -2;

bool fleet_member(void)
{
	if (report_fd == -2) {
		const char *v = getenv(FLEET_FD_ENV);
		/* close-on-exec: a program this one starts must not hold the
		 * run's pipe open after this process ends */
		report_fd = v && !strcmp(v, "3") && fcntl(FLEET_FD, F_SETFD, FD_CLOEXEC) == 0
				    ? FLEET_FD
				    : -1;
	}
	return report_fd >= 0;
}

void fleet_member_say(enum fleet_msg m, const char *text)
{
	if (!fleet_member())
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, msg_names[m]);
	strbuf_addch(&sb, '\t');
	strbuf_add_field_escaped(&sb, text ? text : "");
	strbuf_addch(&sb, '\n');
	/* a run that went away must not stop this one: EPIPE is ignored */
	const char *p = sb.buf;
	size_t left = sb.len;
	while (left) {
		ssize_t w = write(report_fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	strbuf_release(&sb);
}

void fleet_member_heads(enum fleet_msg m, const struct strlist *heads)
{
	if (!fleet_member())
		return;
	char *h = strlist_join(heads, " ");
	fleet_member_say(m, h);
	free(h);
}

int fleet_msg_parse(const char *line, size_t len, enum fleet_msg *m, struct strbuf *text)
{
	const char *tab = memchr(line, '\t', len);
	if (!tab)
		return -1;
	size_t klen = (size_t)(tab - line);
	for (int i = 0; i < FLEET_MSGS; i++) {
		if (strlen(msg_names[i]) == klen && !memcmp(msg_names[i], line, klen)) {
			*m = (enum fleet_msg)i;
			strbuf_add_field_unescaped(text, tab + 1, len - klen - 1);
			return 0;
		}
	}
	return -1;
}
