#!/usr/bin/env bash
#
# scripts/demo.sh /abs/path/to/revgate  (run by `make demo`)
#
# revgate's main job on the example project in migrations/ (a tax-law Q&A
# assistant with pgvector), against a throwaway database it starts itself:
# PGlite with pgvector behind the PostgreSQL protocol, since Debian's
# PostgreSQL has no pgvector. Lint, upgrade head, current, history,
# downgrade -1, upgrade head; then the database is stopped and removed.

set -uo pipefail
revgate=${1:?usage: scripts/demo.sh /abs/path/to/revgate}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# shellcheck source=tests/lib/pglite.bash
. "$root/tests/lib/pglite.bash"

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold= dim= off=; fi

step() {
	printf '\n%s== %s%s\n' "$bold" "$1" "$off"
	printf '%s$ %s%s\n' "$dim" "${*:2}" "$off"
}

# rg ARGS...: revgate on the example project, as a user would type it.
rg() {
	"$revgate" -C "$root" "$@"
}

trap 'pglite_stop' EXIT
trap 'exit 130' INT TERM

printf '%sStarting a throwaway PostgreSQL (PGlite with pgvector)...%s\n' "$dim" "$off"
pglite_start || exit 3
export DATABASE_URL

if "$revgate" help lint >/dev/null 2>&1; then
	step "Lint the migrations (the pre-commit hook and the pull-request check run this)" \
		"revgate lint"
	rg lint
	echo "(exit status $?)"
fi

step "Apply every revision: one transaction each, a lock against concurrent runs" \
	"revgate upgrade head"
rg upgrade head || exit $?

step "Which revision is the database at?" "revgate current"
rg current || exit $?

step "The revisions, newest first (Alembic's order)" "revgate history"
rg history || exit $?

step "What ran, as the database recorded it" \
	"psql -c 'SELECT revision, direction, outcome, duration_ms FROM revgate_history'"
pglite_psql -q -c "SELECT id, revision, direction, outcome, segment, round(duration_ms::numeric, 1) AS ms
	FROM revgate_history ORDER BY id" || exit 3

step "Step back one revision" "revgate downgrade -1"
if ! rg downgrade -1 2>"$PGLITE_TEST_DIR/down.err"; then
	cat "$PGLITE_TEST_DIR/down.err" >&2
	if grep -q "ambiguous walk" "$PGLITE_TEST_DIR/down.err"; then
		# The head is a merge revision: like Alembic, revgate will not
		# guess which branch "-1" means. Naming a parent is unambiguous.
		parent=$(rg show head --format json |
			python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["down_revisions"][0])')
		printf '%sthe head merges two branches; stepping back to one parent:%s\n' "$dim" "$off"
		printf '%s$ revgate downgrade %s%s\n' "$dim" "$parent" "$off"
		rg downgrade "$parent" || exit $?
	else
		exit 3
	fi
fi
rg current || exit $?

step "And forward again" "revgate upgrade head"
rg upgrade head || exit $?
rg current || exit $?

printf '\n%sDone; the throwaway database is stopped and removed.%s\n' "$dim" "$off"
