#!/usr/bin/env bash
# ONNX conversion benchmark: `pt convert model.pt model.onnx` vs torch.onnx.export (torch 2.6) of the same traced
# TorchScript file, whole process each, one run each, side by side; then op counts and ONNX Runtime latency of both.
#   bash bench/onnx_side_by_side.sh            (needs the torch 2.6 chroot; builds the CLI in Release)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ptsharp-onnx-bench.XXXX)
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/src/PtSharp.Cli/PtSharp.Cli.csproj" -c Release -nologo -v q >/dev/null
pt="$repo/src/PtSharp.Cli/bin/Release/net10.0/pt"
cat > "$work/make.py" <<'PY'
import sys, torch, torch.nn as nn, torchvision
torch.manual_seed(0)
out = sys.argv[1]
torch.jit.save(torch.jit.trace(torchvision.models.resnet18().eval(), torch.randn(1, 3, 224, 224)), out + "/resnet18.pt")
layer = nn.TransformerEncoderLayer(512, 8, 2048, batch_first=True).eval()
torch.jit.save(torch.jit.trace(layer, torch.randn(1, 128, 512), check_trace=False), out + "/transformer.pt")
PY
bash "$repo/tools/oracle.sh" 2.6 "$work/make.py" "$work" 2>/dev/null
now() { date +%s.%N; }
for spec in "resnet18 1,3,224,224 cnn" "transformer 1,128,512 transformer"; do
  set -- $spec
  t0=$(now); "$pt" convert "$work/$1.pt" "$work/$1.ptsharp.onnx" --input-shape "$2" -q; t1=$(now)
  bash "$repo/tools/oracle.sh" 2.6 "$repo/bench/onnx_export_torch.py" "$work/$1.pt" "$work/$1.torch.onnx" "$2" "$3" >/dev/null 2>&1; t2=$(now)
  python3 -c "a=$t1-$t0; b=$t2-$t1; print(f'$1: pt convert {a:.2f} s, torch.onnx.export {b:.2f} s, {b/a:.1f}x')"
  bash "$repo/tools/oracle.sh" 2.6 "$repo/bench/onnx_compare.py" "$work/$1.ptsharp.onnx" "$work/$1.torch.onnx" "$2" 100 2>/dev/null \
    | grep -v '^Schema error\|^$'
done
