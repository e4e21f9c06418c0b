"""The Python side of the DCP benchmark: a DCP folder to one safetensors file with torch 2.6 only (there is no
safetensors package in Debian, so the file is written by hand as bench/safetensors_torch.py does).

    dcp_torch.py DCP_DIR OUT.safetensors [--in-memory]

Default: what the docs offer, dcp_to_torch_save(DCP_DIR, tmp.pt), then torch.load(tmp.pt) and the model entry
written as safetensors. --in-memory: the faster route without the intermediate .pt (format_utils' own
_load_state_dict with _EmptyStateDictLoadPlanner, as dcp_to_torch_save does before its torch.save).
"""
import json
import os
import struct
import sys
import tempfile

import torch
from torch.distributed.checkpoint import FileSystemReader
from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
from torch.distributed.checkpoint.state_dict_loader import _load_state_dict

NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def write_safetensors(sd, dst):
    items = sorted(sd.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, offset, views = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in items:
        t = t.contiguous()
        n = t.numel() * t.element_size()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
        views.append(t)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for t in views:
            if t.numel():
                f.write(memoryview(t.view(-1).view(torch.uint8).numpy()))
        f.flush()
        os.fsync(f.fileno())


def main():
    src, dst = sys.argv[1], sys.argv[2]
    if "--in-memory" in sys.argv:
        sd = {}
        _load_state_dict(sd, storage_reader=FileSystemReader(src), planner=_EmptyStateDictLoadPlanner(), no_dist=True)
    else:
        with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(dst))) as tmp:
            path = os.path.join(tmp, "full.pt")
            dcp_to_torch_save(src, path)
            sd = torch.load(path, map_location="cpu", weights_only=True)
    write_safetensors(sd.get("model", sd), dst)


if __name__ == "__main__":
    main()
