"""Python's side of the TorchSharp load benchmark: model.load_state_dict(torch.load(path)) for resnet18 and the
1 GiB state dict, median wall time of N runs after a warm-up.   python torchsharp_python.py DATA_DIR [N]"""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision

data = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def big():
    layers = nn.Sequential(*[nn.Linear(4096, 4096 if i % 3 == 0 else 2048, bias=False) for i in range(24)])
    m = nn.Module()
    m.layers = layers
    return m


for name, make in (("resnet18", torchvision.models.resnet18), ("big_1gib", big)):
    model = make()
    path = os.path.join(data, name + ".pt")
    model.load_state_dict(torch.load(path))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        model.load_state_dict(torch.load(path))
        times.append((time.perf_counter() - t0) * 1000)
    print("%s\tPython load_state_dict(torch.load)\tmedian_ms=%.1f" % (name, statistics.median(times)))
