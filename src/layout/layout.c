/*
 * The layout table, the working tree as a layout_tree, the order and
 * parents of linear histories, and the helpers every reader shares.
 */
#include "layout/layout.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/textpos.h"
#include "core/xalloc.h"
#include "layout/internal.h"
#include "revision/hcache.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Deep enough for any layout; recursive Alembic locations stop here too. */
#define MAX_LEVELS 8

static const struct layout_ops *const layouts[] = {
	[LAYOUT_REVGATE] = &layout_revgate,
	[LAYOUT_ALEMBIC] = &layout_alembic,
	[LAYOUT_DBMATE] = &layout_dbmate,
	[LAYOUT_GOLANG_MIGRATE] = &layout_golang_migrate,
	[LAYOUT_GOOSE] = &layout_goose,
	[LAYOUT_FLYWAY] = &layout_flyway,
	[LAYOUT_DIESEL] = &layout_diesel,
	[LAYOUT_SQITCH] = &layout_sqitch,
};

static const struct layout_ops *ops_of(enum layout_kind kind)
{
	if ((size_t)kind >= ARRAY_SIZE(layouts) || !layouts[kind])
		BUG("unknown layout %d", (int)kind);
	return layouts[kind];
}

const char *layout_name(enum layout_kind kind)
{
	return ops_of(kind)->name;
}

const char *layout_names(void)
{
	return "revgate, alembic, dbmate, golang-migrate, goose, flyway, diesel, sqitch";
}

int layout_from_name(const char *name, enum layout_kind *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (!strcmp(layouts[i]->name, name)) {
			*out = layouts[i]->kind;
			return 0;
		}
	}
	return err_set(ERR_CONFIG, "unknown layout '%s' (use one of: %s)", name, layout_names());
}

bool layout_is_linear(enum layout_kind kind)
{
	return ops_of(kind)->linear;
}

void layout_settings_release(struct layout_settings *s)
{
	free(s->dir);
	strlist_release(&s->subdirs);
	free(s->alembic_ini);
	free(s->alembic_command);
	free(s->alembic_script_dir);
	free(s->alembic_file_template);
	memset(s, 0, sizeof(*s));
}

/* Directory levels of `name` below `prefix` ("a/b.py" below "" is 1). */
static unsigned levels(const char *name)
{
	unsigned n = 0;
	for (const char *c = name; *c; c++)
		n += *c == '/';
	return n;
}

static bool under(const char *name, const char *dir, const char **rest)
{
	size_t n = strlen(dir);
	if (!n) {
		*rest = name;
		return true;
	}
	if (strncmp(name, dir, n) || name[n] != '/')
		return false;
	*rest = name + n + 1;
	return true;
}

bool layout_wants_path(const struct layout_settings *s, const char *name)
{
	unsigned depth = ops_of(s->kind)->depth;
	if (!s->subdirs.n) {
		return s->recursive || levels(name) <= depth;
	}
	for (size_t i = 0; i < s->subdirs.n; i++) {
		const char *rest;
		if (under(name, s->subdirs.v[i], &rest) && (s->recursive || levels(rest) <= depth))
			return true;
	}
	return false;
}

unsigned layout_list_depth(const struct layout_settings *s)
{
	if (s->recursive)
		return MAX_LEVELS;
	unsigned deepest = 0;
	for (size_t i = 0; i < s->subdirs.n; i++) {
		unsigned n = *s->subdirs.v[i] ? levels(s->subdirs.v[i]) + 1 : 0;
		if (n > deepest)
			deepest = n;
	}
	return deepest + ops_of(s->kind)->depth;
}

bool layout_has_down_file(enum layout_kind kind)
{
	return kind == LAYOUT_GOLANG_MIGRATE || kind == LAYOUT_FLYWAY || kind == LAYOUT_DIESEL ||
	       kind == LAYOUT_SQITCH;
}

/* ---- the working tree ---- */

static int read_fs(const struct layout_tree *t, const char *name, struct strbuf *out)
{
	char *path = path_join(t->settings->dir, name);
	size_t max = t->settings->max_file_size ? t->settings->max_file_size
						: REVISION_MAX_FILE_SIZE_DEFAULT;
	int ret = file_read(path, max, out);
	free(path);
	return ret;
}


