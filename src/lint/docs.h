/*
 * The rule catalogue pages (rules/<id>.md), and the pages of the findings
 * that are not lint rules (docs/findings/<id>.md: what verify, upgrade and
 * test report), embedded at build time by scripts/rule_docs.sh so
 * `revgate explain` works from any directory.
 */
#ifndef REVGATE_LINT_DOCS_H
#define REVGATE_LINT_DOCS_H

struct rule_doc {
	const char *id;
	const char *markdown;
};

/* Every page, in file-name order, ending with {NULL, NULL}. */
extern const struct rule_doc rule_docs[];

/* The same for the findings that are not lint rules. */
extern const struct rule_doc finding_docs[];

/* The page of rule `id`, or NULL. */
const char *rule_doc_find(const char *id);
/* The page of finding `id` that is not a lint rule, or NULL. */
const char *finding_doc_find(const char *id);

#endif
