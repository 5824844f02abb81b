#!/usr/bin/env bats
# The git guard through 'revgate lint': applied revisions, the merged graph,
# sibling conflicts, and the repository states that must stop the check
# (exit 2) instead of letting it pass. Real repositories, real git.

load git_helpers

setup() {
	git_setup
	rev a none "CREATE TABLE t (id int);" >/dev/null
	rev b a "ALTER TABLE t ADD COLUMN c int;" >/dev/null
	commit "base"
	git checkout -q -b feat
}

@test "a branch that only adds a revision passes" {
	rev c b "INSERT INTO t VALUES (1);" >/dev/null
	commit "feat"
	run rg lint --base main
	[ "$status" -eq 0 ]
	[[ "$output" != *"applied-revision"* ]]
	[[ "$output" != *"heads-after-merge"* ]]
}

@test "an applied upgrade changed in meaning names the statement, old and new" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(revfile b):6:1: error[applied-revision-edited]"* ]]
	[[ "$output" == *"was 'ALTER TABLE t ADD COLUMN c int' at 6:1 on main, now 'ALTER TABLE t ADD COLUMN c bigint'"* ]]
	[[ "$output" == *"git checkout main -- $(revfile b)"* ]]
}

@test "an added and a removed statement are each reported" {
	printf -- '-- revision: b\n-- down_revision: a\n-- message: b\n\n-- +upgrade\nALTER TABLE t ADD COLUMN c int;\nSELECT 42;\n\n-- +downgrade\nSELECT 2;\n' >"$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"gained statement 2 in its upgrade: 'SELECT 42'"* ]]
	printf -- '-- revision: b\n-- down_revision: a\n-- message: b\n\n-- +upgrade\n\n-- +downgrade\nSELECT 2;\n' >"$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"lost statement 1 of its upgrade: 'ALTER TABLE t ADD COLUMN c int'"* ]]
}

@test "comments, whitespace and keyword case are a cosmetic edit (warning)" {
	sed -i 's/ADD COLUMN c int;/add   column c INT; -- why/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-revision-cosmetic-edit]"* ]]
	[[ "$output" != *"applied-revision-edited"* ]]
}

@test "an edit to the downgrade of an applied revision is a warning" {
	sed -i 's/SELECT 2;/SELECT 3;/' "$(revfile a)"
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning[applied-revision-edited]"*"statement 1 of its downgrade"* ]]
}

@test "a deleted applied revision is an error" {
	git rm -q "$(revfile a)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-deleted]: applied revision 'a' was deleted (it is on main)"* ]]
}

@test "a rename that keeps the id is info" {
	git mv "$(revfile a)" migrations/20250101_0009_a_create_t.sql
	run rg lint
	[ "$status" -eq 0 ]
	[[ "$output" == *"info[applied-revision-renamed]"*"renamed from '20250101_0001_a_a.sql'"* ]]
}

@test "a kept-id rename defaults to info in the registry" {
	git mv "$(revfile a)" migrations/20250101_0009_a_create_t.sql
	run rg lint --format json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"rule": "applied-revision-renamed",'*'"severity": "info",'* ]]
	run rg rules
	[[ "$output" == *"applied-revision-renamed"*"info"*"git"* ]]
}

@test "changed parents of an applied revision rewrite history" {
	sed -i 's/down_revision: a/down_revision: none/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(revfile b):2:1: error[history-rewritten]"*"was 'a' on main, now 'none'"* ]]
}

@test "a revision the base added after the split is not a deletion" {
	git checkout -q main
	tick
	rev d b "SELECT 4;" >/dev/null
	commit "main adds d"
	git checkout -q feat
	run rg lint --base main
	[[ "$output" != *"applied-revision-deleted"* ]]
}

