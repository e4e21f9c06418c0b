#!/usr/bin/env python3
"""Differential oracle for PtSharp's container walkers: writes tar files (by tarfile itself and with hand-mutated
headers) and .npy headers in many spellings into OUT_DIR, then reports what the real readers see in one JSON:

  tar: tarfile.open(path, 'r:').getmembers() -> [name, type, offset_data, size] per member, or the error class
  npy: numpy.load(allow_pickle=False) on a one-element array -> "object" (hasobject), "plain" or "refused"

    python3 container_oracle.py OUT_DIR      (the same script runs under Python 3.11/numpy 1.24 and 3.13/numpy 2.x)
"""
import io
import json
import os
import random
import struct
import sys
import tarfile

import numpy

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(9)
BLOCK = 512


def checksum(h, signed=False):
    h = bytearray(h)
    h[148:156] = b" " * 8
    return sum((b - 256 if b >= 128 else b) for b in h) if signed else sum(h)


def header(name, size, typeflag=b"0", size_field=None, prefix=b"", mode=b"0000644\0", chk="octal"):
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else ("%011o" % size).encode() + b"\0"
    h[136:148] = b"00000000000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[345:345 + len(prefix)] = prefix
    if chk == "signed":
        h[265:297] = b"\xfe" * 32
        h[148:156] = ("%06o" % checksum(h, True)).encode() + b"\0 "
    elif chk == "base256":
        h[148:156] = b"\x80" + checksum(h).to_bytes(7, "big")
    elif chk == "spaces":
        h[148:156] = ("  %o" % checksum(h)).encode().ljust(8, b" ")
    elif chk == "bad":
        h[148:156] = ("%06o" % (checksum(h) + 1)).encode() + b"\0 "
    else:
        h[148:156] = ("%06o" % checksum(h)).encode() + b"\0 "
    return bytes(h)


def data(b):
    return b + b"\0" * ((-len(b)) % BLOCK)


def pax(records, typeflag=b"x"):
    body = b""
    for k, v in records:
        rec = b" " + k + b"=" + v + b"\n"
        n = len(rec) + 1
        n = len(rec) + len(str(n + len(str(n)) - 1))
        body += str(n).encode() + rec
    return header(b"PaxHeader", len(body), typeflag) + data(body)


def member(name, payload, **kw):
    return header(name, len(payload), **kw) + data(payload)


def sized(text):
    return text.ljust(11, b" ")[:11] + b"\0"


