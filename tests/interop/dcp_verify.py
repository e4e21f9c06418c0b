"""Checks PtSharp-written DCP folders with real torch: dcp.load into tensors of the expected shapes, and
dcp_to_torch_save, both compared tensor by tensor with the source checkpoint.

    dcp_verify.py MANIFEST RESULTS      MANIFEST: [{"folder": ..., "source": ..., "key": "model" or ""}]
"""
import json
import os
import sys
import tempfile

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save


def flatten(value, prefix=""):
    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from flatten(v, f"{prefix}.{i}" if prefix else str(i))


def check(entry):
    problems = []
    source = torch.load(entry["source"], map_location="cpu", weights_only=False)
    if entry["key"]:
        source = source[entry["key"]]
    expected = dict(flatten(source))
    # 1. dcp.load into a state dict of zeros of the right shapes and dtypes
    target = {k: torch.zeros_like(v) for k, v in expected.items()}
    dcp.load(target, checkpoint_id=entry["folder"])
    for k, v in expected.items():
        if target[k].shape != v.shape or target[k].dtype != v.dtype or not torch.equal(target[k], v):
            problems.append(f"dcp.load: {k} differs")
    # 2. dcp_to_torch_save
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.pt")
        dcp_to_torch_save(entry["folder"], out)
        converted = dict(flatten(torch.load(out, weights_only=True)))
    if sorted(converted) != sorted(expected):
        problems.append(f"dcp_to_torch_save keys {sorted(converted)[:5]} != {sorted(expected)[:5]}")
    for k, v in expected.items():
        c = converted.get(k)
        if c is None or c.dtype != v.dtype or c.shape != v.shape or not torch.equal(c, v):
            problems.append(f"dcp_to_torch_save: {k} differs")
    return {"folder": entry["folder"], "tensors": len(expected), "problems": problems}


def main():
    manifest = json.load(open(sys.argv[1]))
    results = []
    for entry in manifest:
        try:
            results.append(check(entry))
        except Exception as e:  # report, do not stop the batch
            results.append({"folder": entry["folder"], "tensors": 0, "problems": [f"{type(e).__name__}: {e}"]})
    json.dump({"results": results}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
