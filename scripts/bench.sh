#!/usr/bin/env bash
# Benchmark lanyard against the `rg` floor and PyPI peers on a generated monorepo.
#
#   scripts/bench.sh                  # the full run (corpus scale 10, about 200 MB)
#   BENCH_SCALE=2 BENCH_RUNS=3 scripts/bench.sh   # a quick run
#
# Environment:
#   BENCH_DIR      work directory (default target/bench): corpora, venv, results
#   BENCH_SCALE    main corpus scale (default 10; scale 1 is about 20 MB)
#   BENCH_THREADS  threads for lanyard and rg (default: nproc)
#   BENCH_RUNS     timed runs per command (default 5; the median is reported)
#   BENCH_PEERS    1 (default) to time checkov and detect-secrets, 0 to skip them
#   BENCH_PEER_SCALE  corpus scale the peers run on (default 1; their time per MB is
#                  extrapolated to the main corpus, and the table says so). Peers run
#                  once each under GNU time: checkov takes minutes even at scale 1.
#   BENCH_LINEARITY   1 (default) to time lanyard on scales 1, 4 and 16
#   BENCH_INSTALL  1 to apt-get install hyperfine and ripgrep when missing (default 1
#                  when running as root)
#
# Needs: cargo, python3, GNU time (/usr/bin/time); hyperfine and ripgrep (installed with
# apt-get when allowed); checkov and detect-secrets are pip-installed into a venv under
# BENCH_DIR. Results: BENCH_DIR/results.md (also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WORK=${BENCH_DIR:-target/bench}
SCALE=${BENCH_SCALE:-10}
THREADS=${BENCH_THREADS:-$(nproc)}
RUNS=${BENCH_RUNS:-5}
PEERS=${BENCH_PEERS:-1}
PEER_SCALE=${BENCH_PEER_SCALE:-1}
LINEARITY=${BENCH_LINEARITY:-1}
INSTALL=${BENCH_INSTALL:-$([ "$(id -u)" = 0 ] && echo 1 || echo 0)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RESULTS="$WORK/results.md"
RAW="$WORK/raw"
mkdir -p "$RAW"

log() { printf '\n== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$INSTALL" = 1 ] && command -v apt-get >/dev/null; then
    log "installing ${need_apt[*]}"
    apt-get install -y "${need_apt[@]}" >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y "${need_apt[@]}" >/dev/null; }
  else
    echo "missing: ${need_apt[*]} (install them, or run as root with BENCH_INSTALL=1)" >&2
    exit 2
  fi
fi
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 2; }

if [ "$PEERS" = 1 ]; then
  VENV="$WORK/venv"
  if [ ! -x "$VENV/bin/checkov" ] || [ ! -x "$VENV/bin/detect-secrets" ]; then
    log "installing checkov and detect-secrets into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check checkov detect-secrets
  fi
fi

log "building lanyard and the corpus generator (release)"
cargo build --release --locked --bin lanyard --example gen-corpus --example keywords >&2
LANYARD="$ROOT/target/release/lanyard"
GEN="$ROOT/target/release/examples/gen-corpus"
"$ROOT/target/release/examples/keywords" >"$WORK/keywords.txt"

# The generator is deterministic: a corpus is reused when it is complete.
corpus() {
  local scale=$1 dir="$WORK/corpus-$1"
  if [ ! -f "$dir/.lanyard-bench-expected.json" ]; then
    rm -rf "$dir"
    "$GEN" --out "$dir" --scale "$scale" >&2
  fi
  echo "$dir"
}
manifest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/.lanyard-bench-expected.json" "$2"; }

# hyperfine median (seconds) of one command; ignores exit codes (lanyard exits 1 on findings).
median() {
  local name=$1 runs=$2; shift 2
  hyperfine --style none -N -i --warmup 1 --runs "$runs" --export-json "$RAW/$name.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["median"], r["user"], r["system"])' "$RAW/$name.json"
}
# One run under GNU time: wall seconds and peak RSS in MB (for peers too slow to repeat).
once() {
  local name=$1; shift
  /usr/bin/time -v "$@" >/dev/null 2>"$RAW/$name.time.txt" || true
  python3 - "$RAW/$name.time.txt" <<'EOF'
import sys
wall = rss = 0.0
for line in open(sys.argv[1]):
    if "Elapsed (wall clock)" in line:
        parts = line.rsplit(" ", 1)[1].strip().split(":")
        wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(parts)))
    if "Maximum resident set size" in line:
        rss = int(line.rsplit(":", 1)[1]) / 1024
