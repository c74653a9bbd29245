#!/usr/bin/env bash
# Installs lanyard for the GitHub Action (action.yml) and puts it on PATH for the steps
# that follow.
#
# 1. The release binary, when the action's ref is a release: the ref is the tag
#    vX.Y.Z of Cargo.toml's version, or the commit that tag was built from (the
#    release's `lanyard-commit` asset). The binary for the runner's OS and architecture
#    is downloaded with its `.sha256` file and checked against it; a mismatch fails the
#    step (it is never "fixed" by building). It is cached in
#    $RUNNER_TOOL_CACHE/lanyard/<version>/<sha256>/<target>, and a cached binary is
#    used only if its checksum still matches.
# 2. Otherwise (a branch, `uses: ./`, a commit between releases, a platform without a
#    release binary) lanyard is built from the action's own source with
#    `cargo install --locked`, cached by version and a hash of the source, and the log
#    says why.
#
# Environment: GITHUB_ACTION_PATH (the action's checkout), GITHUB_PATH, RUNNER_TOOL_CACHE,
# RUNNER_OS and RUNNER_ARCH (set by the runner), LANYARD_ACTION_REF (the action's ref,
# `github.action_ref`), LANYARD_RELEASE_URL (where releases are downloaded from: default
# https://github.com/lanyard-dev/lanyard/releases/download; `file://` for tests and
# mirrors). Nothing here needs or prints a token.
set -euo pipefail

error() {
  local msg="${1//"%"/%25}"
  msg="${msg//$'\r'/%0D}"
  msg="${msg//$'\n'/%0A}"
  echo "::error title=lanyard install::$msg" >&2
  exit 2
}

src="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from action.yml}"
version="$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$src/Cargo.toml" | head -n 1)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || error "cannot read lanyard's version from Cargo.toml"
tag="v$version"
want="lanyard $version"
ref="${LANYARD_ACTION_REF:-}"
base="${LANYARD_RELEASE_URL:-https://github.com/lanyard-dev/lanyard/releases/download}"
base="${base%/}"
case "$base" in
  https://* | file://*) ;;
  *) error "LANYARD_RELEASE_URL must be an https:// or file:// URL" ;;
esac
cache="${RUNNER_TOOL_CACHE:-${HOME}/.cache}/lanyard/$version"

add_to_path() {
  if [[ -n "${GITHUB_PATH:-}" ]]; then
    printf '%s\n' "$1" >>"$GITHUB_PATH"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum -- "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 -- "$1" | cut -d ' ' -f 1
  fi
}

# The release target for this runner; empty when there is no release binary for it.
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
ext=""
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ext=.exe ;;
  *) target="" ;;
esac

tmp="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lanyard-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Download $1 (a release asset name) to $2. Returns 1 when the asset does not exist
# (HTTP 404, a missing file), fails the step on any other error.
fetch() {
  local code=0
  curl --silent --show-error --fail --location --proto '=https,file' --proto-redir '=https' \
    --retry 3 --max-time 120 --output "$2" -- "$base/$tag/$1" 2>"$tmp/curl.err" || code=$?
  case "$code" in
    0) return 0 ;;
    22 | 37) return 1 ;; # HTTP error (404: no such asset) / file:// not found
    *) error "downloading $1 of lanyard $tag failed (curl exit $code): $(head -c 300 "$tmp/curl.err")" ;;
  esac
}

# Why the release binary is not used ("" when it is).
release_binary() {
  [[ -n "$target" ]] || { echo "there is no release binary for $os/$arch"; return; }
  if [[ "$ref" == "$tag" ]]; then
    :
  elif [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    if ! fetch lanyard-commit "$tmp/commit"; then
      echo "release $tag has no lanyard-commit to compare with the pinned commit"
      return
    fi
    if [[ "$(head -n 1 "$tmp/commit")" != "$ref" ]]; then
      echo "the pinned commit $ref is not the commit release $tag was built from"
      return
    fi
  else
    echo "the action's ref is not a release (a tag vX.Y.Z or the commit it was built from)"
    return
  fi
}

install_release() {
  local asset="lanyard-$target$ext"
  if ! fetch "$asset.sha256" "$tmp/sum"; then
    why="release $tag has no $asset.sha256"
    return
  fi
  local line expected name
  line="$(head -n 1 "$tmp/sum")"
  expected="${line%% *}"
  name="${line##* }"
  name="${name#\*}"
  if ! [[ "$expected" =~ ^[0-9a-f]{64}$ && "$name" == "$asset" ]]; then
    error "$asset.sha256 of lanyard $tag is not a SHA-256 line for $asset"
  fi
  local dir="$cache/$expected/$target"
  local bin="$dir/lanyard$ext"
  if [[ -f "$bin" && ! -L "$bin" && "$(sha256 "$bin")" == "$expected" ]]; then
    echo "lanyard $tag ($target, sha256 $expected) is cached in $dir" >&2
    add_to_path "$dir"
    exit 0
  fi
  echo "Downloading lanyard $tag for $target" >&2
  fetch "$asset" "$tmp/$asset" || error "release $tag lists $asset.sha256 but has no $asset"
  local actual
  actual="$(sha256 "$tmp/$asset")"
  if [[ "$actual" != "$expected" ]]; then
    error "checksum mismatch for $asset of lanyard $tag: expected $expected, got $actual; not installed"
  fi
  chmod 0755 "$tmp/$asset"
  mkdir -p "$dir"
  rm -f "$bin"
  mv -f "$tmp/$asset" "$bin"
  echo "lanyard $tag installed in $dir (sha256 $actual verified)" >&2
  add_to_path "$dir"
  exit 0
}

why="$(release_binary)"
if [[ -z "$why" ]]; then
  install_release # exits when it installed the release binary; sets `why` when there is none
fi

# No release binary: build the action's own source, cached by version and source hash
# so a cached build never outlives a change of the code.
echo "::notice title=lanyard install::no release binary used ($why); building lanyard $version from source" >&2
hash="$(cd "$src" && find Cargo.toml Cargo.lock src rules -type f -print0 2>/dev/null | LC_ALL=C sort -z \
  | xargs -0 cat -- | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d ' ' -f 1)"
root="$cache/source-${hash:0:16}/${target:-$os-$arch}"
if [[ -x "$root/bin/lanyard" && "$("$root/bin/lanyard" --version 2>/dev/null || true)" == "$want" ]]; then
  echo "$want (source ${hash:0:16}) is already built in $root" >&2
  add_to_path "$root/bin"
  exit 0
fi
command -v cargo >/dev/null ||
  error "building lanyard from source needs a Rust toolchain (1.85 or newer): add a step such as \`rustup toolchain install stable\` before this action, or use a release tag"
echo "Building $want from $src into $root" >&2
cargo install --locked --quiet --path "$src" --root "$root"
add_to_path "$root/bin"