@test "both sides adding a child of the same revision: heads-after-merge names the fix" {
	rev c b "INSERT INTO t VALUES (1);" >/dev/null
	commit "feat adds c"
	git checkout -q main
	tick
	rev d b "UPDATE t SET c = 1;" >/dev/null
	commit "main adds d"
	git checkout -q feat
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(revfile c):2:1: error[heads-after-merge]: merging main will leave 2 heads: 'c' (this branch), 'd' (main)"* ]]
	[[ "$output" == *"revgate rebase"*"revgate merge"* ]]
	[[ "$output" == *"warning[sibling-conflict]"*"both touch table t"* ]]
	# the fix the message names, then the merge: one head, nothing to report
	run rg rebase
	[ "$status" -eq 0 ]
	[[ "$output" == *"c: down_revision b -> d; 20250101_0003_c_c.sql -> 20260101_0000_c_c.sql"* ]]
	commit "rebase c onto d"
	git merge -q main -m "merge main"
	run rg heads
	[ "$output" = "c (head)" ]
	run rg lint --base main
	[ "$status" -eq 0 ]
}

@test "the same id added on both sides is reported" {
	rev c b "SELECT 5;" >/dev/null
	commit "feat adds c"
	git checkout -q main
	tick
	SEQ=7 rev c b "SELECT 6;" >/dev/null
	commit "main adds another c"
	git checkout -q feat
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[heads-after-merge]: merging main will give two revisions the id 'c'"* ]]
}

@test "two merge revisions over the same heads are reported" {
	git checkout -q main
	rev x b >/dev/null
	rev y b >/dev/null
	commit "two heads on main"
	git checkout -q -b other
	rev m1 "x, y" >/dev/null
	commit "other merges"
	git checkout -q main
	tick
	rev m2 "y, x" >/dev/null
	commit "main merges too"
	git checkout -q other
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"merge revision 'm1' joins the same heads as 'm2' on main"* ]]
}

@test "a parent deleted on the base leaves a dangling parent" {
	git checkout -q main
	rev d b >/dev/null
	commit "main adds d"
	git checkout -q -b work
	rev e d >/dev/null
	commit "work builds on d"
	git checkout -q main
	tick
	git rm -q "$(revfile d)"
	commit "main drops d"
	git checkout -q work
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"merging main will leave 'e' without its parent 'd', which main deleted"* ]]
}

@test "unrelated revisions on both sides: a head warning but no sibling conflict" {
	rev c b "CREATE TABLE u (id int);" >/dev/null
	commit "feat adds c"
	git checkout -q main
	tick
	rev d b "CREATE TABLE v (id int);" >/dev/null
	commit "main adds d"
	git checkout -q feat
	run rg lint --base main
	[[ "$output" == *"heads-after-merge"* ]]
	[[ "$output" != *"sibling-conflict"* ]]
}

@test "--staged checks what the index holds, not the working tree" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint --staged
	[ "$status" -eq 0 ]
	[[ "$output" != *"applied-revision-edited"* ]]
	git add "$(revfile b)"
	git checkout -q -- . 2>/dev/null || true
	# staged edit, then undone in the working tree: the index still has it
	git show main:"$(revfile b)" >"$(revfile b)"
	run rg lint
	[[ "$output" != *"applied-revision-edited"* ]]
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
}

@test "--staged reads files the working tree no longer has" {
	f=$(revfile b)
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$f"
	git add "$f"
	rm "$f"
	run rg lint
	[[ "$output" == *"error[applied-revision-deleted]"* ]]
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"$f:6:1: error[applied-revision-edited]"* ]]
	[[ "$output" != *"applied-revision-deleted"* ]]
}

