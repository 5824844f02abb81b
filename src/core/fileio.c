/* File reading and writing, with errors that name the path. */
#include "core/fileio.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read(const char *path, size_t max_size, struct strbuf *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "'%s' does not exist", path);
		return err_set(ERR_IO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return err_set(ERR_IO, "cannot stat '%s': %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(ERR_IO, "'%s' is a directory, not a file", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(ERR_IO, "'%s' is not a regular file", path);
	}
	if (max_size && (size_t)st.st_size > max_size) {
		close(fd);
		return err_set(ERR_IO, "'%s' is %lld bytes, over the limit of %zu bytes", path,
			       (long long)st.st_size, max_size);
	}
	strbuf_reset(out);
	/* read what fstat reported and no more: one read call for most files */
	size_t size = (size_t)st.st_size;
	strbuf_grow(out, size);
	while (out->len < size) {
		ssize_t n = read(fd, out->buf + out->len, size - out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return err_set(ERR_IO, "cannot read '%s': %s", path, strerror(e));
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->buf[out->len] = '\0';
	close(fd);
	return 0;
}

int file_write_atomic(const char *path, const char *data, size_t len, bool exclusive)
{
	if (exclusive && path_exists(path))
		return err_set(ERR_IO, "'%s' already exists", path);
	char *tmp = xstrfmt("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return err_set(ERR_IO, "cannot create '%s': %s", path, strerror(e));
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlink(tmp);
			free(tmp);
			return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(e));
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return err_set(ERR_IO, "cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}

void file_write_cache(const char *path, const char *data, size_t len)
{
	const char *last = strrchr(path, '/');
	if (last) {
		char *dir = xstrndup(path, (size_t)(last - path));
		path_mkdirs(dir);
		free(dir);
	}
	if (file_write_atomic(path, data, len, false) < 0)
		err_clear();
}

int dir_list(const char *path, struct strlist *names)
{
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "directory '%s' does not exist", path);
		return err_set(ERR_IO, "cannot open directory '%s': %s", path, strerror(errno));
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strlist_push(names, e->d_name);
	}
	closedir(d);
	strlist_sort(names);
	return 0;
}

int dir_list_suffix(const char *path, const char *suffix, struct strlist *names,
		    struct strlist *links)
{
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "directory '%s' does not exist", path);
		return err_set(ERR_IO, "cannot open directory '%s': %s", path, strerror(errno));
	}
	size_t sl = strlen(suffix);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (e->d_name[0] == '.' || nl < sl || strcmp(e->d_name + nl - sl, suffix))
			continue;
		strlist_push(names, e->d_name);
		if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN)
			strlist_push(links, e->d_name);
	}
	closedir(d);
	strlist_sort(names);
	return 0;
}

bool path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void path_mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(p, 0700);
		*c = '/';
	}
	(void)mkdir(p, 0700);
	free(p);
}

char *path_join(const char *dir, const char *name)
{
	if (!dir[0] || !strcmp(dir, "."))
		return xstrdup(name);
	size_t n = strlen(dir);
	return xstrfmt("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}
