/*
 * The trace report's four formats. Statements come in the order they ran;
 * findings in the order trace_run reported them, sorted by the caller.
 */
#include "output/trace.h"
#include "core/err.h"
#include "output/jsonw.h"
#include "output/output.h"

#include <string.h>

/* The statement's first line, at most `max` bytes, for one-line displays. */
static int first_line_len(const char *sql, int max)
{
	const char *nl = strchr(sql, '\n');
	size_t n = nl ? (size_t)(nl - sql) : strlen(sql);
	return (int)(n < (size_t)max ? n : (size_t)max);
}

static bool more_lines(const char *sql, int shown)
{
	return strlen(sql) > (size_t)shown;
}

static const char *pred_mark(const struct trace_pred *p)
{
	return p->contradicted ? "CONTRADICTED"
	       : p->unobserved ? "not observed (outside a transaction a lock held between two "
				 "looks at pg_locks passes unseen)"
			       : "confirmed";
}

static void text_stmt(FILE *fp, const struct trace_stmt *s, bool color)
{
	int n = first_line_len(s->sql, 100);
	const char *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
	fprintf(fp, "%s%s:%u%s  %.*s%s\n", bold, s->file, s->line, off, n, s->sql,
		more_lines(s->sql, n) ? " ..." : "");
	if (!s->ran) {
		fputs("    not run: an earlier statement of the revision failed\n", fp);
		return;
	}
	fprintf(fp, "    %.1f ms, %s\n", s->duration_ms,
		s->transactional ? "in the revision's transaction"
				 : "alone, outside a transaction (watched from another connection)");
	if (s->error) {
		fprintf(fp, "    %sfailed%s: %s\n", color ? "\033[31m" : "", off, s->error);
		return;
	}
	for (size_t i = 0; i < s->nlocks; i++) {
		const struct trace_lock *l = &s->locks[i];
		const char *b = trace_blocking(l->mode);
		fprintf(fp, "    %-24s %-28s %s, held %.1f ms%s%s\n", lock_mode_pg_name(l->mode),
			l->relation, b ? b : lock_mode_blocks(l->mode), l->held_ms,
			l->existed ? "" : " (new in this revision)",
			trace_unpredicted(l) ? " (lint predicts no lock this strong)" : "");
	}
	if (!s->nlocks)
		fputs("    no relation locks\n", fp);
	for (size_t i = 0; i < s->rewrites.n; i++)
		fprintf(fp, "    rewrites %s (new file)\n", s->rewrites.v[i]);
	for (size_t i = 0; i < s->scans.n; i++)
		fprintf(fp, "    scans %s\n", s->scans.v[i]);
	for (size_t i = 0; i < s->effects.n; i++)
		fprintf(fp, "    %s\n", s->effects.v[i]);
	for (size_t i = 0; i < s->npred; i++)
		fprintf(fp, "    lint predicts %s on %s: %s\n", lock_mode_name(s->pred[i].mode),
			s->pred[i].relation, pred_mark(&s->pred[i]));
}

static size_t count_rule(const struct findings *fs, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		n += !strcmp(fs->v[i].rule, rule);
	return n;
}

static size_t count_unpredicted(const struct trace_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].nlocks; k++)
			n += trace_unpredicted(&r->v[i].locks[k]);
	return n;
}

static void summary_line(FILE *fp, const struct trace_report *r)
{
	fprintf(fp,
		"revgate trace: %zu revision%s, %zu statement%s on PostgreSQL %d.%d in %.0f ms: "
		"%zu failed, %zu lock prediction%s contradicted, %zu lock%s held too long, %zu "
		"lock%s lint does not predict\n",
		r->revisions, r->revisions == 1 ? "" : "s", r->n, r->n == 1 ? "" : "s",
		r->server_version / 10000, r->server_version % 100, r->total_ms, r->failed,
		count_rule(&r->findings, RULE_LOCK_PREDICTION_MISMATCH),
		count_rule(&r->findings, RULE_LOCK_PREDICTION_MISMATCH) == 1 ? "" : "s",
		count_rule(&r->findings, RULE_LOCK_HELD_TOO_LONG),
		count_rule(&r->findings, RULE_LOCK_HELD_TOO_LONG) == 1 ? "" : "s",
		count_unpredicted(r), count_unpredicted(r) == 1 ? "" : "s");
}

