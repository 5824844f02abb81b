/* revgate resolve [--resume [REV] | --done REV | --rolled-back REV]: settle a
 * revision that stopped part-way outside a transaction. */
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt resolve_opts[] = {
	DBCLI_OPTS,
	{"resume", 0, NULL, "continue the revision from its first segment not known to be complete"},
	{"done", 0, "REV", "the rest of REV was run by hand: record it as applied"},
	{"rolled-back", 0, "REV", "what REV ran was undone by hand: record it as not applied"},
	{NULL, 0, NULL, NULL},
};

static const char *state_text(enum apply_seg_state st)
{
	switch (st) {
	case APPLY_SEG_DONE:
		return "completed";
	case APPLY_SEG_FAILED:
		return "did not complete";
	case APPLY_SEG_UNKNOWN:
		return "started, outcome unknown (its end was never recorded)";
	default:
		return "never started";
	}
}

/* One line per segment: where it is, what the history and the catalog say. */
static void print_segments(const struct apply_inspection *in)
{
	if (in->file_changed)
		printf("  (%s changed since it ran: segments as recorded)\n", in->rev->path);
	for (size_t k = 0; k < in->n; k++) {
		const struct apply_seg_view *v = &in->seg[k];
		printf("  segment %zu", k + 1);
		if (v->line)
			printf(" (line %u%s)", v->line, v->transactional ? "" : ", outside a transaction");
		else if (!in->file_changed)
			printf(" (the version-table update)");
		printf(": %s", v->settled ? "outcome was unknown; settled from the catalog"
					  : state_text(v->state));
		if (v->catalog)
			printf("; the catalog shows: %s", v->catalog);
		if (v->settled)
			printf(" -> %s", state_text(v->state));
		if (v->repeatable && v->state == APPLY_SEG_UNKNOWN)
			printf("; running it again is harmless");
		putchar('\n');
		if (v->excerpt)
			printf("      %s\n", v->excerpt);
	}
}

/* Lists each half-done revision segment by segment, settling from the
 * catalog what it can; ERR_CHECK while any is left. */
static int list_pending(struct app *app, struct apply_session *ss, struct apply_pending *p,
			size_t n)
{
	struct strlist diag = STRLIST_INIT;
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct apply_inspection in;
		if ((ret = apply_inspect(ss, &p[i], true, &in)) < 0) {
			apply_inspection_release(&in);
			break;
		}
		char *where = apply_pending_where(&p[i]);
		printf("revision %s: %s stopped%s", p[i].revision, p[i].direction, where);
		free(where);
		/* why the first segment that did not complete stopped */
		for (int k = 0; k < p[i].segments; k++) {
			const struct apply_seg_record *r = &p[i].seg[k];
			if (r->state == APPLY_SEG_DONE)
				continue;
			if (r->error)
				printf(": %s", r->error);
			if (r->sqlstate)
				printf(" (SQLSTATE %s)", r->sqlstate);
			break;
		}
		putchar('\n');
		print_segments(&in);
		apply_inspection_release(&in);
	}
	if (ret == 0)
		ret = apply_diagnose(ss, &diag);
	for (size_t i = 0; ret == 0 && i < diag.n; i++)
		printf("  %s\n", diag.v[i]);
	strlist_release(&diag);
	if (ret < 0)
		return ret;
	if (!n) {
		app_note(app, "nothing to resolve: no revision is half-done");
		return 0;
	}
	printf("\nThen:\n"
	       "  revgate resolve --resume           continue from the first segment not known to "
	       "be complete\n"
	       "  revgate resolve --done REV         the rest was run by hand\n"
	       "  revgate resolve --rolled-back REV  what ran was undone; upgrade runs REV again\n");
	return err_set(ERR_CHECK, "%zu revision%s half-done", n, n == 1 ? " is" : "s are");
}

