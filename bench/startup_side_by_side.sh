#!/usr/bin/env bash
# Whole-process times of `pt`, JIT (framework-dependent build) and Native AOT, side by side with the Python
# equivalents, median of N runs each (issue 11). See bench/README.md, "Start-up".
#
#   bash bench/startup_side_by_side.sh [--runs N] [--data DIR] [--aot PATH_TO_NATIVE_PT] [--quiet-wait SECONDS]
#
# DATA_DIR (default $PTSHARP_BENCH_DATA or /tmp/ptsharp-bench) must hold many_20k.pt (bench/make_bench_data.py).
# Without --aot the native binary is published to /tmp/ptsharp-aot (dotnet publish -r linux-x64, a minute or two).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py=/usr/bin/python3   # the interpreter with real torch 1.13
runs=11
data="${PTSHARP_BENCH_DATA:-/tmp/ptsharp-bench}"
aot=""
quiet_wait=120
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --data) data="$2"; shift ;;
    --aot) aot="$2"; shift ;;
    --quiet-wait) quiet_wait="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 1 ;;
  esac
  shift
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
source "$here/lib.sh"
log() { printf '[startup] %s\n' "$*" >&2; }
cd "$repo"

[ -f "$data/many_20k.pt" ] || { log "making fixtures in $data"; "$py" bench/make_bench_data.py "$data"; }
log "building the JIT pt (Release, framework-dependent)"
dotnet build src/PtSharp.Cli/PtSharp.Cli.csproj -c Release -nologo -v q >&2
jit=(src/PtSharp.Cli/bin/Release/net10.0/pt)   # the apphost: what a framework-dependent tool install runs
if [ -z "$aot" ]; then
  log "publishing the Native AOT pt to /tmp/ptsharp-aot"
  dotnet publish src/PtSharp.Cli/PtSharp.Cli.csproj -c Release -r linux-x64 -nologo -v q -o /tmp/ptsharp-aot >&2
  aot=/tmp/ptsharp-aot/pt
fi

# median_ms CMD...: median wall time in ms over $runs runs (one untimed warm-up run first: warm page cache).
median_ms() {
  "$@" >/dev/null 2>&1 || true
  local times=() start end
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'
}

wait_for_quiet_machine "$quiet_wait" startup
load_before="$(loadavg)"
small=samples/tiny_mlp.pt
many="$data/many_20k.pt"
fixtures=tests/fixtures

log "timing (median of $runs runs each)"
jit_small=$(median_ms "${jit[@]}" inspect "$small")
aot_small=$(median_ms "$aot" inspect "$small")
jit_many=$(median_ms "${jit[@]}" inspect --json "$many")
aot_many=$(median_ms "$aot" inspect --json "$many")
torch_many=$(median_ms "$py" -c "import sys, torch; torch.load(sys.argv[1])" "$many")
jit_scan=$(median_ms "${jit[@]}" scan -r "$fixtures")
aot_scan=$(median_ms "$aot" scan -r "$fixtures")
py_scan=$(median_ms "$py" bench/pickletools_scan.py "$fixtures")
load_after="$(loadavg)"

row() { printf '| %-52s | %9s | %9s | %s |\n' "$1" "$2" "$3" "$4"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "le") ? (r <= t) : (r >= t); printf "%s", ok ? "PASS" : "MISS" }'; }
echo
echo "whole process, median of $runs runs, ms; $(nproc) cores; load average $load_before / $load_after"
echo
row "case" "JIT pt" "AOT pt" "target"
row "---" "---:" "---:" "---"
row "pt inspect $small" "$jit_small" "$aot_small" "AOT <= 40 ms: $(verdict "$aot_small" 40 le)"
row "pt inspect --json many_20k.pt" "$jit_many" "$aot_many" \
  "python torch.load $torch_many ms: AOT $(ratio "$torch_many" "$aot_many") faster (>= 3x: $(verdict "$(awk -v a="$torch_many" -v b="$aot_many" 'BEGIN{print a/b}')" 3 ge)), JIT $(ratio "$torch_many" "$jit_many")"
row "pt scan -r $fixtures" "$jit_scan" "$aot_scan" \
  "pickletools_scan.py $py_scan ms: AOT $(ratio "$py_scan" "$aot_scan") faster (>= 5x: $(verdict "$(awk -v a="$py_scan" -v b="$aot_scan" 'BEGIN{print a/b}')" 5 ge)), JIT $(ratio "$py_scan" "$jit_scan")"
note_if_busy "$load_before" startup