static void print_text(FILE *fp, const struct trace_report *r, bool color)
{
	const char *last = NULL;
	for (size_t i = 0; i < r->filled.n; i++)
		fprintf(fp, "filled %s\n", r->filled.v[i]);
	for (size_t i = 0; i < r->notes.n; i++)
		fprintf(fp, "note: %s\n", r->notes.v[i]);
	for (size_t i = 0; i < r->n; i++) {
		if (!last || strcmp(last, r->v[i].revision)) {
			fprintf(fp, "%srevision %s\n", last || r->filled.n || r->notes.n ? "\n" : "",
				r->v[i].revision);
			last = r->v[i].revision;
		}
		text_stmt(fp, &r->v[i], color);
	}
	if (r->findings.n) {
		fputc('\n', fp);
		struct printer p;
		if (printer_open(&p, "text", fp, color) == 0)
			printer_print(&p, &r->findings);
	} else {
		fputc('\n', fp);
	}
	summary_line(fp, r);
}

static void json_strlist(struct jsonw *w, const char *key, const struct strlist *l)
{
	jsonw_key(w, key);
	jsonw_arr_begin(w);
	for (size_t i = 0; i < l->n; i++)
		jsonw_str(w, l->v[i]);
	jsonw_arr_end(w);
}

static void json_stmt(struct jsonw *w, const struct trace_stmt *s)
{
	jsonw_obj_begin(w);
	jsonw_kstr(w, "revision", s->revision);
	jsonw_kstr(w, "file", s->file);
	jsonw_kint(w, "line", s->line);
	jsonw_kint(w, "column", s->column);
	jsonw_kstr(w, "sql", s->sql);
	jsonw_kbool(w, "ran", s->ran);
	jsonw_kbool(w, "transactional", s->transactional);
	jsonw_key(w, "duration_ms");
	jsonw_double(w, s->duration_ms);
	jsonw_key(w, "locks");
	jsonw_arr_begin(w);
	for (size_t i = 0; i < s->nlocks; i++) {
		const struct trace_lock *l = &s->locks[i];
		jsonw_obj_begin(w);
		jsonw_kstr(w, "relation", l->relation);
		jsonw_kstr(w, "mode", lock_mode_pg_name(l->mode));
		jsonw_kbool(w, "existed", l->existed);
		jsonw_key(w, "held_ms");
		jsonw_double(w, l->held_ms);
		jsonw_kstr(w, "blocks", lock_mode_blocks(l->mode));
		jsonw_kbool(w, "predicted", l->predicted);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	json_strlist(w, "rewrites", &s->rewrites);
	json_strlist(w, "scans", &s->scans);
	json_strlist(w, "effects", &s->effects);
	jsonw_key(w, "predicted");
	jsonw_arr_begin(w);
	for (size_t i = 0; i < s->npred; i++) {
		const struct trace_pred *p = &s->pred[i];
		jsonw_obj_begin(w);
		jsonw_kstr(w, "relation", p->relation);
		jsonw_kstr(w, "mode", lock_mode_pg_name(p->mode));
		jsonw_kbool(w, "contradicted", p->contradicted);
		jsonw_kbool(w, "observed", !p->unobserved);
		jsonw_kstr(w, "entry", p->entry ? p->entry->sql : NULL);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_kstr(w, "error", s->error);
	jsonw_obj_end(w);
}

static void print_json(FILE *fp, const struct trace_report *r)
{
	struct jsonw w;
	jsonw_init(&w, fp, false);
	jsonw_obj_begin(&w);
	jsonw_kint(&w, "version", 1);
	jsonw_kint(&w, "server_version", r->server_version);
	jsonw_key(&w, "statements");
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < r->n; i++)
		json_stmt(&w, &r->v[i]);
	jsonw_arr_end(&w);
	jsonw_key(&w, "findings");
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct finding *f = &r->findings.v[i];
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "rule", f->rule);
		jsonw_kstr(&w, "severity", severity_name(f->severity));
		jsonw_kstr(&w, "file", f->file);
		jsonw_kint(&w, "line", f->line);
		jsonw_kint(&w, "column", f->column);
		jsonw_kstr(&w, "message", f->message);
		jsonw_kstr(&w, "hint", f->hint);
		jsonw_obj_end(&w);
	}
	jsonw_arr_end(&w);
	jsonw_key(&w, "summary");
	jsonw_obj_begin(&w);
	jsonw_kint(&w, "revisions", (long long)r->revisions);
	jsonw_kint(&w, "statements", (long long)r->n);
	jsonw_kint(&w, "failed", (long long)r->failed);
	jsonw_kint(&w, "mismatches", (long long)count_rule(&r->findings, RULE_LOCK_PREDICTION_MISMATCH));
	jsonw_kint(&w, "locks_held_too_long", (long long)count_rule(&r->findings, RULE_LOCK_HELD_TOO_LONG));
	jsonw_kint(&w, "unpredicted_locks", (long long)count_unpredicted(r));
	jsonw_kint(&w, "rows", r->rows);
	json_strlist(&w, "filled", &r->filled);
	json_strlist(&w, "notes", &r->notes);
	jsonw_key(&w, "total_ms");
	jsonw_double(&w, r->total_ms);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_finish(&w);
}

