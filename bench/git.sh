#!/usr/bin/env bash
# The git guard's benchmark (issue 4), not a timed test. Builds a repository
# of 10,000 commits and 2,000 revision files with git fast-import, then
# times with hyperfine:
#   pre-commit: 'revgate lint --staged' with one new staged revision,
#               against 'git diff --cached --name-status' as the floor;
#   CI:         'revgate lint --base main' on a branch adding 5 revisions,
#               against 'git diff --name-status main...HEAD' as the floor;
# and the guard's own share (libgit2 start, repository, guard_run) through
# bench/git_guard_time.c, and the same lint outside git (what the guard
# adds); then 'lint --base' and 'rebase' on a history of 100,000 commits.
# Goals: pre-commit < 50 ms, CI < 300 ms. Wall times swing with the
# machine's load: compare the User/System CPU times too.
# usage: bench/git.sh [REVGATE]   (results in bench/results/git-DATE.md)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
revgate=${1:-$here/revgate}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v hyperfine >/dev/null || { echo "bench/git.sh needs hyperfine (scripts/deps.sh bench)" >&2; exit 1; }

python3 "$here/bench/git_make_repo.py" "$work/repo"
git -C "$work/repo" worktree add -q "$work/ci" feature
cc -O2 -std=c11 -D_GNU_SOURCE -I"$here/src" $(pkg-config --cflags libgit2) \
	-o "$work/git_guard_time" "$here/bench/git_guard_time.c" "$here/build/rel/librevgate.a" \
	$(pkg-config --libs libgit2 libpq libpcre2-8 inih libcrypto) -lpg_query -lpthread -lm

# the long history of tests/e2e/git_hostile.bats, with feat forked early
long_repo() {
	# shellcheck disable=SC1091 # a sibling file of this repository
	source "$here/tests/e2e/git_helpers.bash"
	long_history "$1" 100000
	git -C "$1" checkout -q -b feat main~99950
	printf -- '-- revision: x\n-- down_revision: b\n-- message: x\n\n-- +upgrade\nSELECT 7;\n\n-- +downgrade\nSELECT 8;\n' \
		>"$1/migrations/20250103_0000_x_x.sql"
	git -C "$1" add migrations
	git -C "$1" -c user.name=bench -c user.email=bench@example.com commit -q -m "feat adds x"
}

mkdir -p "$here/bench/results"
out="$here/bench/results/git-$(date -u +%Y-%m-%d).md"
{
	echo "# git guard benchmark"
	echo
	echo "$(nproc) cores, $(uname -r), $(git --version), $(date -u +%Y-%m-%d)"
	echo "repository: 10,000 commits, 2,000 revision files (~500 bytes each)"
	echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
	echo
	echo "## pre-commit: one new staged revision"
	(cd "$work/repo" && hyperfine -N -w 3 -r 20 \
		"$revgate lint --staged" "git diff --cached --name-status")
	echo
	echo "## CI: a branch adding 5 revisions"
	(cd "$work/ci" && hyperfine -N -w 3 -r 20 \
		"$revgate lint --base main" "git diff --name-status main...HEAD")
	echo
	echo "## the same lint without git (the SQL rules and the graph alone)"
	mkdir -p "$work/nogit"
	cp -r "$work/ci/migrations" "$work/ci/revgate.ini" "$work/nogit/"
	(cd "$work/nogit" && GIT_CEILING_DIRECTORIES="$work" hyperfine -N -w 3 -r 20 "$revgate lint")
	echo
	echo "## the guard's own share (median of 10 runs)"
	echo
	echo '```'
	(cd "$work/repo" && for _ in $(seq 10); do "$work/git_guard_time" staged; done | sort -t= -k5 | sed -n 5p | sed 's/^/staged: /')
	(cd "$work/ci" && for _ in $(seq 10); do "$work/git_guard_time" base main; done | sort -t= -k5 | sed -n 5p | sed 's/^/base:   /')
	echo '```'
	echo
	echo "## 100,000 commits: a branch forked 99,950 commits back (tests/e2e/git_hostile.bats)"
	echo
	echo "the merge base is a walk of the whole history; git's own merge-base is the floor"
	long_repo "$work/long" >/dev/null
	(cd "$work/long" && hyperfine -N -i -w 2 -r 10 \
		"$revgate lint --base main" "$revgate rebase --dry-run" "git merge-base feat main")
} | tee "$out"
