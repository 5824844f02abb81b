/*
 * revgate upgrade [TARGET] / revgate downgrade TARGET: plan the walk with
 * Alembic's order, then print it (--plan), write the offline script
 * (--sql), show it from the database's state (--dry-run), or run it under
 * the migration lock.
 */
#include "apply/sumcache.h"
#include "cli/cli.h"
#include "cli/dbcli.h"
#include "cli/fleetcli.h"
#include "cli/runlog.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/xalloc.h"
#include "fleet/fleet.h"
#include "git/gitrepo.h"
#include "graph/walk.h"
#include "lint/lint.h"
#include "revision/revision.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WALK_OPTS                                                                          \
	DBCLI_OPTS,                                                                        \
	    {"sql", 0, NULL, "print the SQL script instead of running it (TARGET may be FROM:TO)"}, \
	    {"plan", 0, NULL, "print the steps without connecting (TARGET may be FROM:TO)"},     \
	    {"dry-run", 'n', NULL, "connect and print the steps from the database's state"},    \
	    {"single-transaction", 0, NULL, "run every revision in one transaction"},          \
	    {"force", 0, NULL, "run despite lint errors or applied revisions that changed"},   \
	    {"no-lint", 0, NULL, "skip linting the revisions about to run"},                   \
	    {"events", 0, "FILE", "append the run's events to FILE, one JSON object a line"},   \
	    {"metrics", 0, "FILE", "write the run's metrics to FILE (Prometheus text format)"}, \
	    {"backup", 0, "DIR", "dump what each step destroys into DIR before it runs"}, \
	    FLEETCLI_OPTS

static const struct cli_opt upgrade_opts[] = {
	WALK_OPTS,
	{NULL, 0, NULL, NULL},
};

static const struct cli_opt downgrade_opts[] = {
	WALK_OPTS,
	{"allow-data-loss", 0, NULL, "drop tables and columns that hold rows without asking"},
	{NULL, 0, NULL, NULL},
};

/* "FROM:TO" (FROM: comma-separated heads, may be empty) or just TO. */
static int split_range(const char *arg, enum apply_dir dir, struct strlist *from, char **to)
{
	const char *colon = strrchr(arg, ':');
	if (!colon) {
		if (dir == APPLY_DOWN)
			return err_set(ERR_USAGE, "offline downgrade needs FROM:TO (e.g. 'ae10:base'): "
						  "without a database the starting heads are unknown");
		*to = xstrdup(arg);
		return 0;
	}
	char *f = xstrndup(arg, (size_t)(colon - arg));
	strlist_split(from, f, ',');
	free(f);
	*to = xstrdup(*(colon + 1) ? colon + 1 : (dir == APPLY_UP ? "head" : "base"));
	return 0;
}

/*
 * The gate: the revisions about to run are linted (with the schema their
 * ancestors build); an error-level finding refuses the run unless --force.
 * Only errors are shown here: warnings are 'revgate lint's business, and a
 * deploy log should not drown in them.
 */
static int lint_gate(struct app *app, const struct apply_plan *p, bool force)
{
	struct lint_settings ls;
	struct findings fs = FINDINGS_INIT, errors = FINDINGS_INIT;
	struct idxvec nodes = IDXVEC_INIT;
	lint_settings_init(&ls);
	int ret = lint_settings_from_config(&ls, &app->cfg);
	if (ret < 0 || !p->n)
		goto out;
	for (size_t i = 0; i < p->n; i++)
		idxvec_push(&nodes, p->v[i].node);
	lint_revisions(&ls, &app->graph, nodes.v, nodes.n, &fs);
	for (size_t i = 0; i < fs.n; i++) {
		const struct finding *f = &fs.v[i];
		if (f->severity < SEV_ERROR)
			continue;
		findings_add_copy(&errors, f);
	}
	if (!errors.n)
		goto out;
	findings_sort(&errors);
	app_report_findings(app, &errors);
	if (force)
		app_note(app, "revgate: %zu lint error%s; running anyway (--force)", errors.n,
			 errors.n == 1 ? "" : "s");
	else
		ret = err_set(ERR_CHECK, "%zu lint error%s in the revisions to run (above); fix "
					 "them, silence a rule with '-- revgate: ignore RULE', or run "
					 "with --force",
			      errors.n, errors.n == 1 ? "" : "s");
out:
	idxvec_release(&nodes);
	findings_release(&fs);
	findings_release(&errors);
	lint_settings_release(&ls);
	return ret;
}

/* Whether the database already is where `arg` leads (read without the
 * lock: a state at the target stays valid however a concurrent run ends). */
