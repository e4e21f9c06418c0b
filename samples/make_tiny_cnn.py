#!/usr/bin/env python3
"""Writes samples/tiny_cnn_model.pt: a complete pickled CNN (torch.save(model), 10 classes, random weights with a
fixed seed) for the TorchSharpClassify sample, and prints torch's top-5 for the sample's input (torch.ones/2 + a ramp).

    tools/oracle.sh 2.6 samples/make_tiny_cnn.py
"""
import os

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
).eval()
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_cnn_model.pt")
torch.save(model, path)
x = torch.linspace(0, 1, 3 * 32 * 32).reshape(1, 3, 32, 32)
p = model(x).softmax(1)[0]
top = p.topk(5)
for i, v in zip(top.indices.tolist(), top.values.tolist()):
    print("class %d: %.4f" % (i, v))
