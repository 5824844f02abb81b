#!/usr/bin/env bats
# The git hooks and 'revgate hooks install', run by real 'git commit' and
# 'git merge' in fresh repositories.

load git_helpers

setup() {
	git_setup
	rev a none "CREATE TABLE t (id int);" >/dev/null
	rev b a "ALTER TABLE t ADD COLUMN c int;" >/dev/null
	commit "base"
}

@test "the compiled-in hooks are the files in hooks/" {
	run rg hooks print pre-commit
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BATS_TEST_DIRNAME/../../hooks/pre-commit")" ]
	run rg hooks print post-merge
	[ "$output" = "$(cat "$BATS_TEST_DIRNAME/../../hooks/post-merge")" ]
	run rg hooks print nope
	[ "$status" -eq 2 ]
}

@test "install writes executable hooks into .git/hooks, and again updates them" {
	run rg hooks install
	[ "$status" -eq 0 ]
	[[ "$output" == *".git/hooks/pre-commit: installed"* ]]
	[ -x .git/hooks/pre-commit ]
	[ -x .git/hooks/post-merge ]
	run rg hooks install
	[[ "$output" == *".git/hooks/pre-commit: updated"* ]]
	[ ! -e .git/hooks/pre-commit.before-revgate ]
}

@test "install respects core.hooksPath" {
	git config core.hooksPath .githooks
	run rg hooks install
	[ "$status" -eq 0 ]
	[ -x .githooks/pre-commit ]
	[ ! -e .git/hooks/pre-commit ]
}

@test "a foreign hook is kept and chained, and --force replaces it" {
	printf '#!/bin/sh\necho foreign-hook-ran >>"%s/ran"\n' "$BATS_TEST_TMPDIR" >.git/hooks/pre-commit
	chmod +x .git/hooks/pre-commit
	run rg hooks install
	[ "$status" -eq 0 ]
	[[ "$output" == *"pre-commit.before-revgate"* ]]
	grep -q foreign-hook-ran .git/hooks/pre-commit.before-revgate
	echo x >notes.txt
	git add notes.txt
	git commit -q -m notes
	grep -q foreign-hook-ran "$BATS_TEST_TMPDIR/ran"
	# a second install does not chain to itself
	run rg hooks install
	[[ "$output" == *"pre-commit: updated"* ]]
	# a failing foreign hook still stops the commit
	printf '#!/bin/sh\nexit 1\n' >.git/hooks/pre-commit.before-revgate
	echo y >>notes.txt
	git add notes.txt
	run git commit -q -m more
	[ "$status" -ne 0 ]
	printf '#!/bin/sh\nexit 0\n' >.git/hooks/post-merge
	run rg hooks install --force
	[[ "$output" == *"post-merge: installed (replaced the previous hook)"* ]]
	[ ! -e .git/hooks/post-merge.before-revgate ]
}

@test "pre-commit: a commit that edits an applied revision is stopped" {
	rg hooks install >/dev/null
	git checkout -q -b feat
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	git add migrations
	run git commit -q -m "edit b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
	[ "$(git rev-list --count HEAD)" -eq 1 ]
	# 'git commit -a' goes through a temporary index: still stopped
	git reset -q
	run git commit -q -a -m "edit b again"
	[ "$status" -ne 0 ]
	[[ "$output" == *"applied-revision-edited"* ]]
}

@test "pre-commit: silent when nothing in the migrations directory is staged" {
	rg hooks install >/dev/null
	git checkout -q -b feat
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)" # unstaged
	printf 'x\n' >"notes with spaces.txt"
	printf 'y\n' >"$(printf 'odd\nname.txt')"
	git add "notes with spaces.txt" "$(printf 'odd\nname.txt')"
	run git commit -q -m "notes"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "pre-commit: a new revision on the head passes; a migrations dir with spaces works" {
	git mv migrations "my migrations"
	printf '[revgate]\nmigrations = my migrations\n' >revgate.ini
	commit "move"
	rg hooks install >/dev/null
	git checkout -q -b feat
	printf -- '-- revision: c\n-- down_revision: b\n-- message: c\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 2;\n' \
		>"my migrations/20250102_0000_c_c.sql"
	git add "my migrations"
	run git commit -q -m "add c"
	[ "$status" -eq 0 ]
	[[ "$output" != *"error["* ]]
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "my migrations/20250101_0002_b_b.sql"
	git add "my migrations"
	run git commit -q -m "edit b"
	[ "$status" -ne 0 ]
}

