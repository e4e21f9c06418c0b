#!/usr/bin/python3
"""The Python side of the safetensors conversion benchmark: what people do today without PtSharp, with torch and
no safetensors library (there is no Debian package of it). Prints one JSON object.

  /usr/bin/python3 bench/safetensors_torch.py DATA_DIR [--loops N]

  pt_to_st: torch.load(big_1gib.pt) and write model.safetensors by hand: the JSON header (sorted by dtype size
            then name, padded to 8 bytes, as the reference writer does), then each tensor's bytes straight from
            its memory (t.contiguous() viewed as uint8, written through a memoryview: no extra copy).
  st_to_pt: read that safetensors file by hand: parse the header, mmap the file (copy-on-write, so no read copy),
            build each tensor with torch.frombuffer over the mapping, and torch.save the state dict.

Each direction: 1 warm-up + N timed iterations (default 3), median; the output is removed and os.sync() flushes
dirty pages between iterations, outside the timed region, so one iteration's write-back does not slow the next.
torch.set_num_threads(1) as in bench/torch_timings.py (both directions are single-threaded in torch anyway).
For context also: load_only (torch.load alone) and write_only (writing the loaded tensors' 1 GiB to a file).
"""
import gc
import json
import mmap
import os
import statistics
import struct
import sys
import time

import torch

NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
TYPES = {v: k for k, v in NAMES.items()}


def pt_to_st(src, dst):
    sd = torch.load(src, map_location="cpu")
    items = sorted(sd.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, offset, views = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in items:
        t = t.contiguous()
        n = t.numel() * t.element_size()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
        views.append(t)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for t in views:
            if t.numel():
                f.write(memoryview(t.view(-1).view(torch.uint8).numpy()))
    return len(items)


def st_to_pt(src, dst):
    with open(src, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    base = 8 + n
    sd = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = TYPES[info["dtype"]]
        if end == begin:
            sd[name] = torch.empty(info["shape"], dtype=dtype)
        else:
            sd[name] = torch.frombuffer(mm, dtype=dtype, count=(end - begin) // torch.empty(0, dtype=dtype).element_size(),
                                        offset=base + begin).reshape(info["shape"])
    torch.save(sd, dst)
    del sd
    return len(header)


def load_only(src, dst):
    sd = torch.load(src, map_location="cpu")
    return len(sd)


def write_only_factory(sd):
    """Writes the tensor bytes of an already loaded state dict: the write half of pt_to_st, for context."""
    def write_only(src, dst):
        with open(dst, "wb") as f:
            for t in sd.values():
                f.write(memoryview(t.contiguous().view(-1).view(torch.uint8).numpy()))
        return len(sd)
    return write_only


def timed(fn, src, dst, loops):
    def reset():
        if os.path.exists(dst):
            os.remove(dst)
        os.sync()
        gc.collect()
    reset()
    fn(src, dst)  # warm-up
    times = []
    for _ in range(loops):
        reset()
        t0 = time.perf_counter()
        fn(src, dst)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "loops": loops}


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    loops = int(argv[argv.index("--loops") + 1]) if "--loops" in argv else 3
    args = [a for a in args if a != str(loops)]
    data = args[0] if args else os.environ.get("PTSHARP_BENCH_DATA", "/tmp/ptsharp-bench")
    torch.set_num_threads(1)
    big = os.path.join(data, "big_1gib.pt")
    st = os.path.join(data, "py_model.safetensors")
    back = os.path.join(data, "py_back.pt")
    with open(big, "rb") as f:  # warm the page cache
        while f.read(64 << 20):
            pass
    out = {"torch_version": torch.__version__, "loops": loops, "cases": {}}
    out["cases"]["pt_to_st"] = timed(pt_to_st, big, st, loops)
    pt_to_st(big, st)
    out["cases"]["st_to_pt"] = timed(st_to_pt, st, back, loops)
    out["cases"]["load_only"] = timed(load_only, big, back, loops)
    sd = torch.load(big, map_location="cpu")
    out["cases"]["write_only"] = timed(write_only_factory(sd), big, back, loops)
    del sd
    for p in (st, back):
        if os.path.exists(p):
            os.remove(p)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv)
