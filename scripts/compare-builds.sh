#!/usr/bin/env bash
# Compare two lanyard binaries on the same inputs: are their outputs identical, and how
# many instructions does each execute? For behaviour-preserving changes (refactors):
# instruction counts (valgrind callgrind, one thread) do not depend on the machine's
# load, unlike wall time.
#
#   scripts/compare-builds.sh OLD_BINARY NEW_BINARY DIR [DIR ...]
#
# Prints, per DIR: whether the SARIF and JSON outputs are byte-identical, and each
# binary's instruction count with the ratio NEW/OLD. Needs valgrind.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OLD_BINARY NEW_BINARY DIR [DIR ...]" >&2
  exit 2
fi
old=$1 new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dir in "$@"; do
  for fmt in sarif json; do
    "$old" check "$dir" --format "$fmt" -o "$work/old.$fmt" || true
    "$new" check "$dir" --format "$fmt" -o "$work/new.$fmt" || true
    if cmp -s "$work/old.$fmt" "$work/new.$fmt"; then
      echo "$dir: $fmt identical"
    else
      echo "$dir: $fmt DIFFERS"
    fi
  done
  for which in old new; do
    bin=$old
    [ "$which" = new ] && bin=$new
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$which" \
      "$bin" check "$dir" --threads 1 --format json -o /dev/null 2>"$work/vg.$which" || true
    grep -oE 'Collected : [0-9]+' "$work/vg.$which" | awk '{print $3}' >"$work/ir.$which"
  done
  awk -v d="$dir" -v o="$(cat "$work/ir.old")" -v n="$(cat "$work/ir.new")" \
    'BEGIN { printf "%s: instructions old %d, new %d, new/old %.4f\n", d, o, n, n / o }'
done
