/*
 * The table of every rule id. To add a rule: write src/lint/rules/<id>.c
 * exporting `const struct lint_rule rule_<id>`, declare it below, add it to
 * the table (sorted), and write rules/<id>.md; the documentation test fails
 * until the page exists.
 */
#include "lint/registry.h"
#include "graph/graph.h"
#include "layout/layout.h"
#include "revision/revision.h"

#include <string.h>

extern const struct lint_rule rule_adding_field_with_default;
extern const struct lint_rule rule_adding_foreign_key_constraint;
extern const struct lint_rule rule_adding_not_nullable_field;
extern const struct lint_rule rule_adding_required_field;
extern const struct lint_rule rule_adding_serial_primary_key_field;
extern const struct lint_rule rule_attach_partition_without_check;
extern const struct lint_rule rule_ban_alter_domain_with_add_constraint;
extern const struct lint_rule rule_ban_char_field;
extern const struct lint_rule rule_ban_concurrent_index_creation_in_transaction;
extern const struct lint_rule rule_ban_create_domain_with_constraint;
extern const struct lint_rule rule_ban_drop_column;
extern const struct lint_rule rule_ban_drop_database;
extern const struct lint_rule rule_ban_drop_not_null;
extern const struct lint_rule rule_ban_drop_table;
extern const struct lint_rule rule_ban_truncate_cascade;
extern const struct lint_rule rule_ban_uncommitted_transaction;
extern const struct lint_rule rule_changing_column_type;
extern const struct lint_rule rule_concurrent_index_on_partitioned_table;
extern const struct lint_rule rule_constraint_missing_not_valid;
extern const struct lint_rule rule_constraint_name;
extern const struct lint_rule rule_database_default_change;
extern const struct lint_rule rule_delete_without_where;
extern const struct lint_rule rule_disallowed_unique_constraint;
extern const struct lint_rule rule_downgrade_incomplete;
extern const struct lint_rule rule_foreign_key_without_index;
extern const struct lint_rule rule_identifier_too_long;
extern const struct lint_rule rule_index_name;
extern const struct lint_rule rule_missing_downgrade;
extern const struct lint_rule rule_mixed_transaction_segments;
extern const struct lint_rule rule_prefer_bigint_over_int;
extern const struct lint_rule rule_prefer_bigint_over_smallint;
extern const struct lint_rule rule_prefer_identity;
extern const struct lint_rule rule_prefer_jsonb;
extern const struct lint_rule rule_prefer_repack;
extern const struct lint_rule rule_prefer_robust_stmts;
extern const struct lint_rule rule_prefer_text_field;
extern const struct lint_rule rule_prefer_timestamp_tz;
extern const struct lint_rule rule_refresh_materialized_view_without_concurrently;
extern const struct lint_rule rule_renaming_column;
extern const struct lint_rule rule_renaming_table;
extern const struct lint_rule rule_require_concurrent_index_creation;
extern const struct lint_rule rule_require_concurrent_index_deletion;
extern const struct lint_rule rule_require_concurrent_partition_detach;
extern const struct lint_rule rule_require_concurrent_reindex;
extern const struct lint_rule rule_revgate_table_touched;
extern const struct lint_rule rule_session_state_change;
extern const struct lint_rule rule_statements_after_access_exclusive;
extern const struct lint_rule rule_table_rewriting_alter;
extern const struct lint_rule rule_transaction_nesting;
extern const struct lint_rule rule_update_without_where;
extern const struct lint_rule rule_validate_in_same_transaction;
extern const struct lint_rule rule_vector_index_without_opclass;

/* Reported by the engine itself. */
static const struct lint_rule rule_syntax_error = {
    .id = "syntax-error",
    .summary = "a statement PostgreSQL cannot parse (SQL or PL/pgSQL)",
    .severity = SEV_ERROR,
};
static const struct lint_rule rule_unused_ignore = {
    .id = "unused-ignore",
    .summary = "a 'revgate: ignore' comment that silences nothing",
    .severity = SEV_WARNING,
};
static const struct lint_rule rule_unknown_rule = {
    .id = "unknown-rule",
    .summary = "a 'revgate: ignore' comment naming a rule that does not exist",
    .severity = SEV_ERROR,
};

#define OTHER(name, rule_id, fam, sev, text)                                                       \
	static const struct lint_rule name = {                                                     \
	    .id = (rule_id), .summary = (text), .severity = (sev), .family = (fam)}

