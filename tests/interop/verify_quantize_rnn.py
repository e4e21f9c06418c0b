"""Oracle for `pt quantize` on nn.LSTM / nn.GRU (run by QuantizeRecurrentInTorchTests.cs, one process per torch).

  verify_quantize_rnn.py PT_COMMAND_JSON WORKDIR RESULTS_JSON

Builds seeded float models holding LSTM/GRU stacks (1 and 2 layers, bidirectional, batch_first, mixed with
Linear layers), saves their state dict and the whole pickled model, runs the real `pt quantize` process on them
(per tensor and --per-channel) and checks with this torch that each output
  * loads with torch.load(weights_only=False) into quantize_dynamic(Model(), {nn.Linear, nn.LSTM, nn.GRU}) via a
    strict load_state_dict,
  * holds exactly the int8 weights, qschemes, scales, zero points, axes and biases of torch's own quantize_dynamic
    on the same float weights, and gives bit-identical outputs on fixed inputs,
  * has torch's keys in torch's order and torch's _metadata, and the same object structure in the pickle (the
    ScriptObject states),
  * survives `pt convert`, and `pt inspect --json` / `pt scan --json` say of it what they say of torch's own file.
Writes {"torch": version, "checks": [{"name", "ok", "detail"}...]}.
"""
import copy
import io
import json
import os
import pickletools
import re
import subprocess
import sys
import zipfile

import torch
import torch.nn as nn

qd = torch.ao.quantization
nnqd = torch.ao.nn.quantized.dynamic
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})


class Lstm1(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(7, 5)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        y, (h, c) = self.rnn(x)
        return self.head(y), h, c


class Lstm2Bi(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 4, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x):
        y, (h, c) = self.rnn(x)
        return y, h, c


class Gru1(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 9, batch_first=True)

    def forward(self, x):
        return self.rnn(x)


class Gru2Bi(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 3, num_layers=2, bidirectional=True)

    def forward(self, x):
        return self.rnn(x)


class Mixed(nn.Module):
    """Linear + LSTM + GRU (LSTM hidden 3 has weight_hh [12, 3]; GRU hidden 4 has [12, 4]) + an untouched norm."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 8)
        self.enc = nn.Sequential(nn.LSTM(8, 3, num_layers=2), nn.GRU(3, 4, bidirectional=True))
        self.norm = nn.LayerNorm(8)
        self.out = nn.Linear(8, 2, bias=False)

    def forward(self, x):
        h = self.proj(x)
        h, _ = self.enc[0](h)
        h, g = self.enc[1](h)
        return self.out(self.norm(h)), g


class NoBias(nn.Module):
    """torch's quantize_dynamic refuses an RNN with bias=False (RNNBase.from_float asserts mod.bias)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 3, bias=False)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


MODELS = {"lstm1": (Lstm1, (5, 2, 7)), "lstm2bi": (Lstm2Bi, (2, 5, 6)), "gru1": (Gru1, (3, 4, 6)),
          "gru2bi": (Gru2Bi, (5, 2, 6)), "mixed": (Mixed, (5, 2, 6))}
TYPES = (nn.Linear, nn.LSTM, nn.GRU)


def spec(per_channel):
    return {t: qd.per_channel_dynamic_qconfig for t in TYPES} if per_channel else set(TYPES)


def run_pt(pt, *args):
    p = subprocess.run(pt + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def load(path):
    return torch.load(path, map_location="cpu", weights_only=False)


def qmodules(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nnqd.LSTM, nnqd.GRU, nnqd.Linear))]


def same_qtensor(a, b):
    if a.qscheme() != b.qscheme() or a.dtype != b.dtype or a.shape != b.shape:
        return (f"qscheme/dtype/shape {b.qscheme()} {b.dtype} {tuple(b.shape)} != "
                f"{a.qscheme()} {a.dtype} {tuple(a.shape)}")
    if not torch.equal(a.int_repr(), b.int_repr()):
        return f"{int((a.int_repr() != b.int_repr()).sum())} int8 values differ"
    if a.qscheme() == torch.per_tensor_affine:
        if a.q_scale() != b.q_scale() or a.q_zero_point() != b.q_zero_point():
            return f"scale/zero point {b.q_scale()!r}/{b.q_zero_point()} != {a.q_scale()!r}/{a.q_zero_point()}"
    else:
        if not torch.equal(a.q_per_channel_scales(), b.q_per_channel_scales()):
            return "per-channel scales differ"
        if not torch.equal(a.q_per_channel_zero_points(), b.q_per_channel_zero_points()):
            return "per-channel zero points differ"
        if a.q_per_channel_axis() != b.q_per_channel_axis():
            return "axis differs"
    return None


