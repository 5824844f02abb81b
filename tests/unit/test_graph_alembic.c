/*
 * The revision graph against Alembic: every case in tests/fixtures/graphs
 * carries the answers Alembic 1.8.1 gives (expected.json); revgate must give
 * the same heads, history, targets, history ranges and upgrade/downgrade
 * steps, and report the same kind of error on invalid graphs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "graph/graph.h"
#include "graph/walk.h"
#include "revision/revision.h"

#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtures(void)
{
	const char *d = getenv("GRAPH_FIXTURES");
	return d ? d : "tests/fixtures/graphs";
}

struct ctx {
	const char *name;
	struct revset revs;
	struct findings fs;
	struct graph g;
	json_object *exp;
	unsigned mismatches;
};

static void mismatch(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mismatch(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "# %s: ", c->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	c->mismatches++;
}

static void ids_of(const struct graph *g, const struct idxvec *v, struct strbuf *out)
{
	for (size_t k = 0; k < v->n; k++)
		strbuf_addf(out, "%s%s", k ? "," : "", v->v[k] < g->n ? g->nodes[v->v[k]].id : "None");
}

static void json_ids(json_object *arr, struct strbuf *out)
{
	for (size_t k = 0; k < json_object_array_length(arr); k++)
		strbuf_addf(out, "%s%s", k ? "," : "",
			    json_object_get_string(json_object_array_get_idx(arr, k)));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "b,a" → "a,b": for answers Alembic gives from sets */
static void sort_csv(struct strbuf *sb)
{
	struct strlist l = STRLIST_INIT;
	strlist_split(&l, sb->buf, ',');
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	char *j = strlist_join(&l, ",");
	strbuf_reset(sb);
	strbuf_addstr(sb, j);
	free(j);
	strlist_release(&l);
}

static void compare_list(struct ctx *c, const char *what, const struct idxvec *got,
			 json_object *want, bool unordered)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	ids_of(&c->g, got, &a);
	json_ids(want, &b);
	if (unordered) {
		sort_csv(&a);
		sort_csv(&b);
	}
	if (strcmp(a.buf, b.buf))
		mismatch(c, "%s: expected [%s], got [%s]", what, b.buf, a.buf);
	strbuf_release(&a);
	strbuf_release(&b);
}

static int expected_code(const char *kind)
{
	if (!strcmp(kind, "ambiguous") || !strcmp(kind, "multiple-heads"))
		return ERR_AMBIGUOUS;
	if (!strcmp(kind, "not-found") || !strcmp(kind, "no-such-branch") ||
	    !strcmp(kind, "not-member-of-branch"))
		return ERR_NOTFOUND;
	return ERR_USAGE;
}

/* Compares an outcome with an expected array or error object. */
static void compare_outcome(struct ctx *c, const char *what, int ret, const struct idxvec *got,
			    json_object *want, bool unordered)
{
	if (json_object_is_type(want, json_type_array)) {
		if (ret < 0)
			mismatch(c, "%s: expected ids, got error: %s", what, err_msg());
		else
			compare_list(c, what, got, want, unordered);
		return;
	}
	json_object *kind;
	json_object_object_get_ex(want, "error", &kind);
	const char *k = json_object_get_string(kind);
	/* Alembic failed an internal assertion: it has no answer to compare with */
	if (!strcmp(k, "assertion"))
		return;
	if (ret >= 0) {
		struct strbuf a = STRBUF_INIT;
		ids_of(&c->g, got, &a);
		mismatch(c, "%s: expected error %s, got [%s]", what, k, a.buf);
		strbuf_release(&a);
		return;
	}
	if (ret != expected_code(k))
		mismatch(c, "%s: expected error %s, got code %d: %s", what, k, ret, err_msg());
	json_object *cands;
	if (json_object_object_get_ex(want, "candidates", &cands)) {
		for (size_t i = 0; i < json_object_array_length(cands); i++) {
			const char *id = json_object_get_string(json_object_array_get_idx(cands, i));
			if (!strstr(err_msg(), id))
				mismatch(c, "%s: error does not list candidate %s: %s", what, id,
					 err_msg());
		}
	}
}

static void strlist_from_json(json_object *arr, struct strlist *out)
{
	for (size_t k = 0; k < json_object_array_length(arr); k++)
		strlist_push(out, json_object_get_string(json_object_array_get_idx(arr, k)));
}

static void check_runs(struct ctx *c, const char *key, bool down)
{
	json_object *runs;
	if (!json_object_object_get_ex(c->exp, key, &runs))
		return;
	for (size_t r = 0; r < json_object_array_length(runs); r++) {
		json_object *run = json_object_array_get_idx(runs, r), *from, *to, *want;
		json_object_object_get_ex(run, "from", &from);
		json_object_object_get_ex(run, "to", &to);
		struct strlist cur = STRLIST_INIT;
		strlist_from_json(from, &cur);
		struct idxvec got = IDXVEC_INIT;
		err_clear();
		int ret = down ? graph_downgrade_steps(&c->g, &cur, json_object_get_string(to), &got)
			       : graph_upgrade_steps(&c->g, &cur, json_object_get_string(to), &got);
		char what[256];
		char *f = strlist_join(&cur, ",");
		snprintf(what, sizeof(what), "%s from [%s] to %s", key, f, json_object_get_string(to));
		free(f);
		if (json_object_object_get_ex(run, "steps", &want))
			compare_outcome(c, what, ret, &got, want, false);
		else
			compare_outcome(c, what, ret, &got, run, false);
		idxvec_release(&got);
		strlist_release(&cur);
	}
}

