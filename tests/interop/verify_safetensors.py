"""Checks safetensors and sharded checkpoints PtSharp wrote, with real torch and the committed pure-Python
safetensors reader (safetensors_format.py), and makes checkpoints with torch for PtSharp to read. One process per
torch version does both.

  python verify_safetensors.py MANIFEST.json RESULTS.json GEN_DIR

MANIFEST: {"cases": [{"id", "kind", ...}]}; kinds:
  safetensors          {"file", "reference", "reference_key"?, "exclude"?: [keys], "renames"?: {old: new}}
  sharded-safetensors  {"index", "reference", ...}
  sharded-pt           {"index", "reference", ...}
  pt                   {"file", "reference", "tied"?: [[a, b], ...]}
"reference" is a .pt torch loads; its state dict (or its "reference_key" entry), minus "exclude", renamed by
"renames", must equal what the case's files hold: same keys, dtypes, shapes and bytes. Safetensors aliases
(__metadata__ entries naming a written tensor) must be keys whose reference tensor is the same view of the same
storage as the tensor they name.

GEN_DIR receives, made with torch: reference.pt; st/model.safetensors (written by safetensors_format.write);
st_sharded/ (3 safetensors shards + model.safetensors.index.json); bin_sharded/ (3 torch.save shards +
pytorch_model.bin.index.json); gen.json describing them.
"""
import collections
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_format as sf  # noqa: E402

HAS_FP8 = hasattr(torch, "float8_e4m3fn")


def load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:
        return torch.load(path, map_location="cpu")


def reference_state_dict(case):
    obj = load(case["reference"])
    if case.get("reference_key"):
        for part in case["reference_key"].split("."):
            obj = obj[part]
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    sd = collections.OrderedDict((k, v) for k, v in obj.items() if isinstance(v, torch.Tensor))
    for k in case.get("exclude", []):
        sd.pop(k, None)
    renames = case.get("renames", {})
    return collections.OrderedDict((renames.get(k, k), v) for k, v in sd.items())


def same_view(a, b):
    return (a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
            and a.storage_offset() == b.storage_offset() and a.data_ptr() == b.data_ptr())


def check_tensor(problems, where, name, ref, got_dtype_name, got_shape, got_bytes):
    want = sf.safetensors_name(ref.dtype)
    if want != got_dtype_name:
        problems.append("%s %s: dtype %s, expected %s" % (where, name, got_dtype_name, want))
        return
    shape = list(ref.shape)
    if want == "F4":
        shape[-1] *= 2
    if list(got_shape) != shape:
        problems.append("%s %s: shape %s, expected %s" % (where, name, got_shape, shape))
        return
    if bytes(got_bytes) != sf.raw_bytes(ref):
        problems.append("%s %s: bytes differ" % (where, name))


def check_safetensors_files(problems, files, ref, index=None):
    """files: list of (label, parsed File). Every tensor and alias across them must match ref exactly."""
    found = {}
    aliases = {}
    for label, f in files:
        for p in sf.alignment_problems(f):
            problems.append("%s: %s" % (label, p))
        for name in f.header_order:
            if name in found:
                problems.append("%s: %s is also in %s" % (label, name, found[name]))
            found[name] = label
            e = f.entries[name]
            if name not in ref:
                problems.append("%s: unexpected tensor %s" % (label, name))
                continue
            check_tensor(problems, label, name, ref[name], e.dtype, e.shape, f.tensor_bytes(name))
            if index is not None and index["weight_map"].get(name) != os.path.basename(label):
                problems.append("index maps %s to %s, but it is in %s" % (name, index["weight_map"].get(name), label))
        for k, v in (f.metadata or {}).items():
            if k != "format" and k not in f.entries and v in f.entries:
                aliases[k] = v
    for alias, kept in aliases.items():
        if alias not in ref or kept not in ref:
            problems.append("alias %s -> %s names a key the reference lacks" % (alias, kept))
        elif not same_view(ref[alias], ref[kept]):
            problems.append("alias %s -> %s, but the reference tensors are not the same view" % (alias, kept))
        if index is not None and alias in index["weight_map"]:
            problems.append("alias %s is in the index's weight_map" % alias)
    missing = [k for k in ref if k not in found and k not in aliases]
    if missing:
        problems.append("missing keys: %s" % missing[:10])