def compare(case, ref, mine, x):
    problems, count = [], 0
    mods = dict(qmodules(mine))
    for name, r in qmodules(ref):
        m = mods.get(name)
        if type(m) is not type(r):
            problems.append(f"{name}: {type(m).__name__} != {type(r).__name__}")
            continue
        if isinstance(r, nnqd.Linear):
            pairs = [("weight", r.weight(), m.weight())]
            ba, bb = r.bias(), m.bias()
            if (ba is None) != (bb is None) or (ba is not None and not torch.equal(ba, bb)):
                problems.append(f"{name}: bias differs")
        else:
            wa, wb = r.get_weight(), m.get_weight()
            if list(wa) != list(wb):
                problems.append(f"{name}: weights {list(wb)} != {list(wa)}")
                continue
            pairs = [(k, wa[k], wb[k]) for k in wa]
            ba, bb = r.get_bias(), m.get_bias()
            for k in ba:
                if not torch.equal(ba[k], bb[k]) or ba[k].dtype != bb[k].dtype:
                    problems.append(f"{name}.{k}: bias differs")
        for k, a, b in pairs:
            count += 1
            if (why := same_qtensor(a, b)) is not None:
                problems.append(f"{name}.{k}: {why}")
    for key, v in ref.state_dict().items():
        if isinstance(v, torch.Tensor) and not v.is_quantized and not torch.equal(v, mine.state_dict()[key]):
            problems.append(f"{key}: float tensor differs")
    ya, yb = ref(x), mine(x)
    flat_a = ya if isinstance(ya, tuple) else (ya,)
    flat_b = yb if isinstance(yb, tuple) else (yb,)
    for i, (a, b) in enumerate(zip(flat_a, flat_b)):
        if not torch.equal(a, b):
            problems.append(f"output {i} differs, max {float((a - b).abs().max())}")
    check(case, not problems and count > 0, "; ".join(problems) or f"{count} quantized weights equal, outputs equal")


def structure(path):
    """The pickle's opcodes with memo puts/gets, MARK positions and float/storage-key values blurred out."""
    z = zipfile.ZipFile(path)
    data = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
    out = []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("BINPUT", "LONG_BINPUT", "MEMOIZE", "PROTO", "STOP"):
            continue
        if op.name in ("BINGET", "LONG_BINGET"):
            out.append("GET")
            continue
        if op.name == "BINFLOAT" or (op.name == "BINUNICODE" and re.fullmatch(r"\d+", arg or "")):
            arg = None
        out.append(f"{op.name} {arg!r}")
    return out


def objects(value):
    """The object tree of a loaded value: type names, ScriptObject states recursively, tensors by dtype/shape."""
    if isinstance(value, torch.ScriptObject):
        return ["ScriptObject", objects(value.__getstate__())]
    if isinstance(value, torch.Tensor):
        return [type(value).__name__, str(value.dtype), list(value.shape), value.requires_grad,
                str(value.qscheme()) if value.is_quantized else None]
    if isinstance(value, (tuple, list)):
        return [type(value).__name__] + [objects(v) for v in value]
    return repr(value)


def inspect_view(pt, path):
    code, text = run_pt(pt, "inspect", path, "--json")
    if code != 0:
        return None, text
    doc = json.loads(text)
    return [(t["name"], t["dtype"], t["shape"]) for t in doc["tensors"]], doc.get("scan", {}).get("verdict")


def scan_verdict(pt, path):
    code, text = run_pt(pt, "scan", path, "--json")
    try:
        doc = json.loads(text)
    except ValueError:
        return code, text
    files = doc.get("files", [doc])
    return code, [(f.get("verdict"), sorted(str(x) for x in f.get("dangerous", []))) for f in files]


