"""Loads .pt files built in .NET by PtSharp with real torch and checks them against the description .NET made of
its input (tests/PtSharp.Tests/Writing/ExpectedJson.cs).

Usage: verify_dotnet_built.py MANIFEST.json RESULTS.json
MANIFEST: [{"path": file, "load": "weights_only" | "plain", "train": null | "adam" | "sgd", "big": bool,
            "expected": tree}]
Each file is loaded (weights_only=True where asked and supported; on torch >= 2.1 also with mmap=True, and files
marked big only with mmap=True) and compared value by value: Python types, dict classes, key order, `_metadata`,
every tensor's dtype, shape, stride, storage offset, requires_grad, Parameter-ness, storage size, the bytes and
values of every logical element, and which tensors share a storage (`untyped_storage().data_ptr()` on torch 2,
`storage().data_ptr()` on 1.13). Checkpoints marked "train" are resumed: the model's load_state_dict, the
optimizer's load_state_dict, one forward/backward/step, and the parameters must move exactly as the optimizer's
update rule computed from the loaded state says. One torch process checks the whole batch.
"""
import collections
import json
import math
import sys
import traceback

import torch

LOAD_PARAMS = torch.load.__code__.co_varnames
HAS_WEIGHTS_ONLY = "weights_only" in LOAD_PARAMS
HAS_MMAP = "mmap" in LOAD_PARAMS


def storage_of(t):
    """(data_ptr, nbytes) of the tensor's storage, as the issue prescribes per torch version."""
    if hasattr(t, "untyped_storage"):
        s = t.untyped_storage()
        return s.data_ptr(), s.nbytes()
    s = t.storage()
    return s.data_ptr(), s.nbytes()


def dtype_name(dt):
    return str(dt).replace("torch.", "")


def logical_bytes(t):
    """Bytes of the logical elements in row-major order, through same-size integer views (no size-changing views)."""
    c = t.detach().contiguous().reshape(-1)
    if c.numel() == 0:
        return b""
    if c.is_complex():
        c = torch.view_as_real(c).reshape(-1)
    same = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[c.element_size()]
    return c.view(same).numpy().tobytes()


def values_of(t):
    c = t.detach().reshape(-1)
    dt = c.dtype
    if dt.is_complex:
        return [[z.real, z.imag] for z in c.to(torch.complex128).tolist()]
    if dt == torch.bool:
        return c.tolist()
    if dt.is_floating_point:
        return c.to(torch.float64).tolist()
    if dt == getattr(torch, "uint64", None):
        return [v % (1 << 64) for v in c.tolist()]
    return c.to(torch.int64).tolist()


def float_matches(expected, actual):
    if not isinstance(actual, float):
        return False
    if isinstance(expected, int):
        expected = float(expected)  # JSON writes whole doubles without a fraction (6.6e16 -> 66492634977271810)
    if expected == "nan":
        return math.isnan(actual)
    if expected == "inf":
        return actual == math.inf
    if expected == "-inf":
        return actual == -math.inf
    if expected == "-0":
        return actual == 0 and math.copysign(1, actual) < 0
    return actual == expected and (expected != 0 or math.copysign(1, actual) > 0)


def value_matches(kind, expected, actual):
    """kind: 'complex' (expected [re, im]), 'float', 'bool' or 'int'. JSON writes whole floats as ints (2.0 -> 2)."""
    if kind == "complex":
        return isinstance(actual, list) and len(actual) == 2 and all(float_matches(e, a) for e, a in zip(expected, actual))
    if kind == "float":
        return float_matches(expected, actual)
    if kind == "bool":
        return actual is expected
    return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected


def decode_key(node):
    t = node["t"]
    if t in ("str", "int", "bool"):
        return node["v"]
    if t == "none":
        return None
    if t == "float":
        v = node["v"]
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0": -0.0}.get(v, v) if isinstance(v, str) else v
    raise ValueError("unsupported key " + t)


