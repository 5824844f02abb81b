/* PCRE2 behind a small interface; JIT-compiled when the platform allows. */
#include "match/match.h"
#include "core/err.h"
#include "core/xalloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct matcher {
	pcre2_code *code;
	char *pattern;
};

int matcher_compile(struct matcher **out, const char *pattern, const char *what)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
					 &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return err_set(ERR_CONFIG, "invalid %s '%s' at offset %zu: %s", what, pattern,
			       (size_t)erroff, (const char *)msg);
	}
	/* no JIT: revgate matches a few names per file, where compiling machine
	 * code costs more than it saves, and JIT code trips memory checkers */
	struct matcher *m = xcalloc(1, sizeof(*m));
	m->code = code;
	m->pattern = xstrdup(pattern);
	*out = m;
	return 0;
}

bool matcher_match_group(const struct matcher *m, const char *subject, const char *group,
			 char **value)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->code, NULL);
	int rc = pcre2_match(m->code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
	bool ok = rc >= 0;
	if (ok && group && value) {
		PCRE2_UCHAR *buf = NULL;
		PCRE2_SIZE len = 0;
		*value = NULL;
		if (pcre2_substring_get_byname(md, (PCRE2_SPTR)group, &buf, &len) == 0) {
			*value = xstrndup((const char *)buf, len);
			pcre2_substring_free(buf);
		}
	}
	pcre2_match_data_free(md);
	return ok;
}

bool matcher_match(const struct matcher *m, const char *subject)
{
	return matcher_match_group(m, subject, NULL, NULL);
}

const char *matcher_pattern(const struct matcher *m)
{
	return m->pattern;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	pcre2_code_free(m->code);
	free(m->pattern);
	free(m);
}