static int resume(struct app *app, struct apply_session *ss, struct apply_pending *hit)
{
	struct strlist dropped = STRLIST_INIT;
	struct apply_failure fail = {0};
	int ret = apply_resume(ss, hit, &dropped, &fail);
	for (size_t i = 0; i < dropped.n; i++)
		app_note(app, "dropped the INVALID index %s its interrupted build left", dropped.v[i]);
	if (ret < 0 && fail.set) {
		dbcli_print_failure(app, &fail);
		ret = err_set(ERR_DB, "revision '%s' stopped part-way again; run 'revgate resolve' "
				      "to see where",
			      hit->revision);
	}
	if (ret == 0) {
		char *h = strlist_join(&ss->heads, ", ");
		app_note(app, "resumed %s: it is %s; the database is at %s", hit->revision,
			 strcmp(hit->direction, "downgrade") ? "applied" : "reverted",
			 ss->heads.n ? h : "base (empty)");
		free(h);
	}
	apply_failure_release(&fail);
	strlist_release(&dropped);
	return ret;
}

static int run_resolve(struct app *app, const struct command *cmd, struct cli_args *a)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct apply_pending *p = NULL;
	size_t n = 0;
	const char *done = cli_value(cmd, a, "done");
	const char *undone = cli_value(cmd, a, "rolled-back");
	bool resuming = cli_flag(cmd, a, "resume");
	memset(&ss, 0, sizeof(ss));
	int ret = dbcli_settings(app, cmd, a, &s);
	if (ret == 0 && (!!done + !!undone + resuming) > 1)
		ret = err_set(ERR_USAGE, "--resume, --done and --rolled-back exclude each other");
	if (ret == 0 && a->npos && !resuming)
		ret = err_set(ERR_USAGE, "a revision is named with --done REV or --rolled-back REV, "
					 "or after --resume");
	if (ret == 0)
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_CREATE);
	if (ret < 0 || (ret = apply_pending_list(&ss, &p, &n)) < 0)
		goto out;
	if (!done && !undone && !resuming) {
		ret = list_pending(app, &ss, p, n);
		goto out;
	}
	const char *rev = done ? done : undone ? undone : a->npos ? a->pos[0] : NULL;
	struct apply_pending *hit = NULL;
	if (!rev && n != 1) {
		ret = n ? err_set(ERR_USAGE, "%zu revisions are half-done: name the one to resume "
					     "('revgate resolve --resume REV')",
				  n)
			: 0;
		if (!n)
			app_note(app, "nothing to resume: no revision is half-done");
		goto out;
	}
	if (!rev)
		hit = &p[0];
	else if ((ret = apply_pending_find(p, n, rev, &hit)) < 0)
		goto out;
	if (resuming) {
		ret = resume(app, &ss, hit);
		goto out;
	}
	if ((ret = apply_resolve(&ss, hit, done != NULL)) < 0)
		goto out;
	char *h = strlist_join(&ss.heads, ", ");
	app_note(app, "resolved %s as %s; the database is at %s", hit->revision,
		 done ? "applied" : "rolled back", ss.heads.n ? h : "base (empty)");
	free(h);
out:
	apply_pending_free(p, n);
	apply_close(&ss);
	apply_settings_release(&s);
	return ret;
}

const struct command cmd_resolve = {
	.name = "resolve",
	.run = run_resolve,
	.summary = "settle a revision that stopped part-way outside a transaction",
	.usage = "revgate resolve [--resume [REV] | --done REV | --rolled-back REV] [--url URL]",
	.description =
		"Without options, shows each half-done revision segment by segment: completed,\n"
		"failed, started with an outcome unknown (the connection ended under it), or never\n"
		"started. The catalog settles an unknown outcome where it can tell (the index\n"
		"present and valid, the column there), and shows what is left over (an INVALID\n"
		"index from a failed concurrent build) with the SQL to drop or rebuild it.\n"
		"--resume continues from the first segment not known to be complete, dropping\n"
		"such an INVALID index first (DROP INDEX CONCURRENTLY). --done and --rolled-back\n"
		"record what the operator did by hand, once the catalog agrees.",
	.opts = resolve_opts,
	.needs = NEEDS_REVISIONS,
	.max_pos = 1,
};
