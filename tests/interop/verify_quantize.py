"""Oracle for `pt quantize` (run by tests/PtSharp.Tests/Optimization/QuantizeInTorchTests.cs, one process per torch).

  verify_quantize.py PT_COMMAND_JSON WORKDIR RESULTS_JSON

Builds seeded float models, saves them the ways users do (state dict with _metadata, a plain dict without it, the
whole pickled model), runs the real `pt quantize` / `pt convert` processes on them, and checks with this torch that
each output loads into quantize_dynamic(Model()) with load_state_dict, holds exactly the int8 weights, scales and
zero points torch's own quantize_dynamic computes from the same float weights, and gives bit-identical outputs.
Writes {"torch": version, "checks": [{"name", "ok", "detail"}...]}.
"""
import copy
import json
import os
import subprocess
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_format  # noqa: E402

qd = torch.ao.quantization


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(300, 77)
        self.relu = nn.ReLU()
        self.out = nn.Linear(77, 5, bias=False)
        self.emb = nn.Embedding(10, 300)
        self.conv = nn.Conv2d(3, 8, 3)
        self.block = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
        self.norm = nn.LayerNorm(3)

    def forward(self, x):
        h = self.out(self.relu(self.fc(x + self.emb.weight[:1])))
        return self.norm(self.block(h))


LINEARS = ["fc", "out", "block.0", "block.2"]
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})


def module(m, name):
    for part in name.split("."):
        m = getattr(m, part)
    return m


