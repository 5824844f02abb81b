#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the project's own files
# (migrations/, tests/fixtures/graphs, the examples in rules/*.md, the
# config samples) into OUT (default build/fuzz/seeds/<target>/). Seeds are
# generated, not committed; tests/fuzz/seeds/<target>/ holds the few
# hand-written ones (and every input that once crashed a target).
#   tests/fuzz/build_corpus.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/fuzz/seeds}
rm -rf "$out"
for t in revision graph target config sql jsonw lint dotenv; do
	mkdir -p "$out/$t"
	if [ -d "tests/fuzz/seeds/$t" ]; then
		cp tests/fuzz/seeds/$t/* "$out/$t/" 2>/dev/null || true
	fi
done

fixtures=(branch_merge dependencies diamond_of_merges linear multiple_bases
	out_of_order_names random_dag several_merges two_heads)
n=0
# revision files: one seed each (revision, sql and lint targets)
for f in migrations/*.sql tests/fixtures/graphs/*/migrations/*.sql; do
	n=$((n + 1))
	cp "$f" "$out/revision/rev$n.sql"
	cp "$f" "$out/lint/rev$n.sql"
	cp "$f" "$out/sql/rev$n.sql"
done

# SQL examples of the rule pages: every ```sql block
for f in rules/*.md; do
	id=$(basename "$f" .md)
	awk -v dir="$out/sql" -v id="$id" '
		/^```sql/ { n++; on = 1; file = dir "/" id "." n ".sql"; next }
		/^```/ { on = 0; next }
		on { print > file }' "$f"
done
cp "$out"/sql/*.*.sql "$out/lint/" 2>/dev/null || true

# graphs: each fixture's files joined with the separator fuzz_graph.c splits on
for fx in tests/fixtures/graphs/*/; do
	name=$(basename "$fx")
	first=1
	for f in "$fx"migrations/*.sql; do
		[ $first = 1 ] || printf '\n====\n'
		first=0
		cat "$f"
	done >"$out/graph/$name"
done

# targets: the fixture index byte, then "target[\ncurrent]"
i=0
for fx in "${fixtures[@]}"; do
	ids=$(sed -n 's/^-- revision: *//p' tests/fixtures/graphs/$fx/migrations/*.sql | head -3)
	labels=$(sed -n 's/^-- branch_labels: *//p' tests/fixtures/graphs/$fx/migrations/*.sql |
		tr ',' '\n' | tr -d ' ' | head -2)
	k=0
	byte=$(printf "\\$(printf '%03o' $((72 + i)))") # 72 % 9 == 0: 'H' picks fixture 0
	for t in head heads base head-1 head-2 +1 +2 -1 heads-1 base+1 "head\nbase" \
		$(for id in $ids; do echo "$id" "${id:0:4}" "$id+1" "$id-1" "$id@head" \
			"$id\n$id" "head\n$id"; done) \
		$(for l in $labels; do echo "$l@head" "$l@+1" "$l@-1" "$l@base"; done); do
		k=$((k + 1))
		printf '%s%b' "$byte" "$t" >"$out/target/$fx.$k"
	done
	i=$((i + 1))
done

# config samples
cp revgate.ini "$out/config/revgate.ini"
sed -n '/^```ini/,/^```/p' README.md | sed '1d;$d' >"$out/config/readme.ini"
printf '[database]\nlock_timeout = 500ms\nstatement_timeout = 2min\nlock_wait = 1h\n' \
	>"$out/config/durations.ini"
printf '[rules]\nban-drop-table = off\nprefer-text-field = warning\n[lint]\npg_version = 16\n' \
	>"$out/config/rules.ini"

# JSON strings
printf 'plain' >"$out/jsonw/plain"
printf 'quote " backslash \\ tab \t nl \n' >"$out/jsonw/escapes"
printf 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80' >"$out/jsonw/utf8"
printf 'bad \xff\xfe \xc3' >"$out/jsonw/invalid"

# .env files
printf 'DATABASE_URL=postgresql://app:s3cret-pass@db.example/app\n' >"$out/dotenv/uri"
printf 'export DATABASE_URL="host=db user=app password=\x27s3 cret\x27 dbname=app"\n' \
	>"$out/dotenv/kv"
printf '# comment\nOTHER=1\nDATABASE_URL = \x27postgres://u:p%%40ss@h:5432/d?sslmode=require&password=x\x27\n' \
	>"$out/dotenv/query"
for t in "$out"/*; do
	echo "  $(basename "$t"): $(find "$t" -type f | wc -l) seeds"
done