print(wall, round(rss))
EOF
}
# Peak RSS in MB, from one run under GNU time.
peak_rss() {
  /usr/bin/time -v "$@" >/dev/null 2>"$RAW/time.txt" || true
  awk -F: '/Maximum resident set size/ { printf "%.0f", $2/1024 }' "$RAW/time.txt"
}

MAIN=$(corpus "$SCALE")
FILES=$(manifest "$MAIN" files)
BYTES=$(manifest "$MAIN" bytes)
MB=$(python3 -c "print($BYTES/1e6)")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

LANYARD_CMD=("$LANYARD" check -j "$THREADS" --format json -o /dev/null "$MAIN")
RG_CMD=(rg -j "$THREADS" --hidden --no-require-git -i -F -f "$WORK/keywords.txt" -c "$MAIN")

log "first lanyard run on the main corpus (cold for lanyard, files just written or cached)"
FIRST=$(python3 -c 'import subprocess,sys,time; t=time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print(time.perf_counter()-t)' "${LANYARD_CMD[@]}")

log "timing lanyard and rg ($RUNS runs, $THREADS threads)"
read -r L_MED L_USR L_SYS < <(median lanyard "$RUNS" "${LANYARD_CMD[@]}")
read -r R_MED R_USR R_SYS < <(median rg "$RUNS" "${RG_CMD[@]}")
L_RSS=$(peak_rss "${LANYARD_CMD[@]}")
R_RSS=$(peak_rss "${RG_CMD[@]}")

log "checking the planted findings"
"$LANYARD" check -j "$THREADS" --format json -o "$RAW/findings.json" "$MAIN" || true
PLANTED=$(python3 - "$MAIN/.lanyard-bench-expected.json" "$RAW/findings.json" <<'EOF'
import json, sys
expected = json.load(open(sys.argv[1]))["expected"]
findings = json.load(open(sys.argv[2]))["findings"]
found = set()
for f in findings:
    for loc in [f["location"]] + f["related"]:
        found.add((f["rule"], loc["path"]))
want = {(e["rule"], e["path"]) for e in expected}
missing = sorted(want - found)
primary = {(f["rule"], f["location"]["path"]) for f in findings}
extra = sorted(primary - want)
for m in missing:
    print("MISSING", *m, file=sys.stderr)
for x in extra:
    print("UNPLANTED", *x, file=sys.stderr)
print(f"{len(want) - len(missing)}/{len(want)} planted (rule, path) pairs found; {len(findings)} findings; {len(extra)} (rule, path) pairs not planted")
EOF
)

PEER_ROWS=""
if [ "$PEERS" = 1 ]; then
  PEER=$(corpus "$PEER_SCALE")
  PEER_MB=$(python3 -c "print($(manifest "$PEER" bytes)/1e6)")
  note=""
  [ "$PEER" != "$MAIN" ] && note=" (scale $PEER_SCALE, ${PEER_MB%.*} MB, extrapolated per MB)"
  log "timing checkov and detect-secrets once each on $PEER$note (checkov takes minutes)"
  CHECKOV_CMD=("$VENV/bin/checkov" -d "$PEER" --quiet --compact --skip-download -o json)
  DS_CMD=("$VENV/bin/detect-secrets" scan --all-files --exclude-files '(^|/)node_modules/' "$PEER")
  read -r C_MED C_RSS < <(once checkov "${CHECKOV_CMD[@]}")
  read -r D_MED D_RSS < <(once detect-secrets "${DS_CMD[@]}")
  PEER_ROWS=$(python3 - "$C_MED" "$D_MED" "$C_RSS" "$D_RSS" "$PEER_MB" "$MB" "$FILES" "$L_MED" "$note" <<'EOF'
import sys
c, d, crss, drss, pmb, mb, files, lanyard = map(float, sys.argv[1:9])
note = sys.argv[9]
for name, t, rss in (("checkov", c, crss), ("detect-secrets", d, drss)):
    scaled = t / pmb * mb
    print(f"| {name}{note} | {scaled:.2f} | {rss:.0f} | {scaled / lanyard:.1f}× lanyard | {files / scaled:,.0f} | {mb / scaled:.1f} |")
EOF
)
fi

