"""Loads .pt files written by PtSharp with real torch and compares them with what torch read from the originals.

Usage: verify_written.py MANIFEST.json RESULTS.json
MANIFEST: [{"written": path, "expected": path-to-original-expected-json, "mode": "full" | "state_dict"}]
For each file: zipfile integrity, every member stored with a 64-byte aligned payload; torch.load with
weights_only=True when the original loaded that way in this torch (and mmap=True on torch >= 2.1); then the full
description (tensor names, dtypes, shapes, strides, offsets, flags, storage sharing, value statistics) must equal
the original's. One torch process checks the whole batch.
"""
import json
import os
import struct
import sys
import traceback
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

import torch  # noqa: E402
import pt_expected as px  # noqa: E402

IGNORED = {"file", "torch_version", "format", "globals", "loads_weights_only"}


def layout_problems(path):
    problems = []
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            problems.append("zipfile CRC check failed for %s" % bad)
        with open(path, "rb") as f:
            for info in z.infolist():
                if info.compress_type != zipfile.ZIP_STORED:
                    problems.append("%s is compressed" % info.filename)
                f.seek(info.header_offset)
                header = f.read(30)
                name_len, extra_len = struct.unpack("<HH", header[26:30])
                offset = info.header_offset + 30 + name_len + extra_len
                if offset % 64 != 0:
                    problems.append("%s payload at %d is not 64-byte aligned" % (info.filename, offset))
    return problems


def load_checks(path, weights_only):
    problems = []
    has_wo = "weights_only" in torch.load.__code__.co_varnames
    if weights_only and has_wo:
        try:
            torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            problems.append("weights_only=True load failed: %s" % str(e).splitlines()[0][:300])
    if "mmap" in torch.load.__code__.co_varnames:
        try:
            torch.load(path, map_location="cpu", mmap=True, weights_only=bool(weights_only))
        except Exception as e:
            problems.append("mmap=True load failed: %s" % str(e).splitlines()[0][:300])
    return problems


def compare(a, b, where, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if where == "" and k in IGNORED:
                continue
            if k not in a or k not in b:
                out.append("%s.%s missing on one side" % (where, k))
            else:
                compare(a[k], b[k], "%s.%s" % (where, k), out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: length %d != %d" % (where, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, "%s[%d]" % (where, i), out)
    elif isinstance(a, float) and isinstance(b, float):
        if not (a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))):
            out.append("%s: %r != %r" % (where, a, b))
    elif a != b:
        out.append("%s: %r != %r" % (where, a, b))


def state_dict_view(expected):
    """The original's tensors as a state dict: the keys are the tensor names (TorchScript exports)."""
    e = dict(expected)
    e["kind"] = "state_dict"
    e["state_dict_keys"] = [t["name"] for t in expected["tensors"]]
    for t in e["tensors"]:
        t["requires_grad"] = False
        t["is_parameter"] = False
    return e


def check(entry):
    path = entry["written"]
    expected = json.load(open(entry["expected"]))
    problems = layout_problems(path)
    wo = expected.get("loads_weights_only", False)
    if entry.get("mode") == "state_dict":
        expected = state_dict_view(expected)
        wo = True
    problems += load_checks(path, wo)
    got = px.expected_for(path, expected["kind"], "zip")
    compare(got, expected, "", problems)
    return problems


def main():
    manifest = json.load(open(sys.argv[1]))
    results = []
    for entry in manifest:
        try:
            problems = check(entry)
        except Exception as e:
            problems = ["exception: %s" % "".join(traceback.format_exception_only(type(e), e)).strip()[:500]]
        results.append({"written": entry["written"], "problems": problems[:20]})
    json.dump({"torch_version": torch.__version__, "results": results}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
