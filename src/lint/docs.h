/*
 * The rule catalogue pages (rules/<id>.md), embedded at build time by
 * scripts/rule_docs.sh so `revgate explain` works from any directory.
 */
#ifndef REVGATE_LINT_DOCS_H
#define REVGATE_LINT_DOCS_H

struct rule_doc {
	const char *id;
	const char *markdown;
};

/* Every page, in file-name order, ending with {NULL, NULL}. */
extern const struct rule_doc rule_docs[];

/* The page of `id`, or NULL. */
const char *rule_doc_find(const char *id);

#endif
