#!/usr/bin/env python3
"""Regenerates the small sample files used by the CLI tests, with real torch and a fixed seed.

    tools/oracle.sh 1.13 samples/make_samples.py            # writes samples/tiny_mlp.pt, prints what torch reads back
    tools/oracle.sh 1.13 samples/make_samples.py --test-cases /tmp/cases
        # also writes, into /tmp/cases, files that are embedded (base64) in the CLI tests rather than committed:
        #   stats_cases.pt  awkward tensors (strided views, nan/inf, float16, bfloat16, bool, int, quantized, complex,
        #                   sparse, empty); the stats torch computes for each are printed too.
        #                   -> tests/PtSharp.Tests/Cli/TensorStatisticsTests.cs
        #   checkpoint.pt   a training checkpoint (model + optimizer state dicts, epoch, loss, argparse args, ...)
        #   script.pt       a TorchScript archive (torch.jit.script of a small MLP)
        #                   -> tests/PtSharp.Tests/Cli/CliTestFiles.cs
    tools/oracle.sh 2.6 samples/make_samples.py --flag-cases /tmp/cases/flag_cases.pt
        # torch >= 2.x only (1.13 does not save the conj/neg bits): lazily conjugated / negated views, a meta
        # tensor, float8 and a packed quint4x2 tensor; prints base64 and stats -> TensorStatisticsTests.cs

tiny_mlp.pt is the state dict of a 2-layer MLP (fc1: 4 -> 8, ReLU, fc2: 8 -> 3), saved with torch.save's default
zip format. Stats follow tests/fixtures/expected_schema.md (float64 over the logical elements, math.fsum, NaN/inf
excluded and counted; quantized tensors over int_repr(); sparse over the values; complex: sum of real parts,
sum_imag, sum_sq = sum |z|^2, no min/max).
"""
import argparse
import base64
import collections
import json
import math
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class TinyMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def stats(t):
    """Stats as tests/fixtures/pt_expected.py computes them."""
    if t.is_sparse:
        t = t._values()
    elif t.layout == torch.sparse_csr:
        t = t.values()
    if t.is_quantized:
        t = t.int_repr()
    t = t.resolve_conj().resolve_neg()
    if t.is_complex():
        vals = [complex(v) for v in t.reshape(-1).tolist()]
        re, im, sq = [], [], []
        nan_c = inf_c = 0
        for z in vals:
            a, b = z.real, z.imag
            if math.isnan(a) or math.isnan(b):
                nan_c += 1
            elif math.isinf(a) or math.isinf(b):
                inf_c += 1
            else:
                re.append(a)
                im.append(b)
                sq.append(a * a + b * b)
        return {"sum": num(math.fsum(re)), "sum_sq": num(math.fsum(sq)), "min": None, "max": None,
                "nan_count": nan_c, "inf_count": inf_c, "sum_imag": num(math.fsum(im))}
    vals = [float(v) for v in t.reshape(-1).double().tolist()]
    fin = [v for v in vals if math.isfinite(v)]
    return {"sum": num(math.fsum(fin)), "sum_sq": num(math.fsum(v * v for v in fin)),
            "min": min(fin) if fin else None, "max": max(fin) if fin else None,
            "nan_count": sum(1 for v in vals if math.isnan(v)), "inf_count": sum(1 for v in vals if math.isinf(v))}


def describe(path):
    sd = torch.load(path)
    for name, t in sd.items():
        print(json.dumps({"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                          "stride": list(t.stride()), "storage_offset": t.storage_offset(),
                          "first": t.reshape(-1)[:4].tolist(), "stats": stats(t)}))


def tiny_mlp(out):
    torch.manual_seed(1234)
    model = TinyMlp()
    torch.save(model.state_dict(), out)
    print("wrote", out, os.path.getsize(out), "bytes, torch", torch.__version__)
    describe(out)


