#!/usr/bin/env bash
# The action's work, inside revgate's image (see action.yml), as the
# runner's user so that git trusts the workspace and the SARIF file is the
# runner's: lints the workspace. The current directory is the directory
# holding revgate.ini. BASE, SARIF and STRICT come from the step.
set -euo pipefail
args=(lint --base "$BASE")
if [ "${STRICT:-false}" = "true" ]; then
	args+=(--strict)
fi
if [ -n "${SARIF:-}" ]; then
	# the SARIF report never fails the step: the annotated run below does
	revgate "${args[@]}" --format sarif >"$SARIF" || [ $? -eq 1 ]
fi
exec revgate "${args[@]}" --format github
