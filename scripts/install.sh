#!/usr/bin/env bash
# Installs lanyard for the GitHub Action (action.yml) from the action's own source, so
# the binary is exactly the code at the pinned commit. Skips the build when a lanyard
# of the same version is already on PATH or in the install root (a cached tool
# directory or a self-hosted runner's earlier run).
#
# Environment: GITHUB_ACTION_PATH (the action's checkout), GITHUB_PATH (to add the
# binary to later steps), RUNNER_TOOL_CACHE and RUNNER_ARCH (the install root).
set -euo pipefail

src="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from action.yml}"
version="$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$src/Cargo.toml" | head -n 1)"
if [[ -z "$version" ]]; then
  echo "::error::cannot read lanyard's version from $src/Cargo.toml" >&2
  exit 2
fi
want="lanyard $version"
# One directory per version and architecture: a stable path to cache with actions/cache.
root="${RUNNER_TOOL_CACHE:-${HOME}/.cache}/lanyard/$version/${RUNNER_ARCH:-$(uname -m)}"

installed_version() {
  "$1" --version 2>/dev/null || true
}

add_to_path() {
  if [[ -n "${GITHUB_PATH:-}" ]]; then
    printf '%s\n' "$1" >>"$GITHUB_PATH"
  fi
}

if on_path="$(command -v lanyard)" && [[ "$(installed_version "$on_path")" == "$want" ]]; then
  echo "$want is already installed at $on_path"
  exit 0
fi
if [[ -x "$root/bin/lanyard" && "$(installed_version "$root/bin/lanyard")" == "$want" ]]; then
  echo "$want is already installed in $root"
  add_to_path "$root/bin"
  exit 0
fi
if ! command -v cargo >/dev/null; then
  echo "::error::lanyard is built from source and needs a Rust toolchain (1.85 or newer): add a step such as dtolnay/rust-toolchain before this action" >&2
  exit 2
fi
echo "Building $want from $src into $root"
cargo install --locked --quiet --path "$src" --root "$root"
add_to_path "$root/bin"
