/*
 * The linter on arbitrary SQL, PL/pgSQL bodies included: the input is
 * linted as a plain SQL file and, parsed as a revision file, twice on one
 * catalog (so the second run meets every object the first one created).
 */
#include "fuzz_util.h"

#include "catalog/catalog.h"
#include "core/err.h"
#include "core/finding.h"
#include "lint/engine.h"
#include "lint/lint.h"
#include "revision/revision.h"

static struct lint_settings settings;
static struct lint_engine *engine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lint_settings_init(&settings);
	/* every rule on, so every rule sees every input */
	for (size_t i = 0; i < LINT_MAX_RULES; i++)
		if (settings.severity[i] == SEV_OFF)
			settings.severity[i] = SEV_INFO;
	engine = lint_engine_new(&settings);
	return 0;
}

static void check_findings(const struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		FUZZ_ASSERT(fs->v[i].rule && fs->v[i].message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct findings fs = FINDINGS_INIT;
	struct revision rev;

	revision_parse_plain(&rev, "plain.sql", fuzz_text(data, size), size, &fs);
	(void)lint_revision_alone(&settings, &rev, &fs);
	check_findings(&fs);
	revision_release(&rev);

	revision_parse(&rev, "migrations/20250101_0000_abc123_x.sql", fuzz_text(data, size), size,
		       "abc123", &fs);
	if (rev.upgrade.present) {
		struct catalog cat;
		catalog_init(&cat);
		lint_engine_run(engine, &rev, &cat, 1, &fs);
		lint_engine_run(engine, &rev, &cat, 2, &fs);
		catalog_release(&cat);
	}
	check_findings(&fs);
	findings_sort(&fs);
	revision_release(&rev);
	findings_release(&fs);
	err_clear();
	return 0;
}
