/* Lookup in the embedded rule catalogue. */
#include "lint/docs.h"

#include <string.h>

const char *rule_doc_find(const char *id)
{
	for (const struct rule_doc *d = rule_docs; d->id; d++)
		if (!strcmp(d->id, id))
			return d->markdown;
	return NULL;
}
