#!/usr/bin/env bash
# The action's work, inside a debian:bookworm container (see action.yml):
# revgate is built on the system it is tested on, then lints the workspace.
# /opt/revgate is the action's checkout; the current directory is the
# directory holding revgate.ini. BASE, SARIF and STRICT come from the step.
set -euo pipefail
src=/opt/revgate
apt-get update -q >/dev/null
"$src/scripts/deps.sh" build
make -C "$src" -j"$(nproc)" >/dev/null
# the workspace belongs to the runner's user, not to root in here
git config --global --add safe.directory "$GITHUB_WORKSPACE"
git config --global --add safe.directory "$PWD"
args=(lint --base "$BASE")
if [ "${STRICT:-false}" = "true" ]; then
	args+=(--strict)
fi
if [ -n "${SARIF:-}" ]; then
	# the SARIF report never fails the step: the annotated run below does
	"$src/revgate" "${args[@]}" --format sarif >"$SARIF" || [ $? -eq 1 ]
fi
exec "$src/revgate" "${args[@]}" --format github
