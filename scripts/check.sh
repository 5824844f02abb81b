#!/usr/bin/env bash
# Static analysis of src/ (`make check`): cppcheck, then clang-tidy with the
# checks of .clang-tidy. Prints every warning as file:line:col and exits 1
# when there is any, so CI fails on a new one.
#   scripts/check.sh [FILE.c...]     (default: every C file under src/)
# CHECK_JOBS sets the parallel clang-tidy processes (default: the cores).
set -uo pipefail
cd "$(dirname "$0")/.."

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if ! command -v cppcheck >/dev/null || [ -z "$tidy" ]; then
	echo "check: needs cppcheck and clang-tidy (apt-get install cppcheck clang-tidy)" >&2
	exit 2
fi
if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(find src -name '*.c' | LC_ALL=C sort)
fi
jobs=${CHECK_JOBS:-$(nproc)}
version=$(cat VERSION 2>/dev/null || echo 0.0.0)
pkgs="libgit2 libpq libpcre2-8 inih libcrypto zlib"
# the flags the Makefile compiles with, for both tools
flags=(-std=c11 -D_GNU_SOURCE "-DREVGATE_VERSION=\"$version\"" -Isrc)
read -ra pkgflags <<<"$(pkg-config --cflags $pkgs 2>/dev/null)"
flags+=("${pkgflags[@]}")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

# cppcheck: warnings, portability and performance; style is clang-tidy's and
# the compiler's (-Wall -Wextra). Third-party headers are not analysed.
echo "# cppcheck" >&2
incs=()
for f in "${flags[@]}"; do
	case $f in -D* | -Isrc) incs+=("$f") ;; esac
done
cppcheck --quiet --enable=warning,portability,performance --std=c11 \
	--inline-suppr --suppress=missingIncludeSystem -j "$jobs" \
	--template='{file}:{line}:{column}: {severity}[cppcheck-{id}]: {message}' \
	"${incs[@]}" "${files[@]}" 2>"$out/cppcheck"
if [ -s "$out/cppcheck" ]; then
	cat "$out/cppcheck"
	status=1
fi

# clang-tidy, one process per few files; .clang-tidy holds the checks
echo "# clang-tidy (${#files[@]} files, $jobs jobs)" >&2
printf '%s\0' "${files[@]}" |
	xargs -0 -P "$jobs" -n 4 bash -c '"$0" --quiet "$@" -- '"$(printf '%q ' "${flags[@]}")"' >"'"$out"'/tidy.$$" 2>&1' "$tidy"
cat "$out"/tidy.* 2>/dev/null | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' |
	sed -e "s|^$PWD/||" -e 's/,-warnings-as-errors\]/]/' | LC_ALL=C sort -u >"$out/tidy"
if [ -s "$out/tidy" ]; then
	cat "$out/tidy"
	status=1
fi

n=$(cat "$out/cppcheck" "$out/tidy" | grep -c . || true)
if [ "$status" -eq 0 ]; then
	echo "check: no warnings" >&2
else
	echo "check: $n warning(s)" >&2
fi
exit $status
