#!/usr/bin/env bash
#
# scripts/deb-check.sh OUTDIR  (run by `make deb-check`, as root)
#
# Installs the package `make deb` left in OUTDIR with apt-get, as a machine
# that never built revgate would, without recommended packages (as the
# container image does), and uses it: the version, the manual pages, the
# completions, and a lint of the example project. The package is removed
# again whatever happens.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
out=${1:?usage: scripts/deb-check.sh OUTDIR}
version=$(cat "$root/VERSION")
deb=$(ls "$out"/revgate_"$version"_*.deb)

if [ "$(id -u)" -ne 0 ]; then
	echo "deb-check installs a package: run it as root" >&2
	exit 1
fi
if dpkg-query -W -f='${Status}' revgate 2>/dev/null | grep -q "ok installed"; then
	echo "a revgate package is installed already: remove it first (apt-get remove revgate)" >&2
	exit 1
fi

fail() {
	echo "deb-check: $*" >&2
	exit 1
}

export DEBIAN_FRONTEND=noninteractive
trap 'apt-get remove -y -q --purge revgate >/dev/null 2>&1' EXIT
apt-get install -y -q --no-install-recommends "$deb" >"$out/install.log" 2>&1 || {
	cat "$out/install.log" >&2
	fail "apt-get could not install $deb"
}

# dh_shlibdeps named the libraries, and apt-get brought them
depends=$(dpkg-query -W -f='${Depends}' revgate)
for lib in libgit2 libpq5 libpg-query libpcre2-8 libinih; do
	[[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done

[ "$(command -v revgate)" = /usr/bin/revgate ] || fail "revgate is not /usr/bin/revgate"
[ "$(revgate --version)" = "revgate $version" ] || fail "revgate --version: $(revgate --version)"

# the manual, as 'man' finds it
man revgate 2>/dev/null | grep -q "lint, guard and apply PostgreSQL migrations" ||
	fail "man revgate does not show revgate(1)"
man revgate-lint 2>/dev/null | grep -q "staged" || fail "man revgate-lint does not show the page"
man 5 revgate.ini 2>/dev/null | grep -q "version_table" || fail "man 5 revgate.ini does not show the page"
[ -f /usr/share/bash-completion/completions/revgate ] || fail "no bash completion"
[ -f /usr/share/zsh/vendor-completions/_revgate ] || fail "no zsh completion"
[ -f /usr/share/fish/vendor_completions.d/revgate.fish ] || fail "no fish completion"
[ -x /usr/share/revgate/hooks/pre-commit ] || fail "no pre-commit hook"

# the example project, linted by the installed binary outside the tree
work=$(mktemp -d)
trap 'apt-get remove -y -q --purge revgate >/dev/null 2>&1; rm -rf "$work"' EXIT
cp -r "$root/migrations" "$root/revgate.ini" "$work/"
(cd "$work" && revgate lint) >"$work/lint.out" 2>&1 || {
	cat "$work/lint.out" >&2
	fail "revgate lint failed on the example project"
}
tail -n 1 "$work/lint.out" | grep -q "revisions checked: 0 errors" ||
	fail "unexpected lint summary: $(tail -n 1 "$work/lint.out")"

echo "deb-check: $(basename "$deb") installed, used and removed: $(tail -n 1 "$work/lint.out")"
