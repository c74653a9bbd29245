#!/usr/bin/env bash
# Checks that a release tag is consistent with the repository before anything is built:
# the tag is vX.Y.Z with X.Y.Z Cargo.toml's version, and the pre-commit `docker_image`
# hook names the image of that same tag. Used by .github/workflows/release.yml; run it
# by hand before tagging: scripts/release-check.sh v0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:?usage: scripts/release-check.sh vX.Y.Z}"
if ! [[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "::error::a release tag is vX.Y.Z" >&2
  exit 1
fi
version="$(sed -n 's/^version = "\([^"]*\)"$/\1/p' Cargo.toml | head -n 1)"
if [[ "$tag" != "v$version" ]]; then
  echo "::error::tag $tag does not match Cargo.toml's version $version" >&2
  exit 1
fi
image="ghcr.io/lanyard-dev/lanyard:$tag"
if ! grep -qF "entry: $image " .pre-commit-hooks.yaml; then
  echo "::error::.pre-commit-hooks.yaml's docker_image hook does not use $image" >&2
  exit 1
fi
echo "release $tag: Cargo.toml and .pre-commit-hooks.yaml agree"