@test "post-merge: a merge that leaves two heads says so and prints the fix" {
	rg hooks install >/dev/null
	git checkout -q -b feat
	rev c b >/dev/null
	commit "feat adds c"
	git checkout -q main
	tick
	rev d b >/dev/null
	commit "main adds d"
	run git merge -q feat -m "merge feat"
	[ "$status" -eq 0 ]
	[[ "$output" == *"the merge left 2 heads"* ]]
	[[ "$output" == *"revgate merge"* ]]
	[ -z "$(git status --porcelain)" ]
}

@test "post-merge --auto (revgate.autoMerge) writes the merge revision" {
	rg hooks install >/dev/null
	git config revgate.autoMerge true
	git checkout -q -b feat
	rev c b >/dev/null
	commit "feat adds c"
	git checkout -q main
	tick
	rev d b >/dev/null
	commit "main adds d"
	run git merge -q feat -m "merge feat"
	[ "$status" -eq 0 ]
	[[ "$output" == *"wrote a merge revision"* ]]
	run rg heads
	[ "$(printf '%s\n' "$output" | grep -c .)" -eq 1 ]
	run .git/hooks/post-merge --auto
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "post-merge is silent when each head carries its own branch label" {
	rg hooks install >/dev/null
	git checkout -q -b feat
	f=$(rev c b)
	sed -i 's/^-- message: c$/-- branch_labels: reporting\n-- message: c/' "$f"
	commit "feat adds c, labelled reporting"
	git checkout -q main
	tick
	f=$(rev d b)
	sed -i 's/^-- message: d$/-- branch_labels: billing\n-- message: d/' "$f"
	commit "main adds d, labelled billing"
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" != *"multiple-heads"* ]]
	run git merge -q feat -m "merge feat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# one label missing: the hook speaks, as lint would
	sed -i '/^-- branch_labels: billing$/d' "$f"
	run .git/hooks/post-merge
	[ "$status" -eq 0 ]
	[[ "$output" == *"the merge left 2 heads"* ]]
	run rg lint
	[[ "$output" == *"multiple-heads"* ]]
}

@test "post-merge is silent after a merge that keeps one head" {
	rg hooks install >/dev/null
	git checkout -q -b feat
	rev c b >/dev/null
	commit "feat adds c"
	git checkout -q main
	run git merge -q feat -m "merge feat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# revgate.ini below the work tree's top, where git runs the hooks from
move_config_to_db() {
	mkdir db
	git mv migrations db/migrations
	git mv revgate.ini db/revgate.ini
	commit "config and revisions under db/"
}

@test "pre-commit with db/revgate.ini: install records the directory, an applied edit is stopped" {
	move_config_to_db
	run rg -C db hooks install
	[ "$status" -eq 0 ]
	[[ "$output" == *"db/revgate.ini: the hooks run revgate in 'db' (git config revgate.configDir)"* ]]
	[ "$(git config revgate.configDir)" = db ]
	git checkout -q -b feat
	printf -- '-- revision: c\n-- down_revision: b\n-- message: c\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 2;\n' \
		>db/migrations/20250102_0000_c_c.sql
	git add db
	run git commit -q -m "add c"
	[ "$status" -eq 0 ]
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' db/migrations/20250101_0002_b_b.sql
	git add db
	run git commit -q -m "edit b"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
	# 'git commit -a' names a temporary index; the hook still reads it from db/
	git reset -q HEAD db
	run git commit -q -a -m "edit b"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
}

@test "with db/revgate.ini unrecorded, migrations-dir and the hook fail instead of passing" {
	move_config_to_db
	rg hooks install >/dev/null 2>&1
	run rg hooks migrations-dir
	[ "$status" -eq 2 ]
	[[ "$output" == *"no revgate.ini here or above it, and no 'migrations' directory"* ]]
	[[ "$output" == *"revgate -C DIR hooks install"* ]]
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' db/migrations/20250101_0002_b_b.sql
	git add db
	run git commit -q -m "edit b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no revgate.ini here or above it"* ]]
}

