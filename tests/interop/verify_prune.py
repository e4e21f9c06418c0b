"""Oracle for `pt prune` (run by tests/PtSharp.Tests/Optimization/PruneInTorchTests.cs, one process per torch).

  verify_prune.py PT_COMMAND_JSON WORKDIR RESULTS_JSON

Builds a seeded float model, runs the real `pt prune` / `pt convert` processes on its saved state dict, and checks
with this torch that the masks equal torch.nn.utils.prune's (l1_unstructured per tensor, global_unstructured with
L1Unstructured, ln_structured n=1/2/inf dim=0, fractional and integer amounts), that the default output equals
what prune.remove leaves and loads into the plain model with strict=True, that --keep-mask files load into a
model whose layers carry pruning hooks, that --fold equals prune.remove on a file torch pruned, and that pt convert
round trips keep everything. Each case first checks that the weights have no tie at the pruning threshold (the
only place torch's topk may choose differently). Writes {"torch": version, "checks": [...]}.
"""
import copy
import json
import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 48)
        self.fc2 = nn.Linear(48, 10)
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm1d(10)

    def forward(self, x):
        return self.bn(self.fc2(torch.relu(self.fc1(x))))


TARGETS = ["fc1", "fc2", "conv"]  # the default selection: every *.weight of rank >= 2
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})


