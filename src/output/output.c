/* Picks a printer by name and drives it. */
#include "output/output.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <string.h>

static const struct printer_ops *const printers[] = {
	&printer_text,
	&printer_json,
	&printer_github,
	&printer_sarif,
};

int printer_open(struct printer *p, const char *format, FILE *fp, bool color)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ARRAY_SIZE(printers); i++) {
		if (!strcmp(printers[i]->name, format)) {
			p->ops = printers[i];
			p->fp = fp;
			p->color = color;
			p->tool_version = REVGATE_VERSION;
			return 0;
		}
	}
	return err_set(ERR_USAGE, "unknown format '%s' (use text, json, github or sarif)", format);
}

void printer_print(struct printer *p, const struct findings *fs)
{
	if (p->ops->begin)
		p->ops->begin(p);
	for (size_t i = 0; i < fs->n; i++)
		p->ops->finding(p, &fs->v[i]);
	if (p->ops->summary)
		p->ops->summary(p, fs);
	if (p->ops->end)
		p->ops->end(p);
}