def case_safetensors(case, problems):
    ref = reference_state_dict(case)
    try:
        f = sf.read(case["file"])
    except sf.FormatError as e:
        problems.append("not valid safetensors: %s" % e)
        return
    if (f.metadata or {}).get("format") != "pt":
        problems.append("__metadata__ lacks format=pt: %s" % f.metadata)
    check_safetensors_files(problems, [(case["file"], f)], ref)


def read_index(path, problems):
    with open(path) as fh:
        index = json.load(fh)
    if not isinstance(index.get("weight_map"), dict) or not isinstance(index.get("metadata", {}).get("total_size"), int):
        problems.append("index lacks weight_map or metadata.total_size")
    return index


def case_sharded_safetensors(case, problems):
    ref = reference_state_dict(case)
    index = read_index(case["index"], problems)
    folder = os.path.dirname(case["index"])
    shards = sorted(set(index["weight_map"].values()))
    if len(shards) != case.get("shards", len(shards)):
        problems.append("%d shards, expected %d" % (len(shards), case["shards"]))
    files = []
    total = 0
    for s in shards:
        path = os.path.join(folder, s)
        try:
            f = sf.read(path)
        except sf.FormatError as e:
            problems.append("%s: not valid safetensors: %s" % (s, e))
            return
        total += len(f.data)
        files.append((path, f))
    if index["metadata"].get("total_size") != total:
        problems.append("total_size %s, shards hold %d data bytes" % (index["metadata"].get("total_size"), total))
    check_safetensors_files(problems, files, ref, index)


def case_sharded_pt(case, problems):
    ref = reference_state_dict(case)
    index = read_index(case["index"], problems)
    folder = os.path.dirname(case["index"])
    shards = sorted(set(index["weight_map"].values()))
    if len(shards) != case.get("shards", len(shards)):
        problems.append("%d shards, expected %d" % (len(shards), case["shards"]))
    found = {}
    for s in shards:
        sd = load(os.path.join(folder, s))
        for k, v in sd.items():
            if k in found:
                problems.append("%s is in %s and %s" % (k, found[k], s))
            found[k] = s
            if index["weight_map"].get(k) != s:
                problems.append("index maps %s to %s, but it is in %s" % (k, index["weight_map"].get(k), s))
            if k not in ref:
                problems.append("unexpected key %s" % k)
                continue
            check_tensor(problems, s, k, ref[k], sf.safetensors_name(v.dtype), list(v.shape) if v.dtype != getattr(torch, "float4_e2m1fn_x2", None) else list(v.shape[:-1]) + [v.shape[-1] * 2], sf.raw_bytes(v))
    missing = [k for k in ref if k not in found]
    if missing:
        problems.append("missing keys: %s" % missing[:10])


def case_pt(case, problems):
    ref = reference_state_dict(case)
    got = load(case["file"])
    if set(got.keys()) != set(ref.keys()):
        problems.append("keys differ: only written %s, only reference %s" % (sorted(set(got) - set(ref))[:5], sorted(set(ref) - set(got))[:5]))
    for k in ref:
        if k in got:
            v = got[k]
            check_tensor(problems, "pt", k, ref[k], sf.safetensors_name(v.dtype), list(v.shape), sf.raw_bytes(v))
    for a, b in case.get("tied", []):
        if a in got and b in got and got[a].data_ptr() != got[b].data_ptr():
            problems.append("%s and %s are not tied after loading" % (a, b))


CASES = {"safetensors": case_safetensors, "sharded-safetensors": case_sharded_safetensors,
         "sharded-pt": case_sharded_pt, "pt": case_pt}


# ---- files for PtSharp to read ---------------------------------------------------------------------------------

