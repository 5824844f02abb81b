/* Text and JSON renderings of a revision, shared by the read commands. */
#include "cli/revinfo.h"
#include "revision/revision.h"

static void comma_list(FILE *fp, const struct strlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		fprintf(fp, "%s%s", k ? ", " : "", l->v[k]);
}

void revinfo_line(FILE *fp, const struct graph *g, size_t i, unsigned flags)
{
	const struct graph_node *nd = &g->nodes[i];
	const struct revision *rev = nd->rev;
	bool tree = flags & REVINFO_TREE;
	if (flags & REVINFO_PARENTS) {
		if (!rev->down_revisions.n)
			fputs("<base>", fp);
		else
			comma_list(fp, &rev->down_revisions);
		if (rev->depends_on.n) {
			fputs(" (", fp);
			comma_list(fp, &rev->depends_on);
			fputc(')', fp);
		}
		fputs(" -> ", fp);
	}
	fputs(nd->id, fp);
	if (nd->labels.n) {
		fputs(" (", fp);
		comma_list(fp, &nd->labels);
		fputc(')', fp);
	}
	if (!nd->all_next.n)
		fputs(" (head)", fp);
	else if (!nd->next.n)
		fputs(" (effective head)", fp);
	if (flags & REVINFO_CURRENT)
		fputs(" (current)", fp);
	if (tree && graph_is_branch_point(g, i))
		fputs(" (branchpoint)", fp);
	if (tree && graph_is_merge_point(g, i))
		fputs(" (mergepoint)", fp);
	if (flags & REVINFO_DOC)
		fprintf(fp, ", %s", rev->message ? rev->message : "");
	fputc('\n', fp);
}

void revinfo_verbose(FILE *fp, const struct graph *g, size_t i, unsigned flags)
{
	const struct graph_node *nd = &g->nodes[i];
	const struct revision *rev = nd->rev;
	fprintf(fp, "Rev: %s", nd->id);
	if (!nd->all_next.n)
		fputs(" (head)", fp);
	if (graph_is_branch_point(g, i))
		fputs(" (branchpoint)", fp);
	if (graph_is_merge_point(g, i))
		fputs(" (mergepoint)", fp);
	if (flags & REVINFO_CURRENT)
		fputs(" (current)", fp);
	fputc('\n', fp);
	fputs(graph_is_merge_point(g, i) ? "Merges: " : "Parent: ", fp);
	if (rev->down_revisions.n)
		comma_list(fp, &rev->down_revisions);
	else
		fputs("<base>", fp);
	fputc('\n', fp);
	if (rev->depends_on.n) {
		fputs("Also depends on: ", fp);
		comma_list(fp, &rev->depends_on);
		fputc('\n', fp);
	}
	if (nd->labels.n) {
		fputs("Branch names: ", fp);
		comma_list(fp, &nd->labels);
		fputc('\n', fp);
	}
	if (nd->next.n > 1) {
		fputs("Branches into: ", fp);
		for (size_t k = 0; k < nd->next.n; k++)
			fprintf(fp, "%s%s", k ? ", " : "", g->nodes[nd->next.v[k]].id);
		fputc('\n', fp);
	}
	fprintf(fp, "Path: %s\n", rev->path);
	if (!rev->transactional)
		fputs("Transaction: false\n", fp);
	if (rev->irreversible)
		fprintf(fp, "Irreversible: %s\n", rev->irreversible);
	if (rev->created)
		fprintf(fp, "Created: %s\n", rev->created);
	fprintf(fp, "\n    %s\n\n", rev->message ? rev->message : "");
}

static void json_strlist(struct jsonw *w, const char *key, const struct strlist *l)
{
	jsonw_key(w, key);
	jsonw_arr_begin(w);
	for (size_t k = 0; k < l->n; k++)
		jsonw_str(w, l->v[k]);
	jsonw_arr_end(w);
}

void revinfo_json(struct jsonw *w, const struct graph *g, size_t i, const struct strlist *current)
{
	const struct graph_node *nd = &g->nodes[i];
	const struct revision *rev = nd->rev;
	jsonw_obj_begin(w);
	jsonw_kstr(w, "revision", nd->id);
	json_strlist(w, "down_revisions", &rev->down_revisions);
	json_strlist(w, "depends_on", &rev->depends_on);
	json_strlist(w, "branch_labels", &nd->labels);
	jsonw_kstr(w, "message", rev->message ? rev->message : "");
	jsonw_kstr(w, "file", rev->path);
	jsonw_kstr(w, "created", rev->created);
	jsonw_kbool(w, "transactional", rev->transactional);
	jsonw_kbool(w, "is_head", nd->all_next.n == 0);
	jsonw_kbool(w, "is_base", nd->is_base);
	jsonw_kbool(w, "is_branch_point", graph_is_branch_point(g, i));
	jsonw_kbool(w, "is_merge_point", graph_is_merge_point(g, i));
	if (current)
		jsonw_kbool(w, "is_current", strlist_has(current, nd->id));
	jsonw_obj_end(w);
}

void revinfo_json_list(FILE *fp, const struct graph *g, const struct idxvec *list,
		       const struct strlist *current)
{
	struct jsonw w;
	jsonw_init(&w, fp, true);
	jsonw_arr_begin(&w);
	for (size_t k = 0; k < list->n; k++)
		revinfo_json(&w, g, list->v[k], current);
	jsonw_arr_end(&w);
	jsonw_finish(&w);
}
