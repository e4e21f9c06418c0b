"""Checks ONNX files PtSharp wrote against torch 2.6 (run in the chroot: tools/oracle.sh 2.6 onnx_check.py REQUEST.json).

REQUEST.json: {"cases": [{"name", "pt", "onnx", "inputs": [[shape]...], "seed", "fp16": bool,
                           "load": "jit"|"pickle"|"state_dict", "arch", "num_classes", "ref": PREFIX}],
               "out": "RESULT.json"}
For each case: onnx.checker.check_model(full_check=True), then onnxruntime's outputs vs torch's on the same random
inputs: torch.jit.load(pt)(x) (load "jit", the default), torch.load(pt, weights_only=False)(x) (a pickled module), or
torchvision.models.<arch>(num_classes=...) with load_state_dict(torch.load(pt)) (a state dict). Writes {"name":
{"checker": "ok"|error, "max_rel": max|ort - torch| / max|torch|, "allclose": rtol 1e-4 atol 1e-5, "max_abs": float}}
and saves the inputs and torch's outputs as .npy next to the ONNX file for the .NET side. With "ref", also runs
onnxruntime on PREFIX.ref_in0.npy and compares with PREFIX.ref_out0.npy (the writing torch's own forward, torch 1.13
for its files): "writer_max_rel", "writer_allclose".
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch


def load(c):
    how = c.get("load", "jit")
    if how == "jit":
        return torch.jit.load(c["pt"])
    if how == "pickle":
        return torch.load(c["pt"], weights_only=False)
    if how == "state_dict":
        import torchvision
        m = getattr(torchvision.models, c["arch"])(num_classes=c["num_classes"])
        m.load_state_dict(torch.load(c["pt"], weights_only=True))
        return m
    raise ValueError("unknown load %r" % how)


def main():
    req = json.load(open(sys.argv[1]))
    results = {}
    for c in req["cases"]:
        r = {}
        try:
            onnx.checker.check_model(onnx.load(c["onnx"]), full_check=True)
            r["checker"] = "ok"
        except Exception as e:
            r["checker"] = "%s: %s" % (type(e).__name__, e)
        g = torch.Generator().manual_seed(c.get("seed", 0))
        xs = [torch.randn(*s, generator=g) for s in c["inputs"]]
        with torch.no_grad():
            m = load(c).eval()
            want = m(*xs)
        want = [want] if isinstance(want, torch.Tensor) else list(want)
        try:
            sess = ort.InferenceSession(c["onnx"], providers=["CPUExecutionProvider"])
            feed = {}
            for i, x in zip(sess.get_inputs(), xs):
                a = x.numpy()
                feed[i.name] = a.astype(np.float16) if c.get("fp16") else a
            got = sess.run(None, feed)
            rel, ab = 0.0, 0.0
            for w, o in zip(want, got):
                w = w.numpy().astype(np.float64)
                o = o.astype(np.float64)
                if w.shape != o.shape:
                    raise ValueError("shape %s vs torch %s" % (o.shape, w.shape))
                d = np.abs(w - o)
                ab = max(ab, float(d.max()))
                rel = max(rel, float(d.max() / max(np.abs(w).max(), 1e-12)))
                r["allclose"] = bool(np.allclose(o, w, rtol=1e-4, atol=1e-5)) and r.get("allclose", True)
            r["max_rel"], r["max_abs"] = rel, ab
            for i, x in enumerate(xs):
                np.save(c["onnx"] + ".in%d.npy" % i, x.numpy())
            np.save(c["onnx"] + ".out0.npy", want[0].numpy())
            if c.get("ref"):
                x0 = np.load(c["ref"] + ".ref_in0.npy")
                w0 = np.load(c["ref"] + ".ref_out0.npy").astype(np.float64)
                o0 = sess.run(None, {sess.get_inputs()[0].name: x0})[0].astype(np.float64)
                if w0.shape != o0.shape:
                    raise ValueError("shape %s vs the writing torch's %s" % (o0.shape, w0.shape))
                r["writer_max_rel"] = float(np.abs(w0 - o0).max() / max(np.abs(w0).max(), 1e-12))
                r["writer_allclose"] = bool(np.allclose(o0, w0, rtol=1e-4, atol=1e-5))
        except Exception as e:
            r["run"] = "%s: %s" % (type(e).__name__, str(e)[:500])
        results[c["name"]] = r
    json.dump(results, open(req["out"], "w"), indent=1)


if __name__ == "__main__":
    main()