static bool already_there(struct app *app, struct apply_session *ss, const char *arg,
			  enum apply_dir dir)
{
	struct idxvec steps = IDXVEC_INIT;
	struct apply_pending *pend = NULL;
	size_t npend = 0;
	/* the walk alone: the revisions may carry no text yet */
	bool there = ss->have_history && !app->graph.has_cycle &&
		     (dir == APPLY_UP ? graph_upgrade_steps(&app->graph, &ss->heads, arg, &steps)
				      : graph_downgrade_steps(&app->graph, &ss->heads, arg, &steps)) ==
			     0 &&
		     !steps.n && apply_pending_list(ss, &pend, &npend) == 0 && !npend;
	err_clear();
	apply_pending_free(pend, npend);
	idxvec_release(&steps);
	return there;
}

/* The commit the migrations directory is checked out at, for the history
 * ("" outside a repository or on an unborn branch). */
static void head_commit(const struct app *app, char out[OBJID_HEXSZ + 1])
{
	struct gitrepo *r = NULL;
	struct gitrepo_head h;
	out[0] = '\0';
	if (gitrepo_open(&r, app->migrations_dir) < 0 || !r) {
		err_clear();
		return;
	}
	if (gitrepo_head(r, &h) == 0) {
		if (!h.unborn)
			objid_hex(&h.commit, out);
		gitrepo_head_release(&h);
	}
	err_clear();
	gitrepo_free(r);
}

static void print_heads_line(const struct app *app, const struct apply_session *ss)
{
	char *h = strlist_join(&ss->heads, ", ");
	app_note(app, "database at: %s", ss->heads.n ? h : "base (empty)");
	free(h);
}

/* Reading the revisions, on a thread of its own. */
struct loader {
	struct app *app;
	struct sumcache *sums;
	int ret;
	struct err_saved err;
};

static void *load_revisions(void *arg)
{
	struct loader *l = arg;
	l->ret = app_setup(l->app, NEEDS_HEADERS);
	if (l->ret < 0) {
		err_save(&l->err);
		return NULL;
	}
	char *cache = config_cache_dir(&l->app->cfg);
	sumcache_open(l->sums, cache, l->app->migrations_dir);
	free(cache);
	/* each file looked at here, off the path the database sets */
	for (size_t i = 0; i < l->app->revs.n; i++) {
		const struct revision *rev = l->app->revs.v[i];
		(void)sumcache_lookup(l->sums, rev->file_name, rev->path);
	}
	return NULL;
}

/*
 * Opens the session (apply_open: connect, find revgate's tables, read the
 * version table) while another thread reads the revisions' headers and the
 * checksums verified before: a deploy pays for the slower of the two, not
 * both. Neither touches what the other fills until the join; the graph's
 * address, which the session keeps, does not move.
 */
static int open_while_loading(struct app *app, const struct command *cmd, struct cli_args *a,
			      struct apply_settings *s, struct apply_session *ss,
			      struct sumcache *sums)
{
	struct loader l = {.app = app, .sums = sums};
	pthread_t t;
	bool threaded = pthread_create(&t, NULL, load_revisions, &l) == 0;
	if (!threaded)
		load_revisions(&l);
	int ret = dbcli_open(app, cmd, a, s, ss, APPLY_OPEN_NO_LOCK);
	if (ret == 0)
		ret = apply_prefetch(ss);
	if (threaded)
		pthread_join(t, NULL);
	/* the migrations directory is the user's first problem */
	if (l.ret < 0) {
		err_restore(&l.err);
		ret = l.ret;
	}
	return ret;
}

/*
 * The end of a run, for --events and --metrics: its outcome, the heads it
 * left, and what still waits. Reporting never changes the run's exit code:
 * a metrics file that cannot be written is said on stderr.
 */
static void finish_runlog(struct app *app, struct runlog *rl, struct apply_session *ss, int ret)
{
	struct err_saved saved;
	err_save(&saved);
	char *error = ret < 0 ? xstrdup(err_msg()) : NULL;
	struct idxvec steps = IDXVEC_INIT;
	long pending = -1;
	bool known = ss->db && !app->graph.has_cycle;
	if (known && graph_upgrade_steps(&app->graph, &ss->heads, "heads", &steps) == 0)
		pending = (long)steps.n;
	err_clear();
	const char *outcome = ret < 0 ? "failed" : rl->n ? "applied" : "unchanged";
	if (runlog_finish(rl, outcome, known ? &ss->heads : NULL, pending, error) < 0)
		fprintf(stderr, "revgate: %s\n", err_msg());
	idxvec_release(&steps);
	free(error);
	err_restore(&saved);
}