static int list_fs(struct layout_tree *t, const char *rel, unsigned level)
{
	char *path = *rel ? path_join(t->settings->dir, rel) : xstrdup(t->settings->dir);
	DIR *d = opendir(path);
	int ret = 0;
	if (!d) {
		if (errno == ENOENT && !*rel)
			ret = err_set(ERR_NOTFOUND, "directory '%s' does not exist", path);
		else if (errno != ENOENT && errno != ENOTDIR)
			ret = err_set(ERR_IO, "cannot open directory '%s': %s", path, strerror(errno));
		free(path);
		return ret;
	}
	/* the entry type from readdir spares a stat per file; links and
	 * file systems that do not tell are asked */
	struct strlist files = STRLIST_INIT, dirs = STRLIST_INIT;
	bool deeper = level < layout_list_depth(t->settings);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "__pycache__"))
			continue;
		bool is_dir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
			char *full = path_join(path, e->d_name);
			struct stat st;
			is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
			free(full);
		}
		if (is_dir && deeper)
			strlist_push(&dirs, e->d_name);
		else if (!is_dir)
			strlist_push(&files, e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < files.n; i++) {
		char *sub = *rel ? xstrfmt("%s/%s", rel, files.v[i]) : xstrdup(files.v[i]);
		if (layout_wants_path(t->settings, sub))
			strlist_push_owned(&t->names, sub);
		else
			free(sub);
	}
	for (size_t i = 0; i < dirs.n && ret == 0; i++) {
		char *sub = *rel ? xstrfmt("%s/%s", rel, dirs.v[i]) : xstrdup(dirs.v[i]);
		ret = list_fs(t, sub, level + 1);
		free(sub);
	}
	strlist_release(&files);
	strlist_release(&dirs);
	free(path);
	return ret;
}

int layout_tree_open_dir(struct layout_tree *t, const struct layout_settings *s)
{
	memset(t, 0, sizeof(*t));
	t->settings = s;
	t->read = read_fs;
	int ret = list_fs(t, "", 0);
	strlist_sort(&t->names);
	return ret;
}

