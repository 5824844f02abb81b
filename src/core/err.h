/*
 * The error slot. A function that can fail returns int: 0, or one of the
 * negative codes below, after storing a one-line message with err_set().
 * Callers propagate the code; they add context with err_wrap() only where it
 * adds information. The CLI prints err_msg() and maps the code to an exit
 * status (see cli/exit.h).
 *
 * Ownership: the slot owns its message; err_msg() is borrowed until the next
 * err_set()/err_wrap()/err_clear().
 */
#ifndef REVGATE_CORE_ERR_H
#define REVGATE_CORE_ERR_H

enum err_code {
	ERR_OK = 0,
	ERR_USAGE = -1,     /* bad command line: exit 2 */
	ERR_CONFIG = -2,    /* bad configuration or environment: exit 2 */
	ERR_NOTFOUND = -3,  /* a revision, file or ref that does not exist: exit 2 */
	ERR_AMBIGUOUS = -4, /* a target that names several things: exit 2 */
	ERR_IO = -5,        /* reading or writing files: exit 3 */
	ERR_GIT = -6,       /* repository errors: exit 3 */
	ERR_DB = -7,        /* database errors: exit 3 */
	ERR_CHECK = -8,     /* a check failed (findings at error level): exit 1 */
	ERR_GRAPH = -9,     /* the revision graph is invalid for this operation: exit 1 */
	ERR_INTERRUPTED = -10, /* stopped by a signal: exit 130 */
	ERR_RUNTIME = -11,  /* anything else at run time: exit 3 */
};

int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the stored message with context ("ctx: old message"). */
int err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Both return `code`. Said here, inline, so that a caller's static analysis
 * (clang-tidy's analyzer works one file at a time) knows that
 * `return err_set(ERR_X, ...)` returns a negative code, and does not follow
 * a path where an out-parameter is used after a failure.
 */
static inline int err_code_(int code, int ignored)
{
	(void)ignored;
	return code;
}
#define err_set(code, ...) err_code_((code), (err_set)((code), __VA_ARGS__))
#define err_wrap(code, ...) err_code_((code), (err_wrap)((code), __VA_ARGS__))
const char *err_msg(void);
int err_last_code(void);
void err_clear(void);

/*
 * A copy of the slot, for clean-up that may fail on its own (a ROLLBACK or
 * an unlock on a connection the server has dropped): save before it,
 * restore after, and the error reported stays the one that stopped the work.
 */
#define ERR_MSG_MAX 1024
struct err_saved {
	int code;
	char msg[ERR_MSG_MAX];
};
void err_save(struct err_saved *s);
void err_restore(const struct err_saved *s);

#endif
