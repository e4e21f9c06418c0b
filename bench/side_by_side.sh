#!/usr/bin/env bash
# PtSharp vs torch.load and torch.save, side by side on this machine. See bench/README.md.
#
#   bash bench/side_by_side.sh [DATA_DIR] [--clean] [--quiet-wait SECONDS] [--strict] [--only read|write]
#
# DATA_DIR defaults to $PTSHARP_BENCH_DATA or /tmp/ptsharp-bench (about 1.1 GB of fixtures, made if missing).
#   --clean            delete DATA_DIR's fixtures when done
#   --quiet-wait N     before measuring, wait up to N seconds (default 180) for the 1-minute load average to drop
#                      below 1.0: both cores are shared with builds and tests, and they skew every timing
#   --strict           exit 1 when a target is missed
#   --only read|write  time only the read cases (open, materialize) or only the write cases (save, copy)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py=/usr/bin/python3   # the interpreter with real torch; `python3` on PATH may not have it

data="${PTSHARP_BENCH_DATA:-/tmp/ptsharp-bench}"
clean=0
quiet_wait=180
strict=()
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --clean) clean=1 ;;
    --quiet-wait) quiet_wait="$2"; shift ;;
    --strict) strict=(--strict) ;;
    --only) only=(--only "$2"); shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) data="$1" ;;
  esac
  shift
done
mkdir -p "$data"
data="$(cd "$data" && pwd)"
export PTSHARP_BENCH_DATA="$data"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

source "$here/lib.sh"
log() { printf '[side_by_side] %s\n' "$*" >&2; }

log "building bench/PtSharp.Benchmarks (Release)"
dotnet build -c Release -nologo -v q "$repo/bench/PtSharp.Benchmarks/PtSharp.Benchmarks.csproj" >&2

if [ ! -f "$data/big_1gib.pt" ] || [ ! -f "$data/many_20k.pt" ] || [ ! -f "$data/resnet18.pt" ]; then
  log "making fixtures in $data"
  "$py" "$repo/bench/make_bench_data.py" "$data"
fi

wait_for_quiet_machine "$quiet_wait" side_by_side
load_before="$(loadavg)"
log "load average before measuring: $load_before"

torch_json="$data/torch_timings.json"
dotnet_json="$data/ptsharp_timings.json"
combined_json="$data/side_by_side.json"

log "timing torch.load / torch.save (one Python process, warm page cache)"
"$py" "$repo/bench/torch_timings.py" "$data" "${only[@]}" > "$torch_json"

log "timing PtSharp (--side-by-side, one .NET process, warm page cache)"
dotnet run -c Release --no-build --project "$repo/bench/PtSharp.Benchmarks/PtSharp.Benchmarks.csproj" -- --side-by-side "$data" "${only[@]}" > "$dotnet_json"
rm -f "$data/torch_save_out.pt" "$data/ptsharp_write_out.pt" "$data"/.ptsharp_write_out.pt.*.tmp

load_after="$(loadavg)"
echo
status=0
"$py" "$repo/bench/compare.py" "$torch_json" "$dotnet_json" --out "$combined_json" --load "$load_before / $load_after" "${strict[@]}" || status=$?
echo
log "raw results: $torch_json, $dotnet_json; combined: $combined_json"
note_if_busy "$load_before" side_by_side

if [ "$clean" -eq 1 ]; then
  log "removing fixtures in $data"
  rm -f "$data/big_1gib.pt" "$data/many_20k.pt" "$data/resnet18.pt"
fi
exit "$status"