@test "a shallow clone stops the check and names fetch-depth: 0" {
	rev c b "SELECT 9;" >/dev/null
	commit "feat adds c"
	git checkout -q main
	git clone -q --depth 1 "file://$REPO" "$BATS_TEST_TMPDIR/shallow"
	cd "$BATS_TEST_TMPDIR/shallow"
	run rg lint --base origin/main
	[ "$status" -eq 2 ]
	[[ "$output" == *"shallow clone"*"fetch-depth: 0"* ]]
	run rg lint --staged
	[ "$status" -eq 2 ]
	# plain lint on the base tip itself has nothing beyond the cut to compare
	run rg lint
	[ "$status" -eq 0 ]
	# a branch of a shallow clone does
	git fetch -q --depth 1 origin feat:feat
	git checkout -q feat
	run rg lint
	[ "$status" -eq 2 ]
	[[ "$output" == *"fetch-depth: 0"* ]]
}

@test "a missing base ref is exit 2 with the fix" {
	run rg lint --base origin/nope
	[ "$status" -eq 2 ]
	[[ "$output" == *"the base 'origin/nope' does not exist"*"--base REF"* ]]
	printf '[git]\nbase = release\n' >>revgate.ini
	run rg lint
	[ "$status" -eq 2 ]
	[[ "$output" == *"the base 'release' does not exist"* ]]
}

@test "origin/main is preferred over main when it exists" {
	git checkout -q main
	git clone -q "file://$REPO" "$BATS_TEST_TMPDIR/clone"
	cd "$BATS_TEST_TMPDIR/clone"
	git config user.name u && git config user.email u@example.com
	git checkout -q -b feat
	sed -i 's/SELECT 2;/SELECT 3;/' "$(revfile a)"
	run rg lint
	[[ "$output" == *"on origin/main"* ]]
}

@test "an unborn branch: --base is exit 2, the first commit passes with a note" {
	rm -rf "$BATS_TEST_TMPDIR/fresh"
	git init -q -b main "$BATS_TEST_TMPDIR/fresh"
	cd "$BATS_TEST_TMPDIR/fresh"
	mkdir migrations
	printf '[revgate]\nmigrations = migrations\n' >revgate.ini
	rev a none >/dev/null
	git add -A
	run rg lint --base main
	[ "$status" -eq 2 ]
	[[ "$output" == *"does not exist"* || "$output" == *"no commit yet"* ]]
	run rg lint --staged
	[ "$status" -eq 0 ]
	[[ "$output" == *"no commit yet on 'main'"* ]]
}

@test "a detached HEAD is compared and said so" {
	rev c b >/dev/null
	commit "feat"
	git checkout -q --detach
	run rg lint --base main
	[ "$status" -eq 0 ]
	[[ "$output" == *"HEAD is detached at"*"comparing it with 'main'"* ]]
}

@test "outside a git repository: lint runs, --staged and --base are exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/plain/migrations"
	cd "$BATS_TEST_TMPDIR/plain"
	printf '[revgate]\nmigrations = migrations\n' >revgate.ini
	rev a none >/dev/null
	GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" run rg lint
	[ "$status" -eq 0 ]
	GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" run rg lint --staged
	[ "$status" -eq 2 ]
	[[ "$output" == *"--staged needs a git repository"* ]]
}

@test "HEAD without the migrations directory is exit 2" {
	git rm -q -r migrations
	commit "drop migrations"
	mkdir migrations
	run rg lint --base main
	[ "$status" -eq 2 ]
	[[ "$output" == *"HEAD has no migrations directory"* ]]
}

@test "the findings print in json, github and sarif too" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint --format json
	[[ "$output" == *'"rule": "applied-revision-edited"'* || "$output" == *'"rule":"applied-revision-edited"'* ]]
	run rg lint --format github
	[[ "$output" == *"::error file=$(revfile b),line=6"* ]]
	run rg lint --format sarif
	[[ "$output" == *'applied-revision-edited'* ]]
}

@test "text added to an applied upgrade that is not a statement is an edit, not cosmetic" {
	sed -i 's/ADD COLUMN c int;/ADD COLUMN c int;\nSELEC 1;/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
	[[ "$output" != *"applied-revision-cosmetic-edit"* ]]
}

@test "naming the directory lints it without the git checks" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint migrations
	[ "$status" -eq 0 ]
	[[ "$output" != *"applied-revision"* ]]
}