def stats_cases(out):
    torch.manual_seed(7)
    base = torch.randn(6, 5)
    base[1, 2] = float("nan")
    base[4, 0] = float("inf")
    base[5, 4] = float("-inf")
    big = torch.randn(1003)  # longer than a vector block, with a tail and non-finite values inside
    big[17] = float("nan")
    big[500] = float("inf")
    c = torch.randn(7, dtype=torch.complex64)
    c[3] = complex(float("nan"), 1.0)
    c[5] = complex(2.0, float("inf"))
    sparse = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 2]]), torch.tensor([3.0, -4.5, 5.25]), (2, 3))
    d = collections.OrderedDict()
    d["f32_transposed"] = base.t()                     # stride (1, 5)
    d["f32_rows"] = base[1:5, 1:4]                     # offset 6, inner stride 1, rows not adjacent
    d["f32_big"] = big
    d["f32_broadcast"] = torch.arange(3.0).expand(4, 3)  # stride (0, 1)
    d["f64_slice"] = torch.linspace(-2, 3, 11, dtype=torch.float64)[2:9:3]  # offset 2, stride 3
    d["f16"] = torch.tensor([1.5, -2.25, 65504.0, float("inf"), 6e-8, float("nan")], dtype=torch.float16)
    d["bf16"] = torch.randn(37).to(torch.bfloat16)
    d["bf16_t"] = torch.randn(4, 9).to(torch.bfloat16).t()
    d["bool"] = torch.tensor([True, False, True, True])
    d["int64"] = torch.tensor([[-3, 9], [2**40, 7]])
    d["uint8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    d["qint8"] = torch.quantize_per_tensor(torch.tensor([-1.0, 0.0, 0.5, 2.0]), 0.05, 3, torch.qint8)
    d["complex64"] = c
    d["sparse"] = sparse
    d["empty"] = torch.zeros(2, 0)
    d["all_nan"] = torch.full((3,), float("nan"))
    torch.save(d, out)
    print("wrote", out, os.path.getsize(out), "bytes, torch", torch.__version__)
    back = torch.load(out)
    for name, t in back.items():
        print(json.dumps({"name": name, "dtype": str(t.dtype).replace("torch.", ""), "stats": stats(t)}))
    print_base64(out)


def print_base64(path):
    with open(path, "rb") as f:
        print("base64 of", os.path.basename(path) + ":")
        print(base64.b64encode(f.read()).decode())


def checkpoint_case(out):
    torch.manual_seed(99)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(3, 2)).sum().backward()
    opt.step()
    ckpt = {"model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(), "epoch": 3,
            "loss": 0.25, "args": argparse.Namespace(lr=0.1, arch="mlp"), "name": "run-1", "best": None}
    torch.save(ckpt, out)
    print("wrote", out, os.path.getsize(out), "bytes")
    back = torch.load(out)
    print({k: type(v).__name__ for k, v in back.items()})
    print_base64(out)


def script_case(out):
    torch.manual_seed(5)
    model = torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    torch.jit.save(model, out)
    print("wrote", out, os.path.getsize(out), "bytes")
    import zipfile
    for info in zipfile.ZipFile(out).infolist():
        if "/code/" in info.filename:
            print(json.dumps({"name": info.filename.split("/", 1)[1], "size": info.file_size}))
    print_base64(out)


def flag_cases(out):
    torch.manual_seed(11)
    c = torch.randn(5, dtype=torch.complex64)
    x = torch.randn(6)
    d = collections.OrderedDict()
    d["conj"] = c.conj()                      # is_conj() == True, same storage as c
    d["neg"] = torch.randn(5, dtype=torch.complex64).conj().imag  # is_neg() == True (imag of a conj view)
    d["conj_neg"] = torch.randn(4, dtype=torch.complex128).conj()._neg_view()  # both bits
    d["real_neg"] = x._neg_view()             # real tensor with the neg bit
    d["meta"] = torch.empty(3, 4, device="meta")
    d["f8"] = torch.tensor([0.5, -448.0, 3.0]).to(torch.float8_e4m3fn)
    d["quint4x2"] = torch.quantize_per_tensor(torch.tensor([0.0, 1.0, 2.0, 3.0]), 1.0, 0, torch.quint4x2)
    torch.save(d, out)
    print("wrote", out, os.path.getsize(out), "bytes, torch", torch.__version__)
    back = torch.load(out)
    for name, t in back.items():
        info = {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "conj": t.is_conj(), "neg": t.is_neg()}
        if t.device.type != "meta" and t.dtype not in (torch.quint4x2,):
            info["stats"] = stats(t)
        print(json.dumps(info))
    print_base64(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-cases", metavar="DIR")
    ap.add_argument("--flag-cases", metavar="OUT")
    args = ap.parse_args()
    if args.flag_cases:
        flag_cases(args.flag_cases)
        return
    tiny_mlp(os.path.join(HERE, "tiny_mlp.pt"))
    if args.test_cases:
        os.makedirs(args.test_cases, exist_ok=True)
        stats_cases(os.path.join(args.test_cases, "stats_cases.pt"))
        checkpoint_case(os.path.join(args.test_cases, "checkpoint.pt"))
        script_case(os.path.join(args.test_cases, "script.pt"))


if __name__ == "__main__":
    main()