def run_pt(pt, *args):
    p = subprocess.run(pt + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def load(path):
    return torch.load(path, map_location="cpu")


def nparams(amount, n):
    return amount if isinstance(amount, int) else round(amount * n)


def no_tie(values, k):
    """True when the k smallest of values are strictly below the rest (no tie at the threshold)."""
    if k == 0 or k == values.numel():
        return True
    s = torch.sort(values.flatten()).values
    return bool(s[k - 1] < s[k])


def same_masks(case, ref, sd, names, detail_prefix=""):
    problems = []
    for n in names:
        mask = getattr(getattr(ref, n), "weight_mask")
        if not torch.equal(mask, sd[f"{n}.weight_mask"]):
            problems.append(f"{n}: {int((mask != sd[f'{n}.weight_mask']).sum())} mask entries differ")
        if sd[f"{n}.weight_mask"].dtype != mask.dtype:
            problems.append(f"{n}: mask dtype {sd[f'{n}.weight_mask'].dtype} != {mask.dtype}")
        if not torch.equal(getattr(getattr(ref, n), "weight_orig"), sd[f"{n}.weight_orig"]):
            problems.append(f"{n}: weight_orig differs")
    check(case, not problems, "; ".join(problems) or f"{detail_prefix}{len(names)} masks equal")


def same_weights(case, ref_sd, sd):
    problems = [k for k in ref_sd if k not in sd or not torch.equal(ref_sd[k], sd[k])]
    extra = [k for k in sd if k not in ref_sd]
    check(case, not problems and not extra, f"differ: {problems[:5]} extra: {extra[:5]}")


def main():
    pt = json.loads(sys.argv[1])
    work = sys.argv[2]
    torch.manual_seed(0)
    model = Model().eval()
    x = torch.randn(5, 64, generator=torch.Generator().manual_seed(1))
    src = os.path.join(work, "float.pt")
    torch.save(model.state_dict(), src)
    weights = {n: getattr(model, n).weight.detach() for n in TARGETS}

    # Per tensor, fractional and integer amounts; default output and --keep-mask.
    for amount in (0.3, 0.5, 100):
        ties = [n for n in TARGETS if not no_tie(weights[n].abs(), nparams(amount, weights[n].numel()))]
        check(f"l1_unstructured amount={amount}: fixture has no tie at the threshold", not ties, ties)
        ref = copy.deepcopy(model)
        for n in TARGETS:
            prune.l1_unstructured(getattr(ref, n), "weight", amount=amount)
        masked = os.path.join(work, f"l1_{amount}_mask.pt")
        code, text = run_pt(pt, "prune", src, masked, "--amount", str(amount), "--keep-mask")
        if code != 0:
            check(f"l1_unstructured amount={amount} --keep-mask", False, text)
            continue
        same_masks(f"l1_unstructured amount={amount} --keep-mask", ref, load(masked), TARGETS)
        hooked = Model().eval()
        for n in TARGETS:
            prune.identity(getattr(hooked, n), "weight")
        try:
            hooked.load_state_dict(load(masked), strict=True)
            check(f"l1_unstructured amount={amount} --keep-mask loads into a pruned model",
                  torch.equal(hooked(x), ref(x)), "outputs differ")
        except Exception as e:  # noqa: BLE001
            check(f"l1_unstructured amount={amount} --keep-mask loads into a pruned model", False, e)
        plain_out = os.path.join(work, f"l1_{amount}.pt")
        code, text = run_pt(pt, "prune", src, plain_out, "--amount", str(amount))
        removed = copy.deepcopy(model)
        for n in TARGETS:
            prune.l1_unstructured(getattr(removed, n), "weight", amount=amount)
            prune.remove(getattr(removed, n), "weight")
        if code != 0:
            check(f"l1_unstructured amount={amount}", False, text)
            continue
        sd = load(plain_out)
        same_weights(f"l1_unstructured amount={amount} equals prune.remove", removed.state_dict(), sd)
        try:
            plain = Model().eval()
            plain.load_state_dict(sd, strict=True)
            check(f"l1_unstructured amount={amount} loads into the plain model (strict)", torch.equal(plain(x), removed(x)))
        except Exception as e:  # noqa: BLE001
            check(f"l1_unstructured amount={amount} loads into the plain model (strict)", False, e)

    # Global.
    amount = 0.45
    allw = torch.cat([weights[n].abs().flatten() for n in TARGETS])
    check("global_unstructured: fixture has no tie at the threshold", no_tie(allw, nparams(amount, allw.numel())))
    ref = copy.deepcopy(model)
    prune.global_unstructured([(getattr(ref, n), "weight") for n in TARGETS], pruning_method=prune.L1Unstructured, amount=amount)
    out = os.path.join(work, "global_mask.pt")
    code, text = run_pt(pt, "prune", src, out, "--amount", str(amount), "--scope", "global", "--keep-mask")
    if code != 0:
        check("global_unstructured --keep-mask", False, text)
    else:
        same_masks("global_unstructured --keep-mask", ref, load(out), TARGETS)
    out = os.path.join(work, "global.pt")
    code, text = run_pt(pt, "prune", src, out, "--amount", str(amount), "--scope", "global")
    if code != 0:
        check("global_unstructured", False, text)
    else:
        removed = copy.deepcopy(model)
        prune.global_unstructured([(getattr(removed, n), "weight") for n in TARGETS], pruning_method=prune.L1Unstructured, amount=amount)
        for n in TARGETS:
            prune.remove(getattr(removed, n), "weight")
        same_weights("global_unstructured equals prune.remove", removed.state_dict(), load(out))

    # Structured, dim 0.
    for norm, arg in ((1, "1"), (2, "2"), (float("inf"), "inf")):
        amount = 0.25
        ties = []
        for n in TARGETS:
            w = weights[n]
            norms = torch.norm(w, p=norm, dim=list(range(1, w.dim())))
            if not no_tie(norms, nparams(amount, w.shape[0])):
                ties.append(n)
        check(f"ln_structured n={arg}: fixture has no tie at the threshold", not ties, ties)
        ref = copy.deepcopy(model)
        for n in TARGETS:
            prune.ln_structured(getattr(ref, n), "weight", amount=amount, n=norm, dim=0)
        out = os.path.join(work, f"struct_{arg}.pt")
        code, text = run_pt(pt, "prune", src, out, "--amount", str(amount), "--structured", arg, "--keep-mask")
        if code != 0:
            check(f"ln_structured n={arg} --keep-mask", False, text)
        else:
            same_masks(f"ln_structured n={arg} --keep-mask", ref, load(out), TARGETS)

    # --include picks tensors by name.
    ref = copy.deepcopy(model)
    prune.l1_unstructured(ref.fc1, "weight", amount=0.3)
    prune.l1_unstructured(ref.fc1, "bias", amount=0.3)
    out = os.path.join(work, "include.pt")
    code, text = run_pt(pt, "prune", src, out, "--amount", "0.3", "--include", "^fc1\\.", "--keep-mask")
    if code != 0:
        check("--include", False, text)
    else:
        sd = load(out)
        ok = (torch.equal(sd["fc1.weight_mask"], ref.fc1.weight_mask) and torch.equal(sd["fc1.bias_mask"], ref.fc1.bias_mask)
              and "fc2.weight" in sd and "conv.weight" in sd)
        check("--include", ok, sorted(sd.keys()))

    # --fold on a file torch pruned, and on our own --keep-mask file.
    torch_pruned = copy.deepcopy(model)
    for n in TARGETS:
        prune.l1_unstructured(getattr(torch_pruned, n), "weight", amount=0.4)
    prune.random_unstructured(torch_pruned.fc1, "bias", amount=0.5)
    tp = os.path.join(work, "torch_pruned.pt")
    torch.save(torch_pruned.state_dict(), tp)
    removed = torch_pruned
    for n in TARGETS:
        prune.remove(getattr(removed, n), "weight")
    prune.remove(removed.fc1, "bias")
    out = os.path.join(work, "folded.pt")
    code, text = run_pt(pt, "prune", "--fold", tp, out)
    if code != 0:
        check("--fold of a torch-pruned file", False, text)
    else:
        sd = load(out)
        same_weights("--fold of a torch-pruned file equals prune.remove", removed.state_dict(), sd)
        try:
            plain = Model().eval()
            plain.load_state_dict(sd, strict=True)
            check("--fold output loads into the plain model (strict)", torch.equal(plain(x), removed(x)))
        except Exception as e:  # noqa: BLE001
            check("--fold output loads into the plain model (strict)", False, e)
        again = os.path.join(work, "folded_rt.pt")
        code, text = run_pt(pt, "convert", out, again)
        check("pt convert keeps a folded file", code == 0 and all(torch.equal(v, load(again)[k]) for k, v in sd.items()), text)
    out2 = os.path.join(work, "keep_rt.pt")
    code, text = run_pt(pt, "convert", os.path.join(work, "l1_0.3_mask.pt"), out2)
    if code != 0:
        check("pt convert keeps a --keep-mask file", False, text)
    else:
        a, b = load(os.path.join(work, "l1_0.3_mask.pt")), load(out2)
        check("pt convert keeps a --keep-mask file", list(a.keys()) == list(b.keys()) and all(torch.equal(a[k], b[k]) for k in a))
    st = os.path.join(work, "l1.safetensors")
    code, text = run_pt(pt, "convert", os.path.join(work, "l1_0.3.pt"), st)
    back = os.path.join(work, "l1_back.pt")
    code2, text2 = run_pt(pt, "convert", st, back) if code == 0 else (code, text)
    check("pt convert to safetensors and back keeps a pruned file",
          code2 == 0 and all(torch.equal(v, load(back)[k]) for k, v in load(os.path.join(work, "l1_0.3.pt")).items()), text2)

    second_round(pt, work, model, x)

    with open(sys.argv[3], "w") as fh:
        json.dump({"torch": torch.__version__, "checks": checks}, fh, indent=1)


def second_round(pt, work, model, x):
    """pt prune on a file already pruned (weight_orig + weight_mask) equals a second torch pruning call (torch's
    PruningContainer: the amount applies to the entries the old mask keeps, the new mask adds to it)."""
    cases = [
        ("layer", lambda m: [prune.l1_unstructured(getattr(m, n), "weight", amount=0.3) for n in TARGETS],
         lambda m: [prune.l1_unstructured(getattr(m, n), "weight", amount=0.4) for n in TARGETS], []),
        ("global", lambda m: prune.global_unstructured([(getattr(m, n), "weight") for n in TARGETS],
                                                     pruning_method=prune.L1Unstructured, amount=0.3),
         lambda m: prune.global_unstructured([(getattr(m, n), "weight") for n in TARGETS],
                                             pruning_method=prune.L1Unstructured, amount=0.4), ["--scope", "global"]),
        ("structured", lambda m: [prune.ln_structured(getattr(m, n), "weight", amount=0.25, n=2, dim=0)
                                  for n in TARGETS],
         lambda m: [prune.ln_structured(getattr(m, n), "weight", amount=0.25, n=2, dim=0) for n in TARGETS],
         ["--structured", "2"]),
        ("unstructured then structured",
         lambda m: [prune.l1_unstructured(getattr(m, n), "weight", amount=0.3) for n in TARGETS],
         lambda m: [prune.ln_structured(getattr(m, n), "weight", amount=0.25, n=1, dim=0) for n in TARGETS],
         ["--structured", "1"]),
    ]
    for name, first, second, args in cases:
        once = copy.deepcopy(model)
        first(once)
        src = os.path.join(work, f"round1_{name.replace(' ', '_')}.pt")
        torch.save(once.state_dict(), src)
        ref = copy.deepcopy(model)  # a pruned module does not deepcopy: prune again (deterministic)
        first(ref)
        second(ref)
        amount = "0.25" if "structured" in name else "0.4"
        out = os.path.join(work, f"round2_{name.replace(' ', '_')}_mask.pt")
        code, text = run_pt(pt, "prune", src, out, "--amount", amount, "--keep-mask", *args)
        if code != 0:
            check(f"second round {name} --keep-mask", False, text)
            continue
        sd = load(out)
        same_masks(f"second round {name} --keep-mask", ref, sd, TARGETS)
        grew = all(int((sd[f"{n}.weight_mask"] == 0).sum()) > int((getattr(once, n).weight_mask == 0).sum())
                   for n in TARGETS)
        check(f"second round {name} prunes more than the first", grew)
        removed = copy.deepcopy(model)
        first(removed)
        second(removed)
        for n in TARGETS:
            prune.remove(getattr(removed, n), "weight")
        plain_out = os.path.join(work, f"round2_{name.replace(' ', '_')}.pt")
        code, text = run_pt(pt, "prune", src, plain_out, "--amount", amount, *args)
        if code != 0:
            check(f"second round {name} equals prune.remove", False, text)
            continue
        sd = load(plain_out)
        same_weights(f"second round {name} equals prune.remove", removed.state_dict(), sd)
        try:
            plain = Model().eval()
            plain.load_state_dict(sd, strict=True)
            check(f"second round {name} loads into the plain model (strict)", torch.equal(plain(x), removed(x)))
        except Exception as e:  # noqa: BLE001
            check(f"second round {name} loads into the plain model (strict)", False, e)


main()
