"""Writes the TorchScript models the ONNX tests convert (random weights, fixed seed; nothing is downloaded).

    python onnx_models.py OUT_DIR        # with torch 1.13 (/usr/bin/python3) or torch 2.6 (tools/oracle.sh 2.6)

Writes OUT_DIR/<name>.pt and OUT_DIR/models.json ({name: {"inputs": [[shape]...], "dtype": ...}}). Models a
torch version cannot trace are skipped and listed under "skipped". Under "modules" it lists the graph sources
without code: complete pickled models (torch.save(model)) and state dicts of torchvision architectures, each with
the writing torch's own forward on seeded inputs (<name>.ref_in0.npy / <name>.ref_out0.npy), and the pickled models
the converter must refuse (error_*).
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


class OpZoo(nn.Module):
    """One traced graph touching the shape, pooling, activation and reduction ops of the mapping table."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 6)
        self.conv1d = nn.Conv1d(4, 4, 3, padding=1)
        self.gn = nn.GroupNorm(2, 4)

    def forward(self, x):  # x: (2, 4, 8, 8)
        a = torch.max_pool2d(x, 2, 2)
        b = torch.nn.functional.avg_pool2d(x, 2, 2)
        c = torch.nn.functional.adaptive_avg_pool2d(x, 2)
        y = torch.cat([a, b], dim=1)[:, 2:6]
        y = torch.nn.functional.hardswish(y) + torch.nn.functional.hardsigmoid(b) * a.pow(2) - torch.neg(a) + c.sum(dim=(2, 3), keepdim=True)
        y = torch.nn.functional.gelu(y) + torch.nn.functional.relu6(y) + torch.nn.functional.leaky_relu(y, 0.2)
        z = y.permute(0, 2, 3, 1).reshape(2, -1, 4).transpose(1, 2)      # (2, 4, 16)
        z = self.gn(self.conv1d(z).unsqueeze(-1)).squeeze(-1)
        p, q = torch.split(z, [6, 10], dim=2)
        s = torch.stack([p.mean(dim=2), q.sum(dim=2)], dim=1)            # (2, 2, 4)
        t = s.select(1, 0) + s[:, 1, 1:3].sum(dim=1, keepdim=True)
        e = self.emb(torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])).mean(dim=-1)
        u = torch.softmax(t + e, dim=-1) + torch.log_softmax(t, dim=1) + torch.exp(t).sqrt() / 3
        return torch.flatten(u, 0), torch.tanh(z).view(2, 64)


class Net(nn.Module):
    """User code: pickled as __main__.Net, its forward is not in the file."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) * 2


class UnknownOp(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1)


class DataDependentIf(nn.Module):
    def forward(self, x):
        if bool(x.sum() > 0):
            return x * 2
        return x


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
        "op_zoo": ("trace", OpZoo(), [(2, 4, 8, 8)]),
        "error_unknown_op": ("trace", UnknownOp(), [(2, 3)]),
        "error_data_dependent_if": ("script", DataDependentIf(), [(2, 3)]),
    }
    return models


def randomize(name, model):
    torch.manual_seed(sum(map(ord, name)))
    model.eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model


def build_module_sources():
    """name -> (model, saved as "pickle" (torch.save(model)) or "state_dict", arch or None, input shapes)."""
    import torchvision
    tv = torchvision.models
    mlp = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.LayerNorm(32), nn.Linear(32, 32), nn.GELU(),
                        nn.Dropout(0.1), nn.Linear(32, 8), nn.Tanh(), nn.Linear(8, 4), nn.Softmax(dim=-1))
    return {
        "resnet18_pickled": (tv.resnet18(), "pickle", None, [(1, 3, 64, 64)]),
        "squeezenet1_1_pickled": (tv.squeezenet1_1(), "pickle", None, [(1, 3, 64, 64)]),
        "mlp_pickled": (mlp, "pickle", None, [(4, 16)]),
        "resnet18_state_dict": (tv.resnet18(num_classes=10), "state_dict", "resnet18", [(1, 3, 64, 64)]),
        "squeezenet1_1_state_dict": (tv.squeezenet1_1(num_classes=10), "state_dict", "squeezenet1_1",
                                     [(1, 3, 64, 64)]),
        "error_user_class": (Net(), "pickle", None, [(1, 4)]),
        "error_unsupported_layer": (nn.Sequential(nn.Linear(8, 8), nn.Sequential(nn.ReLU(), nn.LSTM(8, 8))),
                                    "pickle", None, [(1, 8)]),
        "error_unknown_layer": (nn.Sequential(nn.Conv2d(3, 4, 3), nn.ConvTranspose2d(4, 2, 3)), "pickle", None,
                                [(1, 3, 8, 8)]),
    }


def write_module_sources(out):
    import numpy as np
    manifest = {}
    for name, (model, how, arch, shapes) in build_module_sources().items():
        randomize(name, model)
        path = os.path.join(out, name + ".pt")
        torch.save(model if how == "pickle" else model.state_dict(), path)
        entry = {"inputs": [list(s) for s in shapes], "load": how}
        if arch:
            entry["arch"] = arch
            entry["num_classes"] = 10
        manifest[name] = entry
        if name.startswith("error_"):
            continue
        # The writing torch's own forward of what it saved: the pickled module loaded back, or the architecture
        # rebuilt from the state dict (seeded inputs, saved next to the file for the checker).
        if how == "pickle":
            original = torch.load(path, weights_only=False).eval()
        else:
            original = getattr(__import__("torchvision").models, arch)(num_classes=10).eval()
            original.load_state_dict(torch.load(path))
        g = torch.Generator().manual_seed(1)
        xs = [torch.randn(*s, generator=g) for s in shapes]
        with torch.no_grad():
            y = original(*xs)
        for i, x in enumerate(xs):
            np.save(os.path.join(out, name + ".ref_in%d.npy" % i), x.numpy())
        np.save(os.path.join(out, name + ".ref_out0.npy"), y.numpy())
    return manifest


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest, skipped = {}, {}
    for name, (how, model, shapes) in build().items():
        randomize(name, model)
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
    modules = write_module_sources(out)
    if torch.__version__ >= "2":
        export_for_like(out)
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump({"torch": torch.__version__, "models": manifest, "modules": modules, "skipped": skipped}, f,
                  indent=1)


def export_for_like(out):
    """resnet18 exported by torch.onnx.export (unfused: TrainingMode.PRESERVE; and the default, BN folded into Conv),
    then "retrained": new weights as a state dict, plus the retrained model traced as the oracle."""
    import torchvision
    torch.manual_seed(7)
    m = torchvision.models.resnet18().eval()
    with torch.no_grad():  # distinct values: torch.onnx.export merges initializers that are equal
        for t in list(m.parameters()) + [b for b in m.buffers() if b.dtype.is_floating_point]:
            t.add_(torch.rand_like(t) * 0.1)
    x = torch.randn(1, 3, 64, 64)
    torch.onnx.export(m, (x,), os.path.join(out, "resnet18_export.onnx"), opset_version=17, dynamo=False,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["x"])
    torch.onnx.export(m, (x,), os.path.join(out, "resnet18_export_fused.onnx"), opset_version=17, dynamo=False,
                      input_names=["x"])
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(0.9).add_(0.001)
        for b in m.buffers():
            if b.dtype.is_floating_point:
                b.mul_(1.05)
    torch.save(m.state_dict(), os.path.join(out, "resnet18_retrained.pt"))
    torch.jit.save(torch.jit.trace(m, x), os.path.join(out, "resnet18_retrained_ts.pt"))


if __name__ == "__main__":
    main()