@test "the branch that introduces the migrations directory passes" {
	git checkout -q main
	git checkout -q --orphan first
	git rm -q -r --cached migrations
	rm -rf migrations
	echo hi >README
	git add README revgate.ini
	git commit -q -m "no migrations yet"
	git branch -q -f base-without first
	git checkout -q -b adds-them
	mkdir migrations
	rev a none "SELECT 1;" >/dev/null
	commit "first revision"
	run rg lint --base base-without
	[ "$status" -eq 0 ]
}

@test "--staged and --base judge SQL only in what the change adds or edits" {
	# an applied revision with a SQL finding, committed on main
	git checkout -q main
	rev old b "CREATE INDEX t_c_idx ON t (c);" "DROP INDEX t_c_idx;" >/dev/null
	commit "main has a non-concurrent index"
	git checkout -q feat
	git merge -q main -m "merge main"
	run rg lint
	[[ "$output" == *"require-concurrent-index-creation"* ]]
	f=$(rev new old "CREATE INDEX t_id_idx ON t (id);" "DROP INDEX t_id_idx;")
	git add "$f"
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"$f:6:26: error[require-concurrent-index-creation]"* ]]
	[[ "$output" != *"t_c_idx"* ]]
	commit "feat adds new"
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"$f:6:26: error[require-concurrent-index-creation]"* ]]
	[[ "$output" != *"_old_old.sql:6:1"* ]]
}

# The base keeps its revisions where this branch no longer does: the guard
# finds them by id instead of taking the base for "nothing applied".

@test "moving the directory and editing an applied revision in one change is still an edit" {
	mkdir db
	git mv migrations db/migrations
	printf '[revgate]\nmigrations = db/migrations\n' >revgate.ini
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' db/migrations/*_b_b.sql
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"*"was 'ALTER TABLE t ADD COLUMN c int'"* ]]
	[[ "$output" == *"'main' keeps its revisions in 'migrations', not in 'db/migrations'"* ]]
	[[ "$output" == *"git checkout main -- :/migrations/20250101_0002_b_b.sql"* ]]
	git commit -q -m "move and edit"
	run rg lint --base main
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
	# the move alone passes
	git checkout -q main -- :/migrations/20250101_0002_b_b.sql
	git mv -f migrations/20250101_0002_b_b.sql db/migrations/20250101_0002_b_b.sql
	git commit -q -m "restore b"
	run rg lint --base main
	[ "$status" -eq 0 ]
	[[ "$output" != *"applied-revision"* ]]
}

@test "a wrong migrations path with an edited applied revision is an error, not a pass" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	mkdir -p other
	cp migrations/*.sql other/
	printf '[revgate]\nmigrations = other\n' >revgate.ini
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
}

@test "a base whose revisions carry none of this branch's ids stops the check" {
	mkdir db
	git mv migrations db/migrations
	for f in db/migrations/*.sql; do
		sed -i 's/^-- revision: \(.\)$/-- revision: \1x/; s/^-- down_revision: \(.\)$/-- down_revision: \1x/' "$f"
		git mv "$f" "$(echo "$f" | sed 's/_\(.\)_\(.\)\.sql$/_\1x_\2x.sql/')"
	done
	printf '[revgate]\nmigrations = db/migrations\n' >revgate.ini
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-deleted]"*"'main' has no revision files in 'db/migrations' and none with this branch's revision ids elsewhere (it has 'migrations/20250101_0001_a_a.sql')"* ]]
}

@test "a migrations directory that is a symbolic link on the base is followed by id" {
	git checkout -q main
	mkdir db
	git mv migrations db/migrations
	ln -s db/migrations migrations
	git add -A
	commit "migrations is a link"
	git checkout -q feat
	git merge -q main -m "take the link"
	rm migrations
	git mv db/migrations migrations
	git add -A
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	git add -A
	run rg lint --staged
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
}
