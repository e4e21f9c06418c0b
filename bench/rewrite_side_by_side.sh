#!/usr/bin/env bash
# Rewriting the 1 GiB fixture (issue 11): `pt convert` .pt -> .pt against the floor of an in-kernel copy + fsync,
# and saving resident tensors against torch.save, in one run. See bench/README.md ("Rewrite cases").
#
#   bash bench/rewrite_side_by_side.sh [DATA_DIR] [--iterations N] [--quiet-wait SECONDS]
#
# DATA_DIR defaults to $PTSHARP_BENCH_DATA or /tmp/ptsharp-bench (fixtures made by make_bench_data.py if missing).
# Every case: one warm-up, then the median of N (default 3) timed runs; outputs go to DATA_DIR (same file system)
# and are deleted, with dirty pages synced, outside the timed region.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
py=/usr/bin/python3
data="${PTSHARP_BENCH_DATA:-/tmp/ptsharp-bench}"
iterations=3
quiet_wait=60
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift ;;
    --quiet-wait) quiet_wait="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) data="$1" ;;
  esac
  shift
done
mkdir -p "$data"
data="$(cd "$data" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
source "$here/lib.sh"
log() { printf '[rewrite] %s\n' "$*" >&2; }

log "building bench/PtSharp.Benchmarks and the pt CLI (Release)"
dotnet build -c Release -nologo -v q "$repo/bench/PtSharp.Benchmarks/PtSharp.Benchmarks.csproj" >&2
dotnet build -c Release -nologo -v q "$repo/src/PtSharp.Cli/PtSharp.Cli.csproj" >&2
pt="$(ls "$repo"/src/PtSharp.Cli/bin/Release/net*/pt | head -n1)"
[ -f "$data/big_1gib.pt" ] || "$py" "$here/make_bench_data.py" "$data"
big="$data/big_1gib.pt"
out="$data/rewrite_out.pt"

wait_for_quiet_machine "$quiet_wait" rewrite
load_before="$(loadavg)"
log "load average before measuring: $load_before"

# median_of N CMD...: runs CMD once to warm up, then N times, and prints the median wall time in seconds.
median_of() {
  local n="$1"; shift
  local times=()
  reset_out; "$@" >/dev/null
  for _ in $(seq "$n"); do
    reset_out
    local t0 t1
    t0="$(date +%s.%N)"; "$@" >/dev/null; t1="$(date +%s.%N)"
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  reset_out
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
reset_out() { rm -f "$out" "$data"/.rewrite_out.pt.*.tmp; sync; }
cp_sync() { cp --reflink=never "$big" "$out" && sync "$out"; }

log "timing cp --reflink=never + sync FILE, and the pt convert process"
cp_s="$(median_of "$iterations" cp_sync)"
convert_s="$(median_of "$iterations" "$pt" convert "$big" "$out" --quiet)"

log "timing torch.save of the state dict in memory (torch $("$py" -c 'import torch; print(torch.__version__)'))"
torch_s="$("$py" - "$big" "$data/torch_rewrite_out.pt" "$iterations" <<'PY'
import os, statistics, sys, time, torch
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sd = torch.load(src, weights_only=True)
times = []
for k in range(n + 1):
    if os.path.exists(out): os.remove(out)
    os.sync()
    t0 = time.perf_counter(); torch.save(sd, out); t1 = time.perf_counter()
    if k: times.append(t1 - t0)
os.remove(out)
print(statistics.median(times))
PY
)"

log "timing PtSharp in one .NET process (File.Copy + fsync, convert, PtWriter.Save)"
json="$(dotnet run -c Release --no-build --project "$repo/bench/PtSharp.Benchmarks/PtSharp.Benchmarks.csproj" -- \
  --rewrite "$data" "$iterations")"
load_after="$(loadavg)"

"$py" - "$cp_s" "$convert_s" "$torch_s" "$load_before / $load_after" <<PY
import json, sys
cp, convert_proc, torch_save, load = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
c = json.loads('''$json''')["cases"]
m = {k: v["median_s"] for k, v in c.items()}
floor = m["file_copy_fsync"]
rows = [
    ("File.Copy + fsync (the floor)", floor, "1.00x", ""),
    ("cp --reflink=never + sync FILE", cp, f"{cp / floor:.2f}x of floor", ""),
    ("pt convert .pt -> .pt, in process", m["convert"], f"{m['convert'] / floor:.2f}x of floor",
     "PASS" if m["convert"] <= 1.2 * floor else "MISS (<= 1.2x)"),
    ("pt convert .pt -> .pt, whole process", convert_proc, f"{convert_proc / floor:.2f}x of floor",
     "PASS" if convert_proc <= 1.2 * floor else "MISS (<= 1.2x)"),
    ("  same, kernel copy off (mapped copy)", m["convert_mapped_copy"], f"{m['convert_mapped_copy'] / floor:.2f}x of floor", ""),
    ("  same, --no-verify", m["convert_no_verify"], f"{m['convert_no_verify'] / floor:.2f}x of floor", ""),
    ("PtWriter.Save(path) of the mapped file", m["save_mapped"], f"{m['save_mapped'] / floor:.2f}x of floor", ""),
    ("  same, kernel copy off (mapped copy)", m["save_mapped_copy"], f"{m['save_mapped_copy'] / floor:.2f}x of floor", ""),
    ("torch.save (no fsync), tensors in memory", torch_save, "", ""),
    ("PtWriter.Save(path) resident, with fsync", m["save_resident"],
     f"{torch_save / m['save_resident']:.2f}x torch.save's speed",
     "PASS" if m["save_resident"] <= torch_save else "MISS (>= 1x)"),
    ("PtWriter.Save(stream) resident, no fsync", m["save_resident_nosync"],
     f"{torch_save / m['save_resident_nosync']:.2f}x torch.save's speed", ""),
]
print(f"rewrite of the 1 GiB fixture, median of {c['convert']['iterations']} (load average {load}):")
for name, s, ratio, verdict in rows:
    print(f"  {name:<44} {s:7.3f} s  {ratio:<28} {verdict}")
PY
note_if_busy "$load_before" rewrite
