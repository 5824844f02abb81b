#!/usr/bin/env bash
#
# tests/lib/check-example.sh [MIGRATIONS_DIR]
#
# Applies the example project (migrations/ by default) for real, on PGlite
# with pgvector (Debian's PostgreSQL has no pgvector), with psql and
# ON_ERROR_STOP, independently of revgate's own applier:
#
#   1. every upgrade in graph order (parents first, siblings in file-name
#      order), snapshotting the schema from the catalog after each step;
#   2. every downgrade in reverse order, checking after each one that the
#      schema equals the snapshot taken before that revision's upgrade, so
#      at the end the database is as empty as it started;
#   3. every upgrade again, checking each step against its first snapshot;
#   4. down to base and up again taking siblings in the other order
#      (reverse file-name order), checking the final schema is the same.
#
# A revision with "-- transaction: false" runs statement by statement
# (psql -f, autocommit); any other revision runs as one transaction
# (psql -1). Exits 0 when all checks pass, 1 on the first failure (with the
# psql error or a diff of the two schema snapshots), 2 on a bad invocation,
# 3 when the server cannot start.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
mdir=${1:-$root/migrations}

if [ ! -d "$mdir" ]; then
	echo "check-example: no directory '$mdir'" >&2
	exit 2
fi

# shellcheck source=tests/lib/pglite.bash
. "$here/pglite.bash"

PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
work=

cleanup() {
	pglite_stop
	[ -n "$work" ] && rm -rf "$work"
}

fail() {
	echo "not ok - $*" >&2
	exit 1
}

# header FILE KEY: the value of "-- KEY: value" in the header (before the
# first section marker).
header() {
	sed -n -e '/^-- +upgrade/q' -e "s/^-- $2:[[:space:]]*//p" "$1" |
		sed 's/[[:space:]]*$//' | head -n 1
}

# section FILE up|down FILE_OUT: the lines of one section.
section() {
	if [ "$2" = up ]; then
		sed -n '/^-- +upgrade[[:space:]]*$/,/^-- +downgrade[[:space:]]*$/p' "$1" | sed '1d;$d'
	else
		sed -n '/^-- +downgrade[[:space:]]*$/,$p' "$1" | sed '1d'
	fi >"$3"
}

# The user-visible schema as sorted text: schemas, extensions, relations
# and their columns, constraints, indexes, sequences, views, functions and
# types outside the system schemas, leaving out members of extensions.
snapshot() {
	"${PSQL[@]}" -At -F ' | ' >"$1" <<'SQL'
WITH nsp AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
),
ext_member AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
)
SELECT 'schema', nspname, '' FROM nsp WHERE nspname <> 'public'
UNION ALL
SELECT 'extension', extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'
UNION ALL
SELECT 'relation', n.nspname || '.' || c.relname, c.relkind::text
FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
WHERE (c.tableoid, c.oid) NOT IN (SELECT * FROM ext_member)
UNION ALL
SELECT 'column', n.nspname || '.' || c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN nsp n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND (c.tableoid, c.oid) NOT IN (SELECT * FROM ext_member)
UNION ALL
SELECT 'constraint', n.nspname || '.' || c.relname || '.' || k.conname,
       pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN nsp n ON n.oid = c.relnamespace
UNION ALL
SELECT 'index', n.nspname || '.' || ic.relname,
       pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN nsp n ON n.oid = ic.relnamespace
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', ''
FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
WHERE (p.tableoid, p.oid) NOT IN (SELECT * FROM ext_member)
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname, t.typtype::text
FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'c', 'r', 'm')
  AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND (t.tableoid, t.oid) NOT IN (SELECT * FROM ext_member)
ORDER BY 1, 2, 3;
SQL
}

# run REV up|down: apply one section of one revision.
run() {
	local rev=$1 dir=$2 file=${files[$1]} sql
	sql=$work/$rev.$dir.sql
	section "$file" "$dir" "$sql"
	if [ "${transactional[$rev]}" = 1 ]; then
		"${PSQL[@]}" -1 -f "$sql" >"$work/out" 2>&1
	else
		"${PSQL[@]}" -f "$sql" >"$work/out" 2>&1
	fi || {
		sed 's/^/  | /' "$work/out" >&2
		fail "${dir}grade of $rev ($(basename "$file")) failed"
	}
}

# same A B WHAT: fail with a diff unless snapshots A and B are equal.
same() {
	if ! diff -u "$1" "$2" >"$work/diff"; then
		sed 's/^/  | /' "$work/diff" >&2
		fail "$3"
	fi
}

