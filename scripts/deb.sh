#!/usr/bin/env bash
#
# scripts/deb.sh OUTDIR  (run by `make deb`)
#
# Builds the Debian package from the tree as it is: a copy in
# OUTDIR/revgate-VERSION (dpkg-buildpackage writes the package next to its
# source, so the copy keeps it out of the repository's parent directory),
# debian/changelog written from VERSION and the last commit's date, then
# dpkg-buildpackage -b with debhelper (dh_shlibdeps computes the library
# dependencies). lintian checks the package; any error fails the build.
# Prints the package's path.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
out=${1:?usage: scripts/deb.sh OUTDIR}
version=$(cat "$root/VERSION")
src=$out/revgate-$version

rm -rf "$out"
mkdir -p "$src"
tar -C "$root" --exclude=./build --exclude=./node_modules --exclude=./.git \
	--exclude=./revgate -cf - . | tar -C "$src" -xf -

# one place for the version (VERSION) and the maintainer (debian/control)
maintainer=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
when=$(git -C "$root" log -1 --format=%cD 2>/dev/null || date -R)
cat >"$src/debian/changelog" <<CHANGELOG
revgate ($version) unstable; urgency=medium

  * revgate $version, built from the source tree.

 -- $maintainer  $when
CHANGELOG

echo "building the Debian package in $out (log: $out/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	exit 1
fi
deb=$(ls "$out"/revgate_"$version"_*.deb)

# errors fail; warnings and the rest are printed for a person to read
status=0
lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1 | grep -v "root privileges" >"$out/lintian.log" ||
	status=${PIPESTATUS[0]}
cat "$out/lintian.log" >&2
if [ "$status" -ne 0 ]; then
	echo "lintian found errors in $deb" >&2
	exit 1
fi
echo "$deb"
