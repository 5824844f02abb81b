/*
 * The applier's `.env` reader and URL redaction: the input is written as
 * ./.env in a scratch directory and DATABASE_URL is looked up as `upgrade`
 * does; the URL found, and the raw input as a URL, are redacted. The
 * property: whatever password libpq would read from the original, it reads
 * "***" or nothing from the redacted text.
 */
#include "fuzz_util.h"

#include "core/err.h"
#include "db/db.h"

#include <libpq-fe.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/revgate-fuzz-dotenv.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0)
		abort();
	unsetenv("DATABASE_URL");
	return 0;
}

static char *password_of(const char *conninfo)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	PQfreemem(errmsg);
	if (!opts)
		return NULL;
	char *pw = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			pw = strdup(o->val);
	PQconninfoFree(opts);
	return pw;
}

/*
 * REVGATE_FUZZ_SKIP_KNOWN=1 skips the classes of leaks already handed over
 * (tests/fuzz/known/): a password is redacted only up to a '#' or an '&'
 * (also in key=value strings); a URI password with a single quote or a
 * '?' is not redacted; a URI with several '@' is cut at the last one where libpq cuts
 * at the first. Lets a run look for other bugs.
 */
static bool known_leak(const char *url)
{
	static int skip = -1;
	if (skip < 0)
		skip = getenv("REVGATE_FUZZ_SKIP_KNOWN") != NULL;
	const char *at = strchr(url, '@');
	return skip && (strpbrk(url, "#&'?") || (at && strchr(at + 1, '@')));
}

static void check_redacted(const char *url)
{
	if (known_leak(url))
		return;
	char *pw = password_of(url);
	char *red = db_url_redact(url);
	if (pw && strcmp(pw, "***")) {
		char *after = password_of(red);
		FUZZ_ASSERT(!after || !strcmp(after, "***") || strstr(pw, "***"));
		free(after);
	}
	free(red);
	free(pw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *fp = fopen(".env", "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);

	char *url = NULL;
	const char *source = NULL;
	if (db_url_find(NULL, NULL, &url, &source) == 0) {
		FUZZ_ASSERT(url && !strcmp(source, ".env"));
		check_redacted(url);
	}
	free(url);

	char *text = fuzz_text(data, size);
	check_redacted(text);
	free(text);
	err_clear();
	return 0;
}
