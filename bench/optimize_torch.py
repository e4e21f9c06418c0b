#!/usr/bin/python3
"""What `pt quantize` / `pt prune` do, done with torch (the baseline of bench/optimize_side_by_side.sh).

  optimize_torch.py quantize IN OUT     load the state dict, build bias-free nn.Linear layers of its shapes,
                                        load_state_dict, quantize_dynamic({nn.Linear}, qint8), torch.save(state_dict())
  optimize_torch.py prune IN OUT        load, build the layers, prune.l1_unstructured(amount=0.3) + prune.remove
                                        on each, torch.save(state_dict())
The state dict is bench/make_bench_data.py's big_1gib.pt: layers.{i}.weight only.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


def model_for(sd):
    # skip_init: no random initialisation of 1 GiB of weights that load_state_dict overwrites anyway.
    m = nn.Module()
    m.layers = nn.ModuleList()
    for i in range(len(sd)):
        out_f, in_f = sd[f"layers.{i}.weight"].shape
        m.layers.append(torch.nn.utils.skip_init(nn.Linear, in_f, out_f, bias=False))
    m.load_state_dict(sd)
    return m


def main():
    op, src, dst = sys.argv[1:4]
    sd = torch.load(src, map_location="cpu")
    m = model_for(sd)
    del sd
    if op == "quantize":
        q = torch.ao.quantization.quantize_dynamic(m, {nn.Linear}, dtype=torch.qint8)
        torch.save(q.state_dict(), dst)
    elif op == "prune":
        for layer in m.layers:
            prune.l1_unstructured(layer, "weight", amount=0.3)
            prune.remove(layer, "weight")
        torch.save(m.state_dict(), dst)
    else:
        raise SystemExit(f"unknown operation {op}")


main()
