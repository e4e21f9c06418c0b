using System.Buffers.Binary;

namespace PtSharp.Scanning;

/// <summary>The shape of an opcode's argument (CPython <c>pickletools</c> argument descriptors).</summary>
internal enum PickleArg : byte
{
    /// <summary>No argument.</summary>
    None,
    /// <summary>A fixed-width integer (held in <see cref="PickleToken.Int"/>).</summary>
    Int,
    /// <summary>A counted run of bytes (at <see cref="PickleToken.ArgStart"/>, <see cref="PickleToken.ArgLength"/> long).</summary>
    Bytes,
    /// <summary>One text line without its newline.</summary>
    Line,
    /// <summary>Two text lines (GLOBAL, INST): module then name.</summary>
    TwoLines,
    /// <summary>A double (BINFLOAT).</summary>
    Float,
}

/// <summary>One opcode with its decoded argument; offsets are relative to the tokenized span.</summary>
internal struct PickleToken
{
    public byte Op;
    public PickleArg Arg;
    public int Offset;
    public long Int;
    public int ArgStart;
    public int ArgLength;
    public int Arg2Start;
    public int Arg2Length;
    /// <summary>The opcode or its argument crosses the end of the current FRAME (pickle.py refuses, _pickle accepts).</summary>
    public bool CrossesFrame;
}

