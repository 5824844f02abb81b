/* file:line:col: severity[rule]: message, the line with a caret, the hint. */
#include "output/output.h"

#include <stdbool.h>
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

/*
 * File names, messages and source lines come from the repository: a file
 * named "x\n::error::..." must not start a line that CI runners read as a
 * command, and an escape sequence in a comment must not reach the terminal.
 * Control characters are written C-style (\n, \r, \xNN); with `same_width`
 * (the excerpt, under which the caret is aligned) as one '?'.
 */
static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void put_safe(FILE *fp, const char *s, bool same_width)
{
	while (*s) {
		/* runs of printable text in one write: stderr is unbuffered */
		size_t n = 0;
		while (s[n] && !is_control((unsigned char)s[n]))
			n++;
		fwrite(s, 1, n, fp);
		s += n;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		if (same_width)
			fputc('?', fp);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

static void text_finding(struct printer *p, const struct finding *f)
{
	FILE *fp = p->fp;
	if (p->color)
		fputs(C_BOLD, fp);
	if (f->file) {
		put_safe(fp, f->file, false);
		if (f->line)
			fprintf(fp, ":%u:%u", f->line, f->column);
		fputs(": ", fp);
	}
	if (p->color)
		fprintf(fp, "%s%s" C_RESET C_BOLD "[%s]" C_RESET ": ", sev_colour(f->severity),
			severity_name(f->severity), f->rule);
	else
		fprintf(fp, "%s[%s]: ", severity_name(f->severity), f->rule);
	put_safe(fp, f->message, false);
	fputc('\n', fp);
	if (f->excerpt && f->line) {
		fprintf(fp, "  %5u | ", f->line);
		put_safe(fp, f->excerpt, true);
		fputs("\n        | ", fp);
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
	if (f->hint) {
		fprintf(fp, "  %shint:%s ", p->color ? C_CYAN : "", p->color ? C_RESET : "");
		put_safe(fp, f->hint, false);
		fputc('\n', fp);
	}
}

static void text_summary(struct printer *p, const struct findings *all)
{
	size_t e = findings_count(all, SEV_ERROR), w = findings_count(all, SEV_WARNING),
	       i = findings_count(all, SEV_INFO);
	if (!all->n && !p->checked)
		return;
	if (p->checked)
		fprintf(p->fp, "%s: ", p->checked);
	fprintf(p->fp, "%zu error%s, %zu warning%s, %zu info\n", e, e == 1 ? "" : "s", w,
		w == 1 ? "" : "s", i);
}

const struct printer_ops printer_text = {
	.name = "text",
	.finding = text_finding,
	.summary = text_summary,
};
