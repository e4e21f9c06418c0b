"""Checks the _metadata of state dicts PtSharp wrote against the one torch itself gives.

argv: manifest.json results.json. Each case: source (a torch-written fixture), how torch reads its state dict
(jit: torch.jit.load(f).state_dict(); module: torch.load(f).state_dict(); state_dict: torch.load(f);
entry:KEY: torch.load(f)[KEY]), written (PtSharp's `pt convert --state-dict` output, or null to check only the
metadata) and ours (the metadata PtSharp's StateDict.Metadata reported, as JSON). torch.load of the written file must give the same keys, values
and _metadata as torch's own state dict.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import fixture_models  # noqa: F401,E402  (pickled modules name these classes)
import pt_expected  # noqa: E402


def load(path):
    try:
        return torch.load(path, weights_only=False)
    except TypeError:
        return torch.load(path)


def expected_state_dict(case):
    how = case["how"]
    if how == "jit":
        return torch.jit.load(case["source"]).state_dict()
    obj = load(case["source"])
    if how == "module":
        pt_expected.repair_modules(obj)
        return obj.state_dict()
    if how.startswith("entry:"):
        return obj[how[len("entry:"):]]
    return obj


def plain(metadata):
    return None if metadata is None else {k: dict(v) for k, v in metadata.items()}


results = []
for case in json.load(open(sys.argv[1])):
    problems = []
    want = expected_state_dict(case)
    want_meta = plain(getattr(want, "_metadata", None))
    if case.get("written") is None:
        # metadata only: the state dict holds values the converter writes differently (packed params)
        if case["ours"] != want_meta:
            problems.append(f"StateDict.Metadata {case['ours']} != torch's {want_meta}")
        results.append({"source": case["source"], "problems": problems, "torch": torch.__version__})
        continue
    got = torch.load(case["written"])
    got_meta = plain(getattr(got, "_metadata", None))
    if want_meta != got_meta:
        problems.append(f"written _metadata {got_meta} != torch's {want_meta}")
    if list(want_meta.items()) != list(got_meta.items()) if want_meta and got_meta else False:
        problems.append("written _metadata order differs from torch's")
    if case["ours"] != want_meta:
        problems.append(f"StateDict.Metadata {case['ours']} != torch's {want_meta}")
    if list(want.keys()) != list(got.keys()):
        problems.append(f"keys {list(got.keys())} != {list(want.keys())}")
    else:
        for k in want:
            if not torch.equal(want[k], got[k]):
                problems.append(f"tensor {k} differs")
    results.append({"source": case["source"], "problems": problems, "torch": torch.__version__})
json.dump({"results": results}, open(sys.argv[2], "w"), indent=1)
