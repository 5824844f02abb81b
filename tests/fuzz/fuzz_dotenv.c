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

static void check_redacted(const char *url)
{
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
