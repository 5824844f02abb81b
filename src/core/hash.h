/*
 * Content hashes (SHA-256 through OpenSSL's libcrypto), as lowercase hex.
 * Used for the applied-revision checksums and content-addressed caches.
 */
#ifndef REVGATE_CORE_HASH_H
#define REVGATE_CORE_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64
/* Writes 64 hex digits and a NUL into `out`. */
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1]);

/* A name for a cache file derived from `s` (FNV-1a, 64 bits, 16 hex digits
 * and a NUL): a stable spread, not a digest; it saves starting libcrypto
 * (which reads its configuration) in a run that hashes nothing else. */
void hash_name_hex(const char *s, char out[17]);

#endif
