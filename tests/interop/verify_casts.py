"""Ground truth for PtSharp's dtype casts: real torch's `tensor.to(dtype)` on inputs that cover every rounding case.

  python verify_casts.py OUT_DIR

Writes OUT_DIR/cast_inputs.pt (name -> source tensor), OUT_DIR/cast_expected.pt ("name|target" -> torch's result)
and OUT_DIR/cast_cases.json ({"torch": version, "cases": [{"source", "target"}]}). The C# test casts every input
with PtSharp and compares the bits with torch's. Targets: bfloat16, float16, float32, and on torch >= 2.1 also
float8_e4m3fn and float8_e5m2. One process per torch version.

Inputs: exhaustive sweeps of the bit patterns that matter (every float16 and bfloat16 pattern, every float8
pattern, float32 patterns around every bfloat16/float16 rounding boundary, ties and subnormals), random normals
at many scales, float64 double-rounding cases, and NaN tensors in several memory layouts (contiguous, strided,
transposed, sliced, negative view), since torch's NaN bit patterns depend on which kernel handles an element.
"""
import collections
import json
import os
import random
import struct
import sys

import torch

HAS_FP8 = hasattr(torch, "float8_e4m3fn")


def f32_from_bits(bits):
    return torch.tensor([b - (1 << 32) if b >= (1 << 31) else b for b in bits], dtype=torch.int32).view(torch.float32)


def f64_from_bits(bits):
    return torch.tensor([b - (1 << 64) if b >= (1 << 63) else b for b in bits], dtype=torch.int64).view(torch.float64)


def u16_pattern(dtype, values):
    return torch.tensor([v - (1 << 16) if v >= (1 << 15) else v for v in values], dtype=torch.int16).view(dtype)


def inputs():
    rng = random.Random(1234)
    g = torch.Generator().manual_seed(1234)
    x = collections.OrderedDict()

    # float32 around every bfloat16 rounding boundary: each upper half with low halves below, at, above the tie.
    lows = [0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF]
    x["f32_bf16_sweep"] = f32_from_bits([(hi << 16) | lo for hi in range(0x10000) for lo in lows])
    # float32 around every float16 rounding boundary, exponents from below the subnormal range to overflow.
    bits = []
    for sign in (0, 1):
        for e in range(96, 146):
            for m10 in range(0, 1024, 3):
                for low in (0x0000, 0x0FFF, 0x1000, 0x1001, 0x1FFF):
                    bits.append((sign << 31) | (e << 23) | (m10 << 13) | low)
    bits += [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F7FFFFF, 0x00800000, 0x00000001,
             0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x387FC000,
             0x43E00000, 0x43E80000, 0x43EFFFFF, 0x43F00000, 0x43F80000, 0x47600000, 0x47700000, 0x477FFFFF, 0x3A800000,
             0x3B000000, 0x3B800000, 0x37800000, 0x37000000, 0x36800000]
    x["f32_f16_sweep"] = f32_from_bits(bits)
    # random normals at many scales (covers float8 ranges and subnormals)
    x["f32_random"] = torch.cat([torch.randn(20000, generator=g) * (10.0 ** k) for k in range(-9, 7)])
    # float32 NaNs with payloads (bfloat16: all become one pattern; float16 keeps the top payload bits)
    nan_bits = [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0xFFE12345, 0x7FBFFFFF, 0x7FFFFFFF, 0xFF800001]
    x["f32_nan_payloads"] = f32_from_bits(nan_bits * 5)

    # every float16 / bfloat16 pattern
    x["f16_all"] = u16_pattern(torch.float16, range(0x10000))
    x["bf16_all"] = u16_pattern(torch.bfloat16, range(0x10000))

    # float64: random, double rounding (values just off a float32 tie), specials, subnormals
    d = []
    for _ in range(20000):
        d.append(rng.gauss(0, 1) * 10 ** rng.randint(-12, 8))
    for _ in range(5000):
        f = struct.unpack("<f", struct.pack("<f", rng.gauss(0, 100)))[0]
        ulp = abs(f) * 2.0 ** -24
        for k in (0.5, 0.5 + 2 ** -20, 0.5 - 2 ** -20, 1.5, 0.25):
            d.append(f + ulp * k)
            d.append(-(f + ulp * k))
    d += [0.0, -0.0, float("inf"), float("-inf"), 5e-324, 1e-310, 1.7976931348623157e308, 3.4028235677973366e38,
          3.4028235677973362e38, 65504.0, 65519.99999, 65520.0, 1.0 + 2 ** -8 + 2 ** -30]
    x["f64_values"] = torch.tensor(d, dtype=torch.float64)
    x["f64_nan_payloads"] = f64_from_bits([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001, 0x7FFC000012345678] * 3)

    # NaN tensors in several layouts (canonical NaN, and -NaN)
    nan = float("nan")
    for dtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
        v = torch.full((40,), nan, dtype=dtype)
        v[::3] = -nan
        v[5] = 1.5
        x["%s_nan_c40" % tag] = v
        x["%s_nan_c1" % tag] = torch.full((1,), nan, dtype=dtype)
        x["%s_nan_c17" % tag] = torch.full((17,), nan, dtype=dtype)
        x["%s_nan_c1000" % tag] = torch.full((1000,), nan, dtype=dtype)
        x["%s_nan_strided" % tag] = torch.full((80,), nan, dtype=dtype)[::2]
        x["%s_nan_transposed" % tag] = torch.full((8, 5), nan, dtype=dtype).t()
        x["%s_nan_sliced" % tag] = torch.full((10, 40), nan, dtype=dtype)[:, :37]
        x["%s_nan_rows" % tag] = torch.full((6, 20), nan, dtype=dtype)[1:4]
    if HAS_FP8:  # torch 1.13's torch.save drops the neg bit, so the saved input would not be the tensor cast here
        x["f32_neg_view"] = torch._neg_view(torch.randn(33, generator=g))
    x["f32_transposed"] = torch.randn(7, 9, generator=g).t()

    if HAS_FP8:
        x["e4m3fn_all"] = torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e4m3fn)
        x["e5m2_all"] = torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e5m2)
    return x


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    x = inputs()
    targets = [torch.bfloat16, torch.float16, torch.float32]
    if HAS_FP8:
        targets += [torch.float8_e4m3fn, torch.float8_e5m2]
    expected = collections.OrderedDict()
    cases = []
    for name, t in x.items():
        for target in targets:
            if t.dtype == target:
                continue
            tname = str(target).split(".")[-1]
            expected["%s|%s" % (name, tname)] = t.to(target)
            cases.append({"source": name, "target": tname})
    torch.save(x, os.path.join(out, "cast_inputs.pt"))
    torch.save(expected, os.path.join(out, "cast_expected.pt"))
    with open(os.path.join(out, "cast_cases.json"), "w") as fh:
        json.dump({"torch": torch.__version__, "cases": cases}, fh)


if __name__ == "__main__":
    main(sys.argv)
