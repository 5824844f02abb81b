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

# sql_rev ID DOWN UPGRADE_SQL DOWNGRADE_SQL STAMP [EXTRA_HEADER_LINES...]:
# a revision with the given SQL, in migrations/STAMP_ID_rev.sql
sql_rev() {
	local id=$1 down=$2 up=$3 dn=$4 stamp=$5
	shift 5
	{
		echo "-- revision: $id"
		echo "-- down_revision: $down"
		for l in "$@"; do echo "$l"; done
		echo "-- message: revision $id"
		echo
		echo "-- +upgrade"
		printf '%s\n' "$up"
		echo
		echo "-- +downgrade"
		printf '%s\n' "$dn"
	} >"migrations/${stamp}_${id}_rev.sql"
}

# write_rev FILE_ID DOWN [EXTRA_HEADER_LINES...] : a minimal valid revision
write_rev() {
	local id=$1 down=$2
	shift 2
	sql_rev "$id" "$down" "CREATE TABLE t_$id (id bigint);" "DROP TABLE t_$id;" \
		"${STAMP:-20250101_0000}" "$@"
}