LIN_ROWS=""
if [ "$LINEARITY" = 1 ]; then
  log "linearity: lanyard on scales 1, 4 and 16"
  for s in 1 4 16; do
    dir=$(corpus "$s")
    read -r t u y < <(median "lanyard-scale-$s" "$RUNS" "$LANYARD" check -j "$THREADS" --format json -o /dev/null "$dir")
    LIN_ROWS+="$s $(manifest "$dir" bytes) $t $(python3 -c "print($u + $y)")"$'\n'
  done
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$RESULTS" <<EOF
import sys
mb, files = $MB, $FILES
l, lu, ls, r, ru, rs = $L_MED, $L_USR, $L_SYS, $R_MED, $R_USR, $R_SYS
first = $FIRST
out = []
p = out.append
p(f"Corpus: scale $SCALE, {files:,} files, {mb:.1f} MB scanned (node_modules/ gitignored, not counted); "
  f"$THREADS threads; median of $RUNS runs after one warm-up.")
p(f"Machine: $(nproc) cores, $(uname -srm); load average before {'$LOAD_BEFORE'}, after {'$LOAD_AFTER'}.")
p("")
p("| tool | wall s (median) | peak RSS MB | ratio | files/s | MB/s |")
p("|---|---|---|---|---|---|")
p(f"| lanyard | {l:.3f} | $L_RSS | {l / r:.2f}× rg | {files / l:,.0f} | {mb / l:.1f} |")
p(f"| rg (keyword floor) | {r:.3f} | $R_RSS | 1 | {files / r:,.0f} | {mb / r:.1f} |")
peer_rows = """$PEER_ROWS"""
if peer_rows.strip():
    p(peer_rows.strip())
p("")
p(f"CPU time (user + sys, mean): lanyard {lu + ls:.3f} s, rg {ru + rs:.3f} s ({(lu + ls) / (ru + rs):.2f}×).")
p(f"Planted findings: $PLANTED.")
p(f"Warm re-scan: first run {first:.3f} s, warm median {l:.3f} s ({'not slower' if l <= first * 1.05 else 'SLOWER'}).")
lin = """$LIN_ROWS""".split()
if lin:
    rows = [(int(lin[i]), int(lin[i + 1]) / 1e6, float(lin[i + 2]), float(lin[i + 3])) for i in range(0, len(lin), 4)]
    wall = sorted(t / m * 1000 for _, m, t, _ in rows)
    cpu = sorted(c / m * 1000 for _, m, _, c in rows)
    wmid, cmid = wall[len(wall) // 2], cpu[len(cpu) // 2]
    p("")
    p("| scale | MB | wall s | wall ms/MB | vs median | CPU s | CPU ms/MB | vs median |")
    p("|---|---|---|---|---|---|---|---|")
    for s, m, t, c in rows:
        w, u = t / m * 1000, c / m * 1000
        p(f"| {s} | {m:.1f} | {t:.3f} | {w:.2f} | {(w / wmid - 1) * 100:+.0f}% | {c:.3f} | {u:.2f} | {(u / cmid - 1) * 100:+.0f}% |")
    wok = all(abs(v / wmid - 1) <= 0.25 for v in wall)
    cok = all(abs(v / cmid - 1) <= 0.25 for v in cpu)
    p(f"Linearity (per-MB within ±25% of the median): wall time {'yes' if wok else 'NO'}, CPU time {'yes' if cok else 'NO'}.")
text = "\n".join(out) + "\n"
open(sys.argv[1], "w").write(text)
print(text)
EOF
