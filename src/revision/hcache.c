/* The cache of parsed revision headers: one text file per migrations directory. */
#include "revision/hcache.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HCACHE_MAGIC "revgate-hcache 1"
#define HCACHE_FIELDS 21

static void put_field(struct strbuf *sb, const char *s)
{
	strbuf_add_field_escaped(sb, s);
	strbuf_addch(sb, '\t');
}

/* NULL and "" must differ: a leading '-' is NULL, '=' a value */
static void put_opt(struct strbuf *sb, const char *s)
{
	if (!s) {
		put_field(sb, "-");
		return;
	}
	strbuf_addch(sb, '=');
	put_field(sb, s);
}

static void put_list(struct strbuf *sb, const struct strlist *l)
{
	char *j = strlist_join(l, ",");
	put_field(sb, j);
	free(j);
}

static char *opt_value(char *f)
{
	if (f[0] == '=')
		return xstrdup(f + 1);
	return NULL;
}

static void cache_path(struct hcache *c, const char *cache_dir, const char *dir,
		       const char *layout)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return;
	/* another layout's reading of the same directory is another cache */
	char *key = layout ? xstrfmt("%s\n%s", real, layout) : xstrdup(real);
	free(real);
	char hex[17];
	hash_name_hex(key, hex);
	c->path = xstrfmt("%s/headers-%s", cache_dir, hex);
	free(key);
}

