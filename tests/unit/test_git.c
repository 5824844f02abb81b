/* The libgit2 wrapper against a real repository built with git in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "git/gitrepo.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[PATH_MAX];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	char *full = xstrfmt("cd '%s' && { %s; } >/dev/null 2>&1", root, cmd);
	assert_int_equal(system(full), 0);
	free(full);
}

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/revgate-test-git-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(root, sizeof(root), "%s", tmpl);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", root, 1);
	setenv("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z", 1);
	setenv("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z", 1);
	unsetenv("GIT_INDEX_FILE");
	sh("git init -q -b main repo && cd repo && git config user.name t && "
	   "git config user.email t@example.com && mkdir -p db/migrations db/migrations/sub && "
	   "printf 'one\\n' > db/migrations/a.sql && printf 'x\\n' > db/migrations/sub/x.sql && "
	   "printf 'two\\n' > db/migrations/b.sql && git add -A && git commit -q -m one && "
	   "git checkout -q -b feat && printf 'three\\n' > db/migrations/c.sql && git add -A && "
	   "git commit -q -m two && git checkout -q main && printf 'four\\n' > db/migrations/d.sql "
	   "&& git add -A && git commit -q -m three && git checkout -q feat");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xstrfmt("rm -rf '%s'", root);
	int rc = system(cmd);
	free(cmd);
	gitrepo_global_shutdown();
	return rc;
}

static char *in_root(const char *rel)
{
	return xstrfmt("%s/%s", root, rel);
}

static void test_open_and_paths(void **state)
{
	(void)state;
	struct gitrepo *r = NULL;
	char *dir = in_root("repo/db/migrations"), *rel = NULL;
	assert_int_equal(gitrepo_open(&r, dir), 0);
	assert_non_null(r);
	assert_false(gitrepo_is_shallow(r));
	assert_int_equal(gitrepo_relpath(r, dir, &rel), 0);
	assert_string_equal(rel, "db/migrations");
	free(rel);
	assert_int_equal(gitrepo_relpath(r, root, &rel), ERR_CONFIG);
	gitrepo_free(r);
	free(dir);

	/* outside any repository: no repository, no error */
	setenv("GIT_CEILING_DIRECTORIES", root, 1);
	assert_int_equal(gitrepo_open(&r, root), 0);
	assert_null(r);
	unsetenv("GIT_CEILING_DIRECTORIES");
}

static void test_refs_and_merge_base(void **state)
{
	(void)state;
	struct gitrepo *r = NULL;
	char *dir = in_root("repo");
	assert_int_equal(gitrepo_open(&r, dir), 0);
	struct gitrepo_head h;
	assert_int_equal(gitrepo_head(r, &h), 0);
	assert_false(h.unborn);
	assert_false(h.detached);
	assert_string_equal(h.branch, "feat");
	struct objid main_tip, mb, feat;
	assert_int_equal(gitrepo_resolve(r, "main", &main_tip), 0);
	assert_int_equal(gitrepo_resolve(r, "feat", &feat), 0);
	assert_true(objid_equal(&feat, &h.commit));
	assert_int_equal(gitrepo_resolve(r, "origin/main", &mb), ERR_NOTFOUND);
	assert_false(gitrepo_ref_exists(r, "nope"));
	assert_int_equal(gitrepo_merge_base(r, &feat, &main_tip, &mb), 0);
	struct objid first;
	assert_int_equal(gitrepo_resolve(r, "main~1", &first), 0);
	assert_true(objid_equal(&mb, &first));
	gitrepo_head_release(&h);
	gitrepo_free(r);
	free(dir);
}

static void test_list_and_read(void **state)
{
	(void)state;
	struct gitrepo *r = NULL;
	char *dir = in_root("repo");
	assert_int_equal(gitrepo_open(&r, dir), 0);
	struct objid main_tip;
	assert_int_equal(gitrepo_resolve(r, "main", &main_tip), 0);
	struct gitdir d = GITDIR_INIT;
	assert_int_equal(gitrepo_list_commit(r, &main_tip, "db/migrations", &d), 0);
	assert_true(d.present);
	assert_int_equal(d.n, 3); /* a, b, d: the subdirectory is not a file */
	assert_string_equal(d.v[0].name, "a.sql");
	assert_string_equal(d.v[2].name, "d.sql");
	const struct gitdir_entry *e = gitdir_find(&d, "d.sql");
	assert_non_null(e);
	assert_null(gitdir_find(&d, "c.sql"));
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(gitrepo_read_blob(r, &e->blob, &sb), 0);
	assert_string_equal(sb.buf, "four\n");
	strbuf_release(&sb);
	gitdir_release(&d);

	assert_int_equal(gitrepo_list_commit(r, &main_tip, "no/such", &d), 0);
	assert_false(d.present);
	gitdir_release(&d);

	/* the index: a staged file the commit does not have yet */
	sh("cd repo && printf 'five\\n' > db/migrations/e.sql && git add db/migrations/e.sql");
	assert_int_equal(gitrepo_list_index(r, "db/migrations", &d), 0);
	assert_true(d.present);
	assert_int_equal(d.n, 4); /* a, b, c, e */
	e = gitdir_find(&d, "e.sql");
	assert_non_null(e);
	struct objid five;
	objid_hash_blob("five\n", 5, &five);
	assert_true(objid_equal(&e->blob, &five));
	gitdir_release(&d);
	gitrepo_free(r);
	free(dir);
}

static void test_hooks_dir(void **state)
{
	(void)state;
	struct gitrepo *r = NULL;
	char *dir = in_root("repo"), *hooks = NULL;
	assert_int_equal(gitrepo_open(&r, dir), 0);
	assert_int_equal(gitrepo_hooks_dir(r, &hooks), 0);
	assert_non_null(strstr(hooks, ".git/hooks"));
	free(hooks);
	gitrepo_free(r);
	sh("cd repo && git config core.hooksPath .githooks");
	assert_int_equal(gitrepo_open(&r, dir), 0);
	assert_int_equal(gitrepo_hooks_dir(r, &hooks), 0);
	/* relative to the work tree's root, where git runs hooks */
	assert_non_null(strstr(hooks, "/repo/.githooks"));
	free(hooks);
	gitrepo_free(r);
	free(dir);
}

static void test_shallow_and_unborn(void **state)
{
	(void)state;
	sh("git clone -q --depth 1 file://%s/repo shallow && git init -q -b main fresh", root);
	struct gitrepo *r = NULL;
	char *dir = in_root("shallow");
	assert_int_equal(gitrepo_open(&r, dir), 0);
	assert_true(gitrepo_is_shallow(r));
	gitrepo_free(r);
	free(dir);
	dir = in_root("fresh");
	assert_int_equal(gitrepo_open(&r, dir), 0);
	struct gitrepo_head h;
	assert_int_equal(gitrepo_head(r, &h), 0);
	assert_true(h.unborn);
	assert_string_equal(h.branch, "main");
	assert_true(objid_is_zero(&h.commit));
	gitrepo_head_release(&h);
	gitrepo_free(r);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_paths),
		cmocka_unit_test(test_refs_and_merge_base),
		cmocka_unit_test(test_list_and_read),
		cmocka_unit_test(test_hooks_dir),
		cmocka_unit_test(test_shallow_and_unborn),
	};
	return cmocka_run_group_tests_name("git", tests, setup, teardown);
}
