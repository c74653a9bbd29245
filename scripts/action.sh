#!/usr/bin/env bash
# Runs lanyard for the GitHub Action (action.yml): one scan writes the annotations
# (stdout), the job summary, the SARIF file and the outputs. Inputs come only from
# environment variables, never from `${{ }}` expanded into the script, so an input's
# value cannot become shell code.
#
# Inputs: INPUT_PATH (whitespace-separated, default `.`), INPUT_CONFIG,
# INPUT_FAIL_ON (default `high`), INPUT_FORMAT (the log's format, default `github`:
# annotations), INPUT_BASELINE, INPUT_DIFF_BASE, INPUT_SARIF_FILE (default
# `lanyard.sarif`), INPUT_UPLOAD_SARIF (default `false`) and INPUT_SUMMARY (default
# `true`) as `true`/`false`, INPUT_SARIF_CATEGORY (used by action.yml's upload step),
# INPUT_ARGS (further `lanyard check` arguments, whitespace-separated). Writes
# GITHUB_OUTPUT (`findings`, the counts per severity and per family, `sarif-file`,
# `upload-sarif`) and GITHUB_STEP_SUMMARY when they are set. Exits with lanyard's
# code: 0 clean, 1 findings at or above fail-on, 2 lanyard could not do its job.
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

paths="${INPUT_PATH:-.}"
fail_on="${INPUT_FAIL_ON:-high}"
format="${INPUT_FORMAT:-github}"
sarif="${INPUT_SARIF_FILE:-lanyard.sarif}"
upload="$(bool "${INPUT_UPLOAD_SARIF:-false}" upload-sarif)"
summary="$(bool "${INPUT_SUMMARY:-true}" summary)"

# The value goes into GITHUB_OUTPUT as `name=value`: a line break would forge outputs.
if [[ "$sarif" == *$'\n'* || "$sarif" == *$'\r'* ]]; then
  fail "input sarif-file must be one line"
fi
# Passed as option values: words, never another option.
[[ "$format" =~ ^[a-z]+$ ]] || fail "input format must be a format name such as github or human, got '$format'"
if [[ "${INPUT_SARIF_CATEGORY:-}" == *$'\n'* || "${INPUT_SARIF_CATEGORY:-}" == *$'\r'* ]]; then
  fail "input sarif-category must be one line"
fi

if [[ -n "${GITHUB_WORKSPACE:-}" ]]; then
  cd "$GITHUB_WORKSPACE"
fi
command -v lanyard >/dev/null || fail "lanyard is not on PATH (the install step did not run?)"

tmp="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lanyard.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# A pull request that scans nothing (its `.ignore` lists every file) fails the step.
args=(check --fail-on "$fail_on" --fail-on-empty --report "json=$tmp/report.json" --sarif-file "$sarif"
  --format "$format")
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

# Paths and extra arguments split on whitespace, with globbing off so a `*` reaches
# lanyard unexpanded; each word stays one argument, never shell code.
set -f
# shellcheck disable=SC2206
path_args=($paths)
# shellcheck disable=SC2206
extra_args=(${INPUT_ARGS:-})
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
lanyard "${args[@]}" ${extra_args[@]+"${extra_args[@]}"} -- ${path_args[@]+"${path_args[@]}"} || status=$?

if [[ "$status" -gt 1 || ! -f "$tmp/report.json" ]]; then
  if [[ "$summary" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    printf '## lanyard\n\nlanyard could not complete the scan (exit code %s); the step log says why.\n' \
      "$status" >>"$GITHUB_STEP_SUMMARY"
  fi
  echo "::error title=lanyard::lanyard could not complete the scan (exit code $status)" >&2
  exit "$((status > 1 ? status : 2))"
fi

# Counts from the report's summary: `"findings": N`, `by_severity` and `by_family` are
# the first `"<key>": N` of the report (the summary precedes the findings array, and
# quotes inside strings are escaped, `\"`, so no message can fake one).
count() {
  grep -m 1 -oE "\"$1\": *[0-9]+" "$tmp/report.json" | grep -oE '[0-9]+$' || true
}
findings="$(count findings)"
[[ -n "$findings" ]] || fail "the JSON report has no findings count"
counts=()
for key in critical high medium low borrowed-credential shared-identity excessive-scope audit-trail static-secret; do
  n="$(count "$key")"
  counts+=("$key=${n:-0}")
done

if [[ "$summary" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  cat "$tmp/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "findings=$findings"
    printf '%s\n' "${counts[@]}"
    echo "sarif-file=$sarif"
    echo "upload-sarif=$upload"
  } >>"$GITHUB_OUTPUT"
fi
echo "lanyard: $findings findings; SARIF written to $sarif" >&2
exit "$status"
