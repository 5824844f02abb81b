/*
 * SARIF 2.1.0 for code scanning. Fingerprints hash the rule, the file and the
 * offending line's text (not its number), so moving lines does not make a
 * finding look new.
 */
#include "output/output.h"
#include "output/jsonw.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/strlist.h"

#include <ctype.h>
#include <string.h>

static void sarif_finding(struct printer *p, const struct finding *f)
{
	(void)p;
	(void)f; /* everything is written from the whole list in summary */
}

static const char *level(enum severity s)
{
	return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

static void fingerprint(const struct finding *f, char out[HASH_HEX_LEN + 1])
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s\n%s\n", f->rule, f->file ? f->file : "");
	/* whitespace-insensitive: re-indenting a line keeps its identity */
	for (const char *c = f->excerpt ? f->excerpt : f->message; *c; c++)
		if (!isspace((unsigned char)*c))
			strbuf_addch(&sb, *c);
	hash_sha256_hex(sb.buf, sb.len, out);
	strbuf_release(&sb);
}

static void sarif_summary(struct printer *p, const struct findings *all)
{
	struct jsonw w;
	jsonw_init(&w, p->fp, true);
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	jsonw_kstr(&w, "version", "2.1.0");
	jsonw_key(&w, "runs");
	jsonw_arr_begin(&w);
	jsonw_obj_begin(&w);
	jsonw_key(&w, "tool");
	jsonw_obj_begin(&w);
	jsonw_key(&w, "driver");
	jsonw_obj_begin(&w);
	jsonw_kstr(&w, "name", "revgate");
	jsonw_kstr(&w, "version", p->tool_version);
	jsonw_key(&w, "rules");
	jsonw_arr_begin(&w);
	struct strlist seen = STRLIST_INIT;
	for (size_t i = 0; i < all->n; i++) {
		if (strlist_has(&seen, all->v[i].rule))
			continue;
		strlist_push(&seen, all->v[i].rule);
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "id", all->v[i].rule);
		jsonw_key(&w, "defaultConfiguration");
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "level", level(all->v[i].severity));
		jsonw_obj_end(&w);
		jsonw_obj_end(&w);
	}
	strlist_release(&seen);
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_key(&w, "results");
	jsonw_arr_begin(&w);
	for (size_t i = 0; i < all->n; i++) {
		const struct finding *f = &all->v[i];
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "ruleId", f->rule);
		jsonw_kstr(&w, "level", level(f->severity));
		jsonw_key(&w, "message");
		jsonw_obj_begin(&w);
		if (f->hint) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "%s\nHint: %s", f->message, f->hint);
			jsonw_kstr(&w, "text", sb.buf);
			strbuf_release(&sb);
		} else {
			jsonw_kstr(&w, "text", f->message);
		}
		jsonw_obj_end(&w);
		if (f->file) {
			jsonw_key(&w, "locations");
			jsonw_arr_begin(&w);
			jsonw_obj_begin(&w);
			jsonw_key(&w, "physicalLocation");
			jsonw_obj_begin(&w);
			jsonw_key(&w, "artifactLocation");
			jsonw_obj_begin(&w);
			jsonw_kstr(&w, "uri", f->file);
			jsonw_obj_end(&w);
			if (f->line) {
				jsonw_key(&w, "region");
				jsonw_obj_begin(&w);
				jsonw_kint(&w, "startLine", f->line);
				jsonw_kint(&w, "startColumn", f->column ? f->column : 1);
				jsonw_obj_end(&w);
			}
			jsonw_obj_end(&w);
			jsonw_obj_end(&w);
			jsonw_arr_end(&w);
		}
		char fp[HASH_HEX_LEN + 1];
		fingerprint(f, fp);
		jsonw_key(&w, "partialFingerprints");
		jsonw_obj_begin(&w);
		jsonw_kstr(&w, "revgate/v1", fp);
		jsonw_obj_end(&w);
		jsonw_obj_end(&w);
	}
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_arr_end(&w);
	jsonw_obj_end(&w);
	jsonw_finish(&w);
}

const struct printer_ops printer_sarif = {
	.name = "sarif",
	.finding = sarif_finding,
	.summary = sarif_summary,
};