cases = {}
p = b"0123456789abcdef" * 3
# Written by tarfile itself in each format.
for fmt, fname in [(tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, size in [("sys_info", 40), ("a" * 120 if fmt != tarfile.USTAR_FORMAT else "dir/" * 20 + "x", 700),
                           ("pickle", 1)]:
            info = tarfile.TarInfo(name)
            info.size = size
            t.addfile(info, io.BytesIO(bytes(rng.randrange(256) for _ in range(size))))
        d = tarfile.TarInfo("folder")
        d.type = tarfile.DIRTYPE
        t.addfile(d)
    cases["tarfile-" + fname] = buf.getvalue()
# Hand-mutated headers.
cases["signed-checksum"] = member(b"pickle", p, chk="signed") + b"\0" * 1024
cases["base256-checksum"] = member(b"pickle", p, chk="base256") + b"\0" * 1024
cases["checksum-with-spaces"] = member(b"pickle", p, chk="spaces") + b"\0" * 1024
cases["bad-first-checksum"] = member(b"pickle", p, chk="bad") + b"\0" * 1024
cases["bad-second-checksum"] = member(b"a", p) + member(b"pickle", p, chk="bad") + member(b"c", p) + b"\0" * 1024
cases["base256-size"] = header(b"pickle", 0, size_field=b"\x80" + len(p).to_bytes(11, "big")) + data(p) + member(b"b", p) + b"\0" * 1024
cases["negative-base256-size"] = header(b"a", 0, size_field=b"\xff" * 11 + b"\xfb") + member(b"b", p) + b"\0" * 1024
for spelling in [b"0o%o", b"+%o", b"  %o  ", b"%o\0junk", b"0_%o", b"0o_%o", b"%o_", b"1__0", b"0x10", b"-%o", b"\t%o\x0b", b"%o 1"]:
    text = spelling.replace(b"%o", ("%o" % len(p)).encode()) if b"%o" in spelling else spelling
    cases["size-" + spelling.decode("latin-1").replace("%", "").replace("\0", "NUL").strip()] = (
        header(b"pickle", 0, size_field=sized(text)) + data(p) + member(b"next", p) + b"\0" * 1024)
cases["bad-mode-field"] = member(b"a", p) + member(b"pickle", p, mode=b"99\0\0\0\0\0\0") + b"\0" * 1024
cases["non-ascii-mode"] = member(b"a", p) + member(b"pickle", p, mode=b"\xe9\0\0\0\0\0\0\0") + b"\0" * 1024
for flag in [b"Z", b"A", b"9", b"\xff", b"V", b"M"]:
    cases["type-" + flag.hex()] = member(b"pickle", p, typeflag=flag) + member(b"after", p) + b"\0" * 1024
for flag in [b"1", b"2", b"3", b"5", b"6"]:
    cases["nonregular-with-size-" + flag.decode()] = member(b"x", p * 11, typeflag=flag) + b"\0" * 1024
cases["v7-dir-with-size"] = member(b"folder/", p * 11, typeflag=b"\0") + b"\0" * 1024
cases["longname-then-v7-slash"] = (member(b"././@LongLink", b"pickle/\0", typeflag=b"L")
                                   + member(b"short/", p * 11, typeflag=b"\0") + b"\0" * 1024)
cases["pax-then-v7-slash"] = pax([(b"path", b"pickle/")]) + member(b"short/", p * 11, typeflag=b"\0") + b"\0" * 1024
cases["gnu-longname"] = member(b"././@LongLink", b"x" * 300 + b"\0", typeflag=b"L") + member(b"short", p) + b"\0" * 1024
cases["gnu-longname-negative"] = member(b"././@LongLink", b"name\0", typeflag=b"L") + member(b"short", p) + b"\0" * 1024
cases["pax-size-override"] = pax([(b"size", str(len(p) * 20).encode())]) + header(b"pickle", 0) + data(p * 20) + member(b"z", p) + b"\0" * 1024
cases["pax-size-unicode-digits"] = pax([(b"size", "\u0664\u0668".encode())]) + header(b"pickle", 0) + data(p) + member(b"z", p) + b"\0" * 1024
cases["pax-size-junk"] = pax([(b"size", b"0x30")]) + header(b"pickle", 5) + data(p[:5]) + member(b"z", p) + b"\0" * 1024
cases["pax-path"] = pax([(b"path", b"pickle")]) + member(b"other", p) + b"\0" * 1024
cases["pax-global-size"] = pax([(b"size", b"96")], typeflag=b"g") + member(b"pickle", p) + member(b"z", p) + b"\0" * 1024
cases["pax-bad-record"] = member(b"a", p) + header(b"PaxHeader", 10, b"x") + data(b"9 size=1\n") + member(b"b", p) + b"\0" * 1024
cases["pax-then-garbage"] = pax([(b"path", b"x")]) + b"\x01" * 512
cases["ustar-prefix"] = member(b"pickle", p, prefix=b"some/dir") + b"\0" * 1024
cases["no-end-blocks"] = member(b"a", p) + member(b"pickle", p)
cases["data-past-eof"] = member(b"a", p) + header(b"pickle", 5000) + p
cases["truncated-header"] = member(b"a", p) + b"\x41" * 100
cases["sparse-member"] = header(b"pickle", 48, typeflag=b"S") + data(p) + b"\0" * 1024
cases["duplicate-names"] = member(b"pickle", p) + member(b"pickle", p[:7]) + b"\0" * 1024
# Random single-byte mutations of a tarfile-written archive.
base = cases["tarfile-pax"]
for i in range(40):
    b = bytearray(base)
    at = rng.choice([rng.randrange(0, 512), rng.randrange(124, 136), rng.randrange(148, 157), rng.randrange(len(b))])
    b[at] = rng.randrange(256)
    cases[f"mutated-{i}"] = bytes(b)

tar = {}
for name, blob in cases.items():
    path = os.path.join(out, name + ".tar")
    with open(path, "wb") as f:
        f.write(blob)
    try:
        with tarfile.open(path, "r:") as t:
            tar[name] = {"members": [[m.name, m.type.decode("latin-1"), m.offset_data, m.size] for m in t.getmembers()]}
    except tarfile.ReadError as e:
        tar[name] = {"error": "ReadError"}
    except Exception as e:  # ValueError, RecursionError...: torch.load fails
        tar[name] = {"error": "Other:" + type(e).__name__}

# .npy headers: the dict in many spellings, each as a one-element array file.
descrs = ["'|O'", "'O'", "'<O'", "'=O'", "'O8'", "'object'", "'|\\x4f'", "'|\\117'", "'\\N{LATIN CAPITAL LETTER O}'",
          "'|' 'O'", "u'|O'", "r'|O'", '"|O"', "'''|O'''", "[('a', '|O')]", "[('a', '<f4'), ('b', '|O')]",
          "[('a', [('b', 'O')])]", "[(('t', 'a'), 'O')]", "[('a', 'O', (2,))]", "('O', (2,))", "['xO']", "{'xO': 1}",
          "'i4,O'", "'f8,(2,)O'", "'<f4'", "'|b1'", "'<U3'", "'|S4'", "'<M8[ns]'", "'<i8'", "[('a', '<f4')]",
          "'float32'", "'bool'", "'complex64'", "'<c8'", "['xf']", "'V8'", "b'|O'", "'T'"]
templates = ["{{'descr': {d}, 'fortran_order': False, 'shape': (1,), }}",
             "{{'shape': (1,), 'fortran_order': False, 'descr': {d}}}",
             "{{ \"descr\" : {d} ,\n 'fortran_order' : False , 'shape' : ( 1 , ) }}",
             "{{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': {d}}}",
             "{{'descr': {d}, 'fortran_order': 0, 'shape': (1,)}}",
             "{{'descr': {d}, 'fortran_order': False, 'shape': (1L,)}}",
             "{{'descr': {d}, 'fortran_order': False, 'shape': (True,)}}",
             "{{'descr': {d}, # comment\n 'fortran_order': False, 'shape': (1,)}}",
             "{{'descr': {d}, 'fortran_order': False, 'shape': (1,), 'extra': 1}}",
             "  {{'descr': {d}, 'fortran_order': False, 'shape': (0x1,)}}"]
pickle_bytes = b"\x80\x03]q\x00K\x01a."  # a harmless pickle: [1]
npy = {}
for version in (1, 2, 3):
    for ti, tpl in enumerate(templates):
        for di, d in enumerate(descrs):
            text = tpl.format(d=d)
            text += " " * ((-(12 + len(text) + 1)) % 64) + "\n"
            try:
                raw = text.encode("latin-1" if version < 3 else "utf-8")
            except UnicodeEncodeError:
                continue
            size = struct.pack("<H", len(raw)) if version == 1 else struct.pack("<I", len(raw))
            blob = b"\x93NUMPY" + bytes([version, 0]) + size + raw + pickle_bytes + b"\0" * 16
            name = f"v{version}-t{ti}-d{di}"
            path = os.path.join(out, name + ".npy")
            with open(path, "wb") as f:
                f.write(blob)
            with open(path, "rb") as f:
                try:
                    version_read = numpy.lib.format.read_magic(f)
                    _, _, dt = numpy.lib.format._read_array_header(f, version_read, max_header_size=2**64)
                    npy[name] = "object" if dt.hasobject else "plain"
                except Exception:
                    npy[name] = "refused"

print(json.dumps({"python": sys.version.split()[0], "numpy": numpy.__version__, "tar": tar, "npy": npy}))