/* The graph family: revision files and the revision graph (revision/, graph/). */
OTHER(g_invalid_file, RULE_INVALID_FILE, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a revision file that cannot be read as text (binary, invalid UTF-8, too large, empty)");
OTHER(g_missing_header_key, RULE_MISSING_HEADER_KEY, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a revision header without 'revision' or 'down_revision'");
OTHER(g_duplicate_header_key, RULE_DUPLICATE_HEADER_KEY, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a header key given twice");
OTHER(g_unknown_header_key, RULE_UNKNOWN_HEADER_KEY, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a header key revgate does not know (a typo must not change the graph)");
OTHER(g_invalid_header_value, RULE_INVALID_HEADER_VALUE, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a header value that is not valid for its key");
OTHER(g_revision_id_mismatch, RULE_REVISION_ID_MISMATCH, LINT_FAMILY_GRAPH, SEV_ERROR,
      "the id in the header differs from the id in the file name");
OTHER(g_missing_upgrade, RULE_MISSING_UPGRADE, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a revision file without a '-- +upgrade' section");
OTHER(g_duplicate_section, RULE_DUPLICATE_SECTION, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a section marker given twice");
OTHER(g_text_outside_section, RULE_TEXT_OUTSIDE_SECTION, LINT_FAMILY_GRAPH, SEV_ERROR,
      "SQL between the header and the first section, which would never run");
OTHER(g_file_name, RULE_FILE_NAME, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a revision file name that does not match the configured pattern");
OTHER(g_duplicate_revision, RULE_DUPLICATE_REVISION, LINT_FAMILY_GRAPH, SEV_ERROR,
      "two revision files with the same id");
OTHER(g_missing_parent, RULE_MISSING_PARENT, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a down_revision that names no existing revision");
OTHER(g_missing_dependency, RULE_MISSING_DEPENDENCY, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a depends_on that names no existing revision or branch label");
OTHER(g_revision_cycle, RULE_REVISION_CYCLE, LINT_FAMILY_GRAPH, SEV_ERROR,
      "revisions whose parents form a cycle");
OTHER(g_multiple_heads, RULE_MULTIPLE_HEADS, LINT_FAMILY_GRAPH, SEV_ERROR,
      "more than one head without a branch label each: 'upgrade head' is ambiguous");
OTHER(g_multiple_bases, RULE_MULTIPLE_BASES, LINT_FAMILY_GRAPH, SEV_WARNING,
      "more than one root revision");
OTHER(g_duplicate_branch_label, RULE_DUPLICATE_BRANCH_LABEL, LINT_FAMILY_GRAPH, SEV_ERROR,
      "a branch label declared by two revisions");
OTHER(g_unreadable_revision, RULE_UNREADABLE_REVISION, LINT_FAMILY_GRAPH, SEV_ERROR,
      "another tool's revision whose ids cannot be read without running it (an Alembic "
      "value that is not a literal)");
OTHER(g_unsupported_migration, RULE_UNSUPPORTED_MIGRATION, LINT_FAMILY_GRAPH, SEV_WARNING,
      "another tool's migration revgate cannot read (a Go migration, a Flyway repeatable "
      "migration)");
OTHER(g_template_placeholder, RULE_TEMPLATE_PLACEHOLDER, LINT_FAMILY_GRAPH, SEV_WARNING,
      "a placeholder another tool replaces before the SQL runs (Flyway ${...}, goose ENVSUB)");
OTHER(g_alembic_sql_unavailable, RULE_ALEMBIC_SQL_UNAVAILABLE, LINT_FAMILY_GRAPH, SEV_WARNING,
      "Alembic's offline mode could not give the SQL of some revisions, so it was not linted");
OTHER(g_duplicate_version, RULE_DUPLICATE_VERSION, LINT_FAMILY_GRAPH, SEV_ERROR,
      "two migrations of another tool with the same version");

/* The git family: the history against a base ref (git/, guard/). */
OTHER(x_applied_edited, "applied-revision-edited", LINT_FAMILY_GIT, SEV_ERROR,
      "a revision already on the base branch whose upgrade changed in meaning");
OTHER(x_applied_cosmetic, "applied-revision-cosmetic-edit", LINT_FAMILY_GIT, SEV_WARNING,
      "a revision already on the base branch changed only in comments or whitespace");
OTHER(x_applied_deleted, "applied-revision-deleted", LINT_FAMILY_GIT, SEV_ERROR,
      "a revision already on the base branch was deleted");
OTHER(x_applied_renamed, "applied-revision-renamed", LINT_FAMILY_GIT, SEV_INFO,
      "a revision file already on the base branch was renamed");
OTHER(x_history_rewritten, "history-rewritten", LINT_FAMILY_GIT, SEV_ERROR,
      "the parents of a revision already on the base branch changed");
OTHER(x_heads_after_merge, "heads-after-merge", LINT_FAMILY_GIT, SEV_ERROR,
      "this branch and the base each added a child of the same revision: merging leaves two "
      "heads");
OTHER(x_sibling_conflict, "sibling-conflict", LINT_FAMILY_GIT, SEV_WARNING,
      "revisions on the base and on this branch touch the same object, so their order "
      "matters");
OTHER(x_shallow_clone, "shallow-clone", LINT_FAMILY_GIT, SEV_ERROR,
      "the clone is too shallow to find the merge base with the base branch");

static const struct lint_rule *const rules[] = {
    &rule_adding_field_with_default,
    &rule_adding_foreign_key_constraint,
    &rule_adding_not_nullable_field,
    &rule_adding_required_field,
    &rule_adding_serial_primary_key_field,
    &rule_attach_partition_without_check,
    &rule_ban_alter_domain_with_add_constraint,
    &rule_ban_char_field,
    &rule_ban_concurrent_index_creation_in_transaction,
    &rule_ban_create_domain_with_constraint,
    &rule_ban_drop_column,
    &rule_ban_drop_database,
    &rule_ban_drop_not_null,
    &rule_ban_drop_table,
    &rule_ban_truncate_cascade,
    &rule_ban_uncommitted_transaction,
    &rule_changing_column_type,
    &rule_concurrent_index_on_partitioned_table,
    &rule_constraint_missing_not_valid,
    &rule_constraint_name,
    &rule_database_default_change,
    &rule_delete_without_where,
    &rule_disallowed_unique_constraint,
    &rule_downgrade_incomplete,
    &rule_foreign_key_without_index,
    &rule_identifier_too_long,
    &rule_index_name,
    &rule_missing_downgrade,
    &rule_mixed_transaction_segments,
    &rule_prefer_bigint_over_int,
    &rule_prefer_bigint_over_smallint,
    &rule_prefer_identity,
    &rule_prefer_jsonb,
    &rule_prefer_repack,
    &rule_prefer_robust_stmts,
    &rule_prefer_text_field,
    &rule_prefer_timestamp_tz,
    &rule_refresh_materialized_view_without_concurrently,
    &rule_renaming_column,
    &rule_renaming_table,
    &rule_require_concurrent_index_creation,
    &rule_require_concurrent_index_deletion,
    &rule_require_concurrent_partition_detach,
    &rule_require_concurrent_reindex,
    &rule_revgate_table_touched,
    &rule_session_state_change,
    &rule_statements_after_access_exclusive,
    &rule_table_rewriting_alter,
    &rule_transaction_nesting,
    &rule_update_without_where,
    &rule_validate_in_same_transaction,
    &rule_vector_index_without_opclass,
    &rule_syntax_error,
    &rule_unknown_rule,
    &rule_unused_ignore,
    &g_invalid_file,
    &g_unreadable_revision,
    &g_unsupported_migration,
    &g_template_placeholder,
    &g_duplicate_version,
    &g_alembic_sql_unavailable,
    &g_missing_header_key,
    &g_duplicate_header_key,
    &g_unknown_header_key,
    &g_invalid_header_value,
    &g_revision_id_mismatch,
    &g_missing_upgrade,
    &g_duplicate_section,
    &g_text_outside_section,
    &g_file_name,
    &g_duplicate_revision,
    &g_missing_parent,
    &g_missing_dependency,
    &g_revision_cycle,
    &g_multiple_heads,
    &g_multiple_bases,
    &g_duplicate_branch_label,
    &x_applied_edited,
    &x_applied_cosmetic,
    &x_applied_deleted,
    &x_applied_renamed,
    &x_history_rewritten,
    &x_heads_after_merge,
    &x_sibling_conflict,
    &x_shallow_clone,
};

size_t lint_rule_count(void)
{
	return sizeof(rules) / sizeof(rules[0]);
}

const struct lint_rule *lint_rule_at(size_t i)
{
	return i < lint_rule_count() ? rules[i] : NULL;
}

int lint_rule_index(const char *id)
{
	/* a linear scan over ~80 short strings: cheaper than building a map */
	for (size_t i = 0; i < lint_rule_count(); i++)
		if (!strcmp(rules[i]->id, id))
			return (int)i;
	return -1;
}

const struct lint_rule *lint_rule_find(const char *id)
{
	int i = lint_rule_index(id);
	return i < 0 ? NULL : rules[i];
}

const char *lint_family_name(enum lint_family f)
{
	return f == LINT_FAMILY_GRAPH ? "graph" : f == LINT_FAMILY_GIT ? "git" : "sql";
}
