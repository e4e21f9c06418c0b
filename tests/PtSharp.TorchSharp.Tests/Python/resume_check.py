"""Python resumes from checkpoints PtSharp.TorchSharp wrote (model + optimizer) and must land where Python lands
resuming from its own checkpoint.

    python resume_check.py MANIFEST.json RESULT.json

MANIFEST: [{"opt": "adam"|"adamw"|"sgd", "written": ckpt, "files": folder of make_files.py output}]
RESULT: [{"written", "problems": [...], "max_diff": float}]
"""
import importlib.util
import json
import os
import sys

import torch

# torch 1.13's weights-only unpickler has no BINFLOAT (opcode 71): it cannot read any Python float, so it refuses
# even the optimizer checkpoints torch 1.13 itself saves (lr, betas, loss). There the written file is loaded the
# way torch 1.13 loads it by default; torch >= 2 loads it with weights_only=True.
WEIGHTS_ONLY = int(torch.__version__.split(".")[0]) >= 2
spec = importlib.util.spec_from_file_location("mf", os.path.join(os.path.dirname(__file__), "make_files.py"))
manifest = json.load(open(sys.argv[1]))
results = []
for case in manifest:
    problems, worst = [], 0.0
    try:
        src = open(spec.origin).read()
        ns = {}
        exec(compile(src.split("\nstate_dicts()\n")[0].replace("out = sys.argv[1]", "out = '/nonexistent'")
                     .replace("os.makedirs(out, exist_ok=True)", ""), spec.origin, "exec"), ns)
        ck = torch.load(case["written"], weights_only=WEIGHTS_ONLY)
        model = ns["resume_model"]()
        model.load_state_dict(ck["model_state_dict"], strict=True)
        # Defaults that differ from the saved ones: load_state_dict must bring the saved hyper-parameters back.
        opt = {"adam": lambda p: torch.optim.Adam(p, lr=1.0), "adamw": lambda p: torch.optim.AdamW(p, lr=1.0),
               "sgd": lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.5)}[case["opt"]](model.parameters())
        opt.load_state_dict(ck["optimizer_state_dict"])
        ref = ns["OPTIMIZERS"][case["opt"]](model.parameters()).state_dict()["param_groups"][0]
        for k, v in ref.items():
            if k != "params" and k in opt.param_groups[0] and opt.param_groups[0][k] != v:
                problems.append("param group %s: %r, expected %r" % (k, opt.param_groups[0][k], v))
        if case["opt"] != "sgd":
            steps = {float(s["step"]) for s in opt.state_dict()["state"].values()}
            if steps != {3.0}:
                problems.append("steps %s, expected 3" % steps)
        batches = torch.load(os.path.join(case["files"], "resume_batches.pt"), weights_only=True)
        ns["train"](model, opt, list(zip(batches["x"], batches["y"]))[3:])
        after = torch.load(os.path.join(case["files"], "resume_%s_after.pt" % case["opt"]), weights_only=True)
        for k, v in model.state_dict().items():
            d = (v - after[k]).abs().max().item()
            worst = max(worst, d)
            if d > 1e-6:
                problems.append("%s differs by %g from Python's own resume" % (k, d))
    except Exception as e:  # noqa: BLE001 - reported to the test
        problems.append("%s: %s" % (type(e).__name__, e))
    results.append({"written": case["written"], "problems": problems, "max_diff": worst})
json.dump(results, open(sys.argv[2], "w"))
