#!/usr/bin/python3
"""Writes the PtSharp benchmark fixtures into DIR (run with /usr/bin/python3, i.e. real torch).

  big_1gib.pt   24 float32 tensors totalling exactly 1 GiB (random, seed 0)
  many_20k.pt   20,000 small float32 tensors, shapes (8,) and (4, 4) alternating
  resnet18.pt   torchvision resnet18(weights=None) state_dict (seed 0)

Existing files are kept unless --force is given.
"""
import os
import sys
import time

import torch


def log(msg):
    print(f"[make_bench_data] {msg}", file=sys.stderr, flush=True)


def make_big(path):
    # 2^30 bytes / 24 is not a whole number of floats, so mix two shapes: 8 x (4096, 4096) + 16 x (2048, 4096)
    # = 8 * 2^24 + 16 * 2^23 = 2^28 floats = exactly 1 GiB.
    g = torch.Generator().manual_seed(0)
    sd = {}
    for i in range(24):
        shape = (4096, 4096) if i % 3 == 0 else (2048, 4096)
        sd[f"layers.{i}.weight"] = torch.randn(shape, generator=g, dtype=torch.float32)
    total = sum(t.numel() * t.element_size() for t in sd.values())
    assert total == 1 << 30, total
    torch.save(sd, path)


def make_many(path):
    g = torch.Generator().manual_seed(0)
    sd = {}
    for i in range(20_000):
        shape = (8,) if i % 2 == 0 else (4, 4)
        sd[f"block.{i // 100}.p{i % 100}"] = torch.randn(shape, generator=g, dtype=torch.float32)
    torch.save(sd, path)


def make_resnet18(path):
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    torch.save(model.state_dict(), path)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    force = "--force" in argv
    out = args[0] if args else os.environ.get("PTSHARP_BENCH_DATA", "/tmp/ptsharp-bench")
    os.makedirs(out, exist_ok=True)
    for name, fn in (("big_1gib.pt", make_big), ("many_20k.pt", make_many), ("resnet18.pt", make_resnet18)):
        path = os.path.join(out, name)
        if os.path.exists(path) and not force:
            log(f"{path} exists, kept")
            continue
        t0 = time.perf_counter()
        tmp = path + ".tmp"
        fn(tmp)
        os.replace(tmp, path)
        log(f"wrote {path} ({os.path.getsize(path):,} bytes) in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main(sys.argv)
