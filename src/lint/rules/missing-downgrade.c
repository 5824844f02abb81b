/* A revision without a downgrade cannot be rolled back, unless it says so. */
#include "lint/util.h"
#include "revision/revision.h"

static void finish(struct lint_ctx *ctx)
{
	const struct revision *rev = ctx->rev;
	if (ctx->section != LINT_DOWNGRADE || rev->plain_sql || rev->irreversible)
		return;
	if (rev->downgrade.present && (ctx->facts->statements[1] || ctx->facts->syntax_error[1]))
		return;
	/* an upgrade that changes nothing (a merge revision) has nothing to undo */
	if (!ctx->facts->statements[0] && !ctx->facts->syntax_error[0])
		return;
	size_t at = rev->body_start;
	if (rev->downgrade.present)
		at = rev->downgrade.start;
	if (rev->downgrade.present && rev->downgrade.marker_line) {
		/* the marker's own line: an empty section may end the file */
		if (at > 0 && rev->text[at - 1] == '\n')
			at--;
		while (at > rev->body_start && rev->text[at - 1] != '\n')
			at--;
	}
	struct finding *f =
	    lint_report(ctx, at,
			rev->downgrade.present ? "the downgrade section is empty"
					       : "the revision has no downgrade section");
	if (rev->downgrade_how)
		finding_set_hint(f, "write the SQL that undoes the upgrade %s, or set "
				    "'missing-downgrade = off' under [rules] in revgate.ini when "
				    "the history only goes forward",
				 rev->downgrade_how);
	else
		finding_set_hint(f, "write the SQL that undoes the upgrade under '-- +downgrade', "
				    "or declare on purpose that there is none: '-- irreversible: "
				    "<reason>' in the header");
}

const struct lint_rule rule_missing_downgrade = {
    .id = "missing-downgrade",
    .summary = "no downgrade and no 'irreversible:' reason",
    .severity = SEV_WARNING,
    .finish = finish,
};