@test "revgate.ini is found above the current directory, and -C still works" {
	move_config_to_db
	cd db/migrations
	run rg hooks migrations-dir
	[ "$status" -eq 0 ]
	[ "$output" = "../migrations" ]
	run rg heads
	[ "$status" -eq 0 ]
	[[ "$output" == *"b"* ]]
	cd "$REPO"
	run rg -C db/migrations heads
	[ "$status" -eq 0 ]
	[[ "$output" == *"b"* ]]
	run rg -C db lint
	[ "$status" -eq 0 ]
	# the search stops at the work tree's top: a file above it is another project's
	cd "$REPO"
	printf '[revgate]\nmigrations = elsewhere\n' >"$BATS_TEST_TMPDIR/revgate.ini"
	run rg hooks migrations-dir
	[ "$status" -eq 2 ]
	rm "$BATS_TEST_TMPDIR/revgate.ini"
}

@test "a directory with its own migrations directory is a project: the search stops there" {
	mkdir -p sub/migrations
	printf -- '-- revision: s1\n-- down_revision: none\n-- message: s1\n\n-- +upgrade\nSELECT 1;\n\n-- +downgrade\nSELECT 2;\n' \
		>sub/migrations/20250101_0000_s1_s1.sql
	run rg -C sub heads
	[ "$status" -eq 0 ]
	[[ "$output" == "s1"* ]]
	run rg heads
	[[ "$output" == "b"* ]]
}

@test "hooks install outside a repository is exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/plain"
	cd "$BATS_TEST_TMPDIR/plain"
	GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" run rg hooks install
	[ "$status" -eq 2 ]
	[[ "$output" == *"not inside a git repository"* ]]
}

@test "a hook without revgate on PATH says so" {
	rg hooks install >/dev/null
	echo x >notes.txt
	git add notes.txt
	REVGATE=/nonexistent/revgate run git commit -q -m notes
	[ "$status" -ne 0 ]
	[[ "$output" == *"'/nonexistent/revgate' not found: install revgate, or set REVGATE"* ]]
}

@test "the README's rebase-before-merging steps work as written, hooks installed" {
	# a clone of a shared repository, as a developer has it
	git init -q --bare "$BATS_TEST_TMPDIR/origin.git"
	git remote add origin "$BATS_TEST_TMPDIR/origin.git"
	git push -q origin main
	rg hooks install >/dev/null
	git checkout -q -b feat
	rev c b "CREATE TABLE c (id int);" "DROP TABLE c;" >/dev/null
	commit "feat adds c"
	git push -q -u origin feat 2>/dev/null
	git checkout -q main
	tick
	rev d b "CREATE TABLE d (id int);" "DROP TABLE d;" >/dev/null
	commit "main adds d"
	git push -q origin main
	git checkout -q feat
	run rg lint --base origin/main
	[[ "$output" == *"error[heads-after-merge]"* ]]
	# the README's block, line by line, each one must succeed
	awk '/^### 3\. After a branch conflict/ { s = 1 } s && /^```sh$/ { on = 1; next } on && /^```$/ { exit } on' \
		"$BATS_TEST_DIRNAME/../../README.md" >"$BATS_TEST_TMPDIR/steps"
	grep -q "revgate rebase" "$BATS_TEST_TMPDIR/steps"
	revgate() { rg "$@"; }
	while read -r step; do
		run eval "$step"
		echo "\$ $step"$'\n'"$output"
		[ "$status" -eq 0 ]
	done <"$BATS_TEST_TMPDIR/steps"
	# the pull-request check passes, and merging leaves one head
	run rg lint --base origin/main
	echo "$output"
	[ "$status" -eq 0 ]
	git checkout -q main
	git merge -q feat -m "merge feat"
	run rg heads
	[ "$output" = "c (head)" ]
}