/// <summary>
/// Splits a pickle into opcodes without giving them meaning, for protocols 0–5. Argument lengths are checked
/// against the remaining input before anything is read. Frames are enforced as CPython's C unpickler does (the
/// whole frame must be present); an opcode that crosses a frame end is flagged, not refused, because the C
/// unpickler that torch uses accepts it. Any failure here is a point where a real unpickler stops too.
/// </summary>
internal ref struct PickleTokenizer
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private long _frameEnd;

    public PickleTokenizer(ReadOnlySpan<byte> data, int start = 0)
    {
        _data = data;
        _pos = start;
        _frameEnd = -1;
    }

    /// <summary>Offset of the next opcode.</summary>
    public readonly int Position => _pos;

    /// <summary>Reads the next opcode. Returns false with <paramref name="error"/> set when the input cannot be tokenized further.</summary>
    public bool Next(out PickleToken token, out string? error)
    {
        token = default;
        error = null;
        int at = _pos;
        token.Offset = at;
        if (at >= _data.Length) { error = "input ends without a STOP opcode"; return false; }
        byte op = _data[at];
        token.Op = op;
        int p = at + 1;
        switch (op)
        {
            // No argument.
            case 0x28: case 0x2E: case 0x30: case 0x31: case 0x32: case 0x4E: case 0x51: case 0x52: case 0x61:
            case 0x62: case 0x64: case 0x7D: case 0x65: case 0x6C: case 0x5D: case 0x6F: case 0x73: case 0x74:
            case 0x29: case 0x75: case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8F:
            case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
                token.Arg = PickleArg.None;
                break;
            // One-byte integers: PROTO, BININT1, BINGET, BINPUT, EXT1.
            case 0x80: case 0x4B: case 0x68: case 0x71: case 0x82:
                if (!Need(p, 1, out error)) return false;
                token.Arg = PickleArg.Int;
                token.Int = _data[p];
                p += 1;
                if (op == 0x80 && token.Int > 5) { error = $"unsupported pickle protocol {token.Int}"; return false; }
                break;
            // Two-byte: BININT2, EXT2.
            case 0x4D: case 0x83:
                if (!Need(p, 2, out error)) return false;
                token.Arg = PickleArg.Int;
                token.Int = BinaryPrimitives.ReadUInt16LittleEndian(_data[p..]);
                p += 2;
                break;
            // Four-byte: BININT (signed), LONG_BINGET, LONG_BINPUT (unsigned), EXT4 (signed).
            case 0x4A: case 0x6A: case 0x72: case 0x84:
                if (!Need(p, 4, out error)) return false;
                token.Arg = PickleArg.Int;
                token.Int = op is 0x4A or 0x84 ? BinaryPrimitives.ReadInt32LittleEndian(_data[p..]) : BinaryPrimitives.ReadUInt32LittleEndian(_data[p..]);
                p += 4;
                break;
            case 0x47: // BINFLOAT
                if (!Need(p, 8, out error)) return false;
                token.Arg = PickleArg.Float;
                token.Int = BinaryPrimitives.ReadInt64BigEndian(_data[p..]);
                p += 8;
                break;
            // Counted bytes with a one-byte length: LONG1, SHORT_BINSTRING, SHORT_BINUNICODE, SHORT_BINBYTES.
            case 0x8A: case 0x55: case 0x8C: case 0x43:
                if (!Need(p, 1, out error)) return false;
                if (!Counted(ref token, p + 1, _data[p], out error)) return false;
                p = token.ArgStart + token.ArgLength;
                break;
            // Four-byte lengths: BINSTRING and LONG4 (signed), BINUNICODE and BINBYTES (unsigned).
            case 0x54: case 0x8B: case 0x58: case 0x42:
                {
                    if (!Need(p, 4, out error)) return false;
                    long n = op is 0x54 or 0x8B ? BinaryPrimitives.ReadInt32LittleEndian(_data[p..]) : BinaryPrimitives.ReadUInt32LittleEndian(_data[p..]);
                    if (n < 0) { error = $"{Name(op)} with a negative length"; return false; }
                    if (!Counted(ref token, p + 4, n, out error)) return false;
                    p = token.ArgStart + token.ArgLength;
                    break;
                }
            // Eight-byte lengths: BINUNICODE8, BINBYTES8, BYTEARRAY8.
            case 0x8D: case 0x8E: case 0x96:
                {
                    if (!Need(p, 8, out error)) return false;
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(_data[p..]);
                    if (n > long.MaxValue) { error = $"{Name(op)} length exceeds the system maximum"; return false; }
                    if (!Counted(ref token, p + 8, (long)n, out error)) return false;
                    p = token.ArgStart + token.ArgLength;
                    break;
                }
            case 0x95: // FRAME
                {
                    if (!Need(p, 8, out error)) return false;
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(_data[p..]);
                    p += 8;
                    if (n > (ulong)(_data.Length - p)) { error = $"FRAME of {n} bytes, but only {_data.Length - p} remain"; return false; }
                    token.Arg = PickleArg.Int;
                    token.Int = (long)n;
                    if (_frameEnd >= 0 && at < _frameEnd) token.CrossesFrame = true; // a new frame inside the current one
                    _frameEnd = n > 0 ? p + (long)n : -1; // an empty frame ends at once (pickle.py reads on from the file)
                    _pos = p;
                    return true;
                }
            // One text line: INT, LONG, FLOAT, STRING, UNICODE, PUT, GET, PERSID.
            case 0x49: case 0x4C: case 0x46: case 0x53: case 0x56: case 0x70: case 0x67: case 0x50:
                if (!Line(p, out token.ArgStart, out token.ArgLength, out error)) return false;
                token.Arg = PickleArg.Line;
                p = token.ArgStart + token.ArgLength + 1;
                break;
            // Two lines: GLOBAL, INST.
            case 0x63: case 0x69:
                if (!Line(p, out token.ArgStart, out token.ArgLength, out error)) return false;
                p = token.ArgStart + token.ArgLength + 1;
                if (!Line(p, out token.Arg2Start, out token.Arg2Length, out error)) return false;
                p = token.Arg2Start + token.Arg2Length + 1;
                // CPython: each line needs at least one character before its newline.
                if (token.ArgLength == 0 || token.Arg2Length == 0) { error = $"{Name(op)} with an empty module or name line"; return false; }
                token.Arg = PickleArg.TwoLines;
                break;
            default:
                error = $"invalid opcode 0x{op:X2}";
                return false;
        }
        if (_frameEnd >= 0)
        {
            if (p > _frameEnd) token.CrossesFrame = true;
            if (p >= _frameEnd) _frameEnd = -1;
        }
        _pos = p;
        return true;
    }

    private readonly bool Need(int p, int n, out string? error)
    {
        error = null;
        if (n <= _data.Length - p) return true;
        error = "input ends inside an opcode argument";
        return false;
    }

    private readonly bool Counted(ref PickleToken token, int start, long n, out string? error)
    {
        error = null;
        if (n > _data.Length - start)
        {
            error = $"{Name(token.Op)} claims {n} bytes, but only {Math.Max(0, _data.Length - start)} remain";
            return false;
        }
        token.Arg = PickleArg.Bytes;
        token.ArgStart = start;
        token.ArgLength = (int)n;
        return true;
    }

    private readonly bool Line(int p, out int start, out int length, out string? error)
    {
        start = p;
        length = 0;
        error = null;
        int nl = p <= _data.Length ? _data[p..].IndexOf((byte)'\n') : -1;
        if (nl < 0) { error = "input ends inside a text line (no newline)"; return false; }
        length = nl;
        return true;
    }

    /// <summary>CPython's name of an opcode, for messages.</summary>
    public static string Name(byte op) => op switch
    {
        0x28 => "MARK", 0x2E => "STOP", 0x30 => "POP", 0x31 => "POP_MARK", 0x32 => "DUP", 0x46 => "FLOAT", 0x49 => "INT",
        0x4A => "BININT", 0x4B => "BININT1", 0x4C => "LONG", 0x4D => "BININT2", 0x4E => "NONE", 0x50 => "PERSID",
        0x51 => "BINPERSID", 0x52 => "REDUCE", 0x53 => "STRING", 0x54 => "BINSTRING", 0x55 => "SHORT_BINSTRING",
        0x56 => "UNICODE", 0x58 => "BINUNICODE", 0x61 => "APPEND", 0x62 => "BUILD", 0x63 => "GLOBAL", 0x64 => "DICT",
        0x7D => "EMPTY_DICT", 0x65 => "APPENDS", 0x67 => "GET", 0x68 => "BINGET", 0x69 => "INST", 0x6A => "LONG_BINGET",
        0x6C => "LIST", 0x5D => "EMPTY_LIST", 0x6F => "OBJ", 0x70 => "PUT", 0x71 => "BINPUT", 0x72 => "LONG_BINPUT",
        0x73 => "SETITEM", 0x74 => "TUPLE", 0x29 => "EMPTY_TUPLE", 0x75 => "SETITEMS", 0x47 => "BINFLOAT",
        0x80 => "PROTO", 0x81 => "NEWOBJ", 0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4", 0x85 => "TUPLE1",
        0x86 => "TUPLE2", 0x87 => "TUPLE3", 0x88 => "NEWTRUE", 0x89 => "NEWFALSE", 0x8A => "LONG1", 0x8B => "LONG4",
        0x42 => "BINBYTES", 0x43 => "SHORT_BINBYTES", 0x8C => "SHORT_BINUNICODE", 0x8D => "BINUNICODE8",
        0x8E => "BINBYTES8", 0x8F => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET", 0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL", 0x94 => "MEMOIZE", 0x95 => "FRAME", 0x96 => "BYTEARRAY8", 0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => $"0x{op:X2}",
    };

    /// <summary>True when <paramref name="op"/> is a valid opcode of protocols 0–5.</summary>
    public static bool IsOpcode(byte op) => Name(op)[0] != '0';
}
