#!/usr/bin/env bash
# Graph benchmark: revgate heads/history against Alembic on generated
# histories of 100, 1,000 and 10,000 revisions.
#
#   bench/graph.sh                 generate, check, time, write
#                                  bench/results/graph-<date>.md
#   bench/graph.sh --alembic-only  time Alembic alone (no revgate binary)
#
# Environment:
#   REVGATE=path      revgate binary (default: ./revgate at the repo root)
#   SIZES="100 1000"  history sizes (default: 100 1000 10000)
#   WORKDIR=dir       where histories are generated (default: a temp dir,
#                     removed at the end; an explicit WORKDIR is kept)
#   RUNS=n            hyperfine --min-runs (default: hyperfine's own, 10)
#   PYTHON=path       Python with Alembic (default: /usr/bin/python3)
#
# Goal (issue 2): `revgate heads` on 10,000 revisions under 20 ms and at least
# 50x faster than `alembic heads`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
revgate=${REVGATE:-$root/revgate}
python=${PYTHON:-/usr/bin/python3}
sizes=${SIZES:-100 1000 10000}
alembic_only=0

for arg in "$@"; do
	case $arg in
	--alembic-only) alembic_only=1 ;;
	-h | --help)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "graph.sh: unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

die() {
	echo "graph.sh: $*" >&2
	exit 2
}

command -v hyperfine >/dev/null || die "hyperfine is not installed (apt-get install hyperfine)"
"$python" -c 'import alembic' 2>/dev/null ||
	die "$python cannot import alembic (apt-get install python3-alembic)"

if [ "$alembic_only" = 0 ]; then
	if [ ! -x "$revgate" ]; then
		cat >&2 <<EOF
graph.sh: revgate binary not found at $revgate
  build it first (make), or point REVGATE at it,
  or run  bench/graph.sh --alembic-only  to time Alembic alone.
