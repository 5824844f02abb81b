#!/usr/bin/env bash
#
# scripts/demo.sh /abs/path/to/revgate  (run by `make demo`)
#
# revgate's main job on the example project in migrations/ (a tax-law Q&A
# assistant with pgvector), against a throwaway database it starts itself:
# PGlite with pgvector behind the PostgreSQL protocol, since Debian's
# PostgreSQL has no pgvector. The happy path first: lint, upgrade head,
# current, history, one step back and forward again. Then, labelled as
# such, Alembic's ambiguity: "downgrade -1" at a merge revision. The
# database is stopped and removed at the end.

set -uo pipefail
revgate=${1:?usage: scripts/demo.sh /abs/path/to/revgate}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# shellcheck source=tests/lib/pglite.bash
. "$root/tests/lib/pglite.bash"

if [ -t 1 ]; then bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'; else bold='' dim='' off=''; fi

# step TITLE COMMAND: a caption and the command as a user would type it
step() {
	printf '\n%s== %s%s\n' "$bold" "$1" "$off"
	printf '%s$ %s%s\n' "$dim" "$2" "$off"
}

note() {
	printf '%s%s%s\n' "$dim" "$*" "$off"
}

# rg ARGS...: revgate on the example project, as a user would type it.
rg() {
	"$revgate" -C "$root" "$@"
}

trap 'pglite_stop' EXIT
trap 'exit 130' INT TERM

note "Starting a throwaway PostgreSQL (PGlite with pgvector)..."
pglite_start || exit 3
export DATABASE_URL

step "Lint the migrations (the pre-commit hook and the pull-request check run this)" \
	"revgate lint"
rg lint
echo "(exit status $?: warnings do not fail the check; errors would)"

step "Apply every revision: one transaction each, a lock against concurrent runs" \
	"revgate upgrade head"
rg upgrade head || exit $?

step "Which revision is the database at?" "revgate current"
rg current || exit $?

step "The revisions, newest first (Alembic's order), marking where the database is" \
	"revgate history --indicate-current"
rg history --indicate-current || exit $?

# the caption shows the query that runs, so the two cannot differ
query="SELECT id, revision, direction, outcome, segment, round(duration_ms::numeric, 1) AS ms FROM revgate_history ORDER BY id"
step "What ran, as the database recorded it (statements outside a transaction are segments)" \
	"psql -c '$query'"
pglite_psql -q -c "$query" || exit 3

# The head merges two branches: one step back is to one of its parents,
# named, since "-1" cannot say which (shown last, on purpose).
parent=$(rg show head --format json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["down_revisions"][0])') || exit 3
step "One step back, to before the merge at the head: name one of its parents (the database is then at both)" \
	"revgate downgrade $parent"
rg downgrade "$parent" || exit $?
rg current || exit $?

step "And forward again" "revgate upgrade head"
rg upgrade head || exit $?
rg current || exit $?

step "On purpose, Alembic's ambiguity: '-1' at a merge revision is refused, not guessed" \
	"revgate downgrade -1"
rg downgrade -1
echo "(exit status $?: revgate, like Alembic, will not pick a branch; name the revision as above)"

printf '\n'
note "Done; the throwaway database is stopped and removed."
