"""torch 2.6 side of the ONNX benchmark: torch.onnx.export of a TorchScript archive (the same file PtSharp reads).

    tools/oracle.sh 2.6 bench/onnx_export_torch.py MODEL.pt OUT.onnx SHAPE   (SHAPE like 1,3,224,224)
"""
import sys

import torch

m = torch.jit.load(sys.argv[1]).eval()
x = torch.randn(*[int(d) for d in sys.argv[3].split(",")])
torch.onnx.export(m, (x,), sys.argv[2], opset_version=17, dynamo=False, input_names=["x"], output_names=["output"])
