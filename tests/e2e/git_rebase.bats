#!/usr/bin/env bats
# revgate rebase: this branch's revisions move onto the base's head; only
# their down_revision line and the time stamp of their file name change.

load git_helpers

setup() {
	git_setup
	rev a none "CREATE TABLE t (id int);" >/dev/null
	rev b a "ALTER TABLE t ADD COLUMN c int;" >/dev/null
	commit "base"
	git checkout -q -b feat
	rev c b "SELECT 3;" >/dev/null
	rev e c "SELECT 5;" >/dev/null
	commit "feat adds c and e"
	git checkout -q main
	tick
	rev d b "SELECT 4;" >/dev/null
	commit "main adds d"
	git checkout -q feat
}

@test "--dry-run prints the plan and changes nothing" {
	before=$(ls migrations; cat migrations/*)
	run rg rebase --dry-run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "would rebase onto 'd', the head of main:" ]
	[ "${lines[1]}" = "  c: down_revision b -> d; 20250101_0003_c_c.sql -> 20260101_0000_c_c.sql" ]
	[ "${#lines[@]}" -eq 2 ] # e already follows c
	[ "$(ls migrations; cat migrations/*)" = "$before" ]
}

@test "rebase rewrites only the down_revision line and the file name's time stamp" {
	old=$(git show HEAD:migrations/20250101_0003_c_c.sql)
	run rg rebase
	[ "$status" -eq 0 ]
	[ ! -e migrations/20250101_0003_c_c.sql ]
	new=$(cat migrations/20260101_0000_c_c.sql)
	[ "$new" = "${old/down_revision: b/down_revision: d}" ]
	# e and the applied revisions are untouched
	git diff --quiet HEAD -- migrations/20250101_0001_a_a.sql migrations/20250101_0002_b_b.sql \
		migrations/20250101_0004_e_e.sql
	git add -A && git commit -q -m rebased
	git merge -q main -m "merge main"
	run rg heads
	[ "$output" = "e (head)" ]
	run rg lint --base main
	[ "$status" -eq 0 ]
}

@test "a CRLF file keeps its line endings" {
	sed -i 's/$/\r/' migrations/20250101_0003_c_c.sql
	commit "crlf"
	run rg rebase
	[ "$status" -eq 0 ]
	grep -q $'^-- down_revision: d\r$' migrations/20260101_0000_c_c.sql
	[ "$(grep -c $'\r$' migrations/20260101_0000_c_c.sql)" -eq "$(wc -l <migrations/20260101_0000_c_c.sql)" ]
}

@test "nothing to rebase when the branch already follows the base's head" {
	rg rebase >/dev/null
	git add -A && git commit -q -m rebased
	run rg rebase
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to rebase"*"already follow"*"'d', the head of main"* ]]
	git checkout -q main
	run rg rebase
	[[ "$output" == *"nothing to rebase: every revision is on main"* ]]
}

@test "a base with two heads is refused; --onto names another base" {
	git checkout -q main
	rev x b >/dev/null
	commit "main gets a second head"
	git branch release main~1
	git checkout -q feat
	run rg rebase
	[ "$status" -eq 1 ]
	[[ "$output" == *"the base has 2 heads"* ]]
	run rg rebase --onto release --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would rebase onto 'd', the head of release"* ]]
}

@test "rebase in a shallow clone is exit 2" {
	git checkout -q main
	git clone -q --depth 1 "file://$REPO" "$BATS_TEST_TMPDIR/shallow"
	cd "$BATS_TEST_TMPDIR/shallow"
	run rg rebase
	[ "$status" -eq 2 ]
	[[ "$output" == *"fetch-depth: 0"* ]]
}

@test "after moving the directory, rebase still leaves the base's revisions alone" {
	mkdir db
	git mv migrations db/migrations
	printf '[revgate]\nmigrations = db/migrations\n' >revgate.ini
	commit "move the directory"
	run rg rebase --dry-run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "would rebase onto 'd', the head of main:" ]
	[[ "${lines[1]}" == "  c: down_revision b -> d;"* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" != *"  a:"* && "$output" != *"  b:"* ]]
}
