"""torch 2.6 side of the ONNX benchmark: torch.onnx.export (TorchScript exporter, opset 17) of the model in a
TorchScript archive (the same file PtSharp reads). torch.onnx.export of the loaded ScriptModule fails for the
transformer layer (scaled_dot_product_attention in a ScriptModule), so that one is exported as the eager
nn.TransformerEncoderLayer with the archive's weights, as a user would export it.

    tools/oracle.sh 2.6 bench/onnx_export_torch.py MODEL.pt OUT.onnx SHAPE [transformer]
"""
import sys

import torch

m = torch.jit.load(sys.argv[1]).eval()
x = torch.randn(*[int(d) for d in sys.argv[3].split(",")])
if len(sys.argv) > 4 and sys.argv[4] == "transformer":
    eager = torch.nn.TransformerEncoderLayer(x.shape[-1], 8, 4 * x.shape[-1], batch_first=True).eval()
    eager.load_state_dict(m.state_dict())

    class Layer(torch.nn.Module):  # is_causal as a Python constant: exported from forward(x) it arrives as a tensor
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def forward(self, src):
            return self.layer(src, src_mask=None, is_causal=False)

    m = Layer(eager).eval()
torch.onnx.export(m, (x,), sys.argv[2], opset_version=17, dynamo=False, input_names=["x"], output_names=["output"])
