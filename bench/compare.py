#!/usr/bin/python3
"""Combines bench/torch_timings.py output with the .NET --side-by-side output and prints the ratio table.

Usage: /usr/bin/python3 bench/compare.py TORCH_JSON DOTNET_JSON [--out COMBINED_JSON] [--load "1.2 0.9"]

Every ratio uses medians. Exit code is 0 whether targets pass or miss (pass --strict to exit 1 on a MISS).
Read rows need both files' read cases, write rows their write cases (`--only read|write` runs make one kind).
"""
import json
import sys

MIB = 1 << 20


def fmt_s(s):
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = {argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i] in ("--out", "--load")}
    strict = "--strict" in argv
    with open(args[0]) as f:
        py = json.load(f)
    with open(args[1]) as f:
        net = json.load(f)
    pc, nc = py["cases"], net["cases"]

    def torch_load(case):
        return pc[case]["load"]["median_s"]

    def dn(case):
        return nc[case]["median_s"]

    rows = []  # (label, torch/base seconds, ptsharp seconds, ratio text, target text, verdict, ratio value)

    def speedup(label, case_py, case_net, target=None, alloc_limit=None):
        t, p = torch_load(case_py), dn(case_net)
        r = t / p
        verdict = ""
        target_text = "-"
        if target is not None:
            ok = r >= target
            target_text = f">= {target:g}x"
            if alloc_limit is not None:
                alloc = nc[case_net]["allocated_bytes"]
                ok = ok and alloc < alloc_limit
                target_text += f", alloc < {alloc_limit // MIB} MiB"
            verdict = "PASS" if ok else "MISS"
        rows.append((label, fmt_s(t), fmt_s(p), f"{r:,.1f}x", target_text, verdict, r))

    if "open_index_big" in nc and "load" in pc.get("big", {}):
        speedup("(a) open+index 1 GiB/24 tensors vs torch.load", "big", "open_index_big", 500, MIB)
        speedup("(b) open+index 20k tensors vs torch.load", "many", "open_index_many", 10)
        speedup("(c) open+index resnet18 vs torch.load", "resnet18", "open_index_resnet18")
        speedup("(a) materialize 1 GiB vs torch.load", "big", "materialize_big", 5)

        mat, mc = dn("materialize_big"), dn("memcopy_big")
        r = mat / mc
        rows.append(("(a) materialize / .NET memcopy of same bytes", fmt_s(mc), fmt_s(mat), f"{r:.2f}x", "<= 4x",
                     "PASS" if r <= 4 else "MISS", r))
        fresh = dn("memcopy_fresh_big")
        rows.append(("    (info) materialize / .NET memcopy into fresh arrays", fmt_s(fresh), fmt_s(mat), f"{mat / fresh:.2f}x", "-", "", mat / fresh))
        npc = py["memcopy_1gib"]["prealloc"]["median_s"]
        rows.append(("    (info) materialize / numpy 1 GiB copy (prealloc)", fmt_s(npc), fmt_s(mat), f"{mat / npc:.2f}x", "-", "", mat / npc))
        touch = pc["big"]["load_touch"]["median_s"]
        rows.append(("    (info) torch.load + sum every tensor, 1 GiB", fmt_s(touch), fmt_s(mat), f"{touch / mat:.1f}x", "-", "", touch / mat))

    if "write_big" in nc and "save" in pc.get("big", {}):
        def save_speedup(label, case_py, case_net, target):
            t, p = pc[case_py]["save"]["median_s"], dn(case_net)
            r = t / p
            rows.append((label, fmt_s(t), fmt_s(p), f"{r:,.1f}x", f">= {target:g}x", "PASS" if r >= target else "MISS", r))

        save_speedup("(a) write 1 GiB/24 tensors vs torch.save", "big", "write_big", 3)
        save_speedup("(b) write 20k tensors vs torch.save", "many", "write_many", 3)
        w, cp = dn("write_big"), dn("copy_big_readwrite")
        rows.append(("(a) write 1 GiB / plain copy of the file (read+write)", fmt_s(cp), fmt_s(w), f"{w / cp:.2f}x", "<= 3x",
                     "PASS" if w / cp <= 3 else "MISS", w / cp))
        alloc = nc["rewrite_big_alloc"]["allocated_bytes"]
        rows.append(("(a) managed allocation, open + rewrite 1 GiB", "-", f"{alloc / MIB:.2f} MiB", "-", "< 64 MiB",
                     "PASS" if alloc < 64 * MIB else "MISS", alloc))
        ns = dn("write_big_nosync")
        rows.append(("    (info) write 1 GiB without fsync (Save to a stream) vs torch.save", fmt_s(pc["big"]["save"]["median_s"]), fmt_s(ns),
                     f"{pc['big']['save']['median_s'] / ns:,.1f}x", "-", "", pc["big"]["save"]["median_s"] / ns))
        rows.append(("    (info) write 1 GiB without fsync / plain copy", fmt_s(cp), fmt_s(ns), f"{ns / cp:.2f}x", "-", "", ns / cp))
        cps = dn("copy_big_readwrite_fsync")
        rows.append(("    (info) write 1 GiB / plain copy + fsync", fmt_s(cps), fmt_s(w), f"{w / cps:.2f}x", "-", "", w / cps))
        fc = dn("copy_big_file_copy")
        rows.append(("    (info) write 1 GiB / File.Copy (in-kernel)", fmt_s(fc), fmt_s(w), f"{w / fc:.2f}x", "-", "", w / fc))
        nm = dn("write_many_nosync")
        rows.append(("    (info) write 20k without fsync vs torch.save", fmt_s(pc["many"]["save"]["median_s"]), fmt_s(nm),
                     f"{pc['many']['save']['median_s'] / nm:,.1f}x", "-", "", pc["many"]["save"]["median_s"] / nm))

    w = [max(len(r[i]) for r in rows) for i in range(6)]
    heads = ("case", "baseline", "PtSharp", "ratio", "target", "")
    w = [max(w[i], len(heads[i])) for i in range(6)]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(heads))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(r[i]).ljust(w[i]) if i in (0, 4, 5) else str(r[i]).rjust(w[i]) for i in range(6)))
    print()
    for case in ("open_index_big", "open_index_many", "open_index_resnet18"):
        if case not in nc:
            continue
        c = nc[case]
        print(f"managed allocation, {case}: {c['allocated_bytes']:,} bytes ({c['allocated_bytes'] / MIB:.2f} MiB) for {c['tensors']:,} tensors")
    for case in ("write_big", "write_many"):
        if case in nc:
            print(f"managed allocation, {case}: {nc[case]['allocated_bytes']:,} bytes ({nc[case]['allocated_bytes'] / MIB:.2f} MiB)")
    print(f"torch {py['torch_version']} / numpy {py['numpy_version']}; {net['runtime']}, {net['processors']} cores, server GC {net['server_gc']}")
    if "--load" in opts:
        print(f"load average before/after: {opts['--load']}")

    missed = [r[0] for r in rows if r[5] == "MISS"]
    print(f"\ntargets: {sum(1 for r in rows if r[5] == 'PASS')} PASS, {len(missed)} MISS")

    if "--out" in opts:
        combined = {
            "torch": py,
            "ptsharp": net,
            "load_average": opts.get("--load"),
            "ratios": [{"case": r[0].strip(), "baseline": r[1], "ptsharp": r[2], "ratio": r[6], "target": r[4], "verdict": r[5]} for r in rows],
        }
        with open(opts["--out"], "w") as f:
            json.dump(combined, f, indent=1)
    return 1 if strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
