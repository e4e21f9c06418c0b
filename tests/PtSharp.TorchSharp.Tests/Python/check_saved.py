"""Checks files PtSharp.TorchSharp saved, with real torch (weights_only=True).

    python check_saved.py MANIFEST.json RESULT.json

MANIFEST: [{"kind": "resnet18", "written": path, "reference": sd_resnet18.pt}, {"kind": "tied", "written": path}, ...]
RESULT: [{"written": path, "problems": [...]}]
"""
import json
import sys

import torch
import torchvision

manifest = json.load(open(sys.argv[1]))
results = []
for case in manifest:
    problems = []
    try:
        sd = torch.load(case["written"], weights_only=True)
        if case["kind"] == "resnet18":
            model = torchvision.models.resnet18(num_classes=10)
            own = model.state_dict()
            if list(sd.keys()) != list(own.keys()):
                first = next(i for i, (a, b) in enumerate(zip(sd.keys(), own.keys())) if a != b)
                problems.append("keys differ from torch's order at %d: %s vs torch %s" % (first, list(sd.keys())[first:first + 3], list(own.keys())[first:first + 3]))
            for k, v in own.items():
                if k in sd and (sd[k].dtype != v.dtype or sd[k].shape != v.shape):
                    problems.append("%s: %s %s vs torch %s %s" % (k, sd[k].dtype, tuple(sd[k].shape), v.dtype, tuple(v.shape)))
            model.load_state_dict(sd, strict=True)
            ref = torch.load(case["reference"], weights_only=True)
            for k, v in ref.items():
                if not torch.equal(sd[k], v):
                    problems.append("%s differs from the file it was loaded from" % k)
        elif case["kind"] == "tied":
            if sd["a"].data_ptr() != sd["b"].data_ptr():
                problems.append("tied tensors were written as two storages")
            if not torch.equal(sd["a"], torch.arange(6, dtype=torch.float32).reshape(2, 3)):
                problems.append("values differ: %s" % sd["a"])
            if sd["view"].tolist() != [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]:
                problems.append("transposed view saved as %s" % sd["view"].tolist())
            if sd["h"].dtype != torch.bfloat16 or sd["z"].dtype != torch.complex64 or sd["flag"].dtype != torch.bool:
                problems.append("dtypes %s %s %s" % (sd["h"].dtype, sd["z"].dtype, sd["flag"].dtype))
        for extra in case.get("checkpoint", []):
            pass
    except Exception as e:  # noqa: BLE001 - reported to the test
        problems.append("%s: %s" % (type(e).__name__, e))
    results.append({"written": case["written"], "problems": problems})
json.dump(results, open(sys.argv[2], "w"))
