/*
 * The revgate.ini reader on arbitrary bytes: the input is written to a
 * temporary file and loaded; every known key is then read back and the
 * duration keys parsed.
 */
#include "fuzz_util.h"

#include "config/config.h"
#include "core/err.h"

#include <unistd.h>

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/revgate-fuzz-config.%ld.ini", (long)getpid());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);

	struct config cfg = CONFIG_INIT;
	if (config_load(&cfg, path) == 0) {
		for (const struct config_key *k = config_keys; k->section; k++) {
			const char *v = config_get(&cfg, k->section, k->key);
			long ms;
			if (v && strstr(k->key, "timeout"))
				(void)config_duration_ms(v, k->key, &ms);
			if (v && !strcmp(k->key, "lock_wait"))
				(void)config_duration_ms(v, k->key, &ms);
		}
		const struct config_entry *e[64];
		size_t n;
		config_section_entries(&cfg, "rules", e, &n, 64);
		FUZZ_ASSERT(n <= 64);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(e[i]->key && e[i]->value);
	} else {
		FUZZ_ASSERT(err_msg() && *err_msg());
	}
	config_release(&cfg);

	/* the duration grammar on the raw text */
	char *t = fuzz_text(data, size);
	long ms = 0;
	if (config_duration_ms(t, "fuzz", &ms) == 0)
		FUZZ_ASSERT(ms >= 0);
	free(t);
	err_clear();
	return 0;
}
