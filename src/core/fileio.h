/*
 * File helpers with errors that name the path.
 *
 * Ownership: file_read() fills a caller-owned strbuf; dir_list() fills a
 * caller-owned strlist.
 */
#ifndef REVGATE_CORE_FILEIO_H
#define REVGATE_CORE_FILEIO_H

#include "core/strbuf.h"
#include "core/strlist.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads a regular file into `out` (replacing its contents). Refuses files
 * larger than `max_size` bytes (0: no limit) with ERR_IO and a message that
 * says so, without reading them. Errors: ERR_NOTFOUND, ERR_IO.
 */
int file_read(const char *path, size_t max_size, struct strbuf *out);

/* Writes a file through a temporary in the same directory and a rename, so
 * a reader never sees half a file. Fails with ERR_IO if `exclusive` and the
 * file exists. */
int file_write_atomic(const char *path, const char *data, size_t len, bool exclusive);

/* A cache file's contents, written atomically into a directory made with
 * its parents (~/.cache may not exist yet); a failure is ignored: a cache
 * that cannot be written is only slower. */
void file_write_cache(const char *path, const char *data, size_t len);

/* The names in a directory (not "." or ".."), sorted bytewise. ERR_NOTFOUND, ERR_IO. */
int dir_list(const char *path, struct strlist *names);
/* Like dir_list, keeping only names ending in `suffix`; `links` gets those that
 * are symbolic links (from the directory entry type, no stat needed). */
int dir_list_suffix(const char *path, const char *suffix, struct strlist *names,
		    struct strlist *links);

/* Creates `dir` and its missing parents (mode 0700); failures are left for
 * the first write to report. */
void path_mkdirs(const char *dir);
bool path_is_dir(const char *path);
bool path_exists(const char *path);
/* "dir/name" in a fresh string; `dir` may be "" or ".". */
char *path_join(const char *dir, const char *name);
/* Pointer to the last component of `path` (borrowed). */
const char *path_basename(const char *path);

#endif