/* A markdown table cell: no pipes or newlines. */
static void md_cell(FILE *fp, const char *s, int max)
{
	for (int i = 0; s[i] && i < max; i++) {
		if (s[i] == '|')
			fputs("\\|", fp);
		else
			fputc(s[i] == '\n' ? ' ' : s[i] == '`' ? '\'' : s[i], fp);
	}
}

static void print_markdown(FILE *fp, const struct trace_report *r)
{
	fputs("### revgate trace\n\n", fp);
	fprintf(fp, "%zu revision(s), %zu statement(s) on PostgreSQL %d.%d", r->revisions, r->n,
		r->server_version / 10000, r->server_version % 100);
	if (r->rows)
		fprintf(fp, ", tables filled with %ld rows", r->rows);
	fputs(".\n\n| file:line | statement | ms | locks taken | rewrites | lint |\n"
	      "|---|---|--:|---|---|---|\n",
	      fp);
	for (size_t i = 0; i < r->n; i++) {
		const struct trace_stmt *s = &r->v[i];
		fprintf(fp, "| `%s:%u` | `", s->file, s->line);
		md_cell(fp, s->sql, first_line_len(s->sql, 60));
		fprintf(fp, "` | %.1f | ", s->duration_ms);
		if (s->error) {
			fputs("failed: ", fp);
			md_cell(fp, s->error, 200);
		}
		for (size_t k = 0; k < s->nlocks; k++)
			fprintf(fp, "%s%s `%s`%s", k ? "<br>" : "", lock_mode_pg_name(s->locks[k].mode),
				s->locks[k].relation,
				trace_blocking(s->locks[k].mode) && s->locks[k].existed ? " **blocks**"
										 : "");
		fputs(" | ", fp);
		for (size_t k = 0; k < s->rewrites.n; k++)
			fprintf(fp, "%s`%s`", k ? ", " : "", s->rewrites.v[k]);
		fputs(" | ", fp);
		size_t bad = 0, unseen = 0;
		for (size_t k = 0; k < s->npred; k++) {
			bad += s->pred[k].contradicted;
			unseen += s->pred[k].unobserved;
		}
		fputs(!s->npred ? "" : bad ? "**contradicted**" : "agrees", fp);
		if (unseen)
			fprintf(fp, " (%zu not observed)", unseen);
		fputs(" |\n", fp);
	}
	if (r->findings.n) {
		fputs("\n**Findings**\n\n", fp);
		for (size_t i = 0; i < r->findings.n; i++) {
			const struct finding *f = &r->findings.v[i];
			fprintf(fp, "- `%s:%u` **%s**: ", f->file ? f->file : "", f->line, f->rule);
			md_cell(fp, f->message, 400);
			fputc('\n', fp);
		}
	}
	fputc('\n', fp);
	summary_line(fp, r);
}

static void print_github(FILE *fp, const struct trace_report *r)
{
	struct printer p;
	if (printer_open(&p, "github", fp, false) == 0)
		printer_print(&p, &r->findings);
	summary_line(fp, r);
}

int trace_print(FILE *fp, const char *format, const struct trace_report *r, bool color)
{
	if (!strcmp(format, "text"))
		print_text(fp, r, color);
	else if (!strcmp(format, "json"))
		print_json(fp, r);
	else if (!strcmp(format, "markdown"))
		print_markdown(fp, r);
	else if (!strcmp(format, "github"))
		print_github(fp, r);
	else
		return err_set(ERR_USAGE, "unknown format '%s' (text, json, github, markdown)", format);
	return 0;
}
