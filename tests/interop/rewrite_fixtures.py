"""Fixtures for the kernel-copy rewrite tests (tests/PtSharp.Tests/Writing/KernelCopyRewriteTests.cs).

  python rewrite_fixtures.py make DIR       writes plain.pt, shared.pt and checkpoint.pt into DIR (seed 0)
  python rewrite_fixtures.py check PAIRS    PAIRS is a JSON list of [original, rewritten]; prints a JSON list of
                                            problems (empty when every rewritten file loads equal to its original)

Storages of 1 MiB and more are what PtSharp copies file-to-file in the kernel, so every fixture has some, next to
small ones, views with offsets and strides, tied tensors and (checkpoint.pt) optimizer state and Python scalars.
"""
import json
import sys

import torch


def storage_ptr(t):
    return t.untyped_storage().data_ptr() if hasattr(t, "untyped_storage") else t.storage().data_ptr()


def make(out):
    g = torch.Generator().manual_seed(0)
    plain = {
        "big": torch.randn(1024, 1024, generator=g),                      # 4 MiB
        "mid": torch.randn(300, 1000, generator=g).to(torch.float16),     # 600 KB: below the kernel-copy size
        "wide": torch.randn(1 << 20, generator=g, dtype=torch.float64),   # 8 MiB
        "small": torch.randn(10, generator=g),
        "ints": torch.arange(1 << 18, dtype=torch.int64),                 # 2 MiB
        "flags": torch.rand(1000, generator=g) > 0.5,
    }
    torch.save(plain, f"{out}/plain.pt")

    base = torch.randn(1024, 512, generator=g)                            # 2 MiB, viewed many ways
    other = torch.randn(3 << 18, generator=g)                             # 3 MiB
    shared = {
        "base": base,
        "row": base[3],
        "slice": base[100:700],
        "transposed": base.t(),
        "tied": base,
        "flat_tail": base.view(-1)[5:],
        "other_a": other[: 1 << 18],
        "other_b": other[1 << 18:].view(512, -1),
    }
    torch.save(shared, f"{out}/shared.pt")

    model = torch.nn.Sequential(torch.nn.Linear(1024, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 1024, generator=g)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "loss": 0.25},
               f"{out}/checkpoint.pt")


def compare(a, b, path, problems, ptrs):
    if isinstance(a, torch.Tensor):
        if not isinstance(b, torch.Tensor):
            problems.append(f"{path}: not a tensor")
            return
        same = (a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
                and a.storage_offset() == b.storage_offset() and torch.equal(a, b))
        if not same:
            problems.append(f"{path}: tensor differs")
        ptrs.append((path, storage_ptr(a), storage_ptr(b)))
    elif isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            problems.append(f"{path}: keys {list(b.keys())} instead of {list(a.keys())}")
            return
        for k in a:
            compare(a[k], b[k], f"{path}.{k}", problems, ptrs)
    elif isinstance(a, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            problems.append(f"{path}: {type(b).__name__} of {len(b)} instead of {type(a).__name__} of {len(a)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", problems, ptrs)
    elif a != b:
        problems.append(f"{path}: {b!r} instead of {a!r}")


def check(pairs_path):
    problems = []
    for original, rewritten in json.load(open(pairs_path)):
        a = torch.load(original, weights_only=False)
        b = torch.load(rewritten, weights_only=False)
        ptrs = []
        compare(a, b, rewritten, problems, ptrs)
        # Storage sharing survives: two tensors share a storage in the output exactly when they did in the input.
        for i in range(len(ptrs)):
            for j in range(i + 1, len(ptrs)):
                if (ptrs[i][1] == ptrs[j][1]) != (ptrs[i][2] == ptrs[j][2]):
                    problems.append(f"{ptrs[i][0]} / {ptrs[j][0]}: storage sharing differs")
    print(json.dumps(problems))


if __name__ == "__main__":
    make(sys.argv[2]) if sys.argv[1] == "make" else check(sys.argv[2])
