#!/usr/bin/env python3
"""Regenerates the small sample files used by the CLI tests, with real torch and a fixed seed.

    tools/oracle.sh 1.13 samples/make_samples.py            # writes samples/tiny_mlp.pt, prints what torch reads back
    tools/oracle.sh 1.13 samples/make_samples.py --stats-cases /tmp/stats_cases.pt
        # also writes a file of awkward tensors (strided views, nan/inf, float16, bfloat16, bool, int, quantized,
        # complex, sparse, empty) and prints its base64 plus the stats torch computes for each tensor; both are
        # pasted into tests/PtSharp.Tests/Cli/TensorStatisticsTests.cs.

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
    with open(out, "rb") as f:
        print("base64:")
        print(base64.b64encode(f.read()).decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stats-cases", metavar="OUT")
    args = ap.parse_args()
    tiny_mlp(os.path.join(HERE, "tiny_mlp.pt"))
    if args.stats_cases:
        stats_cases(args.stats_cases)


if __name__ == "__main__":
    main()
