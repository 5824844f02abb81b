#!/usr/bin/env bats
# [git] applied: what counts as applied when it is not the base branch. A
# trunk-based team that deploys from tags may still fix a revision merged to
# main but never deployed; a deployed one stays guarded. Real repositories.

load git_helpers

setup() {
	git_setup
	rev a none "CREATE TABLE t (id int);" >/dev/null
	commit "a"
	git tag deploy/2025-01-01
	rev b a "ALTER TABLE t ADD COLUMN c int;" >/dev/null
	commit "b, merged, not deployed"
}

@test "by default the base decides: editing a revision merged to main is an error" {
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error[applied-revision-edited]"* ]]
}

@test "applied = deploy/*: a revision merged but not deployed may be edited, a deployed one may not" {
	printf '[revgate]\nmigrations = migrations\n[git]\napplied = deploy/*\n' >revgate.ini
	git commit -qam "config"
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"applied-revision"* ]]
	sed -i 's/CREATE TABLE t (id int)/CREATE TABLE t (id bigint)/' "$(revfile a)"
	run rg lint
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(revfile a):6:1: error[applied-revision-edited]"* ]]
	# a newer deploy tag covers b too
	git checkout -q -- "$(revfile b)"
	git tag deploy/2025-01-02
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 1 ]
	[[ "$output" == *"$(revfile b):6:1: error[applied-revision-edited]"* ]]
}

@test "applied = a branch; one that does not exist is a configuration error" {
	git branch production deploy/2025-01-01
	printf '[revgate]\nmigrations = migrations\n[git]\napplied = production\n' >revgate.ini
	git commit -qam "config"
	sed -i 's/ADD COLUMN c int/ADD COLUMN c bigint/' "$(revfile b)"
	run rg lint
	[ "$status" -eq 0 ]
	printf '[revgate]\nmigrations = migrations\n[git]\napplied = prod\n' >revgate.ini
	run rg lint
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"[git] applied: 'prod' names no commit"* ]]
}
