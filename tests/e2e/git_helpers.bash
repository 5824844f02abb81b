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
