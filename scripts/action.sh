#!/usr/bin/env bash
# Runs lanyard for the GitHub Action (action.yml): one scan writes the annotations
# (stdout), the job summary, the SARIF file and the outputs. Inputs come only from
# environment variables, never from `${{ }}` expanded into the script, so an input's
# value cannot become shell code.
#
# Inputs: INPUT_PATHS (whitespace-separated, default `.`), INPUT_CONFIG,
# INPUT_FAIL_ON (default `high`), INPUT_BASELINE, INPUT_DIFF_BASE, INPUT_SARIF_FILE
# (default `lanyard.sarif`), INPUT_ANNOTATIONS and INPUT_SUMMARY (`true`/`false`,
# default `true`). Writes GITHUB_OUTPUT (`findings`, `sarif-file`) and
# GITHUB_STEP_SUMMARY when they are set. Exits with lanyard's code: 0 clean, 1
# findings at or above fail-on, 2 lanyard could not do its job.
set -euo pipefail

# A workflow command's data escapes %, CR and LF, so an input quoted in the message
# cannot start a command of its own.
fail() {
  local msg="${1//"%"/%25}"
  msg="${msg//$'\r'/%0D}"
  msg="${msg//$'\n'/%0A}"
  echo "::error title=lanyard action::$msg" >&2
  exit 2
}

# Written for bash 3.2 too (macOS runners' /bin/bash): no `${x,,}`, no bare empty arrays.
bool() {
  case "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" in
    true | yes | 1) echo true ;;
    false | no | 0 | '') echo false ;;
    *) fail "input $2 must be true or false, got '$1'" ;;
  esac
}

paths="${INPUT_PATHS:-.}"
fail_on="${INPUT_FAIL_ON:-high}"
sarif="${INPUT_SARIF_FILE:-lanyard.sarif}"
annotations="$(bool "${INPUT_ANNOTATIONS:-true}" annotations)"
summary="$(bool "${INPUT_SUMMARY:-true}" summary)"

# The value goes into GITHUB_OUTPUT as `name=value`: a line break would forge outputs.
if [[ "$sarif" == *$'\n'* || "$sarif" == *$'\r'* ]]; then
  fail "input sarif-file must be one line"
fi

if [[ -n "${GITHUB_WORKSPACE:-}" ]]; then
  cd "$GITHUB_WORKSPACE"
fi
command -v lanyard >/dev/null || fail "lanyard is not on PATH (the install step did not run?)"

tmp="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lanyard.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# A pull request that scans nothing (its `.ignore` lists every file) fails the step.
args=(check --fail-on "$fail_on" --fail-on-empty --report "json=$tmp/report.json" --sarif-file "$sarif")
if [[ "$annotations" == true ]]; then
  args+=(--format github)
else
  args+=(--format human)
fi
if [[ "$summary" == true ]]; then
  args+=(--report "markdown=$tmp/summary.md")
fi
if [[ -n "${INPUT_CONFIG:-}" ]]; then
  args+=(--config "$INPUT_CONFIG")
fi
if [[ -n "${INPUT_BASELINE:-}" ]]; then
  args+=(--baseline "$INPUT_BASELINE")
fi
if [[ -n "${INPUT_DIFF_BASE:-}" ]]; then
  args+=(--diff-base "$INPUT_DIFF_BASE")
fi

# Paths split on whitespace, with globbing off so a `*` reaches lanyard unexpanded.
set -f
# shellcheck disable=SC2206
path_args=($paths)
set +f

# The SARIF path lies in the pull request's tree, which can hold links: never create
# a directory or write through one (lanyard refuses to write through a link too). Each
# existing component of a relative path, or of an absolute one inside the workspace,
# must be a real directory or file.
inside="$sarif"
if [[ "$inside" == /* ]]; then
  case "$inside" in
    "$PWD"/*) inside="${inside#"$PWD"/}" ;;
    *) inside="" ;;
  esac
fi
check="$inside"
while [[ -n "$check" && "$check" != "." && "$check" != "/" ]]; do
  if [[ -L "$check" ]]; then
    fail "sarif-file: \`$check\` is a symbolic link in the workspace; lanyard does not write through links (remove it, or choose another sarif-file)"
  fi
  check="$(dirname -- "$check")"
done
mkdir -p "$(dirname -- "$sarif")"

status=0
lanyard "${args[@]}" -- ${path_args[@]+"${path_args[@]}"} || status=$?

if [[ "$status" -gt 1 || ! -f "$tmp/report.json" ]]; then
  if [[ "$summary" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    printf '## lanyard\n\nlanyard could not complete the scan (exit code %s); the step log says why.\n' \
      "$status" >>"$GITHUB_STEP_SUMMARY"
  fi
  echo "::error title=lanyard::lanyard could not complete the scan (exit code $status)" >&2
  exit "$((status > 1 ? status : 2))"
fi

# `summary.findings` is the report's first `"findings": N`: the summary precedes the
# findings array, and quotes inside strings are escaped (`\"`), so no message can fake it.
findings="$(grep -m 1 -oE '"findings": *[0-9]+' "$tmp/report.json" | grep -oE '[0-9]+$' || true)"
[[ -n "$findings" ]] || fail "the JSON report has no findings count"

if [[ "$summary" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  cat "$tmp/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "findings=$findings"
    echo "sarif-file=$sarif"
  } >>"$GITHUB_OUTPUT"
fi
echo "lanyard: $findings findings; SARIF written to $sarif" >&2
exit "$status"
