/* Lookup in the embedded rule and finding pages. */
#include "lint/docs.h"

#include <string.h>

static const char *doc_find(const struct rule_doc *table, const char *id)
{
	for (const struct rule_doc *d = table; d->id; d++)
		if (!strcmp(d->id, id))
			return d->markdown;
	return NULL;
}

const char *rule_doc_find(const char *id)
{
	return doc_find(rule_docs, id);
}

const char *finding_doc_find(const char *id)
{
	return doc_find(finding_docs, id);
}
