/*
 * The check of loose objects (see loose.h). An object database backend
 * whose read, read_prefix and read_header look at the loose file of the
 * object asked for: absent, it answers "not found" and libgit2 asks the next
 * backend; whole, it answers "pass through" and libgit2's loose reader reads
 * it; damaged, it answers with an error naming the object and its file.
 */
#include "git/loose.h"
#include "core/xalloc.h"

#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct loose_check {
	git_odb_backend parent; /* first: libgit2 hands this pointer back */
	char *objects;          /* the objects directory, with a trailing '/' */
	size_t shown;           /* where the part to show in messages starts */
};

enum { HEADER_MAX = 64, CHUNK = 16384 };

/* What inflating one loose file found. */
struct scan {
	char header[HEADER_MAX];
	size_t header_len;
	bool header_done;
	unsigned long long declared; /* the size the header states */
	unsigned long long body;     /* bytes after the header */
	const char *problem;         /* NULL when the object is sound */
};

static const char *const types[] = {"blob ", "tree ", "commit ", "tag "};

/* The header is "<type> <decimal size>\0". */
static bool parse_header(struct scan *s)
{
	const char *h = s->header;
	const char *digits = NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strncmp(h, types[i], strlen(types[i])))
			digits = h + strlen(types[i]);
	if (!digits || !*digits)
		return false;
	unsigned long long n = 0;
	for (const char *p = digits; *p; p++) {
		if (*p < '0' || *p > '9' || n > (~0ULL - 9) / 10)
			return false;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	s->declared = n;
	return true;
}

static void take_output(struct scan *s, const unsigned char *out, size_t len)
{
	size_t i = 0;
	while (!s->header_done && i < len) {
		char ch = (char)out[i++];
		if (s->header_len == HEADER_MAX - 1) {
			s->problem = "has no object header";
			return;
		}
		s->header[s->header_len++] = ch;
		if (ch == '\0') {
			s->header_done = true;
			if (!parse_header(s))
				s->problem = "has no object header";
		}
	}
	s->body += len - i;
}

/*
 * Inflates the open file `fd` to its end, keeping nothing but the header
 * and a count; sets s->problem when the stream stops early, does not
 * inflate, or holds another size than its header states.
 */
static void scan_file(const struct loose_check *lc, int fd, struct scan *s)
{
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
	z_stream zs;
	bool eof = false;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		free(in);
		free(out);
		return; /* out of memory in zlib: let libgit2 try */
	}
	while (!s->problem) {
		if (!zs.avail_in && !eof) {
			ssize_t n = read(fd, in, CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				s->problem = "cannot be read";
				break;
			}
			eof = n == 0;
			zs.next_in = in;
			zs.avail_in = (uInt)n;
		}
		zs.next_out = out;
		zs.avail_out = CHUNK;
		int z = inflate(&zs, Z_NO_FLUSH);
		take_output(s, out, CHUNK - zs.avail_out);
		if (z == Z_STREAM_END)
			break;
		if (z == Z_OK || (z == Z_BUF_ERROR && !eof))
			continue;
		/* Z_BUF_ERROR at the end of the file: the stream wants more */
		s->problem = z == Z_BUF_ERROR ? "is truncated" : "is not a zlib stream";
	}
	if (!s->problem && !s->header_done)
		s->problem = "has no object header";
	else if (!s->problem && s->body != s->declared)
		s->problem = "holds another size than its header states";
	inflateEnd(&zs);
	free(in);
	free(out);
}

/* 1: absent; 0: sound; GIT_ERROR with the message set: damaged. */
static int check_path(const struct loose_check *lc, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* absent, or unreadable: libgit2 says which */
	struct scan s;
	memset(&s, 0, sizeof(s));
	scan_file(lc, fd, &s);
	close(fd);
	if (!s.problem)
		return 0;
	char *msg = xstrfmt("the object file '%s' %s", path + lc->shown, s.problem);
	git_error_set_str(GIT_ERROR_ODB, msg);
	free(msg);
	return GIT_ERROR;
}

static char *object_path(const struct loose_check *lc, const char *hex)
{
	return xstrfmt("%s%.2s/%s", lc->objects, hex, hex + 2);
}