work=$(mktemp -d /tmp/revgate-example.XXXXXX) || exit 3
trap cleanup EXIT
# shellcheck disable=SC2119 # no DIR: a fresh temporary directory
pglite_start || exit 3

# Read the graph: id -> file, parents, transactional.
declare -A files=() parents=() transactional=()
ids=()
for f in "$mdir"/*.sql; do
	[ -e "$f" ] || fail "no revision files in '$mdir'"
	id=$(header "$f" revision)
	[ -n "$id" ] || fail "$(basename "$f"): no '-- revision:' header"
	[ -z "${files[$id]+set}" ] || fail "revision $id appears twice"
	case $(basename "$f") in
	*_"$id"_*) ;;
	*) fail "$(basename "$f"): file name does not carry revision $id" ;;
	esac
	down=$(header "$f" down_revision)
	[ -n "$down" ] || fail "$(basename "$f"): no '-- down_revision:' header"
	[ "$down" = none ] && down=
	files[$id]=$f
	parents[$id]=${down//,/ }
	if [ "$(header "$f" transaction)" = false ]; then
		transactional[$id]=0
	else
		transactional[$id]=1
	fi
	grep -q '^-- +upgrade[[:space:]]*$' "$f" || fail "$(basename "$f"): no '-- +upgrade'"
	grep -q '^-- +downgrade[[:space:]]*$' "$f" || fail "$(basename "$f"): no '-- +downgrade'"
	ids+=("$id")
done

# graph_order ID...: print a graph order, one id a line: repeatedly take,
# in the order given, the first revision whose parents are all placed.
graph_order() {
	local -A placed=()
	local id p ready progress count=0
	while [ "$count" -lt $# ]; do
		progress=0
		for id in "$@"; do
			[ -z "${placed[$id]+set}" ] || continue
			ready=1
			for p in ${parents[$id]}; do
				[ -n "${files[$p]+set}" ] || fail "revision $id: parent $p does not exist"
				[ -n "${placed[$p]+set}" ] || ready=0
			done
			if [ "$ready" = 1 ]; then
				placed[$id]=1
				echo "$id"
				count=$((count + 1))
				progress=1
				break
			fi
		done
		[ "$progress" = 1 ] || fail "the revision graph has a cycle"
	done
}

# The order revgate applies in: siblings in file-name order (the glob is
# sorted). The other order takes siblings in reverse file-name order: across
# a merge both must give the same schema.
mapfile -t order < <(graph_order "${ids[@]}")
[ ${#order[@]} -eq ${#ids[@]} ] || exit 1
rids=()
for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
	rids+=("${ids[i]}")
done
mapfile -t other < <(graph_order "${rids[@]}")
[ ${#other[@]} -eq ${#ids[@]} ] || exit 1

n=${#order[@]}
snapshot "$work/snap.0" || fail "cannot read the catalog"
for ((i = 1; i <= n; i++)); do
	run "${order[i - 1]}" up
	snapshot "$work/snap.$i" || fail "cannot read the catalog"
done
if cmp -s "$work/snap.0" "$work/snap.$n"; then
	fail "the upgrades changed nothing"
fi
echo "ok - upgrade base -> ${order[n - 1]} ($n revisions)"

for ((i = n; i >= 1; i--)); do
	run "${order[i - 1]}" down
	snapshot "$work/now" || fail "cannot read the catalog"
	same "$work/snap.$((i - 1))" "$work/now" \
		"downgrade of ${order[i - 1]} does not restore the schema before its upgrade"
done
[ -s "$work/snap.0" ] && fail "the database was not empty before the first upgrade"
echo "ok - downgrade to base leaves the schema empty, each step restores the previous one"

for ((i = 1; i <= n; i++)); do
	run "${order[i - 1]}" up
	snapshot "$work/now" || fail "cannot read the catalog"
	same "$work/snap.$i" "$work/now" \
		"upgrading ${order[i - 1]} again gives a different schema"
done
echo "ok - upgrade again gives the same schema at every step"

if [ "${order[*]}" != "${other[*]}" ]; then
	for ((i = n; i >= 1; i--)); do
		run "${order[i - 1]}" down
	done
	for ((i = 1; i <= n; i++)); do
		run "${other[i - 1]}" up
	done
	snapshot "$work/now" || fail "cannot read the catalog"
	same "$work/snap.$n" "$work/now" \
		"siblings applied in the other order give a different schema"
	echo "ok - siblings applied in the other order give the same schema"
else
	echo "ok - # skip: no siblings, one order only"
fi
echo "4 passed, 0 failed"