def torch_file_checks(pt, work, case, mine_path, ref_model):
    ref_path = os.path.join(work, f"torch_{case.replace(' ', '_')}.pt")
    torch.save(ref_model.state_dict(), ref_path)
    sd, rsd = load(mine_path), load(ref_path)
    check(case + ": keys and order as torch's state_dict()", list(sd) == list(rsd), f"{list(sd)} vs {list(rsd)}")
    check(case + ": _metadata as torch's", dict(sd._metadata) == dict(rsd._metadata),
          f"{dict(sd._metadata)} vs {dict(rsd._metadata)}")
    check(case + ": loaded objects as torch's", objects(list(sd.values())) == objects(list(rsd.values())),
          f"{objects(list(sd.values()))} vs {objects(list(rsd.values()))}")
    # Our writer memoizes fewer strings than CPython and writes MARK..TUPLE for some tuples, so the opcode streams
    # differ in encoding; what must agree is the globals used and the objects constructed (NEWOBJ/BUILD/REDUCE).
    a, b = structure(mine_path), structure(ref_path)
    built = ("NEWOBJ", "BUILD", "REDUCE", "BINPERSID")
    summary_a = (sorted({x for x in a if x.startswith("GLOBAL")}), [x for x in a if x.split()[0] in built])
    summary_b = (sorted({x for x in b if x.startswith("GLOBAL")}), [x for x in b if x.split()[0] in built])
    check(case + ": pickle uses torch's globals and constructs as many objects", summary_a == summary_b,
          f"{summary_a[0]} {len(summary_a[1])} vs {summary_b[0]} {len(summary_b[1])}")
    try:
        torch.load(mine_path, weights_only=True)
        ours = "loaded"
    except Exception as e:  # noqa: BLE001
        ours = type(e).__name__
    try:
        torch.load(ref_path, weights_only=True)
        theirs = "loaded"
    except Exception as e:  # noqa: BLE001
        theirs = type(e).__name__
    check(case + ": weights_only=True treats it as torch's own file", ours == theirs, f"ours {ours}, torch's {theirs}")
    va, vb = inspect_view(pt, mine_path), inspect_view(pt, ref_path)
    check(case + ": pt inspect lists the same tensors as for torch's file", va == vb and va[0], f"{va} vs {vb}")
    sa, sb = scan_verdict(pt, mine_path), scan_verdict(pt, ref_path)
    check(case + ": pt scan says what it says of torch's file", sa == sb, f"{sa} vs {sb}")


