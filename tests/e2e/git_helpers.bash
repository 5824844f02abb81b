# Shared set-up for the git guard and hook tests: a fresh repository per
# test, with fixed identities and dates so every run builds the same
# commits, and helpers that write revision files.

# revgate under test, through REVGATE_WRAPPER (e.g. valgrind) when set
rg() {
	# shellcheck disable=SC2086
	${REVGATE_WRAPPER:-} "${RG_BIN:-${REVGATE:-/work/main/revgate}}" "$@"
}

git_setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export GIT_CONFIG_NOSYSTEM=1
	export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@example.com"
	export GIT_COMMITTER_NAME="Test Committer" GIT_COMMITTER_EMAIL="committer@example.com"
	export GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z"
	export REVGATE_NOW=1767225600 # 2026-01-01T00:00:00Z
	export NO_COLOR=1
	# the hooks call revgate from PATH; REVGATE carries the wrapper for them
	if [ -z "${RG_BIN:-}" ]; then
		RG_BIN=$(cd "$(dirname "${REVGATE:-/work/main/revgate}")" && pwd)/$(basename "${REVGATE:-/work/main/revgate}")
		export RG_BIN
		export REVGATE="${REVGATE_WRAPPER:+$REVGATE_WRAPPER }$RG_BIN"
	fi
	REPO="$BATS_TEST_TMPDIR/repo"
	git init -q -b main "$REPO"
	cd "$REPO" || return 1
	git config user.name "Test User"
	git config user.email "user@example.com"
	git config commit.gpgsign false
	git config merge.ff false
	mkdir migrations
	printf '[revgate]\nmigrations = migrations\n' >revgate.ini
	SEQ=0
}

# rev ID PARENT [UPGRADE [DOWNGRADE]]: writes migrations/<stamp>_<id>_<id>.sql
rev() {
	local id=$1 parent=${2:-none} up=${3:-"SELECT 1;"} down=${4:-"SELECT 2;"}
	SEQ=$((SEQ + 1))
	local file
	file=$(printf 'migrations/20250101_%04d_%s_%s.sql' "$SEQ" "$id" "$id")
	printf -- '-- revision: %s\n-- down_revision: %s\n-- message: %s\n\n-- +upgrade\n%s\n\n-- +downgrade\n%s\n' \
		"$id" "$parent" "$id" "$up" "$down" >"$file"
	echo "$file"
}

# the file of revision ID in the working tree
revfile() {
	local f
	for f in migrations/*_"$1"_*.sql; do
		echo "$f"
		return
	done
}

commit() {
	git add -A && git commit -q -m "$1"
}

# commit at a later date, so histories of several commits stay ordered
tick() {
	local n=${TICK:-0}
	TICK=$((n + 1))
	export GIT_COMMITTER_DATE="2025-01-02T00:$(printf %02d $((n % 60))):00Z"
	export GIT_AUTHOR_DATE="$GIT_COMMITTER_DATE"
}

# long_history DIR N: a repository of N commits on main, written at once by
# git fast-import (a loop of 'git commit' would take minutes). The first
# commit adds revgate.ini and revisions a and b (a -> b); every 10,000th
# adds revision rK after the one before (b -> r1 -> r2 ...); the others
# change no file. Commit dates rise one second a commit.
long_history() {
	local dir=$1 n=$2
	git init -q -b main "$dir" || return 1
	awk -v N="$n" '
	function data(s) { printf "data %d\n%s", length(s), s }
	function rev(id, parent, up) {
		return "-- revision: " id "\n-- down_revision: " parent "\n-- message: " id \
			"\n\n-- +upgrade\n" up "\n\n-- +downgrade\nSELECT 2;\n"
	}
	BEGIN {
		for (i = 1; i <= N; i++) {
			printf "commit refs/heads/main\nmark :%d\n", i
			printf "committer C <c@example.com> %d +0000\n", 1735689600 + i
			data("commit " i "\n")
			if (i > 1)
				printf "from :%d\n", i - 1
			if (i == 1) {
				printf "M 644 inline revgate.ini\n"
				data("[revgate]\nmigrations = migrations\n")
				printf "M 644 inline migrations/20250101_0001_a_a.sql\n"
				data(rev("a", "none", "CREATE TABLE t (id int);"))
				printf "M 644 inline migrations/20250101_0002_b_b.sql\n"
				data(rev("b", "a", "ALTER TABLE t ADD COLUMN c int;"))
			}
			if (i % 10000 == 0) {
				k = i / 10000
				printf "M 644 inline migrations/20250102_%04d_r%d_r%d.sql\n", k, k, k
				data(rev("r" k, k == 1 ? "b" : "r" (k - 1), "SELECT " k ";"))
			}
			printf "\n"
		}
	}' | git -C "$dir" fast-import --quiet || return 1
	git -C "$dir" reset -q --hard main
}
