"""Op counts of two ONNX files side by side, and ONNX Runtime latency of each (median of N runs after warm-up).

    tools/oracle.sh 2.6 bench/onnx_compare.py OURS.onnx TORCH.onnx SHAPE [RUNS]
"""
import collections
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort


def counts(path):
    return collections.Counter(n.op_type for n in onnx.load(path).graph.node), len(onnx.load(path).graph.initializer)


def latency(path, x, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {s.get_inputs()[0].name: x}
    for _ in range(10):
        s.run(None, feed)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, feed)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3


ours, theirs, shape = sys.argv[1], sys.argv[2], [int(d) for d in sys.argv[3].split(",")]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
(a, ia), (b, ib) = counts(ours), counts(theirs)
print("| op | PtSharp | torch.onnx.export |")
print("|---|---:|---:|")
for op in sorted(set(a) | set(b)):
    print("| %s | %d | %d |" % (op, a.get(op, 0), b.get(op, 0)))
print("| **nodes** | **%d** | **%d** |" % (sum(a.values()), sum(b.values())))
print("| initializers | %d | %d |" % (ia, ib))
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
la, lb = latency(ours, x, runs), latency(theirs, x, runs)
print("\nORT 1.21 latency, 1 thread, median of %d: PtSharp %.3f ms, torch %.3f ms (ratio %.3f)" % (runs, la, lb, la / lb))
