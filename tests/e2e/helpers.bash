# Shared by the bats files: the binary under test and a scratch project.
# REVGATE names the binary (tests/run.sh exports it); REVGATE_WRAPPER, when
# set (valgrind runs), wraps every call.

REVGATE=${REVGATE:-$BATS_TEST_DIRNAME/../../revgate}
ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

rg() {
	# shellcheck disable=SC2086
	$REVGATE_WRAPPER "$REVGATE" "$@"
}

# A fresh project directory with revgate.ini and migrations/.
new_project() {
	PROJ=$(mktemp -d "${BATS_TMPDIR:-/tmp}/revgate-proj.XXXXXX")
	cd "$PROJ" || return 1
	rg init >/dev/null
}

# write_rev FILE_ID DOWN [EXTRA_HEADER_LINES...] : a minimal valid revision
write_rev() {
	local id=$1 down=$2 stamp=${STAMP:-20250101_0000}
	shift 2
	{
		echo "-- revision: $id"
		echo "-- down_revision: $down"
		for l in "$@"; do echo "$l"; done
		echo "-- message: revision $id"
		echo
		echo "-- +upgrade"
		echo "CREATE TABLE t_$id (id bigint);"
		echo
		echo "-- +downgrade"
		echo "DROP TABLE t_$id;"
	} >"migrations/${stamp}_${id}_rev.sql"
}