/*
 * A revision that stopped in a batched backfill continues where its last
 * committed batch left it: the history says exactly how far it got, so
 * the next run needs no operator (any other half-done revision still
 * does: dbcli_refuse_pending).
 */
static int resume_batches(struct app *app, struct apply_session *ss, enum apply_dir dir)
{
	struct apply_pending *p = NULL;
	size_t n = 0;
	int ret = apply_pending_list(ss, &p, &n);
	if (ret == 0 && n)
		ret = app_load_text(app);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		bool batched = false;
		if ((ret = apply_pending_in_batch(ss, &p[i], &batched)) < 0) {
			/* not in the files: dbcli_refuse_pending names it */
			err_clear();
			ret = 0;
			continue;
		}
		/* an upgrade continues an upgrade, not a half-done downgrade */
		if (!batched || strcmp(p[i].direction, dir == APPLY_UP ? "upgrade" : "downgrade"))
			continue;
		app_note(app, "revgate: revision '%s' stopped in a batched backfill; continuing "
			      "after its last committed batch",
			 p[i].revision);
		struct strlist dropped = STRLIST_INIT;
		struct apply_failure fail = {0};
		ret = apply_resume(ss, &p[i], &dropped, &fail);
		if (ret < 0 && fail.set) {
			dbcli_print_failure(app, &fail);
			ret = err_set(ERR_DB, "revision '%s' stopped part-way again; run 'revgate "
					      "resolve' to see where",
				      p[i].revision);
		}
		apply_failure_release(&fail);
		strlist_release(&dropped);
	}
	apply_pending_free(p, n);
	return ret;
}

