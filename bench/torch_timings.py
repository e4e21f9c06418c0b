#!/usr/bin/python3
"""Times torch.load on the benchmark fixtures, in one process with a warm page cache, and prints one JSON object.

Usage: /usr/bin/python3 bench/torch_timings.py DATA_DIR [--loops N]

torch.load of a zip-format file copies every storage out of the archive into fresh tensor memory, so its time is
the reference both for PtSharp's open+index (which reads no tensor data) and for its materialize case (which copies
every tensor into a managed array). Also measured, for context:
  * big.load_touch: torch.load followed by a full reduction over every tensor (t.sum()), showing that the data is
    really resident after load (the sum re-reads it from RAM, it does not fault anything in from the file);
  * memcopy_1gib: a plain 1 GiB memory copy with numpy, into a preallocated buffer (pure bandwidth) and into a
    fresh buffer (bandwidth plus first-touch page faults).

Write cases (the reference for PtSharp's PtWriter.Save): big.save and many.save time torch.save(state_dict, out) of
the state dict loaded once, to DATA_DIR/torch_save_out.pt (same file system); the output is removed and os.sync()
flushes dirty pages between iterations, outside the timed region (1 warm-up + --loops iterations, median).
`--only read|write` limits the run to one kind.
"""
import gc
import json
import os
import statistics
import sys
import time

import numpy as np
import torch


def warm(path):
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def timed(fn, loops, warmup=1):
    for _ in range(warmup):
        fn()
        gc.collect()
    times = []
    for _ in range(loops):
        t0 = time.perf_counter()
        r = fn()
        times.append(time.perf_counter() - t0)
        del r
        gc.collect()
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "loops": loops}


def timed_save(sd, out, loops, warmup=1):
    """torch.save(sd, out) with the previous output removed and the page cache synced outside the timed region."""
    def reset():
        if os.path.exists(out):
            os.remove(out)
        os.sync()
        gc.collect()
    for _ in range(warmup):
        reset()
        torch.save(sd, out)
    times = []
    for _ in range(loops):
        reset()
        t0 = time.perf_counter()
        torch.save(sd, out)
        times.append(time.perf_counter() - t0)
    reset()
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "loops": loops}


def main(argv):
    only = argv[argv.index("--only") + 1] if "--only" in argv else "all"
    args = [a for a in argv[1:] if not a.startswith("--") and a not in ("read", "write")]
    loops = 5
    if "--loops" in argv:
        loops = int(argv[argv.index("--loops") + 1])
        args = [a for a in args if a != str(loops)]
    data = args[0] if args else os.environ.get("PTSHARP_BENCH_DATA", "/tmp/ptsharp-bench")
    torch.set_num_threads(1)  # torch.load is single-threaded anyway; keep the sum loop comparable too

    out = {"torch_version": torch.__version__, "numpy_version": np.__version__, "loops": loops, "cases": {}}
    files = {"big": "big_1gib.pt", "many": "many_20k.pt", "resnet18": "resnet18.pt"}
    for case, name in files.items():
        path = os.path.join(data, name)
        warm(path)
        sd = torch.load(path)
        info = {
            "file": path,
            "file_bytes": os.path.getsize(path),
            "tensors": len(sd),
            "tensor_bytes": sum(t.numel() * t.element_size() for t in sd.values()),
        }
        n = loops if case != "many" else max(3, loops)
        if only != "read" and case in ("big", "many"):
            info["save"] = timed_save(sd, os.path.join(data, "torch_save_out.pt"), n if case == "big" else 9, warmup=1 if case == "big" else 2)
            print(f"[torch_timings] {case}: torch.save median {info['save']['median_s']*1e3:.1f} ms", file=sys.stderr, flush=True)
        del sd
        gc.collect()
        if only == "write":
            out["cases"][case] = info
            continue
        info["load"] = timed(lambda: torch.load(path), n)
        if case == "big":
            def load_touch():
                d = torch.load(path)
                s = 0.0
                for t in d.values():
                    s += float(t.sum())
                return d, s
            info["load_touch"] = timed(load_touch, n)
        out["cases"][case] = info
        print(f"[torch_timings] {case}: torch.load median {info['load']['median_s']*1e3:.1f} ms", file=sys.stderr, flush=True)

    if only == "write":
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    size = 1 << 30
    src = np.ones(size, dtype=np.uint8)
    dst = np.empty(size, dtype=np.uint8)
    np.copyto(dst, src)  # fault the destination in
    out["memcopy_1gib"] = {
        "bytes": size,
        "prealloc": timed(lambda: np.copyto(dst, src), loops),
        "fresh": timed(lambda: src.copy(), loops),
    }
    del src, dst
    print(f"[torch_timings] numpy 1 GiB copy median {out['memcopy_1gib']['prealloc']['median_s']*1e3:.1f} ms", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(sys.argv)
