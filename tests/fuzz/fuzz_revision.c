/*
 * The revision-file parser on arbitrary bytes: as a revision and as a plain
 * SQL file. Checks that sections stay inside the text and that every
 * finding is complete.
 */
#include "fuzz_util.h"

#include "core/err.h"
#include "core/finding.h"
#include "revision/revision.h"

static void check_findings(const struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		FUZZ_ASSERT(fs->v[i].rule && fs->v[i].message);
		FUZZ_ASSERT(fs->v[i].severity >= SEV_INFO && fs->v[i].severity <= SEV_ERROR);
	}
}

static void check_section(const struct revision *rev, const struct rev_section *s)
{
	if (!s->present)
		return;
	FUZZ_ASSERT(s->start <= rev->len && s->end <= rev->len);
	char *dup = revision_section_dup(rev, s);
	FUZZ_ASSERT(strlen(dup) <= rev->len);
	free(dup);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct findings fs = FINDINGS_INIT;
	struct revision rev;

	revision_parse(&rev, "migrations/20250101_0000_abc123_x.sql", fuzz_text(data, size), size,
		       "abc123", &fs);
	check_findings(&fs);
	check_section(&rev, &rev.upgrade);
	check_section(&rev, &rev.downgrade);
	if (rev.usable)
		FUZZ_ASSERT(rev.id && revision_id_valid(rev.id));
	for (size_t i = 0; i < rev.down_revisions.n; i++)
		FUZZ_ASSERT(revision_id_valid(rev.down_revisions.v[i]));
	(void)revision_ignores(&rev, "ban-drop-table");
	revision_release(&rev);

	revision_parse_plain(&rev, "plain.sql", fuzz_text(data, size), size, &fs);
	check_findings(&fs);
	check_section(&rev, &rev.upgrade);
	revision_release(&rev);

	findings_sort(&fs);
	findings_release(&fs);
	err_clear();
	return 0;
}