class Checker:
    def __init__(self):
        self.problems = []
        self.notes = []
        self.groups = collections.defaultdict(list)  # group -> [(where, ptr, nbytes)]

    def fail(self, where, msg):
        if len(self.problems) < 40:
            self.problems.append("%s: %s" % (where or "<root>", msg))

    def check(self, exp, act, where=""):
        t = exp["t"]
        if t == "none":
            if act is not None:
                self.fail(where, "expected None, got %r" % type(act))
        elif t == "bool":
            if act is not exp["v"]:
                self.fail(where, "expected %r, got %r" % (exp["v"], act))
        elif t == "int":
            if type(act) is not int or act != exp["v"]:
                self.fail(where, "expected int %r, got %r" % (exp["v"], act))
        elif t == "float":
            if not float_matches(exp["v"], act):
                self.fail(where, "expected float %r, got %r" % (exp["v"], act))
        elif t == "str":
            if type(act) is not str or act != exp["v"]:
                self.fail(where, "expected %r, got %r" % (exp["v"], act))
        elif t == "bytes":
            if type(act) is not bytes or act.hex() != exp["hex"]:
                self.fail(where, "expected bytes %s, got %r" % (exp["hex"][:40], act))
        elif t in ("list", "tuple"):
            typ = list if t == "list" else tuple
            if type(act) is not typ or len(act) != len(exp["items"]):
                self.fail(where, "expected %s of %d, got %r" % (t, len(exp["items"]), type(act)))
                return
            for i, (e, a) in enumerate(zip(exp["items"], act)):
                self.check(e, a, "%s[%d]" % (where, i))
        elif t == "dict":
            self.check_dict(exp, act, where)
        elif t == "tensor":
            self.check_tensor(exp, act, where)
        else:
            self.fail(where, "unknown expected type " + t)

    def check_dict(self, exp, act, where):
        cls = exp["class"]
        want = collections.OrderedDict if cls == "collections.OrderedDict" else dict
        if type(act) is not want:
            self.fail(where, "expected %s, got %r" % (cls, type(act)))
            return
        keys = [decode_key(k) for k, _ in exp["items"]]
        if list(act.keys()) != keys:
            self.fail(where, "keys %r != %r" % (list(act.keys())[:10], keys[:10]))
            return
        for (k, v), key in zip(exp["items"], keys):
            self.check(v, act[key], "%s.%s" % (where, key))
        attrs = exp.get("attrs", {})
        for name, v in attrs.items():
            if not hasattr(act, name):
                self.fail(where, "attribute %s missing" % name)
            else:
                self.check(v, getattr(act, name), "%s.<%s>" % (where, name))
        if "_metadata" not in attrs and hasattr(act, "_metadata"):
            self.fail(where, "unexpected _metadata")

    def check_tensor(self, exp, t, where):
        if not isinstance(t, torch.Tensor):
            self.fail(where, "expected a tensor, got %r" % type(t))
            return
        got = {
            "dtype": dtype_name(t.dtype),
            "shape": list(t.shape),
            "stride": list(t.stride()),
            "offset": t.storage_offset(),
            "requires_grad": t.requires_grad,
            "is_parameter": isinstance(t, torch.nn.Parameter),
        }
        for k, v in got.items():
            if v != exp[k]:
                self.fail(where, "%s %r != expected %r" % (k, v, exp[k]))
        if got["dtype"] != exp["dtype"] or got["shape"] != exp["shape"]:
            return
        ptr, nbytes = storage_of(t)
        if nbytes != exp["storage_bytes"]:
            self.fail(where, "storage of %d bytes, expected %d" % (nbytes, exp["storage_bytes"]))
        self.groups[exp["group"]].append((where, ptr, nbytes))
        if "hex" in exp:
            b = logical_bytes(t)
            if b.hex() != exp["hex"]:
                self.fail(where, "element bytes %s != expected %s" % (b.hex()[:64], exp["hex"][:64]))
        if "values" in exp:
            try:
                vals = values_of(t)
            except (RuntimeError, TypeError) as e:
                self.notes.append("%s: values not converted by this torch (%s); bytes checked" % (where, str(e).splitlines()[0][:80]))
            else:
                kind = "complex" if t.dtype.is_complex else "float" if t.dtype.is_floating_point else "bool" if t.dtype == torch.bool else "int"
                if len(vals) != len(exp["values"]):
                    self.fail(where, "%d values, expected %d" % (len(vals), len(exp["values"])))
                for i, (e, a) in enumerate(zip(exp["values"], vals)):
                    if not value_matches(kind, e, a):
                        self.fail(where, "element %d is %r, expected %r" % (i, a, e))
                        break
        for index, hexbyte in exp.get("probes", []):
            element = t.reshape(-1)[index:index + 1]
            b = logical_bytes(element).hex()
            if b != hexbyte:
                self.fail(where, "element %d bytes %s != expected %s" % (index, b, hexbyte))

    def check_sharing(self):
        owner = {}
        for group, members in self.groups.items():
            ptrs = {p for _, p, n in members}
            if len(ptrs) != 1:
                self.fail(members[0][0], "tensors of one .NET storage do not share a torch storage: %s" % [w for w, _, _ in members])
            for where, ptr, n in members:
                if n == 0:
                    continue  # empty storages have no distinct address
                if ptr in owner and owner[ptr] != group:
                    self.fail(where, "shares a storage with tensors of another .NET storage")
                owner[ptr] = group


