#!/usr/bin/env bats
# Runs the examples of the git family's rule pages (rules/<id>.md): in a
# fresh repository, the "sh setup" block, then the "sh fail" block must make
# 'revgate lint' report the rule, and in another the "sh pass" block must
# not. The SQL rules' examples run in the unit tests.

load git_helpers

RULES="$BATS_TEST_DIRNAME/../../rules"

# block FILE KIND: the body of the ```sh KIND fence
block() {
	awk -v kind="$2" '$0 == "```sh " kind { on = 1; next } on && $0 == "```" { exit } on { print }' "$1"
}

# example ID KIND: runs setup + the block in a fresh directory, prints lint's output
example() {
	local page="$RULES/$1.md" dir
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/ex.XXXX")
	(
		cd "$dir" || exit 1
		# shellcheck disable=SC2317
		revgate() { $REVGATE "$@"; }
		export -f revgate
		set -e
		eval "$(block "$page" setup)"
		eval "$(block "$page" "$2")"
		set +e
		revgate lint
		true
	)
}

check_page() {
	local id=$1 out
	[ -n "$(block "$RULES/$id.md" setup)" ]
	[ -n "$(block "$RULES/$id.md" fail)" ]
	[ -n "$(block "$RULES/$id.md" pass)" ]
	out=$(example "$id" fail)
	[[ "$out" == *"[$id]"* ]] || {
		echo "the failing example of $id does not report it:" >&2
		echo "$out" >&2
		return 1
	}
	out=$(example "$id" pass)
	[[ "$out" != *"[$id]"* ]] || {
		echo "the passing example of $id reports it:" >&2
		echo "$out" >&2
		return 1
	}
}

setup() {
	git_setup
}

@test "rules/applied-revision-edited.md examples" { check_page applied-revision-edited; }
@test "rules/applied-revision-cosmetic-edit.md examples" { check_page applied-revision-cosmetic-edit; }
@test "rules/applied-revision-deleted.md examples" { check_page applied-revision-deleted; }
@test "rules/applied-revision-renamed.md examples" { check_page applied-revision-renamed; }
@test "rules/history-rewritten.md examples" { check_page history-rewritten; }
@test "rules/heads-after-merge.md examples" { check_page heads-after-merge; }
@test "rules/sibling-conflict.md examples" { check_page sibling-conflict; }
