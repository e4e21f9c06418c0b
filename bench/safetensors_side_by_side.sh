#!/usr/bin/env bash
# `pt convert` of the 1 GiB state dict to safetensors and back, against torch doing the same in Python
# (torch.load + safetensors written by hand; safetensors read by hand + torch.save). See bench/SAFETENSORS.md.
#
#   bash bench/safetensors_side_by_side.sh [DATA_DIR] [--loops N] [--quiet-wait SECONDS] [--strict]
#
# DATA_DIR defaults to $PTSHARP_BENCH_DATA or /tmp/ptsharp-bench; big_1gib.pt is made there if missing
# (bench/make_bench_data.py). Prints a ratio table and writes DATA_DIR/safetensors_side_by_side.json.
#   --loops N        timed iterations per case (default 3, after one warm-up)
#   --quiet-wait N   wait up to N seconds (default 180) for the 1-minute load average to drop below 1.0
#   --strict         exit 1 when a target is missed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py=/usr/bin/python3   # the interpreter with real torch

data="${PTSHARP_BENCH_DATA:-/tmp/ptsharp-bench}"
loops=3
quiet_wait=180
strict=()
while [ $# -gt 0 ]; do
  case "$1" in
    --loops) loops="$2"; shift ;;
    --quiet-wait) quiet_wait="$2"; shift ;;
    --strict) strict=(--strict) ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) data="$1" ;;
  esac
  shift
done
mkdir -p "$data"
data="$(cd "$data" && pwd)"
export PTSHARP_BENCH_DATA="$data" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source "$here/lib.sh"
log() { printf '[safetensors_side_by_side] %s\n' "$*" >&2; }

log "building bench/PtSharp.ConvertBench and the pt CLI (Release)"
dotnet build -c Release -nologo -v q "$repo/bench/PtSharp.ConvertBench/PtSharp.ConvertBench.csproj" >&2
dotnet build -c Release -nologo -v q "$repo/src/PtSharp.Cli/PtSharp.Cli.csproj" >&2
pt_dll="$repo/src/PtSharp.Cli/bin/Release/net10.0/pt.dll"

if [ ! -f "$data/big_1gib.pt" ]; then
  log "making fixtures in $data"
  "$py" "$repo/bench/make_bench_data.py" "$data"
fi

wait_for_quiet_machine "$quiet_wait" safetensors_side_by_side
load_before="$(loadavg)"
log "load average before measuring: $load_before"

py_json="$data/safetensors_torch.json"
cs_json="$data/safetensors_ptsharp.json"
cli_json="$data/safetensors_cli.json"

log "timing torch (one Python process)"
"$py" "$repo/bench/safetensors_torch.py" "$data" --loops "$loops" > "$py_json"

log "timing PtSharp in process (CheckpointConverter, the pipeline pt convert runs)"
dotnet run -c Release --no-build --project "$repo/bench/PtSharp.ConvertBench/PtSharp.ConvertBench.csproj" -- "$data" --loops "$loops" > "$cs_json"

log "timing the pt convert process end to end (startup included)"
"$py" - "$pt_dll" "$data" "$loops" > "$cli_json" <<'PY'
import json, os, statistics, subprocess, sys, time
dll, data, loops = sys.argv[1], sys.argv[2], int(sys.argv[3])
big = os.path.join(data, "big_1gib.pt")
st, back = os.path.join(data, "cli_model.safetensors"), os.path.join(data, "cli_back.pt")
def run(src, dst):
    subprocess.run(["dotnet", dll, "convert", src, dst, "--quiet"], check=True)
def timed(src, dst):
    times = []
    for i in range(loops + 1):
        if os.path.exists(dst): os.remove(dst)
        os.sync()
        t0 = time.perf_counter(); run(src, dst); dt = time.perf_counter() - t0
        if i: times.append(dt)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "loops": loops}
out = {"cases": {"pt_to_st": timed(big, st)}}
out["cases"]["st_to_pt"] = timed(st, back)
for p in (st, back):
    if os.path.exists(p): os.remove(p)
print(json.dumps(out, indent=1))
PY

load_after="$(loadavg)"
echo
status=0
"$py" "$repo/bench/safetensors_compare.py" "$py_json" "$cs_json" --cli "$cli_json" --out "$data/safetensors_side_by_side.json" \
  --load "$load_before / $load_after" "${strict[@]}" || status=$?
echo
log "raw results: $py_json, $cs_json, $cli_json"
note_if_busy "$load_before" safetensors_side_by_side
exit "$status"