EOF
		exit 3
	fi
	case $revgate in /*) ;; *) revgate=$(cd "$(dirname "$revgate")" && pwd)/$(basename "$revgate") ;; esac
fi

if [ -n "${WORKDIR:-}" ]; then
	work=$WORKDIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/revgate-bench-graph.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

date=$(date -u +%Y-%m-%d)
results=$here/results
mkdir -p "$results"
out=$results/graph-$date.md
runs_opt=()
[ -n "${RUNS:-}" ] && runs_opt=(--min-runs "$RUNS")

alembic=("$python" -m alembic)
cut -d' ' -f1-3 /proc/loadavg >"$work/load-start.txt"
check_log=$work/compare.txt
: >"$check_log"

for n in $sizes; do
	dir=$work/h$n
	echo "== $n revisions: generating in $dir"
	"$python" "$here/gen_history.py" "$n" "$dir"

	ini=$dir/alembic/alembic.ini
	# the Alembic half must work before it is timed
	"${alembic[@]}" -c "$ini" heads >"$dir/alembic-heads.txt" ||
		die "alembic heads failed on $dir/alembic"
	"${alembic[@]}" -c "$ini" history >"$dir/alembic-history.txt" ||
		die "alembic history failed on $dir/alembic"
	[ "$(wc -l <"$dir/alembic-history.txt")" -eq "$n" ] ||
		die "alembic history on $n revisions printed $(wc -l <"$dir/alembic-history.txt") lines"

	cmds=()
	names=()
	if [ "$alembic_only" = 0 ]; then
		if [ "$n" = 1000 ] || [ "$sizes" = "$n" ]; then
			echo "== $n revisions: revgate vs Alembic, ids and order"
			if "$python" "$here/compare_graph.py" "$dir" --revgate "$revgate" >"$dir/compare.txt" 2>&1; then
				status=same
			else
				status=DIFFERENT
			fi
			{
				echo "### $n revisions: $status"
				echo
				echo '```'
				cat "$dir/compare.txt"
				echo '```'
				echo
			} >>"$check_log"
			cat "$dir/compare.txt"
		fi
		cmds+=("$revgate -C $dir/revgate heads" "$revgate -C $dir/revgate history")
		names+=("revgate heads" "revgate history")
	fi
	cmds+=("${alembic[*]} -c $ini heads" "${alembic[*]} -c $ini history")
	names+=("alembic heads" "alembic history")

	name_opts=()
	for nm in "${names[@]}"; do name_opts+=(--command-name "$nm"); done
	echo "== $n revisions: timing"
	hyperfine --warmup 3 "${runs_opt[@]}" --shell=none \
		--export-markdown "$work/t$n.md" --export-json "$work/t$n.json" \
		"${name_opts[@]}" "${cmds[@]}"
done

cut -d' ' -f1-3 /proc/loadavg >"$work/load-end.txt"

# where revgate's time goes on the largest history: system calls
: >"$work/strace.txt"
if [ "$alembic_only" = 0 ] && command -v strace >/dev/null; then
	big=$(printf '%s\n' $sizes | sort -n | tail -1)
	strace -c -f -o "$work/strace.txt" "$revgate" -C "$work/h$big/revgate" heads >/dev/null || true
fi

"$python" - "$work" "$out" "$date" "$alembic_only" "$revgate" "$sizes" <<'PY'
import json, os, platform, subprocess, sys
work, out, date, alembic_only, revgate, sizes = sys.argv[1:]
sizes = sizes.split()
import alembic

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

cpu = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(out))))
commit = sh("git", "-C", root, "rev-parse", "--short", "HEAD")
rg_version = "" if alembic_only == "1" else (sh(revgate, "--version") or "unknown")

L = []
L.append("# Graph benchmark, %s" % date)
L.append("")
L.append("`bench/graph.sh`: `heads` and `history` on generated histories "
         "(linear, a branch of 3 and a branch of 2 revisions merged every "
         "~50 revisions; `bench/gen_history.py`). hyperfine, 3 warm-up runs, "
         "no shell; Alembic's `.pyc` files are warm after the warm-up.")
L.append("")
L.append("- machine: %s, %d cores, %s %s" % (cpu, os.cpu_count(),
         platform.system(), platform.release()))
load = [open(os.path.join(work, f)).read().strip()
        for f in ("load-start.txt", "load-end.txt")]
L.append("- load average (1, 5, 15 min) at start: %s; at end: %s (other "
         "work on the machine shows up in σ)" % tuple(load))
L.append("- Python %s, Alembic %s" % (platform.python_version(),
         alembic.__version__))
if rg_version:
    L.append("- revgate: %s (commit %s)" % (rg_version, commit))
else:
    L.append("- revgate: not timed (--alembic-only), commit %s" % commit)
L.append("")

res = {}
for n in sizes:
    with open(os.path.join(work, "t%s.json" % n)) as f:
        for r in json.load(f)["results"]:
            res[(n, r["command"])] = r

def ms(r):
    return "%.1f ms ± %.1f (min %.1f)" % (r["mean"] * 1e3, r["stddev"] * 1e3,
                                         r["min"] * 1e3)

L.append("## Summary (mean ± σ, and the fastest run)")
L.append("")
if alembic_only == "1":
    L.append("| revisions | alembic heads | alembic history |")
    L.append("|---:|---:|---:|")
    for n in sizes:
        L.append("| %s | %s | %s |" % (n, ms(res[(n, "alembic heads")]),
                                       ms(res[(n, "alembic history")])))
else:
    L.append("| revisions | revgate heads | alembic heads | speed-up | "
             "revgate history | alembic history | speed-up |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        rh, ah = res[(n, "revgate heads")], res[(n, "alembic heads")]
        ri, ai = res[(n, "revgate history")], res[(n, "alembic history")]
        L.append("| %s | %s | %s | %.0f× | %s | %s | %.0f× |" % (
            n, ms(rh), ms(ah), ah["mean"] / rh["mean"],
            ms(ri), ms(ai), ai["mean"] / ri["mean"]))
    big = max(sizes, key=int)
    rh, ah = res[(big, "revgate heads")], res[(big, "alembic heads")]
    ok_abs = rh["mean"] < 0.020
    ok_rel = ah["mean"] / rh["mean"] >= 50
    L.append("")
    L.append("Goal (issue 2), %s revisions: `heads` under 20 ms: %s "
             "(mean %.1f ms, fastest %.1f ms); at least 50× faster than "
             "Alembic: %s (%.0f× on means, %.0f× on fastest runs)." % (
                 big, "met" if ok_abs else "NOT met", rh["mean"] * 1e3,
                 rh["min"] * 1e3, "met" if ok_rel else "NOT met",
                 ah["mean"] / rh["mean"], ah["min"] / rh["min"]))
L.append("")

check = open(os.path.join(work, "compare.txt")).read()
if check.strip():
    L.append("## Same answers as Alembic")
    L.append("")
    L.append("`bench/compare_graph.py`: ids and order of `revgate heads` and "
             "`revgate history --format json` against Alembic (file-name "
             "order).")
    L.append("")
    L.append(check.rstrip())
    L.append("")

trace = open(os.path.join(work, "strace.txt")).read().strip().splitlines()
if trace:
    big = max(sizes, key=int)
    L.append("## System calls of `revgate heads`, %s revisions" % big)
    L.append("")
    L.append("`strace -c -f` (the times are inflated by tracing; the counts "
             "are what matters: calls per revision file).")
    L.append("")
    L.append("```")
    L.extend(trace[:10])
    L.append("```")
    L.append("")

L.append("## Commands")
L.append("")
L.append("OUTDIR is the history made by `bench/gen_history.py N OUTDIR`.")
L.append("")
L.append("| name | command |")
L.append("|---|---|")
if alembic_only != "1":
    L.append("| revgate heads | `./revgate -C OUTDIR/revgate heads` |")
    L.append("| revgate history | `./revgate -C OUTDIR/revgate history` |")
L.append("| alembic heads | `/usr/bin/python3 -m alembic -c OUTDIR/alembic/alembic.ini heads` |")
L.append("| alembic history | `/usr/bin/python3 -m alembic -c OUTDIR/alembic/alembic.ini history` |")
L.append("")
L.append("## hyperfine tables")
for n in sizes:
    L.append("")
    L.append("### %s revisions" % n)
    L.append("")
    L.append(open(os.path.join(work, "t%s.md" % n)).read().rstrip())
L.append("")
with open(out, "w") as f:
    f.write("\n".join(L))
print("wrote %s" % os.path.relpath(out, root))
PY
