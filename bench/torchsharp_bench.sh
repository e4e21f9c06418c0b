#!/usr/bin/env bash
# TorchSharp load benchmark: PtSharp.TorchSharp LoadPt vs TorchSharp.PyBridge load_py vs Python
# model.load_state_dict(torch.load(...)), for resnet18 and the 1 GiB state dict. Short runs (shared machine).
#   bench/torchsharp_bench.sh [DATA_DIR] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-/tmp/ptsharp-bench}
n=${2:-3}
[ -f "$data/big_1gib.pt" ] || /usr/bin/python3 bench/make_bench_data.py "$data"
dotnet build bench/PtSharp.TorchSharpBench -c Release -nologo -v q | tail -2
bash tools/chroot-exec.sh dotnet bench/PtSharp.TorchSharpBench/bin/Release/net10.0/PtSharp.TorchSharpBench.dll "$data" "$n"
bash tools/chroot-exec.sh python3 bench/torchsharp_python.py "$data" "$n"