static int run_walk(struct app *app, const struct command *cmd, struct cli_args *a,
		    enum apply_dir dir)
{
	struct apply_settings s = APPLY_SETTINGS_INIT;
	struct apply_session ss;
	struct apply_plan p = APPLY_PLAN_INIT;
	struct apply_failure fail = {0};
	struct strlist from = STRLIST_INIT;
	struct findings fs = FINDINGS_INIT;
	struct sumcache sums = SUMCACHE_INIT;
	/* on the heap: the app points at it while the run reports events */
	struct runlog *rl = xmalloc(sizeof(*rl));
	*rl = (struct runlog)RUNLOG_INIT;
	char *target = NULL;
	char commit[OBJID_HEXSZ + 1] = "";
	bool offline = cli_flag(cmd, a, "sql") || cli_flag(cmd, a, "plan");
	bool opened = false;
	const char *arg = a->npos ? a->pos[0] : (dir == APPLY_UP ? "head" : NULL);
	int ret;
	memset(&ss, 0, sizeof(ss));
	if (fleetcli_wanted(cmd, a)) {
		free(rl);
		return fleetcli_run(app, cmd, a);
	}
	if (!arg) {
		ret = err_set(ERR_USAGE, "downgrade needs a target: -1, a revision id, or base");
		goto out;
	}
	bool dry = cli_flag(cmd, a, "dry-run");
	const char *events = cli_value(cmd, a, "events"), *metrics = cli_value(cmd, a, "metrics");
	if ((events || metrics) && (offline || dry)) {
		ret = err_set(ERR_USAGE, "--events and --metrics report a run; --sql, --plan and "
					 "--dry-run run nothing");
		goto out;
	}
	if ((ret = dbcli_settings(app, cmd, a, &s)) < 0)
		goto out;
	const char *backup = cli_value(cmd, a, "backup");
	if (!backup)
		backup = config_get(&app->cfg, "database", "backup_dir");
	if (backup && !*backup)
		backup = NULL;
	if (cli_value(cmd, a, "backup") && (offline || dry)) {
		ret = err_set(ERR_USAGE, "--backup backs up before a run; --sql, --plan and "
					 "--dry-run run nothing");
		goto out;
	}
	if (backup && !offline && !dry && cli_flag(cmd, a, "single-transaction")) {
		ret = err_set(ERR_USAGE, "--backup cannot be used with --single-transaction: a "
					 "backup sees only what is committed");
		goto out;
	}
	if (backup && !offline && !dry) {
		path_mkdirs(backup);
		if (access(backup, W_OK) < 0) {
			ret = err_set(ERR_IO, "cannot write backups into '%s': %s", backup,
				      strerror(errno));
			goto out;
		}
	}
	if (!offline && !dry) {
		if ((ret = runlog_open(rl, events, metrics, cmd->name, arg)) < 0)
			goto out;
		if (runlog_active(rl))
			app->runlog = rl;
	}
	if (offline || dry) {
		if ((ret = app_setup(app, NEEDS_REVISIONS)) < 0 ||
		    (ret = dbcli_refuse_broken_graph(app)) < 0)
			goto out;
	} else {
		/* a deploy: the revisions come from the header cache (one that
		 * finds the database at its target needs no file's text), read
		 * while the connection opens and reads the version table */
		ret = open_while_loading(app, cmd, a, &s, &ss, &sums);
		opened = true;
		if (ret == 0)
			ret = dbcli_refuse_broken_graph(app);
		if (ret < 0)
			goto out;
	}
	if (offline) {
		if ((ret = split_range(arg, dir, &from, &target)) < 0 ||
		    (ret = apply_plan_build(&p, &app->graph, &from, target, dir)) < 0)
			goto out;
		if (cli_flag(cmd, a, "single-transaction") &&
		    (ret = apply_check_single_transaction(&p)) < 0)
			goto out;
		if (cli_flag(cmd, a, "sql")) {
			struct strbuf sql = STRBUF_INIT;
			apply_plan_sql(&p, &s, cli_flag(cmd, a, "single-transaction"), &sql);
			fwrite(sql.buf, 1, sql.len, stdout);
			strbuf_release(&sql);
		} else {
			struct apply_loss loss = APPLY_LOSS_INIT;
			apply_loss_plan(&p, &loss);
			if (!strcmp(app_format(app), "json"))
				dbcli_plan_json(&p, &loss);
			else
				dbcli_plan_text(&p, &loss);
			apply_loss_release(&loss);
		}
		goto out;
	}
	if (dry) {
		ret = dbcli_open(app, cmd, a, &s, &ss, APPLY_OPEN_NO_LOCK);
		opened = true;
	}
	/* a deploy that finds nothing to do never waits for the lock */
	bool there = ret == 0 && !dry && already_there(app, &ss, arg, dir);
	if (ret == 0 && !dry && !there)
		ret = apply_lock(&ss, true);
	/* already_there() found nothing half-done */
	if (ret < 0 || (ret = apply_check_heads_known(&ss)) < 0 ||
	    (!there && !dry && (ret = resume_batches(app, &ss, dir)) < 0) ||
	    (!there && (ret = dbcli_refuse_pending(app, &ss)) < 0))
		goto out;
	/* the gate: applied revisions must still be what ran, checked by the
	 * checksums of unchanged files where it can; the text is read when
	 * something is to run, or a file must be looked at */
	ss.sums = &sums;
	/* a run with nothing to do changes nothing: its gate is the applied
	 * revisions' checksums and the history's account of them; the
	 * trigger and INVALID indexes are verify's, and the gate's of a run
	 * that has something to do */
	ss.verify_light = there;
	size_t checked = 0;
	if (!there && (ret = app_load_text(app)) < 0)
		goto out;
	if ((ret = apply_verify(&ss, &fs, &checked)) < 0)
		goto out;
	if (ss.need_text) {
		findings_release(&fs);
		if ((ret = app_load_text(app)) < 0 || (ret = apply_verify(&ss, &fs, &checked)) < 0)
			goto out;
	}
	sumcache_save(&sums);
	if (fs.n) {
		findings_sort(&fs);
		app_report_findings(app, &fs);
		if (findings_count(&fs, SEV_ERROR) && !cli_flag(cmd, a, "force")) {
			ret = err_set(ERR_CHECK, "applied revisions changed since they ran (above); "
						 "restore them, or run with --force");
			goto out;
		}
	}
	if ((ret = apply_plan_build(&p, &app->graph, &ss.heads, arg, dir)) < 0)
		goto out;
	if (dir == APPLY_UP && !cli_flag(cmd, a, "no-lint") &&
	    (ret = lint_gate(app, &p, cli_flag(cmd, a, "force"))) < 0)
		goto out;
	if (dry) {
		struct apply_loss loss = APPLY_LOSS_INIT;
		apply_loss_plan(&p, &loss);
		if ((ret = apply_loss_measure(&ss, &loss)) == 0) {
			if (!strcmp(app_format(app), "json"))
				dbcli_plan_json(&p, &loss);
			else
				dbcli_plan_text(&p, &loss);
		}
		apply_loss_release(&loss);
		goto out;
	}
	if (!there)
		fleet_member_heads(FLEET_MSG_FROM, &ss.heads);
	if (!p.n) {
		print_heads_line(app, &ss);
		app_note(app, "nothing to do");
		goto out;
	}
	if (dir == APPLY_DOWN &&
	    (ret = dbcli_data_loss_gate(app, &ss, &p, cli_flag(cmd, a, "allow-data-loss"), backup)) < 0)
		goto out;
	struct apply_run_opts o = {.single_transaction = cli_flag(cmd, a, "single-transaction"),
				   .backup_dir = backup};
	head_commit(app, commit);
	ss.git_commit = *commit ? commit : NULL;
	char *nsteps = xstrfmt("%zu", p.n);
	fleet_member_say(FLEET_MSG_PLAN, nsteps);
	free(nsteps);
	ret = apply_run(&ss, &p, &o, &fail);
	if (ret < 0 && fail.set) {
		dbcli_print_failure(app, &fail);
		if (fail.commit_unknown)
			ret = err_set(ERR_DB, "revision '%s': the connection ended during COMMIT; "
					      "run 'revgate current' once the server is back to see "
					      "whether it was kept",
				      fail.revision);
		else if (o.single_transaction)
			ret = err_set(ERR_DB, "revision '%s' failed; the whole run was rolled back",
				      fail.revision);
		/* the history's verdict, the one 'revgate resolve' reads */
		else if (!fail.half_done)
			ret = err_set(ERR_DB, "revision '%s' failed and was rolled back; the "
					      "revisions before it stay applied",
				      fail.revision);
		else
			ret = err_set(ERR_DB, "revision '%s' stopped part-way (it runs outside a "
					      "transaction); run 'revgate resolve' before the next "
					      "upgrade",
				      fail.revision);
	}
	if (ret == 0)
		print_heads_line(app, &ss);
out:
	if (app->runlog) {
		finish_runlog(app, rl, &ss, ret);
		app->runlog = NULL;
	}
	if (opened)
		dbcli_close(&ss);
	runlog_release(rl);
	free(rl);
	sumcache_release(&sums);
	findings_release(&fs);
	apply_failure_release(&fail);
	apply_plan_release(&p);
	strlist_release(&from);
	free(target);
	apply_settings_release(&s);
	return ret;
}

