"""Files and torch's own answers for the `pt diff` CLI tests.

  python diff_cases.py OUT_DIR

Writes, with torch (fixed seed): ckpt_a.pt and ckpt_b.pt (training checkpoints: the same model, the optimizer
state one Adam step apart with lr=0, so only the optimizer differs), sd.pt (the model's state dict), ddp.pt (the
same with DataParallel's "module." prefix), half.pt (sd.pt cast to float16), half_off.pt (half.pt with one value
moved by one float16 ulp) and OUT_DIR/expected.json: per pair of files, torch's max |a-b| per key, where the
comparison of a float32 tensor with a float16 one casts the float32 side with `.to(torch.float16)` first.
"""
import collections
import json
import sys

import torch

out = sys.argv[1]
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(5, 4)).sum().backward()
opt.step()
torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(), "epoch": 3}, f"{out}/ckpt_a.pt")
state_a = {k: v.clone() for k, v in opt.state_dict()["state"][0].items()}
for g in opt.param_groups:
    g["lr"] = 0.0
opt.zero_grad()
model(torch.randn(5, 4)).sum().backward()
opt.step()
torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(), "epoch": 3}, f"{out}/ckpt_b.pt")
sd = model.state_dict()
torch.save(sd, f"{out}/sd.pt")
torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()), f"{out}/ddp.pt")
half = collections.OrderedDict((k, v.to(torch.float16)) for k, v in sd.items())
torch.save(half, f"{out}/half.pt")
off = collections.OrderedDict((k, v.clone()) for k, v in half.items())
# one float16 ulp up, through the bit pattern
bits = off["0.weight"].view(torch.int16)
bits.view(-1)[0] += 1
torch.save(off, f"{out}/half_off.pt")

b_state = opt.state_dict()["state"][0]
expected = {
    "torch": torch.__version__,
    "optimizer_exp_avg_max_abs": float((state_a["exp_avg"].double() - b_state["exp_avg"].double()).abs().max()),
    "half_off_max_abs": float((sd["0.weight"].to(torch.float16).double() - off["0.weight"].double()).abs().max()),
    "half_equal_after_cast": all(bool((sd[k].to(torch.float16) == half[k]).all()) for k in sd),
    "model_equal": all(bool((torch.load(f"{out}/ckpt_a.pt")["model_state_dict"][k] == sd[k]).all()) for k in sd),
    "optimizer_tensors": sum(1 for s in opt.state_dict()["state"].values() for v in s.values() if torch.is_tensor(v)),
}
with open(f"{out}/expected.json", "w") as f:
    json.dump(expected, f)
