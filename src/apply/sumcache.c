/* Verified checksums of revision files: one text file per migrations directory. */
#include "apply/sumcache.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SUMCACHE_MAGIC "revgate-sums 1"
/* a change within the same clock tick would not show in the times */
#define SUMCACHE_RACY_SECONDS 2

/* "size\tino\tmtime_s\tmtime_ns\tctime_s\tctime_ns\tsum": false when malformed. */
static bool parse_numbers(const char *p, struct sumcache_entry *e)
{
	long long *nums[] = {&e->size, &e->ino, &e->mtime_s, &e->mtime_ns, &e->ctime_s,
			     &e->ctime_ns};
	for (size_t i = 0; i < 6; i++) {
		char *end;
		*nums[i] = strtoll(p, &end, 10);
		if (end == p || *end != '\t')
			return false;
		p = end + 1;
	}
	if (strlen(p) != 64 || strspn(p, "0123456789abcdef") != 64)
		return false;
	memcpy(e->sum, p, 65);
	return true;
}

void sumcache_open(struct sumcache *c, const char *cache_dir, const char *dir)
{
	memset(c, 0, sizeof(*c));
	char *real = cache_dir ? realpath(dir, NULL) : NULL;
	if (!real)
		return;
	char hex[17];
	hash_name_hex(real, hex);
	c->path = xstrfmt("%s/checksums-%s", cache_dir, hex);
	free(real);
	struct strbuf sb = STRBUF_INIT;
	if (file_read(c->path, (size_t)1 << 28, &sb) < 0) {
		err_clear();
		strbuf_release(&sb);
		return;
	}
	char *line = sb.buf, *nl = strchr(line, '\n');
	if (!nl || strncmp(line, SUMCACHE_MAGIC "\n", strlen(SUMCACHE_MAGIC) + 1)) {
		strbuf_release(&sb);
		return;
	}
	for (line = nl + 1; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		char *tab = strchr(line, '\t');
		struct sumcache_entry e = {0};
		if (!tab || !parse_numbers(tab + 1, &e))
			continue;
		struct strbuf name = STRBUF_INIT;
		strbuf_add_field_unescaped(&name, line, (size_t)(tab - line));
		e.name = strbuf_detach(&name, NULL);
		if (!strmap_put(&c->by_name, e.name, c->n)) {
			free(e.name);
			continue;
		}
		ALLOC_GROW(c->v, c->n + 1, c->alloc);
		c->v[c->n++] = e;
	}
	strbuf_release(&sb);
}

static bool same_stat(const struct sumcache_entry *e, const struct stat *st)
{
	return S_ISREG(st->st_mode) && e->size == (long long)st->st_size &&
	       e->ino == (long long)st->st_ino && e->mtime_s == (long long)st->st_mtim.tv_sec &&
	       e->mtime_ns == (long long)st->st_mtim.tv_nsec &&
	       e->ctime_s == (long long)st->st_ctim.tv_sec &&
	       e->ctime_ns == (long long)st->st_ctim.tv_nsec;
}

const char *sumcache_lookup(struct sumcache *c, const char *name, const char *path)
{
	size_t i;
	struct stat st;
	if (!c->path || !strmap_get(&c->by_name, name, &i))
		return NULL;
	struct sumcache_entry *e = &c->v[i];
	if (!e->fresh)
		e->fresh = stat(path, &st) == 0 && same_stat(e, &st) ? 1 : -1;
	return e->fresh > 0 ? e->sum : NULL;
}

void sumcache_store(struct sumcache *c, const char *name, const char *path, const char *sum)
{
	struct stat st;
	if (!c->path || stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_ctim.tv_sec >= time(NULL) - SUMCACHE_RACY_SECONDS)
		return;
	size_t i;
	if (strmap_get(&c->by_name, name, &i)) {
		if (same_stat(&c->v[i], &st) && !strcmp(c->v[i].sum, sum))
			return;
	} else {
		ALLOC_GROW(c->v, c->n + 1, c->alloc);
		i = c->n++;
		memset(&c->v[i], 0, sizeof(c->v[i]));
		c->v[i].name = xstrdup(name);
		strmap_put(&c->by_name, c->v[i].name, i);
	}
	struct sumcache_entry *e = &c->v[i];
	e->fresh = 1;
	e->size = (long long)st.st_size;
	e->ino = (long long)st.st_ino;
	e->mtime_s = (long long)st.st_mtim.tv_sec;
	e->mtime_ns = (long long)st.st_mtim.tv_nsec;
	e->ctime_s = (long long)st.st_ctim.tv_sec;
	e->ctime_ns = (long long)st.st_ctim.tv_nsec;
	memcpy(e->sum, sum, 64);
	e->sum[64] = '\0';
	c->dirty = true;
}

void sumcache_save(struct sumcache *c)
{
	if (!c->path || !c->dirty)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, SUMCACHE_MAGIC "\n");
	for (size_t i = 0; i < c->n; i++) {
		const struct sumcache_entry *e = &c->v[i];
		strbuf_add_field_escaped(&sb, e->name);
		strbuf_addf(&sb, "\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%s\n", e->size, e->ino,
			    e->mtime_s, e->mtime_ns, e->ctime_s, e->ctime_ns, e->sum);
	}
	file_write_cache(c->path, sb.buf, sb.len);
	strbuf_release(&sb);
	c->dirty = false;
}

void sumcache_release(struct sumcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	strmap_release(&c->by_name);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
