/*
 * Shared by the libFuzzer targets: turning the fuzzer's bytes into the
 * NUL-terminated heap text revgate's parsers take over, and a check that
 * stops the run on a broken invariant (a crash the fuzzer records).
 */
#ifndef REVGATE_FUZZ_UTIL_H
#define REVGATE_FUZZ_UTIL_H

#include "core/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A heap copy of data[0..size) with a terminating NUL (owned by the caller). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *t = xmalloc(size + 1);
	if (size)
		memcpy(t, data, size);
	t[size] = '\0';
	return t;
}

#define FUZZ_ASSERT(cond)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,   \
				#cond);                                                        \
			abort();                                                               \
		}                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
