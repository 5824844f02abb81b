/* The error slot: one message per thread, replaced by each err_set(). */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char slot[ERR_MSG_MAX];
static _Thread_local int slot_code;

static void store(const char *msg)
{
	/* keep the slot one line, whatever a library handed us */
	size_t i = 0;
	for (; msg[i] && i + 1 < sizeof(slot); i++) {
		char c = msg[i];
		if (c == '\n' || c == '\r')
			c = ' ';
		slot[i] = c;
	}
	while (i > 0 && slot[i - 1] == ' ')
		i--;
	slot[i] = '\0';
}

int (err_set)(int code, const char *fmt, ...)
{
	char buf[sizeof(slot)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	store(buf);
	slot_code = code;
	return code;
}

int (err_wrap)(int code, const char *fmt, ...)
{
	char ctx[sizeof(slot)], buf[sizeof(slot) * 2 + 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (slot[0])
		snprintf(buf, sizeof(buf), "%s: %s", ctx, slot);
	else
		snprintf(buf, sizeof(buf), "%s", ctx);
	store(buf);
	slot_code = code;
	return code;
}

const char *err_msg(void)
{
	return slot[0] ? slot : "unknown error";
}

int err_last_code(void)
{
	return slot_code;
}

void err_clear(void)
{
	slot[0] = '\0';
	slot_code = 0;
}

void err_save(struct err_saved *s)
{
	s->code = slot_code;
	memcpy(s->msg, slot, sizeof(slot));
}

void err_restore(const struct err_saved *s)
{
	slot_code = s->code;
	memcpy(slot, s->msg, sizeof(slot));
}
