"""Checkpoints with scalar entries and a TorchScript archive, for pt inspect --json "entries" and --code RECORD.

usage: inspect_entries.py OUT_DIR
Writes OUT_DIR/checkpoint.pt, OUT_DIR/traced.pt and OUT_DIR/expected.json: for every top-level entry of the
checkpoint as torch.load(weights_only=False) returns it, the plain JSON value (or null when it is not plain data),
and for every code/*.py record of the archive its text as Python's zipfile reads it.
"""
import argparse
import json
import math
import pathlib
import sys
import zipfile

import torch

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(7)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
model(torch.randn(2, 4)).sum().backward()
opt.step()
checkpoint = {
    "epoch": 12,
    "step": 2**40 + 3,
    "loss": 0.123456789,
    "best": float("inf"),
    "bad": float("nan"),
    "huge": 2**70,
    "finished": False,
    "note": None,
    "name": "résumé \"run\" 7",
    "config": {"lr": 0.01, "layers": [4, 3, 2], "opt": {"kind": "sgd", "momentum": 0.9}, "pair": (1, "a")},
    "args": argparse.Namespace(batch_size=32, lr=0.01, tags=["x", "y"]),
    "out_dir": pathlib.PurePosixPath("/data/runs/7"),
    "rel_dir": pathlib.PurePosixPath("runs/7/ckpt"),
    "history": [float(i) / 3 for i in range(500)],
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": opt.state_dict(),
    "blob": b"\x00\x01",
}
torch.save(checkpoint, out / "checkpoint.pt")
loaded = torch.load(out / "checkpoint.pt", weights_only=False) if hasattr(torch.serialization, "add_safe_globals") \
    else torch.load(out / "checkpoint.pt")


def plain(v, depth=0):
    """The JSON form of v when it is plain data (the rule pt inspect documents), else raises ValueError."""
    if depth > 8:
        raise ValueError
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if -2**63 <= v < 2**63 else str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else v
    if isinstance(v, argparse.Namespace):
        return plain(vars(v), depth + 1)
    if isinstance(v, pathlib.PurePath):
        return str(v)
    if isinstance(v, (list, tuple)) and len(v) <= 100:
        return [plain(x, depth + 1) for x in v]
    if isinstance(v, dict) and len(v) <= 100 and all(isinstance(k, str) for k in v):
        return {k: plain(x, depth + 1) for k, x in v.items()}
    raise ValueError


def contains_tensor(v):
    if isinstance(v, torch.Tensor):
        return True
    if isinstance(v, dict):
        return any(contains_tensor(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(contains_tensor(x) for x in v)
    return False


entries = {}
for key, value in loaded.items():
    try:
        entries[key] = {"plain": True, "value": plain(value)} if not contains_tensor(value) else {"plain": False}
    except ValueError:
        entries[key] = {"plain": False}


class Traced(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return torch.relu(self.fc(x)) * 2


traced = torch.jit.trace(Traced().eval(), torch.randn(1, 3))
torch.jit.save(traced, str(out / "traced.pt"))
code = {}
with zipfile.ZipFile(out / "traced.pt") as z:
    for name in z.namelist():
        inner = name.split("/", 1)[1]
        if inner.startswith("code/") and inner.endswith(".py"):
            code[inner] = z.read(name).decode("utf-8")
# A hostile archive's source must not drive the terminal: the same archive with escape sequences in a record.
with zipfile.ZipFile(out / "traced.pt") as src, zipfile.ZipFile(out / "escapes.pt", "w") as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename.endswith("code/__torch__.py"):
            data = b"# \x1b[2J\x1b]0;owned\x07\r\n" + data
        dst.writestr(info, data)
json.dump({"torch": torch.__version__, "entries": entries, "code": code},
          open(out / "expected.json", "w", encoding="utf-8"), ensure_ascii=False)
