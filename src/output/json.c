/*
 * The stable JSON document of findings:
 * {"version": 1, "tool": {...}, "findings": [{rule, severity, file, line,
 * column, end_line, end_column, message, hint}], "summary": {error, warning,
 * info}}
 */
#include "output/output.h"
#include "output/jsonw.h"
#include "core/xalloc.h"

#include <stdlib.h>

static void json_begin(struct printer *p)
{
	struct jsonw *w = xcalloc(1, sizeof(*w));
	jsonw_init(w, p->fp, true);
	p->state = w;
	jsonw_obj_begin(w);
	jsonw_kint(w, "version", 1);
	jsonw_key(w, "tool");
	jsonw_obj_begin(w);
	jsonw_kstr(w, "name", "revgate");
	jsonw_kstr(w, "version", p->tool_version);
	jsonw_obj_end(w);
	jsonw_key(w, "findings");
	jsonw_arr_begin(w);
}

static void json_finding(struct printer *p, const struct finding *f)
{
	struct jsonw *w = p->state;
	jsonw_obj_begin(w);
	jsonw_kstr(w, "rule", f->rule);
	jsonw_kstr(w, "severity", severity_name(f->severity));
	jsonw_kstr(w, "file", f->file);
	jsonw_kint(w, "line", f->line);
	jsonw_kint(w, "column", f->column);
	if (f->end_line) {
		jsonw_kint(w, "end_line", f->end_line);
		jsonw_kint(w, "end_column", f->end_column);
	}
	jsonw_kstr(w, "message", f->message);
	jsonw_kstr(w, "hint", f->hint);
	jsonw_obj_end(w);
}

static void json_summary(struct printer *p, const struct findings *all)
{
	struct jsonw *w = p->state;
	jsonw_arr_end(w);
	jsonw_key(w, "summary");
	jsonw_obj_begin(w);
	jsonw_kint(w, "error", (long long)findings_count(all, SEV_ERROR));
	jsonw_kint(w, "warning", (long long)findings_count(all, SEV_WARNING));
	jsonw_kint(w, "info", (long long)findings_count(all, SEV_INFO));
	jsonw_obj_end(w);
}

static void json_end(struct printer *p)
{
	struct jsonw *w = p->state;
	jsonw_obj_end(w);
	jsonw_finish(w);
	free(w);
	p->state = NULL;
}

const struct printer_ops printer_json = {
	.name = "json",
	.begin = json_begin,
	.finding = json_finding,
	.summary = json_summary,
	.end = json_end,
};
