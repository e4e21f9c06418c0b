#!/usr/bin/python3
"""Writes the inputs of the pt report browser tests into DIR, and torch's own statistics of their tensors.

  resnet18.pt          torchvision resnet18(weights=None) state_dict (seed 0)
  resnet18_script.pt   the same model, torch.jit.script
  ckpt_a.pt, ckpt_b.pt training checkpoints of a small CNN: model_state_dict, Adam optimizer_state_dict, epoch,
                       loss, config; B is a few steps later, with one key removed, one added and one dtype changed
  hostile.pt           a state dict with markup in its key names and string values, NaN/inf, an all-zero tensor
                       and a tensor whose std is far from its siblings'
  many_20k.pt          20,000 small tensors
  stats.json           {file: {key: {mean, std, min, max, zeros, nan, inf, hist}}} computed by torch in float64
                       over the finite values (std unbiased), hist = torch.histc(bins=32, min, max)
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision

HOSTILE_KEYS = [
    "</script><script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=2\">.weight",
    "a&amp;b\u2028\"quoted\"'\\.bias",
]


def stats_of(t):
    x = t.detach().reshape(-1)
    if x.dtype == torch.bool:
        x = x.to(torch.int64)
    x = x.to(torch.float64)
    finite = x[torch.isfinite(x)]
    out = {
        "nan": int(torch.isnan(x).sum()),
        "inf": int(torch.isinf(x).sum()),
        "zeros": float((x == 0).sum()) / x.numel() if x.numel() else None,
    }
    if finite.numel():
        lo, hi = float(finite.min()), float(finite.max())
        out.update(mean=float(finite.mean()), min=lo, max=hi,
                   std=float(finite.std()) if finite.numel() > 1 else None)
        out["hist"] = [int(v) for v in torch.histc(finite, bins=32, min=lo, max=hi)] if hi > lo else None
    return out


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.head(x.mean((2, 3)))


def checkpoints(out):
    torch.manual_seed(0)
    model = SmallCnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4)
    data, target = torch.randn(16, 3, 8, 8), torch.randint(0, 4, (16,))

    def train(steps):
        loss = None
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(data), target)
            loss.backward()
            opt.step()
        return float(loss)

    loss = train(3)
    a = {"epoch": 7, "loss": loss, "best_acc": 0.5, "config": {"lr": 1e-3, "arch": "small_cnn"},
         "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict()}
    torch.save(a, os.path.join(out, "ckpt_a.pt"))
    # state_dict() holds the live tensors: summarise A now, before training goes on and changes them in place.
    stats = {"model_state_dict." + k: stats_of(v) for k, v in a["model_state_dict"].items()}
    for pid, st in a["optimizer_state_dict"]["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v) and v.numel() > 1:
                stats[f"optimizer_state_dict.state.{pid}.{k}"] = stats_of(v)
    loss = train(5)
    sd = dict(model.state_dict())
    del sd["bn.num_batches_tracked"]
    sd["extra.weight"] = torch.ones(3)
    sd["head.bias"] = sd["head.bias"].to(torch.float64)
    b = {"epoch": 8, "loss": loss, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict()}
    torch.save(b, os.path.join(out, "ckpt_b.pt"))
    return stats


def hostile(out):
    g = torch.Generator().manual_seed(1)
    sd = {}
    for i in range(6):
        sd[f"layers.{i}.weight"] = torch.randn(16, 16, generator=g) * 0.05
    sd["layers.6.weight"] = torch.randn(16, 16, generator=g) * 50.0  # std far from its siblings'
    sd["dead.weight"] = torch.zeros(4, 4)
    bad = torch.randn(10, generator=g)
    bad[2] = float("nan")
    bad[5] = float("inf")
    bad[7] = float("-inf")
    sd["broken.weight"] = bad
    for k in HOSTILE_KEYS:
        sd[k] = torch.randn(3, generator=g)
    torch.save(sd, os.path.join(out, "hostile.pt"))
    return sd


def many(out):
    g = torch.Generator().manual_seed(0)
    sd = {}
    for i in range(20_000):
        shape = (8,) if i % 2 == 0 else (4, 4)
        sd[f"block.{i // 100}.p{i % 100}"] = torch.randn(shape, generator=g, dtype=torch.float32)
    torch.save(sd, os.path.join(out, "many_20k.pt"))


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18()
    resnet.eval()
    torch.save(resnet.state_dict(), os.path.join(out, "resnet18.pt"))
    torch.jit.save(torch.jit.script(resnet), os.path.join(out, "resnet18_script.pt"))
    ckpt_stats = checkpoints(out)
    hs = hostile(out)
    many(out)
    stats = {
        "resnet18.pt": {k: stats_of(v) for k, v in resnet.state_dict().items()},
        "hostile.pt": {k: stats_of(v) for k, v in hs.items()},
        "ckpt_a.pt": ckpt_stats,
    }
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump({"torch": torch.__version__, "hostileKeys": HOSTILE_KEYS, "stats": stats}, f)


if __name__ == "__main__":
    main(sys.argv[1])
