"""A small, strict, pure-Python reader and writer of the safetensors format, written from the format's
specification (there is no Debian package of the `safetensors` library). Used by the interop tests to check
files PtSharp writes and to make files PtSharp must read. Needs only the standard library; `to_torch`/`from_torch`
need torch.

Format: 8-byte little-endian unsigned N, then N bytes of UTF-8 JSON: an object mapping each tensor name to
{"dtype": str, "shape": [int...], "data_offsets": [begin, end]} plus an optional "__metadata__" object of
str -> str. Then the data section; offsets are relative to its start, must tile it exactly (no holes, no
overlaps, nothing after the last tensor), and each span must equal the element count times the dtype size.
Writers pad the JSON with spaces to a multiple of 8 bytes so the data section is 8-byte aligned.
"""
import json
import struct

MAX_HEADER = 100_000_000

# name -> bits per element
DTYPE_BITS = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32,
    "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}

# safetensors name -> torch dtype attribute name
TORCH_NAMES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn",
    "F8_E8M0": "float8_e8m0fnu", "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz",
    "I16": "int16", "U16": "uint16", "F16": "float16", "BF16": "bfloat16", "I32": "int32", "U32": "uint32",
    "F32": "float32", "C64": "complex64", "F64": "float64", "I64": "int64", "U64": "uint64",
    "F4": "float4_e2m1fn_x2",
}


class FormatError(Exception):
    pass


class Entry:
    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end

    def numel(self):
        n = 1
        for s in self.shape:
            n *= s
        return n


class File:
    def __init__(self, header_len, metadata, entries, data, header_order):
        self.header_len = header_len
        self.metadata = metadata          # dict or None
        self.entries = entries            # name -> Entry
        self.data = data                  # bytes of the data section
        self.header_order = header_order  # names in JSON order

    def tensor_bytes(self, name):
        e = self.entries[name]
        return self.data[e.begin:e.end]


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise FormatError("duplicate key %r" % k)
        seen[k] = v
    return seen


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    return parse(blob)


def parse(blob):
    if len(blob) < 8:
        raise FormatError("file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER:
        raise FormatError("header length %d exceeds the cap" % n)
    if 8 + n > len(blob):
        raise FormatError("header length %d runs past the end of the file" % n)
    raw = blob[8:8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError("header is not UTF-8: %s" % e)
    if not text.startswith("{"):
        raise FormatError("header does not start with '{'")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as e:
        raise FormatError("header is not JSON: %s" % e)
    if not isinstance(obj, dict):
        raise FormatError("header is not an object")
    order = [k for k in obj.keys() if k != "__metadata__"]
    metadata = obj.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise FormatError("__metadata__ must map strings to strings")
    entries = {}
    for name, info in obj.items():
        if not isinstance(info, dict) or set(info.keys()) != {"dtype", "shape", "data_offsets"}:
            raise FormatError("tensor %r must have exactly dtype, shape and data_offsets" % name)
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPE_BITS:
            raise FormatError("tensor %r has unknown dtype %r" % (name, dtype))
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise FormatError("tensor %r has a bad shape" % name)
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
            raise FormatError("tensor %r has bad data_offsets" % name)
        entries[name] = Entry(name, dtype, shape, offsets[0], offsets[1])
    data = blob[8 + n:]
    expected = 0
    for e in sorted(entries.values(), key=lambda e: (e.begin, e.end)):
        if e.end < e.begin:
            raise FormatError("tensor %r ends before it begins" % e.name)
        if e.begin > expected:
            raise FormatError("hole before tensor %r" % e.name)
        if e.begin < expected:
            raise FormatError("tensor %r overlaps the previous one" % e.name)
        bits = e.numel() * DTYPE_BITS[e.dtype]
        if bits % 8 != 0:
            raise FormatError("tensor %r is not a whole number of bytes" % e.name)
        if e.end - e.begin != bits // 8:
            raise FormatError("tensor %r spans %d bytes, dtype x shape needs %d" % (e.name, e.end - e.begin, bits // 8))
        expected = e.end
    if expected != len(data):
        raise FormatError("data section is %d bytes but the tensors cover %d" % (len(data), expected))
    return File(n, metadata, entries, data, order)


def alignment_problems(f):
    """What the reference writer guarantees but the format does not require: an 8-aligned data section and
    every tensor starting at a multiple of its element size."""
    problems = []
    if (8 + f.header_len) % 8 != 0:
        problems.append("data section starts at %d, not a multiple of 8" % (8 + f.header_len))
    for e in f.entries.values():
        size = max(1, DTYPE_BITS[e.dtype] // 8)
        if e.begin % size != 0:
            problems.append("tensor %r starts at %d, not a multiple of its element size %d" % (e.name, e.begin, size))
    return problems


def write(path, tensors, metadata=None):
    """tensors: list of (name, dtype_name, shape, raw little-endian bytes). Largest element size first, then the
    given order; JSON padded with spaces to a multiple of 8."""
    order = sorted(range(len(tensors)), key=lambda i: (-max(1, DTYPE_BITS[tensors[i][1]] // 8), i))
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    spans = {}
    for i in order:
        name, dtype, shape, raw = tensors[i]
        spans[i] = (offset, offset + len(raw))
        offset += len(raw)
    for i, (name, dtype, shape, raw) in enumerate(tensors):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": list(spans[i])}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for i in order:
            f.write(tensors[i][3])


# ---- torch helpers -------------------------------------------------------------------------------------------

def torch_dtype(name):
    import torch
    attr = TORCH_NAMES.get(name)
    return getattr(torch, attr, None) if attr else None


def safetensors_name(dtype):
    import torch
    for k, v in TORCH_NAMES.items():
        if getattr(torch, v, None) == dtype:
            return k
    raise ValueError("no safetensors dtype for %s" % dtype)


def raw_bytes(t):
    """Little-endian bytes of a tensor's logical elements (row-major)."""
    import torch
    t = t.detach().resolve_conj().resolve_neg() if hasattr(t, "resolve_neg") else t.detach()
    return bytes(t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())


def to_torch(f, name):
    """A torch tensor holding a copy of the entry's bytes, or None when this torch lacks the dtype."""
    import torch
    e = f.entries[name]
    dtype = torch_dtype(e.dtype)
    if dtype is None:
        return None
    shape = list(e.shape)
    if e.dtype == "F4":
        shape[-1] //= 2
    raw = bytearray(f.tensor_bytes(name))
    if len(raw) == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape).clone()


def from_torch(name, t):
    shape = list(t.shape)
    st = safetensors_name(t.dtype)
    if st == "F4":
        shape[-1] *= 2
    return (name, st, shape, raw_bytes(t))