static int run_upgrade(struct app *app, const struct command *cmd, struct cli_args *a)
{
	return run_walk(app, cmd, a, APPLY_UP);
}

static int run_downgrade(struct app *app, const struct command *cmd, struct cli_args *a)
{
	return run_walk(app, cmd, a, APPLY_DOWN);
}

const struct command cmd_upgrade = {
	.name = "upgrade",
	.run = run_upgrade,
	.summary = "apply revisions up to a target (default: head)",
	.usage = "revgate upgrade [TARGET | FROM:TO] [--sql | --plan | --dry-run] [--url URL] [--targets FILE ...] [--jobs N]",
	.description =
		"TARGET is head, heads, +N, a revision id or unique prefix, or label@head. Each\n"
		"revision runs in one transaction with its version-table update, unless some\n"
		"statements cannot run in one (CREATE INDEX CONCURRENTLY, ...): those run alone,\n"
		"each recorded in the history as it completes. The run holds an advisory lock;\n"
		"revisions already applied must match their recorded checksums.\n"
		"--sql and --plan do not connect: FROM lists the current heads (comma-separated,\n"
		"empty for an empty database), as in Alembic's offline mode.\n"
		"upgrade applies revgate revisions. On another tool's layout (layout = alembic,\n"
		"dbmate, ...) it refuses: applying stays with that tool, or 'revgate import'\n"
		"turns the history into revgate revisions and 'revgate adopt' stamps the\n"
		"database that tool migrated.\n"
		FLEETCLI_HELP,
	.opts = upgrade_opts,
	.needs = NEEDS_CONFIG,
	.formats = "text|json",
	.max_pos = 1,
	.args = "TARGET",
};

const struct command cmd_downgrade = {
	.name = "downgrade",
	.run = run_downgrade,
	.summary = "revert revisions down to a target",
	.usage = "revgate downgrade TARGET [--sql | --plan | --dry-run] [--allow-data-loss] [--url URL] [--targets FILE ...] [--jobs N]",
	.description = "TARGET is -N, a revision id or unique prefix, label@ID, or base. Runs the\n"
		       "downgrade sections newest first, with the same transactions, lock and\n"
		       "history as upgrade. --sql and --plan need FROM:TO. It counts the rows of\n"
		       "the tables and columns it drops first, and refuses when any holds data\n"
		       "unless --allow-data-loss (on a terminal it asks); --plan names what it\n"
		       "drops, --dry-run with the rows each holds.\n" FLEETCLI_HELP,
	.opts = downgrade_opts,
	.needs = NEEDS_CONFIG,
	.formats = "text|json",
	.min_pos = 1,
	.max_pos = 1,
	.args = "TARGET",
};
