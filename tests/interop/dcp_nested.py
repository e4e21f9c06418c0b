"""Nested checkpoints (model + AdamW + counters) through PtSharp's DCP writer, checked with real torch (2.6).

    dcp_nested.py make OUT_DIR          OUT_DIR/ckpt.pt (torch.save of the nested state) and OUT_DIR/torch.dcp
                                        (torch's own dcp.save of the same state)
    dcp_nested.py check OUT_DIR RESULTS for every OUT_DIR/ours*.dcp folder (written by PtSharp from ckpt.pt):
      1. its .metadata has the same items (tensor or bytes, dtype, size) and planner_data as torch's dcp.save;
      2. dcp_to_torch_save of it equals dcp_to_torch_save of torch's folder (structure, types, tensors bitwise);
      3. dcp.load into {'model': fresh model, 'optim': fresh AdamW, ...} then model/optimizer load_state_dict
         reproduces the original model parameters and optimizer state_dict.
    dcp_nested.py transform FOLDER NAME  records the stream transform NAME in every _StorageInfo of FOLDER/.metadata
                                        (as DCP extensions newer than torch 2.6 do; 2.6 itself writes none)
"""
import pickle
import json
import os
import sys
import tempfile

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
from torch.distributed.checkpoint.metadata import BytesStorageMetadata, TensorStorageMetadata


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(10, 7)
        self.norm = torch.nn.LayerNorm(7)
        self.fc2 = torch.nn.Linear(7, 3)

    def forward(self, x):
        return self.fc2(self.norm(self.fc1(x)).relu())


def trained(seed, steps):
    torch.manual_seed(seed)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.85, 0.99), weight_decay=0.02, foreach=False)
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(4, 10)).square().sum().backward()
        opt.step()
    return model, opt


def state(model, opt):
    return {
        "model": model.state_dict(),
        "optim": opt.state_dict(),
        "epoch": 7,
        "extra": {"name": "run-1", "history": [0.5, 0.25], "shape": (2, 3), "lr_scale": 0.125,
                  "ids": torch.arange(5), "done": True, "none": None},
    }


def make(out):
    model, opt = trained(0, 3)
    torch.save(state(model, opt), os.path.join(out, "ckpt.pt"))
    dcp.save(state(model, opt), checkpoint_id=os.path.join(out, "torch.dcp"))


def same(a, b, where, problems):
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            problems.append(f"{where}: {type(a).__name__} vs {type(b).__name__}")
        elif a.dtype != b.dtype or a.shape != b.shape or not torch.equal(a, b):
            problems.append(f"{where}: tensors differ ({a.dtype} {list(a.shape)} vs {b.dtype} {list(b.shape)})")
    elif isinstance(a, dict) and isinstance(b, dict):
        if list(a.keys()) != list(b.keys()) and sorted(map(str, a)) != sorted(map(str, b)):
            problems.append(f"{where}: keys {list(a)[:6]} vs {list(b)[:6]}")
        for k in a:
            if k in b:
                same(a[k], b[k], f"{where}.{k}", problems)
    elif type(a) is not type(b):
        problems.append(f"{where}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}")
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            problems.append(f"{where}: length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}.{i}", problems)
    elif a != b:
        problems.append(f"{where}: {a!r} vs {b!r}")


def describe(md):
    items = {}
    for k, v in md.state_dict_metadata.items():
        if isinstance(v, TensorStorageMetadata):
            items[k] = ("tensor", str(v.properties.dtype), tuple(v.size))
        elif isinstance(v, BytesStorageMetadata):
            items[k] = ("bytes",)
        else:
            items[k] = (type(v).__name__,)
    return items


def check_one(out, folder, reference_md, reference_pt):
    problems = []
    md = dcp.FileSystemReader(folder).read_metadata()
    ours, theirs = describe(md), describe(reference_md)
    if ours != theirs:
        problems.append(f"metadata items differ: only ours {sorted(set(ours.items()) - set(theirs.items()))[:5]}, "
                        f"only torch {sorted(set(theirs.items()) - set(ours.items()))[:5]}")
    if dict(md.planner_data) != dict(reference_md.planner_data):
        diff = [k for k in set(md.planner_data) | set(reference_md.planner_data)
                if md.planner_data.get(k) != reference_md.planner_data.get(k)]
        problems.append(f"planner_data differs at {sorted(diff)[:5]}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "x.pt")
        dcp_to_torch_save(folder, path)
        converted = torch.load(path, weights_only=True)
    same(converted, reference_pt, "dcp_to_torch_save", problems)

    original = torch.load(os.path.join(out, "ckpt.pt"), weights_only=True)
    model, opt = trained(1, 1)  # other weights, state of the right shapes
    target = state(model, opt)
    target["epoch"], target["extra"] = 0, {}
    dcp.load(target, checkpoint_id=folder)
    model.load_state_dict(target["model"])
    opt.load_state_dict(target["optim"])
    same(model.state_dict(), original["model"], "dcp.load model", problems)
    same(opt.state_dict(), original["optim"], "dcp.load optim", problems)
    if target["epoch"] != 7:
        problems.append(f"dcp.load epoch {target['epoch']!r}")
    return {"folder": folder, "items": len(ours), "problems": problems}


def check(out, results_path):
    reference = os.path.join(out, "torch.dcp")
    reference_md = dcp.FileSystemReader(reference).read_metadata()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ref.pt")
        dcp_to_torch_save(reference, path)
        reference_pt = torch.load(path, weights_only=True)
    results = []
    for name in sorted(os.listdir(out)):
        if name.startswith("ours") and name.endswith(".dcp"):
            folder = os.path.join(out, name)
            try:
                results.append(check_one(out, folder, reference_md, reference_pt))
            except Exception as e:  # report, do not stop the batch
                import traceback
                traceback.print_exc()
                results.append({"folder": folder, "items": 0, "problems": [f"{type(e).__name__}: {e}"]})
    json.dump({"results": results, "reference_items": len(reference_md.state_dict_metadata)},
              open(results_path, "w"))


def transform(folder, name):
    path = os.path.join(folder, ".metadata")
    with open(path, "rb") as f:
        md = pickle.load(f)
    for info in md.storage_data.values():
        info.transform_descriptors = [name]
    with open(path, "wb") as f:
        pickle.dump(md, f)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "transform":
        transform(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3])
