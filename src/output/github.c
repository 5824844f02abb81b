/*
 * GitHub Actions workflow commands: "::error file=F,line=L,col=C,title=T::M".
 * Properties and messages are escaped as the runner expects (%, CR, LF, and
 * in properties also ':' and ',').
 */
#include "output/output.h"

static void escape(FILE *fp, const char *s, bool property)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%':
			fputs("%25", fp);
			break;
		case '\r':
			fputs("%0D", fp);
			break;
		case '\n':
			fputs("%0A", fp);
			break;
		case ':':
			fputs(property ? "%3A" : ":", fp);
			break;
		case ',':
			fputs(property ? "%2C" : ",", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

static void github_finding(struct printer *p, const struct finding *f)
{
	const char *cmd = f->severity == SEV_ERROR ? "error" : f->severity == SEV_WARNING ? "warning" : "notice";
	fprintf(p->fp, "::%s ", cmd);
	if (f->file) {
		fputs("file=", p->fp);
		escape(p->fp, f->file, true);
		if (f->line)
			fprintf(p->fp, ",line=%u,col=%u", f->line, f->column);
		if (f->end_line)
			fprintf(p->fp, ",endLine=%u,endColumn=%u", f->end_line, f->end_column);
		fputc(',', p->fp);
	}
	fputs("title=revgate ", p->fp);
	escape(p->fp, f->rule, true);
	fputs("::", p->fp);
	escape(p->fp, f->message, false);
	if (f->hint) {
		fputs("%0A", p->fp);
		escape(p->fp, f->hint, false);
	}
	fputc('\n', p->fp);
}

static void github_summary(struct printer *p, const struct findings *all)
{
	fprintf(p->fp, "revgate: %zu error(s), %zu warning(s), %zu info\n",
		findings_count(all, SEV_ERROR), findings_count(all, SEV_WARNING),
		findings_count(all, SEV_INFO));
}

const struct printer_ops printer_github = {
	.name = "github",
	.finding = github_finding,
	.summary = github_summary,
};
