/* file:line:col: severity[rule]: message, the line with a caret, the hint. */
#include "output/output.h"

#include <string.h>

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_GREEN "\033[32m"

static const char *sev_colour(enum severity s)
{
	return s == SEV_ERROR ? C_RED : s == SEV_WARNING ? C_YELLOW : C_CYAN;
}

static void text_finding(struct printer *p, const struct finding *f)
{
	FILE *fp = p->fp;
	if (p->color)
		fputs(C_BOLD, fp);
	if (f->file) {
		fputs(f->file, fp);
		if (f->line)
			fprintf(fp, ":%u:%u", f->line, f->column);
		fputs(": ", fp);
	}
	if (p->color)
		fprintf(fp, "%s%s" C_RESET C_BOLD "[%s]" C_RESET ": %s\n", sev_colour(f->severity),
			severity_name(f->severity), f->rule, f->message);
	else
		fprintf(fp, "%s[%s]: %s\n", severity_name(f->severity), f->rule, f->message);
	if (f->excerpt && f->line) {
		fprintf(fp, "  %5u | %s\n        | ", f->line, f->excerpt);
		/* the caret goes under the column, counting characters; tabs keep their width */
		unsigned col = 1;
		for (const char *c = f->excerpt; *c && col < f->column; c++) {
			if (((unsigned char)*c & 0xC0) == 0x80)
				continue;
			fputc(*c == '\t' ? '\t' : ' ', fp);
			col++;
		}
		fputs(p->color ? C_GREEN "^" C_RESET "\n" : "^\n", fp);
	}
	if (f->hint)
		fprintf(fp, "  %shint:%s %s\n", p->color ? C_CYAN : "", p->color ? C_RESET : "",
			f->hint);
}

static void text_summary(struct printer *p, const struct findings *all)
{
	size_t e = findings_count(all, SEV_ERROR), w = findings_count(all, SEV_WARNING),
	       i = findings_count(all, SEV_INFO);
	if (!all->n)
		return;
	fprintf(p->fp, "%zu error%s, %zu warning%s, %zu info\n", e, e == 1 ? "" : "s", w,
		w == 1 ? "" : "s", i);
}

const struct printer_ops printer_text = {
	.name = "text",
	.finding = text_finding,
	.summary = text_summary,
};