static void check_valid(struct ctx *c)
{
	json_object *v;
	if (json_object_object_get_ex(c->exp, "heads", &v))
		compare_list(c, "heads", &c->g.heads, v, false);
	if (json_object_object_get_ex(c->exp, "heads_resolve_dependencies", &v))
		compare_list(c, "heads --resolve-dependencies", &c->g.real_heads, v, false);
	if (json_object_object_get_ex(c->exp, "bases", &v))
		compare_list(c, "bases", &c->g.bases, v, false);
	struct idxvec list = IDXVEC_INIT;
	for (size_t i = 0; i < c->g.n; i++)
		if (graph_is_branch_point(&c->g, i))
			idxvec_push(&list, i);
	if (json_object_object_get_ex(c->exp, "branch_points", &v))
		compare_list(c, "branch points", &list, v, false);
	list.n = 0;
	for (size_t i = 0; i < c->g.n; i++)
		if (graph_is_merge_point(&c->g, i))
			idxvec_push(&list, i);
	if (json_object_object_get_ex(c->exp, "merge_points", &v))
		compare_list(c, "merge points", &list, v, false);
	list.n = 0;
	graph_history(&c->g, &list);
	if (json_object_object_get_ex(c->exp, "history", &v))
		compare_list(c, "history", &list, v, false);

	if (json_object_object_get_ex(c->exp, "targets", &v)) {
		json_object_object_foreach(v, target, want)
		{
			list.n = 0;
			err_clear();
			int ret = graph_resolve_target(&c->g, target,
						       graph_target_is_relative_down(target), &list);
			char what[128];
			snprintf(what, sizeof(what), "target '%s'", target);
			compare_outcome(c, what, ret, &list, want, true);
		}
	}
	if (json_object_object_get_ex(c->exp, "history_ranges", &v)) {
		json_object_object_foreach(v, range, want)
		{
			list.n = 0;
			err_clear();
			const char *colon = strchr(range, ':');
			char *lo = strndup(range, (size_t)(colon - range));
			const char *hi = colon + 1;
			struct walk_opts o = {.inclusive = true};
			int ret = graph_iterate(&c->g, GIDENT_STR(*hi ? hi : "heads"),
						GIDENT_STR(*lo ? lo : "base"), &o, &list);
			free(lo);
			char what[128];
			snprintf(what, sizeof(what), "history -r %s", range);
			compare_outcome(c, what, ret, &list, want, false);
		}
	}
	idxvec_release(&list);
	check_runs(c, "upgrade", false);
	check_runs(c, "downgrade", true);
}

static const char *rule_for_kind(const char *kind)
{
	static const char *const map[][2] = {
		{"cycle", RULE_REVISION_CYCLE},
		{"dependency-cycle", RULE_REVISION_CYCLE},
		{"self-loop", RULE_REVISION_CYCLE},
		{"dependency-self-loop", RULE_REVISION_CYCLE},
		{"missing-parent", RULE_MISSING_PARENT},
		{"missing-dependency", RULE_MISSING_DEPENDENCY},
		{"duplicate-revision", RULE_DUPLICATE_REVISION},
		{"duplicate-label", RULE_DUPLICATE_BRANCH_LABEL},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], kind))
			return map[i][1];
	return kind;
}

static void run_case(void **state)
{
	struct ctx *c = *state;
	json_object *inv;
	if (json_object_object_get_ex(c->exp, "invalid", &inv)) {
		const char *rule = rule_for_kind(json_object_get_string(inv));
		bool found = false;
		for (size_t i = 0; i < c->fs.n; i++)
			found |= !strcmp(c->fs.v[i].rule, rule) && c->fs.v[i].severity == SEV_ERROR;
		if (!found)
			mismatch(c, "expected a %s finding", rule);
	} else {
		for (size_t i = 0; i < c->fs.n; i++)
			if (c->fs.v[i].severity == SEV_ERROR)
				mismatch(c, "unexpected finding %s: %s", c->fs.v[i].rule,
					 c->fs.v[i].message);
		check_valid(c);
	}
	assert_int_equal(c->mismatches, 0);
}

static int setup_case(void **state)
{
	struct ctx *c = *state;
	char *dir = xstrfmt("%s/%s/migrations", fixtures(), c->name);
	char *exp = xstrfmt("%s/%s/expected.json", fixtures(), c->name);
	int ret = revset_load_dir(&c->revs, dir, NULL, NULL, &c->fs);
	graph_build(&c->g, c->revs.v, c->revs.n, &c->fs);
	c->exp = json_object_from_file(exp);
	free(dir);
	free(exp);
	return ret == 0 && c->exp ? 0 : -1;
}

static int teardown_case(void **state)
{
	struct ctx *c = *state;
	graph_release(&c->g);
	revset_release(&c->revs);
	findings_release(&c->fs);
	json_object_put(c->exp);
	return 0;
}

int main(void)
{
	struct strlist names = STRLIST_INIT;
	if (dir_list(fixtures(), &names) < 0) {
		fprintf(stderr, "%s\n", err_msg());
		return 1;
	}
	struct CMUnitTest *tests = xcalloc(names.n, sizeof(*tests));
	struct ctx *ctxs = xcalloc(names.n, sizeof(*ctxs));
	size_t n = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *p = path_join(fixtures(), names.v[i]);
		bool is_case = path_is_dir(p);
		free(p);
		if (!is_case)
			continue;
		ctxs[n].name = names.v[i];
		tests[n] = (struct CMUnitTest){names.v[i], run_case, setup_case, teardown_case,
					       &ctxs[n]};
		n++;
	}
	int r = _cmocka_run_group_tests("graph_alembic", tests, n, NULL, NULL);
	free(tests);
	free(ctxs);
	strlist_release(&names);
	return r;
}
