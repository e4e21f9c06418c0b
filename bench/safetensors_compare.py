#!/usr/bin/python3
"""Prints the safetensors conversion comparison (see bench/safetensors_side_by_side.sh) and writes the combined JSON.

  safetensors_compare.py PY.json PTSHARP.json [--cli CLI.json] [--out COMBINED.json] [--load TEXT] [--strict]

Targets: `pt convert` of the 1 GiB state dict to safetensors and back at least 2x faster than torch (torch.load +
safetensors written by hand, and back), and under 64 MiB of managed allocation per conversion.
"""
import json
import sys

RATIO_TARGET = 2.0
ALLOC_TARGET = 64 << 20


def arg(flag, default=None):
    return sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else default


def main():
    py = json.load(open(sys.argv[1]))["cases"]
    cs = json.load(open(sys.argv[2]))["cases"]
    cli = json.load(open(arg("--cli")))["cases"] if arg("--cli") else {}
    rows, ok = [], True
    for key, label in (("pt_to_st", ".pt -> .safetensors"), ("st_to_pt", ".safetensors -> .pt")):
        p, c = py[key]["median_s"], cs[key]["median_s"]
        ratio = p / c
        alloc = cs[key]["allocated_bytes"]
        passed = ratio >= RATIO_TARGET and alloc < ALLOC_TARGET
        ok &= passed
        rows.append((label + " (in process, verified)", p, c, ratio, alloc, "PASS" if passed else "MISS"))
        nv = cs.get(key + "_noverify")
        if nv:
            rows.append(("  (info) without verification", p, nv["median_s"], p / nv["median_s"], nv["allocated_bytes"], ""))
        if key in cli:
            rows.append(("  (info) `pt convert` process end to end", p, cli[key]["median_s"], p / cli[key]["median_s"], None, ""))
    p = py["pt_to_st"]["median_s"] + py["st_to_pt"]["median_s"]
    c = cs["pt_to_st"]["median_s"] + cs["st_to_pt"]["median_s"]
    rows.append(("round trip (sum)", p, c, p / c, None, ""))
    print("| case | torch (Python) | PtSharp | speedup | managed alloc | target >= %.0fx, < 64 MiB |" % RATIO_TARGET)
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for label, p, c, ratio, alloc, status in rows:
        a = "" if alloc is None else "%.1f MiB" % (alloc / (1 << 20))
        print("| %s | %.2f s | %.2f s | %.2fx | %s | %s |" % (label, p, c, ratio, a, status))
    if "load_only" in py:
        print("\nPython .pt -> .safetensors breakdown: torch.load alone %.2f s + writing the loaded 1 GiB %.2f s"
              % (py["load_only"]["median_s"], py["write_only"]["median_s"]))
    if arg("--load"):
        print("\nload average before / after: %s" % arg("--load"))
    if arg("--out"):
        json.dump({"torch": py, "ptsharp": cs, "cli": cli, "rows": [dict(zip(("case", "torch_s", "ptsharp_s", "speedup", "allocated_bytes", "status"), r)) for r in rows]},
                  open(arg("--out"), "w"), indent=1)
    if "--strict" in sys.argv and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
