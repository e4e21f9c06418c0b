"""Writes the TorchScript models the ONNX tests convert (random weights, fixed seed; nothing is downloaded).

    python onnx_models.py OUT_DIR        # with torch 1.13 (/usr/bin/python3) or torch 2.6 (tools/oracle.sh 2.6)

Writes OUT_DIR/<name>.pt and OUT_DIR/models.json ({name: {"inputs": [[shape]...], "dtype": ...}}). Models a
torch version cannot trace are skipped and listed under "skipped".
"""
import json
import os
import sys

import torch
import torch.nn as nn
from typing import Final


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


class TinyNet(nn.Module):
    """Scripted: a Final flag, a ModuleList loop, an `if` on the input's rank, functional gelu/softmax."""
    residual: Final[bool]

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.gn = nn.GroupNorm(2, 8)
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 4)
        self.residual = True
        self.scale = 0.5

    def forward(self, x):
        x = torch.relu(self.gn(self.bn(self.conv(x))))
        x = x.mean(dim=(2, 3))
        for b in self.blocks:
            if self.residual:
                x = x + torch.nn.functional.gelu(b(x))
            else:
                x = b(x)
        if x.dim() == 2:
            x = x * self.scale
        return torch.log_softmax(self.head(self.norm(x)), dim=-1)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 32), nn.Tanh(), nn.Dropout(0.1),
                                 nn.Linear(32, 8), nn.Sigmoid())

    def forward(self, x):
        y = self.net(x)
        a, b = torch.chunk(y, 2, dim=1)
        return torch.cat([a * b, torch.sqrt(a + 1.0), -b / 2], dim=1).sum(dim=1, keepdim=True)


def build():
    import torchvision
    tv = torchvision.models
    models = {
        "small_cnn": ("trace", SmallCNN(), [(2, 3, 8, 8)]),
        "tiny_net": ("script", TinyNet(), [(2, 3, 8, 8)]),
        "mlp": ("trace", MLP(), [(4, 16)]),
        "resnet18": ("trace", tv.resnet18(), [(1, 3, 64, 64)]),
        "mobilenet_v2": ("trace", tv.mobilenet_v2(), [(1, 3, 64, 64)]),
        "mobilenet_v3_small": ("trace", tv.mobilenet_v3_small(), [(1, 3, 64, 64)]),
        "transformer_layer": ("trace", nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), [(2, 5, 32)]),
    }
    return models


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest, skipped = {}, {}
    for name, (how, model, shapes) in build().items():
        torch.manual_seed(sum(map(ord, name)))
        model.eval()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.01)
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
        xs = tuple(torch.randn(*s) for s in shapes)
        try:
            if how == "script":
                sm = torch.jit.script(model)
            else:
                sm = torch.jit.trace(model, xs, check_trace=False)
            torch.jit.save(sm, os.path.join(out, name + ".pt"))
            manifest[name] = {"inputs": [list(s) for s in shapes]}
        except Exception as e:  # a torch version that cannot trace this model
            skipped[name] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump({"torch": torch.__version__, "models": manifest, "skipped": skipped}, f, indent=1)


if __name__ == "__main__":
    main()