def main():
    pt = json.loads(sys.argv[1])
    work = sys.argv[2]
    gen = torch.Generator().manual_seed(7)
    for seed, (name, (cls, shape)) in enumerate(MODELS.items()):
        torch.manual_seed(10 + seed)
        model = cls().eval()
        x = torch.randn(*shape, generator=gen)
        sd_path = os.path.join(work, f"{name}_sd.pt")
        full_path = os.path.join(work, f"{name}_full.pt")
        torch.save(model.state_dict(), sd_path)
        torch.save(model, full_path)
        for per_channel in (False, True):
            ref = qd.quantize_dynamic(copy.deepcopy(model), spec(per_channel), dtype=torch.qint8)
            for kind, src in (("state_dict", sd_path), ("full_model", full_path)):
                case = f"{name} {kind}{' per-channel' if per_channel else ''}"
                out = os.path.join(work, f"q_{name}_{kind}_{int(per_channel)}.pt")
                code, text = run_pt(pt, "quantize", src, out, *(["--per-channel"] if per_channel else []))
                if code != 0:
                    check(case, False, f"pt quantize exit {code}: {text}")
                    continue
                mine = qd.quantize_dynamic(cls().eval(), spec(per_channel), dtype=torch.qint8)
                try:
                    mine.load_state_dict(load(out), strict=True)
                except Exception as e:  # noqa: BLE001 - the failure is the result
                    check(case, False, f"load_state_dict: {e}")
                    continue
                compare(case, ref, mine, x)
                if kind == "full_model":
                    sd, rsd = load(out), ref.state_dict()
                    same = list(sd) == list(rsd) and dict(sd._metadata) == dict(rsd._metadata)
                    check(case + ": keys and _metadata as torch's", same,
                          f"{dict(sd._metadata)} vs {dict(rsd._metadata)}")
                if kind == "state_dict":
                    torch_file_checks(pt, work, case, out, ref)
                    check(case + ": report has a line per LSTM/GRU weight",
                          all(re.search(rf"^{re.escape(m)}\.weight_(ih|hh)_l\d\S*\s+(LSTM|GRU)\s", text, re.M)
                              for m, q in qmodules(ref) if not isinstance(q, nnqd.Linear)), text)
                    again = os.path.join(work, f"rt_{name}_{int(per_channel)}.pt")
                    code, text = run_pt(pt, "convert", out, again)
                    if code != 0:
                        check(case + ": pt convert round trip", False, text)
                        continue
                    back = qd.quantize_dynamic(cls().eval(), spec(per_channel), dtype=torch.qint8)
                    back.load_state_dict(load(again), strict=True)
                    compare(case + ": pt convert round trip", ref, back, x)

    # --types linear leaves the recurrent stacks in float, as quantize_dynamic(model, {nn.Linear}) does.
    torch.manual_seed(3)
    model = Mixed().eval()
    x = torch.randn(5, 2, 6, generator=gen)
    src = os.path.join(work, "mixed_types.pt")
    torch.save(model.state_dict(), src)
    for types, spec_set in (("linear", {nn.Linear}), ("lstm,gru", {nn.LSTM, nn.GRU}), ("gru", {nn.GRU})):
        out = os.path.join(work, f"q_types_{types.replace(',', '_')}.pt")
        code, text = run_pt(pt, "quantize", src, out, "--types", types)
        case = f"--types {types}"
        if code != 0:
            check(case, False, text)
            continue
        ref = qd.quantize_dynamic(copy.deepcopy(model), spec_set, dtype=torch.qint8)
        mine = qd.quantize_dynamic(Mixed().eval(), spec_set, dtype=torch.qint8)
        mine.load_state_dict(load(out), strict=True)
        compare(case, ref, mine, x)
        check(case + ": keys as torch's", list(load(out)) == list(ref.state_dict()))

    # --exclude by module name, as a {name: qconfig} spec.
    out = os.path.join(work, "q_exclude.pt")
    code, text = run_pt(pt, "quantize", src, out, "--exclude", r"^enc\.1$")
    names = {"proj": qd.default_dynamic_qconfig, "out": qd.default_dynamic_qconfig, "enc.0": qd.default_dynamic_qconfig}
    if code != 0:
        check("--exclude enc.1", False, text)
    else:
        ref = qd.quantize_dynamic(copy.deepcopy(model), names, dtype=torch.qint8)
        mine = qd.quantize_dynamic(Mixed().eval(), names, dtype=torch.qint8)
        mine.load_state_dict(load(out), strict=True)
        compare("--exclude enc.1", ref, mine, x)

    # bias=False: torch refuses to quantize the LSTM; pt quantize leaves it in float, says so, quantizes the rest.
    torch.manual_seed(4)
    model = NoBias().eval()
    try:
        qd.quantize_dynamic(copy.deepcopy(model), set(TYPES), dtype=torch.qint8)
        refused = "quantized"
    except AssertionError:
        refused = "AssertionError"
    check("bias=False: torch's quantize_dynamic refuses the LSTM", refused == "AssertionError", refused)
    src = os.path.join(work, "nobias.pt")
    out = os.path.join(work, "q_nobias.pt")
    torch.save(model.state_dict(), src)
    code, text = run_pt(pt, "quantize", src, out)
    if code != 0:
        check("bias=False: left in float with a note", False, text)
    else:
        ref = qd.quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
        mine = qd.quantize_dynamic(NoBias().eval(), {nn.Linear}, dtype=torch.qint8)
        mine.load_state_dict(load(out), strict=True)
        x = torch.randn(3, 2, 4, generator=gen)
        compare("bias=False: left in float with a note", ref, mine, x)
        check("bias=False: the note says why", "bias=False" in text and "from_float" in text, text)

    # A bare nn.LSTM state dict (keys without a prefix) loads into nnqd.LSTM.from_float's module.
    torch.manual_seed(5)
    lstm = nn.LSTM(4, 3, num_layers=2).eval()
    src = os.path.join(work, "bare.pt")
    out = os.path.join(work, "q_bare.pt")
    torch.save(lstm.state_dict(), src)
    code, text = run_pt(pt, "quantize", src, out)
    if code != 0:
        check("bare nn.LSTM state dict", False, text)
    else:
        lstm.qconfig = qd.default_dynamic_qconfig
        ref = nnqd.LSTM.from_float(lstm)
        sd = load(out)
        mine = nnqd.LSTM(4, 3, num_layers=2)
        mine.load_state_dict(sd, strict=True)
        x = torch.randn(5, 2, 4, generator=gen)
        ya, yb = ref(x), mine(x)
        ok = list(sd) == list(ref.state_dict()) and dict(sd._metadata) == dict(ref.state_dict()._metadata)
        ok = ok and all(same_qtensor(ref.get_weight()[k], mine.get_weight()[k]) is None for k in ref.get_weight())
        ok = ok and torch.equal(ya[0], yb[0]) and torch.equal(ya[1][0], yb[1][0]) and torch.equal(ya[1][1], yb[1][1])
        check("bare nn.LSTM state dict", ok, f"{list(sd)} {dict(sd._metadata)}")

    with open(sys.argv[3], "w") as fh:
        json.dump({"torch": torch.__version__, "checks": checks}, fh, indent=1)


main()
