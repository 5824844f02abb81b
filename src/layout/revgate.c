/*
 * revgate's own layout as a layout: every *.sql file directly in the
 * migrations directory is a revision whose header names its id and
 * parents. The working tree is read by revision/ directly (threads, the
 * header cache); this entry lets the git guard read snapshots the same way
 * it reads other layouts.
 */
#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "layout/internal.h"

#include <stdlib.h>
#include <string.h>

static bool is_revision_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && !strchr(name, '/') && n >= 4 && !strcmp(name + n - 4, ".sql");
}

static int list(const struct layout_tree *t, struct layout_units *out, struct findings *fs)
{
	(void)fs;
	for (size_t i = 0; i < t->names.n; i++)
		if (is_revision_name(t->names.v[i]))
			layout_unit_push(out, t->names.v[i]);
	return 0;
}

static int parse(const struct layout_tree *t, const struct layout_unit *u, struct revision *rev,
		 struct findings *fs)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = t->read(t, u->name, &sb);
	if (ret == ERR_IO) {
		/* too large, gone: the file is refused, the run goes on */
		layout_rev_from_unit(t, u, rev);
		findings_add(fs, RULE_INVALID_FILE, SEV_ERROR, rev->path, 0, 0, "%s", err_msg());
		err_clear();
		rev->usable = false;
		strbuf_release(&sb);
		return 0;
	}
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	char *path = path_join(t->settings->dir, u->name);
	size_t len;
	char *text = strbuf_detach(&sb, &len);
	revision_parse_file(rev, path, text, len, t->settings->name_pattern, fs);
	free(path);
	return 0;
}

const struct layout_ops layout_revgate = {
	.kind = LAYOUT_REVGATE,
	.name = "revgate",
	.linear = false,
	.depth = 0,
	.list = list,
	.parse = parse,
};
