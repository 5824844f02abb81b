/*
 * A revision that changes its session behind revgate's back: another user
 * (SET SESSION AUTHORIZATION), every setting back to its default (RESET
 * ALL), read-only transactions, or triggers switched off
 * (session_replication_role). revgate puts the session back after each
 * revision, but within the revision the statements after it run changed.
 */
#include "lint/util.h"

#include <strings.h>

static const struct {
	const char *name;
	const char *what;
} settings[] = {
    {"session_authorization", "runs the rest of the revision as another user"},
    {"default_transaction_read_only", "makes the transactions after it read-only"},
    {"transaction_read_only", "makes the transactions after it read-only"},
    {"session characteristics", "changes the transactions after it"},
    {"session_replication_role", "switches triggers off or on for the rest of the session"},
};

static void check(struct lint_ctx *ctx, const PgQuery__Node *node)
{
	const PgQuery__VariableSetStmt *v = node->variable_set_stmt;
	struct finding *f;
	if (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL) {
		f = lint_report(ctx, ctx->stmt_start,
				"RESET ALL puts every setting of the session back to its default, "
				"statement_timeout and search_path included");
		finding_set_hint(f, "reset what you set by name (RESET search_path), or use SET "
				    "LOCAL, which ends with the transaction");
		return;
	}
	if (v->is_local || !v->name || v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET)
		return;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (strcasecmp(v->name, settings[i].name))
			continue;
		f = lint_report(ctx, ctx->stmt_start, "SET %s %s", v->name, settings[i].what);
		finding_set_hint(f, "use SET LOCAL inside the revision's transaction, or leave the "
				    "session as revgate set it up");
		return;
	}
}

const struct lint_rule rule_session_state_change = {
    .id = "session-state-change",
    .summary = "a statement that changes the session's user, settings or read-only mode",
    .severity = SEV_WARNING,
    .flags = LR_DOWNGRADE,
    .nodes = LINT_NODES(PG_QUERY__NODE__NODE_VARIABLE_SET_STMT),
    .check = check,
};
