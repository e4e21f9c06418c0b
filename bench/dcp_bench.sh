#!/usr/bin/env bash
# DCP folder (1 GiB, 4 writers, written by torch 2.6 with 4 gloo processes) -> one .safetensors:
# PtSharp's `pt convert` vs torch 2.6's dcp_to_torch_save + a safetensors write, whole process each, one run.
# Results go in bench/DCP.md.
#
#   bash bench/dcp_bench.sh [DATA_DIR]       (default /tmp/ptsharp-dcp-bench; the folder is made if missing)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
data="${1:-/tmp/ptsharp-dcp-bench}"
folder="$data/bench"
mkdir -p "$data"
if [ ! -f "$folder/.metadata" ]; then
  bash "$repo/tools/oracle.sh" 2.6 "$repo/tests/interop/dcp_fixtures.py" "$data" bench 1073741824 2> "$data/gen.log"
fi
dotnet build "$repo/src/PtSharp.Cli" -c Release -nologo -v q > /dev/null
dotnet build "$repo/bench/PtSharp.ConvertBench" -c Release -nologo -v q > /dev/null
pt="$repo/src/PtSharp.Cli/bin/Release/net10.0/pt.dll"
bench="$repo/bench/PtSharp.ConvertBench/bin/Release/net10.0/PtSharp.ConvertBench.dll"

du -sh "$folder"
cat "$folder"/* > /dev/null   # the same warm page cache for every run
measure() {  # label, command...: wall seconds and peak RSS of the whole process
  local label=$1; shift
  rm -f "$data"/out_*.safetensors; sync
  /usr/bin/time -f "$label: %e s wall, %M KiB max RSS" "$@"
}
measure "ptsharp (pt convert, verified)" dotnet "$pt" convert "$folder" "$data/out_pt.safetensors" -q
measure "ptsharp (pt convert --no-verify)" dotnet "$pt" convert "$folder" "$data/out_pt.safetensors" -q --no-verify
measure "torch 2.6 (dcp_to_torch_save + load + safetensors write)" bash "$repo/tools/oracle.sh" 2.6 "$here/dcp_torch.py" "$folder" "$data/out_torch.safetensors"
measure "torch 2.6 (in-memory _load_state_dict + safetensors write)" bash "$repo/tools/oracle.sh" 2.6 "$here/dcp_torch.py" "$folder" "$data/out_torch.safetensors" --in-memory
rm -f "$data"/out_*.safetensors; sync
echo "managed allocation of one in-process conversion (verified):"
dotnet "$bench" --dcp "$folder" "$data/out_alloc.safetensors"
rm -f "$data"/out_*.safetensors