void layout_tree_release(struct layout_tree *t)
{
	strlist_release(&t->names);
	memset(t, 0, sizeof(*t));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool layout_tree_has(const struct layout_tree *t, const char *name)
{
	return t->names.n &&
	       bsearch(&name, t->names.v, t->names.n, sizeof(*t->names.v), name_cmp) != NULL;
}

/* ---- units ---- */

struct layout_unit *layout_unit_push(struct layout_units *u, const char *name)
{
	ALLOC_GROW(u->v, u->n + 1, u->alloc);
	struct layout_unit *x = &u->v[u->n++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	return x;
}

static void unit_release(struct layout_unit *x)
{
	free(x->name);
	free(x->down_name);
	free(x->conf_name);
	free(x->id);
	free(x->version);
	free(x->parent);
	strlist_release(&x->depends_on);
	free(x->message);
	free(x->created);
}

void layout_units_release(struct layout_units *u)
{
	for (size_t i = 0; i < u->n; i++)
		unit_release(&u->v[i]);
	free(u->v);
	free(u->plan_name);
	memset(u, 0, sizeof(*u));
}

/*
 * Two units with one id: the tool would refuse (or run one of them twice),
 * and the graph cannot tell them apart. The second is dropped with a
 * finding, so the history stays a chain.
 */
static void drop_duplicates(const struct layout_tree *t, struct layout_units *u,
			    struct findings *fs)
{
	size_t w = 0;
	for (size_t i = 0; i < u->n; i++) {
		struct layout_unit *x = &u->v[i];
		size_t k = 0;
		/* "001" and "1" are one version to golang-migrate and goose, "1"
		 * and "1.0" to Flyway (a sqitch rework is no duplicate) */
		bool by_version = t->settings->kind != LAYOUT_SQITCH;
		while (k < w && strcmp(u->v[k].id, x->id) &&
		       !(by_version && u->v[k].version && x->version &&
			 layout_version_equal(t->settings->kind, u->v[k].version, x->version)))
			k++;
		if (k < w) {
			char *path = path_join(t->settings->dir, x->name);
			struct finding *f = findings_add(
				fs, RULE_DUPLICATE_VERSION, SEV_ERROR, path, 0, 0,
				"version '%s' is also '%s': %s refuses two migrations with one "
				"version",
				x->version ? x->version : x->id, u->v[k].name,
				ops_of(t->settings->kind)->name);
			finding_set_hint(f, "give one of them a new version (rename the file)");
			free(path);
			unit_release(x);
			continue;
		}
		u->v[w++] = *x;
	}
	u->n = w;
}

int layout_list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	const struct layout_ops *ops = ops_of(t->settings->kind);
	int ret = ops->list(t, out, fs);
	if (ret < 0 || !ops->linear)
		return ret;
	drop_duplicates(t, out, fs);
	for (size_t i = 1; i < out->n; i++)
		out->v[i].parent = xstrdup(out->v[i - 1].id);
	return 0;
}

int layout_parse(const struct layout_tree *t, const struct layout_unit *u, struct revision **out,
		 struct findings *fs)
{
	struct revision *rev = xcalloc(1, sizeof(*rev));
	int ret = ops_of(t->settings->kind)->parse(t, u, rev, fs);
	if (ret < 0) {
		revision_release(rev);
		free(rev);
		*out = NULL;
		return ret;
	}
	*out = rev;
	return 0;
}

int layout_load(const struct layout_tree *t, struct revset *set, struct findings *fs)
{
	struct layout_units units = LAYOUT_UNITS_INIT;
	int ret = layout_list(t, &units, fs);
	for (size_t i = 0; ret == 0 && i < units.n; i++) {
		struct revision *rev;
		if ((ret = layout_parse(t, &units.v[i], &rev, fs)) < 0)
			break;
		ALLOC_GROW(set->v, set->n + 1, set->alloc);
		set->v[set->n++] = rev;
	}
	layout_units_release(&units);
	return ret;
}

/* A file changed less than this many seconds before it was read may change
 * again within the same clock tick: it is not cached (as revision/ does). */
#define HCACHE_RACY_SECONDS 2

int layout_load_headers(const struct layout_tree *t, struct revset *set, const char *cache_dir,
			struct findings *fs)
{
	/* linear tools' graph comes from names alone, and their files are cheap */
	if (t->settings->kind != LAYOUT_ALEMBIC || !cache_dir || t->read != read_fs)
		return layout_load(t, set, fs);
	struct layout_units units = LAYOUT_UNITS_INIT;
	struct hcache cache;
	struct strlist names = STRLIST_INIT;
	time_t started = time(NULL);
	hcache_open(&cache, cache_dir, t->settings->dir, layout_name(t->settings->kind));
	int ret = layout_list(t, &units, fs);
	for (size_t i = 0; ret == 0 && i < units.n; i++) {
		const struct layout_unit *u = &units.v[i];
		char *path = path_join(t->settings->dir, u->name);
		struct stat st;
		bool have_st = stat(path, &st) == 0;
		struct revision *rev = have_st ? hcache_lookup(&cache, u->name, path, &st) : NULL;
		if (rev) {
			/* the cache knows files by their name in the directory */
			free(rev->file_name);
			rev->file_name = xstrdup(path_basename(u->name));
			rev->rel_name = xstrdup(u->name);
		} else {
			size_t before = fs->n;
			if ((ret = layout_parse(t, u, &rev, fs)) < 0) {
				free(path);
				break;
			}
			if (have_st && fs->n == before && st.st_ctim.tv_sec < started - HCACHE_RACY_SECONDS)
				hcache_store(&cache, u->name, &st, rev);
		}
		strlist_push(&names, u->name);
		free(path);
		ALLOC_GROW(set->v, set->n + 1, set->alloc);
		set->v[set->n++] = rev;
	}
	if (ret == 0)
		hcache_save(&cache, (const char *const *)names.v, names.n);
	strlist_release(&names);
	hcache_release(&cache);
	layout_units_release(&units);
	return ret;
}

/* ---- ids, times, messages ---- */

static bool id_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

#define ID_MAX 32

char *layout_id_from_version(const char *version)
{
	size_t n = strlen(version);
	char *id = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		id[i] = (char)(id_char(version[i]) ? version[i] : '_');
	id[n] = '\0';
	if (n && n <= ID_MAX)
		return id;
	/* too long (or empty): a prefix that stays readable, and a hash of the
	 * whole version so two long versions never meet */
	char hex[HASH_HEX_LEN + 1];
	hash_sha256_hex(version, n, hex);
	size_t keep = n > ID_MAX - 9 ? ID_MAX - 9 : n;
	char *out = keep ? xstrfmt("%.*s_%.8s", (int)keep, id, hex) : xstrfmt("v%.8s", hex);
	free(id);
	return out;
}

char *layout_created_from_version(const char *version)
{
	char d[15];
	size_t n = 0;
	for (const char *c = version; *c && n < 14; c++) {
		if (isdigit((unsigned char)*c))
			d[n++] = *c;
		else if (*c != '-' && *c != '_' && *c != '.')
			break;
	}
	if (n != 14)
		return NULL;
	d[14] = '\0';
	int mo = (d[4] - '0') * 10 + d[5] - '0', dd = (d[6] - '0') * 10 + d[7] - '0';
	int hh = (d[8] - '0') * 10 + d[9] - '0', mi = (d[10] - '0') * 10 + d[11] - '0';
	int ss = (d[12] - '0') * 10 + d[13] - '0';
	if (d[0] == '0' || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60)
		return NULL;
	return xstrfmt("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", d, d + 4, d + 6, d + 8, d + 10, d + 12);
}

char *layout_message_from_slug(const char *slug)
{
	char *m = xstrdup(slug);
	for (char *c = m; *c; c++)
		if (*c == '_')
			*c = ' ';
	return m;
}

char *layout_leading_digits(const char *s)
{
	size_t n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	return n ? xstrndup(s, n) : NULL;
}

int layout_numeric_cmp(const char *a, const char *b)
{
	while (*a == '0' && isdigit((unsigned char)a[1]))
		a++;
	while (*b == '0' && isdigit((unsigned char)b[1]))
		b++;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* ---- reading units ---- */

int layout_read_other(const struct layout_tree *t, const char *name, char **text, size_t *len,
		      struct findings *fs)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = path_join(t->settings->dir, name);
	int ret = t->read(t, name, &sb);
	*text = NULL;
	*len = 0;
	if (ret < 0) {
		/* too large, unreadable: the file is refused, the run goes on */
		if (ret == ERR_IO) {
			findings_add(fs, RULE_INVALID_FILE, SEV_ERROR, path, 0, 0, "%s", err_msg());
			err_clear();
			ret = 0;
		}
		strbuf_release(&sb);
		free(path);
		return ret;
	}
	size_t body;
	/* an empty file is a migration that does nothing: golang-migrate and
	 * diesel allow them, and real histories hold them */
	if (sb.len && !revision_text_ok(path, sb.buf, sb.len, &body, fs)) {
		strbuf_release(&sb);
		free(path);
		return 0;
	}
	*text = strbuf_detach(&sb, len);
	free(path);
	return 1;
}

int layout_read_main(const struct layout_tree *t, const char *name, struct revision *rev,
		     struct findings *fs)
{
	char *text;
	size_t len;
	int ret = layout_read_other(t, name, &text, &len, fs);
	if (ret <= 0)
		return ret;
	free(rev->text);
	rev->text = text;
	rev->len = len;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		rev->body_start = 3;
	return 1;
}

void layout_rev_from_unit(const struct layout_tree *t, const struct layout_unit *u,
			  struct revision *rev)
{
	rev->path = path_join(t->settings->dir, u->name);
	rev->file_name = xstrdup(path_basename(u->name));
	rev->text = xstrdup("");
	rev->rel_name = xstrdup(u->name);
	rev->downgrade_how = ops_of(t->settings->kind)->downgrade_how;
	rev->transactional = true;
	if (u->id)
		rev->id = xstrdup(u->id);
	if (u->parent)
		strlist_push(&rev->down_revisions, u->parent);
	for (size_t i = 0; i < u->depends_on.n; i++)
		strlist_push(&rev->depends_on, u->depends_on.v[i]);
	if (u->version)
		rev->tool_version = xstrdup(u->version);
	if (u->message)
		rev->message = xstrdup(u->message);
	if (u->created)
		rev->created = xstrdup(u->created);
	rev->usable = u->id != NULL;
}

int layout_read_unit(const struct layout_tree *t, const struct layout_unit *u,
		     struct revision *rev, struct findings *fs)
{
	layout_rev_from_unit(t, u, rev);
	int ret = layout_read_main(t, u->name, rev, fs);
	if (ret <= 0)
		rev->usable = false;
	return ret;
}

int layout_read_pair(const struct layout_tree *t, const struct layout_unit *u,
		     struct revision *rev, char **conf, struct findings *fs)
{
	if (conf)
		*conf = NULL;
	int ret = layout_read_unit(t, u, rev, fs);
	if (ret <= 0)
		return ret;
	rev->upgrade.present = true;
	rev->upgrade.start = rev->body_start;
	rev->upgrade.end = rev->len;
	size_t len;
	if (conf && u->conf_name && (ret = layout_read_other(t, u->conf_name, conf, &len, fs)) < 0)
		return ret;
	if (u->down_name) {
		char *down;
		if ((ret = layout_read_other(t, u->down_name, &down, &len, fs)) < 0) {
			if (conf) {
				free(*conf);
				*conf = NULL;
			}
			return ret;
		}
		if (ret > 0)
			layout_attach_down(t, rev, u->down_name, down, len);
	}
	return 1;
}

void layout_marked_sections(struct revision *rev, layout_line_fn line_fn, void *ctx,
			    const char *up_marker, const char *down_marker, struct findings *fs)
{
	const char *text = rev->text;
	struct rev_section *open = NULL;
	size_t pos = rev->body_start;
	unsigned line = 1;
	while (pos < rev->len) {
		const char *nl = memchr(text + pos, '\n', rev->len - pos);
		size_t end = nl ? (size_t)(nl - text) : rev->len, next = nl ? end + 1 : rev->len;
		size_t le = end > pos && text[end - 1] == '\r' ? end - 1 : end;
		int m = line_fn(ctx, rev, pos, le - pos, next, fs);
		struct rev_section *s = m == LAYOUT_MARK_UP     ? &rev->upgrade
					: m == LAYOUT_MARK_DOWN ? &rev->downgrade
								: NULL;
		if (s && s->present) {
			findings_add_at(fs, RULE_DUPLICATE_SECTION, SEV_ERROR, rev->path, text, rev->len,
					pos, "a second '%s' marker",
					m == LAYOUT_MARK_UP ? up_marker : down_marker);
		} else if (s) {
			if (open)
				open->end = pos;
			s->present = true;
			s->marker_line = line;
			s->start = next;
			s->end = rev->len;
			open = s;
		}
		pos = next;
		line++;
	}
	if (!rev->upgrade.present) {
		struct finding *f = findings_add(fs, RULE_MISSING_UPGRADE, SEV_ERROR, rev->path, 1, 1,
						 "the file has no '%s' marker", up_marker);
		finding_set_hint(f, "put the upgrade SQL after a line '%s'", up_marker);
	}
}

void layout_attach_down(const struct layout_tree *t, struct revision *rev, const char *down_name,
			char *down_text, size_t down_len)
{
	size_t up_len = rev->len;
	bool newline = up_len && rev->text[up_len - 1] != '\n';
	size_t start = up_len + (newline ? 1 : 0);
	rev->text = xrealloc(rev->text, start + down_len + 1);
	if (newline)
		rev->text[up_len] = '\n';
	memcpy(rev->text + start, down_text, down_len);
	rev->text[start + down_len] = '\0';
	rev->len = start + down_len;
	free(down_text);
	size_t body = start;
	if (down_len >= 3 && !memcmp(rev->text + start, "\xEF\xBB\xBF", 3))
		body += 3;
	rev->downgrade.present = true;
	rev->downgrade.start = body;
	rev->downgrade.end = rev->len;
	revision_add_span(rev, 0, up_len, rev->path, 1);
	char *down_path = path_join(t->settings->dir, down_name);
	revision_add_span(rev, start, rev->len, down_path, 1);
	free(down_path);
}

void layout_report_placeholders(const struct revision *rev, size_t start, size_t end,
				const char *what, struct findings *fs)
{
	for (size_t i = start; i + 1 < end; i++) {
		if (rev->text[i] != '$' || rev->text[i + 1] != '{')
			continue;
		const char *close = memchr(rev->text + i, '}', end - i);
		size_t n = close ? (size_t)(close - (rev->text + i)) + 1 : 2;
		struct finding *f = findings_add_at(
			fs, RULE_TEMPLATE_PLACEHOLDER, SEV_WARNING, rev->path, rev->text, rev->len, i,
			"%s placeholder '%.*s': the tool replaces it before the SQL runs, so revgate "
			"cannot read the statement as it will run",
			what, (int)(n > 64 ? 64 : n), rev->text + i);
		finding_set_hint(f, "write the value in the SQL (an import keeps the text as it is)");
		i += n - 1;
	}
}
