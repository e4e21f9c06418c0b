"""Writes torch.distributed.checkpoint folders with real torch (2.6) and converts each with dcp_to_torch_save.

    dcp_fixtures.py OUT_DIR [bench BYTES]

OUT_DIR/<case>/ is the DCP folder and OUT_DIR/<case>.pt what dcp_to_torch_save makes of it:
  single    one process, no process group: nested {'model', 'optim' (AdamW after two steps), 'extra'} state
  threads   one process, thread_count=3 (several .distcp files per rank)
  ranks2    two gloo processes, DTensor parameters: row-wise and column-wise Shard, Replicate, uneven rows, + AdamW
  ranks4    the same with four processes
With 'bench BYTES', OUT_DIR/bench/ is instead a folder of about BYTES bytes written by four processes (row shards).
"""
import os
import socket
import subprocess
import sys
import time

os.environ.setdefault("USE_LIBUV", "0")  # Debian's torch is built without libuv

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save


def model_state(seed):
    g = torch.Generator().manual_seed(seed)
    return {
        "fc1.weight": torch.randn(6, 10, generator=g),
        "fc1.bias": torch.randn(6, generator=g),
        "fc2.weight": torch.randn(7, 6, generator=g),  # 7 rows: uneven over 2 and 4 ranks
        "emb.weight": torch.randn(5, 9, generator=g),  # column-wise
        "norm.weight": torch.randn(3, generator=g),  # replicated
    }


def adamw_step(params):
    opt = torch.optim.AdamW(list(params.values()), lr=1e-3, weight_decay=0.01, foreach=False)
    for _ in range(2):
        opt.zero_grad()
        loss = sum((p * p).sum() for p in params.values())
        loss.backward()
        opt.step()
    return opt


def single(out, thread_count=1):
    params = {k: torch.nn.Parameter(v) for k, v in model_state(0).items()}
    opt = adamw_step(params)
    state = {
        "model": {k: v.detach() for k, v in params.items()},
        "optim": opt.state_dict(),
        "extra": {
            "half": torch.arange(12, dtype=torch.float16).reshape(3, 4),
            "bf16": torch.linspace(-2, 2, 10).to(torch.bfloat16),
            "ids": torch.arange(8, dtype=torch.int64),
            "mask": torch.tensor([True, False, True]),
            "scalar": torch.tensor(3.5),
            "empty": torch.zeros(0, 4),
            "transposed": torch.arange(6.0).reshape(2, 3).t(),
            "epoch": 7,
            "name": "run-1",
        },
    }
    writer = dcp.FileSystemWriter(out, thread_count=thread_count)
    dcp.save(state, storage_writer=writer)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ranked(rank, world, out, port, bench_bytes):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), USE_LIBUV="0")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    mesh = init_device_mesh("cpu", (world,))
    if bench_bytes:
        g = torch.Generator().manual_seed(1)
        rows = 1024
        n = max(1, bench_bytes // (rows * 1024 * 4))
        state = {}
        for i in range(n):
            full = torch.randn(rows, 1024, generator=g) if rank == 0 else torch.empty(rows, 1024)
            state[f"layers.{i}.weight"] = distribute_tensor(full, mesh, [Shard(0)])
        dcp.save({"model": state}, checkpoint_id=out)
        finish()
    placements = {
        "fc1.weight": [Shard(0)], "fc1.bias": [Shard(0)], "fc2.weight": [Shard(0)],
        "emb.weight": [Shard(1)], "norm.weight": [Replicate()],
    }
    params = {k: torch.nn.Parameter(distribute_tensor(v, mesh, placements[k])) for k, v in model_state(0).items()}
    opt = adamw_step(params)
    state = {"model": {k: v.detach() for k, v in params.items()}, "optim": opt.state_dict(), "step": 2}
    dcp.save(state, checkpoint_id=out)
    finish()


def finish():
    # destroy_process_group can hang on Debian's gloo build with 4 ranks; the checkpoint is complete after the barrier.
    dist.barrier()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def multi(out, world, bench_bytes=0):
    """One Python process per rank (as torchrun starts them), each with a deadline so a stuck gloo never hangs."""
    port = free_port()
    procs = [subprocess.Popen([sys.executable, __file__, "--rank", str(r), str(world), out, str(port), str(bench_bytes)])
             for r in range(world)]
    deadline = time.time() + 600
    for p in procs:
        try:
            code = p.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise SystemExit(f"rank processes for {out} timed out")
        if code != 0:
            for q in procs:
                q.kill()
            raise SystemExit(f"a rank process for {out} exited with {code}")


def main():
    if sys.argv[1] == "--rank":
        rank, world, out, port, bench_bytes = sys.argv[2:7]
        ranked(int(rank), int(world), out, int(port), int(bench_bytes))
        return
    root = sys.argv[1]
    os.makedirs(root, exist_ok=True)
    if len(sys.argv) > 2 and sys.argv[2] == "bench":
        multi(os.path.join(root, "bench"), 4, int(sys.argv[3]))
        return
    single(os.path.join(root, "single"))
    single(os.path.join(root, "threads"), thread_count=3)
    multi(os.path.join(root, "ranks2"), 2)
    multi(os.path.join(root, "ranks4"), 4)
    for case in ("single", "threads", "ranks2", "ranks4"):
        dcp_to_torch_save(os.path.join(root, case), os.path.join(root, case + ".pt"))
    print("ok")


if __name__ == "__main__":
    main()
