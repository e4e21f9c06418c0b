#!/usr/bin/env bash
# pt quantize / pt prune vs the same done with torch 1.13 (bench/optimize_torch.py), whole processes, one run each,
# on bench/make_bench_data.py's 1 GiB state dict. Prints wall seconds and peak RSS per command; then the in-process
# managed allocation of the library calls (bench/PtSharp.OptimizeBench). Results: bench/OPTIMIZE.md.
#
#   bash bench/optimize_side_by_side.sh [DATA_DIR]
set -euo pipefail
PREFIX=optimize
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib.sh"
data=${1:-${PTSHARP_BENCH_DATA:-/tmp/ptsharp-bench}}
big="$data/big_1gib.pt"
[ -f "$big" ] || /usr/bin/python3 "$here/make_bench_data.py" "$data"
dotnet build "$repo/src/PtSharp.Cli/PtSharp.Cli.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$here/PtSharp.OptimizeBench/PtSharp.OptimizeBench.csproj" -c Release -nologo -v q >/dev/null
pt="$repo/src/PtSharp.Cli/bin/Release/net10.0/pt"
out="$data/optimize_out.pt"
cat "$big" >/dev/null  # page cache warm for everyone

run() {  # run LABEL COMMAND...: one whole-process run, "LABEL seconds peak-RSS-MiB"
  local label=$1; shift
  local load; load=$(loadavg)
  local t; /usr/bin/time -o "$data/optimize_time.txt" -f '%e %M' "$@" >/dev/null 2>&1; t=$(tail -1 "$data/optimize_time.txt")
  rm -f "$out"; sync
  note_if_busy "$load" "$PREFIX"
  awk -v l="$label" '{ printf "%-28s %8.2f s %8.0f MiB peak RSS\n", l, $1, $2 / 1024 }' <<<"$t"
}

run "pt quantize" "$pt" quantize "$big" "$out"
run "torch 1.13 quantize_dynamic" /usr/bin/python3 "$here/optimize_torch.py" quantize "$big" "$out"
run "pt prune --amount 0.3" "$pt" prune "$big" "$out" --amount 0.3
run "torch 1.13 l1_unstructured" /usr/bin/python3 "$here/optimize_torch.py" prune "$big" "$out"
dotnet "$here/PtSharp.OptimizeBench/bin/Release/net10.0/PtSharp.OptimizeBench.dll" "$data"