def run_pt(pt, *args):
    p = subprocess.run(pt + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def load(path):
    return torch.load(path, map_location="cpu")


def compare(case, ref, mine, names, per_channel, x):
    problems = []
    for name in names:
        a, b = module(ref, name).weight(), module(mine, name).weight()
        if a.qscheme() != b.qscheme():
            problems.append(f"{name}: qscheme {b.qscheme()} != {a.qscheme()}")
            continue
        if not torch.equal(a.int_repr(), b.int_repr()):
            diff = (a.int_repr().int() - b.int_repr().int()).abs()
            problems.append(f"{name}: {int((diff > 0).sum())} int8 values differ (max {int(diff.max())})")
        if per_channel:
            if not torch.equal(a.q_per_channel_scales(), b.q_per_channel_scales()):
                problems.append(f"{name}: per-channel scales differ")
            if not torch.equal(a.q_per_channel_zero_points(), b.q_per_channel_zero_points()):
                problems.append(f"{name}: per-channel zero points differ")
            if a.q_per_channel_axis() != b.q_per_channel_axis():
                problems.append(f"{name}: axis differs")
        else:
            if a.q_scale() != b.q_scale():
                problems.append(f"{name}: scale {b.q_scale()!r} != {a.q_scale()!r}")
            if a.q_zero_point() != b.q_zero_point():
                problems.append(f"{name}: zero point {b.q_zero_point()} != {a.q_zero_point()}")
        ba, bb = module(ref, name).bias(), module(mine, name).bias()
        if (ba is None) != (bb is None) or (ba is not None and not torch.equal(ba, bb)):
            problems.append(f"{name}: bias differs")
    for key, v in ref.state_dict().items():
        if isinstance(v, torch.Tensor) and not v.is_quantized:
            w = mine.state_dict()[key]
            if not torch.equal(v, w):
                problems.append(f"{key}: float tensor differs")
    ya, yb = ref(x), mine(x)
    if not torch.equal(ya, yb):
        problems.append(f"outputs differ, max {float((ya - yb).abs().max())}")
    check(case, not problems, "; ".join(problems) or f"{len(names)} layers equal, outputs equal")


def main():
    pt = json.loads(sys.argv[1])
    work = sys.argv[2]
    torch.manual_seed(0)
    model = Model().eval()
    x = torch.randn(4, 300, generator=torch.Generator().manual_seed(1))
    paths = {
        "state_dict": os.path.join(work, "float_sd.pt"),
        "plain_dict": os.path.join(work, "float_plain.pt"),
        "full_model": os.path.join(work, "float_full.pt"),
    }
    torch.save(model.state_dict(), paths["state_dict"])
    torch.save(dict(model.state_dict()), paths["plain_dict"])
    torch.save(model, paths["full_model"])

    spec_tensor = {nn.Linear}
    spec_channel = {nn.Linear: qd.per_channel_dynamic_qconfig}
    for per_channel in (False, True):
        ref = qd.quantize_dynamic(copy.deepcopy(model), spec_channel if per_channel else spec_tensor, dtype=torch.qint8)
        for kind, src in paths.items():
            case = f"{kind}{' per-channel' if per_channel else ''}"
            out = os.path.join(work, f"q_{kind}_{int(per_channel)}.pt")
            code, text = run_pt(pt, "quantize", src, out, *(["--per-channel"] if per_channel else []))
            if code != 0:
                check(case, False, f"pt quantize exit {code}: {text}")
                continue
            mine = qd.quantize_dynamic(Model().eval(), spec_channel if per_channel else spec_tensor, dtype=torch.qint8)
            try:
                mine.load_state_dict(load(out))
            except Exception as e:  # noqa: BLE001 - the failure is the result
                check(case, False, f"load_state_dict: {e}")
                continue
            compare(case, ref, mine, LINEARS, per_channel, x)
            sd, rsd = load(out), ref.state_dict()
            check(case + ": same keys and order as torch's state_dict()", list(sd.keys()) == list(rsd.keys()),
                  f"{list(sd.keys())} vs {list(rsd.keys())}")
            check(case + ": same _metadata as torch's", dict(sd._metadata) == dict(rsd._metadata) if kind != "plain_dict"
                  else all(sd._metadata[k] == rsd._metadata[k] for k in sd._metadata), f"{sd._metadata} vs {rsd._metadata}")
            check(case + ": scale/zero_point/dtype entries as torch's",
                  all(sd[f"{n}.scale"].dtype == rsd[f"{n}.scale"].dtype and float(sd[f"{n}.scale"]) == float(rsd[f"{n}.scale"])
                      and sd[f"{n}.zero_point"].dtype == rsd[f"{n}.zero_point"].dtype and int(sd[f"{n}.zero_point"]) == 0
                      and sd[f"{n}._packed_params.dtype"] is torch.qint8 for n in LINEARS))
            if kind == "state_dict":
                again = os.path.join(work, f"q_rt_{int(per_channel)}.pt")
                code, text = run_pt(pt, "convert", out, again)
                if code != 0:
                    check(case + ": pt convert round trip", False, text)
                else:
                    back = qd.quantize_dynamic(Model().eval(), spec_channel if per_channel else spec_tensor, dtype=torch.qint8)
                    back.load_state_dict(load(again))
                    compare(case + ": pt convert round trip", ref, back, LINEARS, per_channel, x)

    # --include / --exclude pick layers by module name, as quantize_dynamic's {name: qconfig} spec does.
    ref = qd.quantize_dynamic(copy.deepcopy(model), {"fc": qd.default_dynamic_qconfig, "block.2": qd.default_dynamic_qconfig}, dtype=torch.qint8)
    out = os.path.join(work, "q_selected.pt")
    code, text = run_pt(pt, "quantize", paths["state_dict"], out, "--include", "^(fc|block\\..)$", "--exclude", "^block\\.0$")
    if code != 0:
        check("--include/--exclude", False, text)
    else:
        mine = qd.quantize_dynamic(Model().eval(), {"fc": qd.default_dynamic_qconfig, "block.2": qd.default_dynamic_qconfig}, dtype=torch.qint8)
        mine.load_state_dict(load(out))
        compare("--include/--exclude", ref, mine, ["fc", "block.2"], False, x)

    # Weight-only safetensors: q = clamp(round(w / s), -127, 127) with s = absmax(row) / 127 (or fp8 with 448).
    for fmt in ("int8", "fp8_e4m3fn"):
        if fmt == "fp8_e4m3fn" and not hasattr(torch, "float8_e4m3fn"):
            continue
        out = os.path.join(work, f"w_{fmt}.safetensors")
        code, text = run_pt(pt, "quantize", paths["state_dict"], out, "--weight-only", fmt)
        if code != 0:
            check(f"weight-only {fmt}", False, text)
            continue
        f = safetensors_format.read(out)
        problems = []
        for name in LINEARS:
            w = module(model, name).weight.detach()
            s = safetensors_format.to_torch(f, f"{name}.weight_scale")
            q = safetensors_format.to_torch(f, f"{name}.weight")
            expect_s = (w.abs().amax(dim=1, keepdim=True) / (127 if fmt == "int8" else 448)).float()
            if not torch.equal(s, expect_s):
                problems.append(f"{name}: scales differ")
            if fmt == "int8":
                expect_q = torch.clamp(torch.round(w / s), -127, 127).to(torch.int8)
            else:
                expect_q = (w / s).to(torch.float8_e4m3fn)
            if q.dtype != expect_q.dtype or not torch.equal(q.view(torch.uint8) if fmt != "int8" else q,
                                                             expect_q.view(torch.uint8) if fmt != "int8" else expect_q):
                problems.append(f"{name}: quantized weights differ")
            err = (q.float() * s - w).abs().max()
            if fmt == "int8" and err > s.max() / 2 * 1.0001:
                problems.append(f"{name}: dequantized error {float(err)} above scale/2")
        for key, v in model.state_dict().items():
            if not any(key == f"{n}.weight" for n in LINEARS) and not torch.equal(safetensors_format.to_torch(f, key), v):
                problems.append(f"{key}: copied tensor differs")
        check(f"weight-only {fmt}", not problems, "; ".join(problems))

    with open(sys.argv[3], "w") as fh:
        json.dump({"torch": torch.__version__, "checks": checks}, fh, indent=1)


main()
