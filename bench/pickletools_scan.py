#!/usr/bin/env python3
"""A pure-Python static pickle scanner built on pickletools, the baseline `pt scan` is compared with.

It does what picklescan-style tools do: open zips with zipfile, run pickletools.genops over every *.pkl member
(and over raw/legacy pickle files from the start, pickle after pickle), resolve STACK_GLOBAL through a small
memo/stack simulation, and sort globals into safe / unknown / dangerous with a short denylist. Nothing is
unpickled. Usage: bench/pickletools_scan.py PATH... ; prints one line per file and a summary.
"""
import io
import os
import pickletools
import sys
import zipfile

DANGEROUS = ("os", "posix", "nt", "subprocess", "sys", "builtins.eval", "builtins.exec", "builtins.getattr",
             "builtins.__import__", "builtins.open", "runpy", "pickle", "_pickle", "socket", "shutil", "pip",
             "importlib", "operator", "_operator", "torch.load", "pdb", "bdb", "webbrowser")
SAFE_PREFIX = ("torch._utils._rebuild", "torch._tensor._rebuild", "collections.OrderedDict", "torch.Size",
               "torch.device", "_codecs.encode", "numpy.core.multiarray._reconstruct", "numpy.dtype")


def verdict(name):
    if name.startswith(SAFE_PREFIX) or (name.startswith("torch.") and name.endswith("Storage")):
        return "safe"
    for d in DANGEROUS:
        if name == d or name.startswith(d + "."):
            return "dangerous"
    return "unknown"


def globals_of(data):
    """Yields (module.name) for every GLOBAL/INST/STACK_GLOBAL of every pickle in data, pickle after pickle."""
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        memo, stack = {}, []
        try:
            for op, arg, pos in pickletools.genops(stream):
                name = op.name
                if name in ("GLOBAL", "INST"):
                    yield arg.replace(" ", ".")
                    stack.append(None)
                elif name == "STACK_GLOBAL":
                    if len(stack) >= 2 and isinstance(stack[-1], str) and isinstance(stack[-2], str):
                        yield stack[-2] + "." + stack[-1]
                    else:
                        yield "?.unresolvable"
                    del stack[-2:]
                    stack.append(None)
                elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING"):
                    stack.append(arg)
                elif name == "MEMOIZE":
                    memo[len(memo)] = stack[-1] if stack else None
                elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = stack[-1] if stack else None
                elif name in ("GET", "BINGET", "LONG_BINGET"):
                    stack.append(memo.get(arg))
                elif name == "STOP":
                    break
                else:
                    stack.append(None)
        except Exception:
            return
        if stream.tell() < len(data) and data[stream.tell():stream.tell() + 1] != b"\x80":
            return


def scan(path):
    with open(path, "rb") as f:
        data = f.read()
    found = []
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    if info.filename.endswith(".pkl"):
                        found.extend(globals_of(z.read(info)))
        except Exception:
            return "error", []
    elif data[:1] in (b"\x80", b"c", b"("):
        found.extend(globals_of(data))
    else:
        return "not-a-pickle", []
    verdicts = {g: verdict(g) for g in found}
    worst = "dangerous" if "dangerous" in verdicts.values() else "unknown" if "unknown" in verdicts.values() else "clean"
    return worst, sorted(verdicts)


def main():
    files = []
    for p in sys.argv[1:]:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files.extend(os.path.join(root, n) for n in names)
        else:
            files.append(p)
    counts = {}
    for path in sorted(files):
        worst, globs = scan(path)
        counts[worst] = counts.get(worst, 0) + 1
        print(f"{path}: {worst} ({len(globs)} globals)")
    print("summary:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), f"({len(files)} files)")


if __name__ == "__main__":
    main()
