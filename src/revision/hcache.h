/*
 * A cache of parsed revision headers, so the read-only commands (heads,
 * branches, history, show) on a long history do one fstatat per file
 * instead of open, fstat, read and close. An entry is used only while the
 * file's size, inode, mtime and ctime are what they were when it was
 * parsed, and entries are written only for files that parsed without a
 * finding and have not changed in the last seconds (git's "racily clean"
 * rule: a change within the same clock tick would not show in the times).
 *
 * Ownership: an hcache owns its entries and strings. Revisions built from
 * it are ordinary heap revisions owned by the revset they go into; they
 * carry no text (header_only).
 */
#ifndef REVGATE_REVISION_HCACHE_H
#define REVGATE_REVISION_HCACHE_H

#include "core/strmap.h"
#include "revision/revision.h"

#include <stdbool.h>
#include <sys/stat.h>

struct hcache_entry {
	char *name;
	long long size, ino, mtime_s, mtime_ns, ctime_s, ctime_ns;
	struct revision rev; /* header fields only */
};

struct hcache {
	char *path; /* the cache file */
	struct hcache_entry *v;
	size_t n, alloc;
	struct strmap by_name;
	bool dirty;
};
#define HCACHE_INIT {0}

/* Opens the cache of migrations directory `dir` under `cache_dir` (NULL:
 * no cache; every lookup misses), as `layout` reads it (NULL: revgate's own
 * files). A missing or unreadable cache is empty. */
void hcache_open(struct hcache *c, const char *cache_dir, const char *dir, const char *layout);
/* A copy of the cached revision for `name` if `st` still matches, else NULL. */
struct revision *hcache_lookup(const struct hcache *c, const char *name, const char *path,
			       const struct stat *st);
/* Records a freshly parsed revision (only if it parsed without findings). */
void hcache_store(struct hcache *c, const char *name, const struct stat *st,
		  const struct revision *rev);
/* Writes the cache if it changed; failures are ignored (it is only a cache). */
void hcache_save(struct hcache *c, const char *const *names, size_t n);
void hcache_release(struct hcache *c);

#endif