def reference():
    g = torch.Generator().manual_seed(0)
    embed = torch.randn(10, 4, generator=g)
    base = torch.arange(24, dtype=torch.float32).reshape(6, 4)
    sd = collections.OrderedDict()
    sd["embed.weight"] = embed
    sd["layers.0.weight"] = torch.randn(4, 4, generator=g)
    sd["layers.0.bias"] = torch.randn(4, generator=g).to(torch.bfloat16)
    sd["view.rows"] = base[2:5]          # storage offset 8
    sd["view.col"] = base[:, 1]          # offset 1, stride 4
    sd["view.t"] = base.t()              # transposed
    sd["half"] = torch.randn(3, 5, generator=g).half()
    sd["zero"] = torch.zeros(0, 3)
    sd["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    sd["count"] = torch.tensor(7)
    sd["mask"] = torch.tensor([True, False, True])
    if HAS_FP8:
        sd["fp8.e4m3"] = torch.randn(8, generator=g).to(torch.float8_e4m3fn)
        sd["fp8.e5m2"] = torch.randn(2, 3, generator=g).to(torch.float8_e5m2)
    sd["lm_head.weight"] = embed         # tied to the embedding
    return sd


def safetensors_items(sd, names):
    """Items for sf.write plus the alias metadata (identical views of one storage written once)."""
    items, metadata, kept_views = [], {"format": "pt"}, []
    for k in names:
        t = sd[k]
        twin = next((n for n in kept_views if same_view(sd[n], t)), None)
        if twin is not None:
            metadata[k] = twin
            continue
        kept_views.append(k)
        items.append(sf.from_torch(k, t))
    return items, metadata


def generate(out):
    sd = reference()
    os.makedirs(out, exist_ok=True)
    torch.save(sd, os.path.join(out, "reference.pt"))
    names = list(sd.keys())

    os.makedirs(os.path.join(out, "st"), exist_ok=True)
    items, meta = safetensors_items(sd, names)
    sf.write(os.path.join(out, "st", "model.safetensors"), items, meta)

    groups = [["embed.weight", "lm_head.weight", "layers.0.weight", "layers.0.bias"],
              ["view.rows", "view.col", "view.t", "half"],
              [n for n in names if n not in ("embed.weight", "lm_head.weight", "layers.0.weight", "layers.0.bias",
                                             "view.rows", "view.col", "view.t", "half")]]
    d = os.path.join(out, "st_sharded")
    os.makedirs(d, exist_ok=True)
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        shard = "model-%05d-of-%05d.safetensors" % (i + 1, len(groups))
        items, meta = safetensors_items(sd, group)
        sf.write(os.path.join(d, shard), items, meta)
        total += sum(len(it[3]) for it in items)
        for it in items:
            weight_map[it[0]] = shard
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as fh:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, fh, indent=2)

    d = os.path.join(out, "bin_sharded")
    os.makedirs(d, exist_ok=True)
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        shard = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(groups))
        part = collections.OrderedDict((k, sd[k]) for k in group)
        torch.save(part, os.path.join(d, shard))
        for k in group:
            weight_map[k] = shard
        total += sum(t.numel() * t.element_size() for t in part.values())
    with open(os.path.join(d, "pytorch_model.bin.index.json"), "w") as fh:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, fh, indent=2)

    with open(os.path.join(out, "gen.json"), "w") as fh:
        json.dump({"torch": torch.__version__, "keys": names, "fp8": HAS_FP8}, fh)


def main(argv):
    manifest_path, results_path, gen_dir = argv[1], argv[2], argv[3]
    with open(manifest_path) as fh:
        manifest = json.load(fh)
    results = []
    for case in manifest["cases"]:
        problems = []
        try:
            CASES[case["kind"]](case, problems)
        except Exception as e:  # report, keep checking the other cases
            problems.append("%s: %s" % (type(e).__name__, e))
        results.append({"id": case["id"], "problems": problems})
    generate(gen_dir)
    with open(results_path, "w") as fh:
        json.dump({"torch": torch.__version__, "results": results}, fh, indent=1)


if __name__ == "__main__":
    main(sys.argv)
