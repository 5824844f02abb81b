/*
 * Checksums of revision files already verified against the database, so
 * that a deploy that finds nothing to do (`upgrade head` on a database at
 * head) checks a thousand applied revisions with one fstatat each instead
 * of reading and hashing every file. An entry is used only while the
 * file's size, inode, mtime and ctime are what they were when it was
 * hashed, and is written only for a file that has not changed in the last
 * seconds (git's "racily clean" rule), as the header cache does.
 *
 * Ownership: a sumcache owns its entries and strings; lookups return
 * strings borrowed until the next store or release.
 */
#ifndef REVGATE_APPLY_SUMCACHE_H
#define REVGATE_APPLY_SUMCACHE_H

#include "core/strmap.h"

#include <stdbool.h>

struct sumcache_entry {
	char *name; /* the file name in the migrations directory */
	long long size, ino, mtime_s, mtime_ns, ctime_s, ctime_ns;
	char sum[65];
	signed char fresh; /* 0: not looked at yet; 1: its file is unchanged; -1: it changed */
};

struct sumcache {
	char *path; /* the cache file; NULL: no cache */
	struct sumcache_entry *v;
	size_t n, alloc;
	struct strmap by_name;
	bool dirty;
};
#define SUMCACHE_INIT {0}

/* Opens the cache of migrations directory `dir` under `cache_dir` (NULL:
 * no cache). A missing or unreadable cache is empty. */
void sumcache_open(struct sumcache *c, const char *cache_dir, const char *dir);
/* The SHA-256 (hex) of the file `name` at `path`, when it is unchanged
 * since it was recorded; else NULL. The file is looked at once: a second
 * lookup answers from the first (a deploy looks them all up on the thread
 * that reads the revisions, then checks them without a system call). */
const char *sumcache_lookup(struct sumcache *c, const char *name, const char *path);
/* Records the checksum of the file just read and verified. */
void sumcache_store(struct sumcache *c, const char *name, const char *path, const char *sum);
/* Writes the cache if it changed; failures are ignored (it is only a cache). */
void sumcache_save(struct sumcache *c);
void sumcache_release(struct sumcache *c);

#endif