/* Unescapes field [s, end) where it stands (it only shrinks); NUL-ends it. */
static char *unescape_in_place(char *s, char *end)
{
	char *w = s;
	for (char *r = s; r < end; r++) {
		if (*r == '\\' && r + 1 < end) {
			r++;
			char c = *r;
			if (c == 't')
				c = '\t';
			else if (c == 'n')
				c = '\n';
			*w++ = c;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return s;
}

/*
 * One record: its fields are unescaped inside the line, and only what the
 * entry keeps is copied (a long history reads thousands of records on
 * every graph command).
 */
static void parse_record(struct hcache *c, char *line)
{
	char *f[HCACHE_FIELDS];
	size_t nf = 0;
	char *p = line;
	while (nf < HCACHE_FIELDS) {
		char *tab = strchr(p, '\t');
		if (!tab) /* a short record: not ours, or cut off */
			return;
		f[nf++] = unescape_in_place(p, tab);
		p = tab + 1;
	}
	for (size_t k = 0; k < HCACHE_FIELDS; k++)
		if (k == 0 || (k >= 7 && k <= 14))
			f[k] = xstrdup(f[k]);
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	struct hcache_entry *e = &c->v[c->n];
	memset(e, 0, sizeof(*e));
	e->name = f[0];
	long long *nums[] = {&e->size, &e->ino, &e->mtime_s, &e->mtime_ns, &e->ctime_s, &e->ctime_ns};
	for (size_t k = 0; k < 6; k++)
		*nums[k] = strtoll(f[1 + k], NULL, 10);
	struct revision *r = &e->rev;
	r->id = f[7];
	strlist_split(&r->down_revisions, f[8], ',');
	strlist_split(&r->depends_on, f[9], ',');
	strlist_split(&r->branch_labels, f[10], ',');
	strlist_split(&r->ignore_rules, f[11], ',');
	r->message = opt_value(f[12]);
	r->created = opt_value(f[13]);
	r->irreversible = opt_value(f[14]);
	r->transactional = !strcmp(f[15], "1");
	r->id_line = (unsigned)strtoul(f[16], NULL, 10);
	r->down_line = (unsigned)strtoul(f[17], NULL, 10);
	r->depends_line = (unsigned)strtoul(f[18], NULL, 10);
	r->labels_line = (unsigned)strtoul(f[19], NULL, 10);
	r->upgrade.present = f[20][0] == '1';
	r->downgrade.present = f[20][1] == '1';
	for (size_t k = 8; k <= 14; k++)
		free(f[k]);
	if (!revision_id_valid(r->id) || !strmap_put(&c->by_name, e->name, c->n)) {
		revision_release(r);
		free(e->name);
		return;
	}
	r->usable = true;
	c->n++;
}

void hcache_open(struct hcache *c, const char *cache_dir, const char *dir, const char *layout)
{
	memset(c, 0, sizeof(*c));
	if (!cache_dir)
		return;
	cache_path(c, cache_dir, dir, layout);
	struct strbuf sb = STRBUF_INIT;
	if (!c->path || file_read(c->path, (size_t)1 << 30, &sb) < 0) {
		err_clear();
		strbuf_release(&sb);
		return;
	}
	char *line = sb.buf, *nl = strchr(line, '\n');
	if (nl && (size_t)(nl - line) == strlen(HCACHE_MAGIC) &&
	    !strncmp(line, HCACHE_MAGIC, strlen(HCACHE_MAGIC))) {
		for (line = nl + 1; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (!nl)
				break;
			*nl = '\0';
			parse_record(c, line);
		}
	}
	strbuf_release(&sb);
}

static bool same_stat(const struct hcache_entry *e, const struct stat *st)
{
	return S_ISREG(st->st_mode) && e->size == (long long)st->st_size &&
	       e->ino == (long long)st->st_ino && e->mtime_s == (long long)st->st_mtim.tv_sec &&
	       e->mtime_ns == (long long)st->st_mtim.tv_nsec &&
	       e->ctime_s == (long long)st->st_ctim.tv_sec &&
	       e->ctime_ns == (long long)st->st_ctim.tv_nsec;
}

static void copy_list(struct strlist *dst, const struct strlist *src)
{
	for (size_t k = 0; k < src->n; k++)
		strlist_push(dst, src->v[k]);
}

struct revision *hcache_lookup(const struct hcache *c, const char *name, const char *path,
			       const struct stat *st)
{
	size_t i;
	if (!c->path || !strmap_get(&c->by_name, name, &i) || !same_stat(&c->v[i], st))
		return NULL;
	const struct revision *src = &c->v[i].rev;
	struct revision *r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->file_name = xstrdup(name);
	r->id = xstrdup(src->id);
	copy_list(&r->down_revisions, &src->down_revisions);
	copy_list(&r->depends_on, &src->depends_on);
	copy_list(&r->branch_labels, &src->branch_labels);
	copy_list(&r->ignore_rules, &src->ignore_rules);
	r->message = src->message ? xstrdup(src->message) : NULL;
	r->created = src->created ? xstrdup(src->created) : NULL;
	r->irreversible = src->irreversible ? xstrdup(src->irreversible) : NULL;
	r->transactional = src->transactional;
	r->usable = true;
	r->header_only = true;
	r->id_line = src->id_line;
	r->down_line = src->down_line;
	r->depends_line = src->depends_line;
	r->labels_line = src->labels_line;
	r->upgrade.present = src->upgrade.present;
	r->downgrade.present = src->downgrade.present;
	r->text = NULL;
	return r;
}

void hcache_store(struct hcache *c, const char *name, const struct stat *st,
		  const struct revision *rev)
{
	if (!c->path || !rev->usable || rev->header_only)
		return;
	size_t i;
	struct hcache_entry *e;
	if (strmap_get(&c->by_name, name, &i)) {
		e = &c->v[i];
		revision_release(&e->rev);
		free(e->name);
	} else {
		ALLOC_GROW(c->v, c->n + 1, c->alloc);
		i = c->n++;
		e = &c->v[i];
	}
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	strmap_put(&c->by_name, e->name, i);
	e->size = (long long)st->st_size;
	e->ino = (long long)st->st_ino;
	e->mtime_s = (long long)st->st_mtim.tv_sec;
	e->mtime_ns = (long long)st->st_mtim.tv_nsec;
	e->ctime_s = (long long)st->st_ctim.tv_sec;
	e->ctime_ns = (long long)st->st_ctim.tv_nsec;
	struct revision *r = &e->rev;
	r->id = xstrdup(rev->id);
	copy_list(&r->down_revisions, &rev->down_revisions);
	copy_list(&r->depends_on, &rev->depends_on);
	copy_list(&r->branch_labels, &rev->branch_labels);
	copy_list(&r->ignore_rules, &rev->ignore_rules);
	r->message = rev->message ? xstrdup(rev->message) : NULL;
	r->created = rev->created ? xstrdup(rev->created) : NULL;
	r->irreversible = rev->irreversible ? xstrdup(rev->irreversible) : NULL;
	r->transactional = rev->transactional;
	r->id_line = rev->id_line;
	r->down_line = rev->down_line;
	r->depends_line = rev->depends_line;
	r->labels_line = rev->labels_line;
	r->upgrade.present = rev->upgrade.present;
	r->downgrade.present = rev->downgrade.present;
	r->usable = true;
	c->dirty = true;
}

void hcache_save(struct hcache *c, const char *const *names, size_t n)
{
	if (!c->path || !c->dirty)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, HCACHE_MAGIC "\n");
	/* only the files the directory still holds, in its order */
	for (size_t k = 0; k < n; k++) {
		size_t i;
		if (!strmap_get(&c->by_name, names[k], &i))
			continue;
		const struct hcache_entry *e = &c->v[i];
		const struct revision *r = &e->rev;
		put_field(&sb, e->name);
		strbuf_addf(&sb, "%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t", e->size, e->ino, e->mtime_s,
			    e->mtime_ns, e->ctime_s, e->ctime_ns);
		put_field(&sb, r->id);
		put_list(&sb, &r->down_revisions);
		put_list(&sb, &r->depends_on);
		put_list(&sb, &r->branch_labels);
		put_list(&sb, &r->ignore_rules);
		put_opt(&sb, r->message);
		put_opt(&sb, r->created);
		put_opt(&sb, r->irreversible);
		strbuf_addf(&sb, "%d\t%u\t%u\t%u\t%u\t%d%d\t\n", r->transactional ? 1 : 0, r->id_line,
			    r->down_line, r->depends_line, r->labels_line, r->upgrade.present ? 1 : 0,
			    r->downgrade.present ? 1 : 0);
	}
	/* create the cache directory and its parents (~/.cache may not exist) */
	char *dir = xstrndup(c->path, (size_t)(strrchr(c->path, '/') - c->path));
	bool ok = true;
	for (char *slash = strchr(dir + 1, '/'); ok; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		ok = mkdir(dir, 0700) == 0 || errno == EEXIST;
		if (!slash)
			break;
		*slash = '/';
	}
	if (ok && file_write_atomic(c->path, sb.buf, sb.len, false) < 0)
		err_clear();
	free(dir);
	strbuf_release(&sb);
	c->dirty = false;
}

void hcache_release(struct hcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		revision_release(&c->v[i].rev);
		free(c->v[i].name);
	}
	free(c->v);
	strmap_release(&c->by_name);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