static int check_oid(struct loose_check *lc, const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), oid);
	char *path = object_path(lc, hex);
	int rc = check_path(lc, path);
	free(path);
	if (rc < 0)
		return rc;
	return rc ? GIT_ENOTFOUND : GIT_PASSTHROUGH;
}

static int check_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		      const git_oid *oid)
{
	(void)data;
	(void)len;
	(void)type;
	return check_oid((struct loose_check *)b, oid);
}

static int check_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
			     const git_oid *oid)
{
	(void)len;
	(void)type;
	return check_oid((struct loose_check *)b, oid);
}

/* An abbreviated id (a user's --base abc1234): every loose file it names. */
static int check_read_prefix(git_oid *full, void **data, size_t *len, git_object_t *type,
			     git_odb_backend *b, const git_oid *short_oid, size_t hexlen)
{
	struct loose_check *lc = (struct loose_check *)b;
	char hex[GIT_OID_HEXSZ + 1];
	(void)full;
	(void)data;
	(void)len;
	(void)type;
	if (hexlen < 2 || hexlen > GIT_OID_HEXSZ)
		return GIT_PASSTHROUGH;
	git_oid_tostr(hex, sizeof(hex), short_oid);
	char *dir = xstrfmt("%s%.2s", lc->objects, hex);
	DIR *d = opendir(dir);
	int rc = 0;
	const struct dirent *e;
	while (d && rc == 0 && (e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != GIT_OID_HEXSZ - 2 ||
		    strncmp(e->d_name, hex + 2, hexlen - 2))
			continue;
		char *path = xstrfmt("%s/%s", dir, e->d_name);
		if (check_path(lc, path) < 0)
			rc = GIT_ERROR;
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return rc < 0 ? rc : GIT_PASSTHROUGH;
}

static void check_free(git_odb_backend *b)
{
	struct loose_check *lc = (struct loose_check *)b;
	free(lc->objects);
	free(lc);
}

/* A check for the loose objects of one objects directory (`dir` with a
 * trailing '/'; messages show it from byte `shown` on). */
static int add_one(git_odb *odb, const char *dir, size_t shown)
{
	struct loose_check *lc = xcalloc(1, sizeof(*lc));
	int rc = git_odb_init_backend(&lc->parent, GIT_ODB_BACKEND_VERSION);
	lc->objects = xstrdup(dir);
	lc->shown = shown;
	if (rc == 0) {
		lc->parent.read = check_read;
		lc->parent.read_prefix = check_read_prefix;
		lc->parent.read_header = check_read_header;
		lc->parent.free = check_free;
		rc = git_odb_add_backend(odb, &lc->parent, LOOSE_CHECK_PRIORITY);
	}
	if (rc < 0)
		check_free(&lc->parent);
	return rc;
}

/*
 * The objects directories that `dir`'s info/alternates names (a clone made
 * with --shared or --reference reads objects there), each checked as well,
 * to the depth libgit2 follows them.
 */
static int add_alternates(git_odb *odb, const char *dir, int depth)
{
	char *file = xstrfmt("%sinfo/alternates", dir);
	FILE *f = depth < 5 ? fopen(file, "r") : NULL;
	char line[4096];
	int rc = 0;
	while (f && rc == 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		char *alt = *line == '/' ? xstrfmt("%s/", line) : xstrfmt("%s%s/", dir, line);
		rc = add_one(odb, alt, 0);
		if (rc == 0)
			rc = add_alternates(odb, alt, depth + 1);
		free(alt);
	}
	if (f)
		fclose(f);
	free(file);
	return rc;
}

int loose_check_add(git_repository *repo)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, repo);
	if (rc < 0)
		return rc;
	char *objects = xstrfmt("%sobjects/", git_repository_commondir(repo));
	/* messages name the file from the work tree's root when inside */
	const char *root = git_repository_workdir(repo);
	size_t shown = root && !strncmp(objects, root, strlen(root)) ? strlen(root) : 0;
	rc = add_one(odb, objects, shown);
	if (rc == 0)
		rc = add_alternates(odb, objects, 0);
	free(objects);
	git_odb_free(odb);
	return rc;
}
