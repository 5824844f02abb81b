#!/usr/bin/env bash
# Which revgate image the action runs, printed as image=NAME for
# $GITHUB_OUTPUT. A version tag of the action (v0, v0.1, v0.1.0), or a
# checkout of the action at one ('uses: ./.revgate' after checking out a
# tag, whose ref GitHub leaves empty), runs the image the release workflow
# published for it; anything else (a branch, a commit) builds the image
# from the action's own checkout, as does a version whose image cannot be
# pulled.
#   .github/action/image.sh SRC REF [REPOSITORY]
set -euo pipefail
src=${1:?usage: image.sh SRC REF [REPOSITORY]}
ref=${2:-}
repo=${3:-revgate/revgate}
repo=${repo,,}
if [ -z "$ref" ]; then
	ref=$(git -C "$src" describe --tags --exact-match HEAD 2>/dev/null || true)
fi

if [[ $ref =~ ^v[0-9]+(\.[0-9]+){0,2}$ ]]; then
	image=ghcr.io/$repo:${ref#v}
	if docker pull -q "$image" >/dev/null 2>&1; then
		echo "image=$image"
		exit 0
	fi
	echo "::notice::no published image $image; building revgate from the action's checkout" >&2
fi
echo "::group::docker build $src" >&2
docker build -q -t revgate-action:local "$src" >&2
echo "::endgroup::" >&2
echo "image=revgate-action:local"
