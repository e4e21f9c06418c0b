"""pt scan next to picklescan, run from its source, on the same files (issue 9: detection table and scan speed).

usage: /usr/bin/python3 bench/picklescan_compare.py --picklescan-src DIR --pt PATH_TO_PT [--runs N] [--out FILE]

DIR is a checkout of https://github.com/mmaitre314/picklescan (its src/ is put on sys.path; it needs nothing but the
standard library). Verdicts: every file of tests/malicious/manifest.json and every benign file under
tests/fixtures and samples (tensor files, pickles, archives; not scripts or expected-value JSON). For picklescan a
file is "flagged" when scan_file_path reports a dangerous global (infected), "suspicious" when it reports only
suspicious globals, "error" when it could not scan it; for pt scan the verdict is its own (dangerous, warnings,
clean, unreadable). Speed: whole processes, median of N runs after a warm-up, `pt scan -r tests/fixtures` against
`python3 -m picklescan -p tests/fixtures` and bench/pickletools_scan.py.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--picklescan-src", required=True)
ap.add_argument("--pt", required=True)
ap.add_argument("--runs", type=int, default=7)
ap.add_argument("--out")
ap.add_argument("--speed-dir", action="append", default=[],
                help="folders to time the three scanners on (default: tests/fixtures)")
args = ap.parse_args()
repo = pathlib.Path(__file__).resolve().parent.parent
os.chdir(repo)
sys.path.insert(0, str(pathlib.Path(args.picklescan_src) / "src"))
import logging  # noqa: E402

logging.getLogger("picklescan").setLevel(logging.CRITICAL)
from picklescan import scanner  # noqa: E402

SKIP = {".py", ".json", ".md", ".txt", ".sh"}
malicious = json.load(open("tests/malicious/manifest.json"))["files"]
# The one fixture that is hostile by design: a TorchScript archive whose __setstate__ writes a file (its twin,
# torchscript_setstate_benign.pt, is benign).
HOSTILE_FIXTURES = {"tests/fixtures/torchscript-setstate/torchscript_setstate_save.pt":
                    "TorchScript __setstate__ that calls torch.save (runs at torch.jit.load)"}
benign = sorted(str(p) for root in ("tests/fixtures", "samples") for p in pathlib.Path(root).rglob("*")
                if p.is_file() and p.suffix not in SKIP and "TorchSharpClassify" not in p.parts
                and str(p) not in HOSTILE_FIXTURES)


def picklescan_verdict(path):
    try:
        r = scanner.scan_file_path(path)
    except Exception as e:  # picklescan raising is its "could not scan"
        return "error", repr(e)[:80]
    if r.scan_err:
        return "error", ""
    if r.infected_files > 0 or r.issues_count > 0:
        return "flagged", ", ".join(sorted({f"{g.module}.{g.name}" for g in r.globals
                                             if g.safety.name == "Dangerous"}))[:80]
    if getattr(r, "suspicious_count", 0) > 0:
        return "suspicious", ""
    return "clean", ""


def pt_verdicts(paths):
    out = subprocess.run([args.pt, "scan", "--json", *paths], capture_output=True, text=True)
    doc = json.loads(out.stdout)
    return {f["path"]: f["verdict"] for f in doc["files"]}


mal_paths = [f"tests/malicious/{f['file']}" for f in malicious]
for path, mechanism in HOSTILE_FIXTURES.items():
    malicious.append({"file": path.removeprefix("tests/"), "mechanism": mechanism})
    mal_paths.append(path)
pt_mal = pt_verdicts(mal_paths)
pt_ben = pt_verdicts(benign)
rows = []
for f, p in zip(malicious, mal_paths):
    ps, detail = picklescan_verdict(p)
    rows.append((f["file"], f["mechanism"], pt_mal.get(p, "?"), ps, detail))
ben_rows = [(p, pt_ben.get(p, "?"), picklescan_verdict(p)[0]) for p in benign]


def count(values):
    c = {}
    for v in values:
        c[v] = c.get(v, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(c.items(), key=lambda kv: -kv[1]))


def median_ms(cmd):
    subprocess.run(cmd, capture_output=True)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


env_py = [sys.executable]
ps_src = str(pathlib.Path(args.picklescan_src) / "src")
speed_dirs = args.speed_dir or ["tests/fixtures"]
load = os.getloadavg()
speed = []
for d in speed_dirs:
    n_files = sum(1 for p in pathlib.Path(d).rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in pathlib.Path(d).rglob("*") if p.is_file())
    ps_cmd = env_py + ["-c", "import sys; sys.path.insert(0, %r); from picklescan.cli import main; sys.argv = "
                       "['picklescan', '-p', %r]; main()" % (ps_src, d)]
    speed.append((d, n_files, size, median_ms([args.pt, "scan", "-r", d]),
                  median_ms([args.pt, "scan", "-r", d, "--json"]), median_ms(ps_cmd),
                  median_ms(env_py + ["bench/pickletools_scan.py", d])))

lines = []
cfg = pathlib.Path(args.picklescan_src) / "setup.cfg"
version = next((line.split("=", 1)[1].strip() for line in cfg.read_text().splitlines()
                if line.startswith("version")), "?") if cfg.exists() else "?"
lines.append(f"picklescan {version} from {args.picklescan_src}; pt = {args.pt}; "
             f"load average before timing {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
lines.append("")
lines.append("| corpus | pt scan | picklescan |")
lines.append("|---|---|---|")
lines.append(f"| malicious ({len(rows)}) | {count(r[2] for r in rows)} | {count(r[3] for r in rows)} |")
lines.append(f"| benign ({len(ben_rows)}) | {count(r[1] for r in ben_rows)} | {count(r[2] for r in ben_rows)} |")
lines.append("")
lines.append("Malicious files picklescan does not flag (pt scan's verdict, picklescan's):")
lines.append("")
lines.append("| file | technique | pt scan | picklescan |")
lines.append("|---|---|---|---|")
for name, mech, pt, ps, _ in rows:
    if ps != "flagged":
        lines.append(f"| `{name}` | {mech} | {pt} | {ps} |")
lines.append("")
missed_pt = [r for r in rows if r[2] != "dangerous"]
lines.append(f"Malicious files pt scan does not call dangerous: {len(missed_pt)}"
             + ("" if not missed_pt else ": " + ", ".join(f"`{r[0]}` ({r[2]})" for r in missed_pt)))
flag_benign = [r for r in ben_rows if r[2] == "flagged" or r[1] == "dangerous"]
lines.append(f"Benign files called dangerous/flagged: "
             + (", ".join(f"`{r[0]}` (pt {r[1]}, picklescan {r[2]})" for r in flag_benign) or "none"))
lines.append("")
lines.append(f"Speed, whole process, median of {args.runs} runs after a warm-up (warm page cache):")
lines.append("")
lines.append("| folder | files | MB | pt scan -r | pt scan -r --json | picklescan 1.0.5 | pickletools_scan.py | "
             "pt vs picklescan | pt vs pickletools |")
lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for d, n, size, t_pt, t_json, t_ps, t_pk in speed:
    lines.append(f"| `{d}` | {n} | {size / 1e6:.1f} | {t_pt:.1f} ms | {t_json:.1f} ms | {t_ps:.1f} ms | {t_pk:.1f} ms "
                 f"| {t_ps / t_pt:.1f}x | {t_pk / t_pt:.1f}x |")
text = "\n".join(lines) + "\n"
print(text)
if args.out:
    pathlib.Path(args.out).write_text(text)
