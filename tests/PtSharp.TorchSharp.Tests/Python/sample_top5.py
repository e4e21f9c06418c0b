"""Torch's top-5 for the TorchSharpClassify sample's two modes, on the sample's own input
(torch.linspace(0, 1, 3*S*S).reshape(1, 3, S, S)).

    python sample_top5.py OUT_DIR

Writes OUT_DIR/resnet18_1000.pt (a torchvision resnet18 state dict, 1000 classes, random weights, seed 7, BatchNorm
stats from two train-mode passes, fc scaled for a peaked softmax) and OUT_DIR/top5.json:
{"tiny_cnn": [[class, probability], ...], "resnet18": [...]}.
"""
import json
import os
import sys

import torch
import torchvision

out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
sample = os.path.join(here, "..", "..", "..", "samples", "tiny_cnn_model.pt")


def top5(model, side):
    x = torch.linspace(0, 1, 3 * side * side).reshape(1, 3, side, side)
    with torch.no_grad():
        p = model(x).softmax(1)[0]
    top = p.topk(5)
    return [[i, v] for i, v in zip(top.indices.tolist(), top.values.tolist())]


result = {"tiny_cnn": top5(torch.load(sample, weights_only=False).eval(), 32)}
torch.manual_seed(7)
resnet = torchvision.models.resnet18()
resnet.train()
with torch.no_grad():
    for _ in range(2):
        resnet(torch.randn(2, 3, 64, 64))
resnet.eval()
with torch.no_grad():  # peakier logits, so the top-5 are well apart (random weights give ~1/1000 each)
    resnet.fc.weight.mul_(40)
torch.save(resnet.state_dict(), os.path.join(out, "resnet18_1000.pt"))
result["resnet18"] = top5(resnet, 224)
with open(os.path.join(out, "top5.json"), "w") as f:
    json.dump(result, f)