def train(ck, kind, checker):
    """Resumes the checkpoint: load both state dicts, one step, compare with the update rule."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    model.load_state_dict(ck["model_state_dict"])
    for name, p in model.named_parameters():
        if not torch.equal(p.detach(), ck["model_state_dict"][name]):
            checker.fail("train", "parameter %s not loaded" % name)
    params = list(model.parameters())
    if kind == "adam":
        opt = torch.optim.Adam(params)
    else:
        opt = torch.optim.SGD(params, lr=0.5, momentum=0.1)  # the loaded group must replace these
    opt.load_state_dict(ck["optimizer_state_dict"])
    group = opt.param_groups[0]
    x = torch.linspace(-1, 1, 20).reshape(5, 4)
    before = [p.detach().clone() for p in params]
    opt.zero_grad()
    loss = model(x).pow(2).sum()
    loss.backward()
    expected = []
    for p, p0 in zip(params, before):
        g = p.grad.detach().clone()
        st = opt.state[p]
        if kind == "adam":
            b1, b2 = group["betas"]
            step = float(st["step"]) + 1
            m = b1 * st["exp_avg"] + (1 - b1) * g
            v = b2 * st["exp_avg_sq"] + (1 - b2) * g * g
            denom = v.sqrt() / math.sqrt(1 - b2 ** step) + group["eps"]
            expected.append(p0 - group["lr"] / (1 - b1 ** step) * m / denom)
        else:
            buf = group["momentum"] * st["momentum_buffer"] + g
            expected.append(p0 - group["lr"] * buf)
    opt.step()
    for i, (p, e, p0) in enumerate(zip(params, expected, before)):
        if not torch.isfinite(p).all():
            checker.fail("train", "parameter %d is not finite after step()" % i)
        elif torch.equal(p.detach(), p0):
            checker.fail("train", "parameter %d did not move" % i)
        elif not torch.allclose(p.detach(), e, rtol=1e-5, atol=1e-7):
            checker.fail("train", "parameter %d moved by %s, the loaded state says %s" % (i, (p.detach() - p0).flatten()[:3].tolist(), (e - p0).flatten()[:3].tolist()))
    if kind == "adam":
        steps = {float(opt.state[p]["step"]) for p in params}
        if steps != {3.0}:
            checker.fail("train", "Adam step after resuming is %r, expected 3" % steps)
        if group["lr"] != 0.001 or tuple(group["betas"]) != (0.9, 0.999):
            checker.fail("train", "param group not loaded: %r" % {k: group[k] for k in ("lr", "betas")})
    elif group["lr"] != 0.01 or group["momentum"] != 0.9:
        checker.fail("train", "param group not loaded: lr %r momentum %r" % (group["lr"], group["momentum"]))
    checker.notes.append("%s: resumed, one step, loss %.4f" % (kind, float(loss)))


def check(entry):
    path = entry["path"]
    weights_only = entry["load"] == "weights_only" and HAS_WEIGHTS_ONLY
    loads = []
    if not (entry.get("big") and HAS_MMAP):
        kw = {"map_location": "cpu"}
        if HAS_WEIGHTS_ONLY:
            kw["weights_only"] = weights_only
        loads.append(("load(weights_only=%s)" % weights_only, kw))
    if HAS_MMAP:
        loads.append(("load(mmap=True, weights_only=%s)" % weights_only, {"map_location": "cpu", "mmap": True, "weights_only": weights_only}))
    problems, notes = [], []
    for label, kw in loads:
        checker = Checker()
        try:
            obj = torch.load(path, **kw)
        except Exception as e:
            problems.append("%s failed: %s" % (label, str(e).splitlines()[0][:300]))
            continue
        checker.check(entry["expected"], obj)
        checker.check_sharing()
        if entry.get("train"):
            try:
                train(obj, entry["train"], checker)
            except Exception as e:
                checker.fail("train", "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:300]))
        problems += ["%s: %s" % (label, p) for p in checker.problems]
        notes += ["%s: %s" % (label, n) for n in checker.notes]
        del obj
    return problems, notes


def main():
    manifest = json.load(open(sys.argv[1]))
    results = []
    for entry in manifest:
        try:
            problems, notes = check(entry)
        except Exception as e:
            problems, notes = ["exception: %s" % "".join(traceback.format_exception_only(type(e), e)).strip()[:500]], []
        results.append({"path": entry["path"], "problems": problems[:40], "notes": notes})
        print("[verify_dotnet_built] %s: %d problems" % (entry["path"], len(problems)), file=sys.stderr, flush=True)
    json.dump({"torch_version": torch.__version__, "results": results}, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
