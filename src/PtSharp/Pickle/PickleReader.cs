using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PtSharp.Pickle;

/// <summary>Why a <see cref="PickleReader"/> stopped before a complete opcode.</summary>
internal enum PickleReadFailure : byte
{
    /// <summary>No failure.</summary>
    None,
    /// <summary>The input ends before the opcode or its argument does.</summary>
    Truncated,
    /// <summary>Bytes no unpickler accepts (an unknown opcode, a negative length, an empty GLOBAL line).</summary>
    Corrupt,
    /// <summary>A pickle protocol above 5.</summary>
    Unsupported,
}

/// <summary>One opcode and its decoded inline argument; positions are offsets into the span being read.</summary>
internal ref struct PickleInstruction
{
    /// <summary>The opcode.</summary>
    public PickleOpcode Opcode;
    /// <summary>Offset of the opcode byte.</summary>
    public int Position;
    /// <summary>
    /// Fixed-width integer arguments (PROTO, BININT*, *GET/*PUT indices, EXT*), FRAME's length, and BINFLOAT's
    /// bits (see <see cref="Double"/>).
    /// </summary>
    public long Int;
    /// <summary>Counted bytes, a text line without its newline, or GLOBAL/INST's module line.</summary>
    public ReadOnlySpan<byte> Argument;
    /// <summary>Offset of <see cref="Argument"/>.</summary>
    public int ArgumentOffset;
    /// <summary>GLOBAL/INST's name line.</summary>
    public ReadOnlySpan<byte> Name;
    /// <summary>Offset of <see cref="Name"/>.</summary>
    public int NameOffset;
    /// <summary>
    /// The opcode or its argument crosses the end of the current FRAME, or a FRAME begins inside one. pickle.py
    /// refuses it; CPython's C unpickler (the one torch uses) treats frames as read-ahead hints and accepts it.
    /// </summary>
    public bool CrossesFrame;

    /// <summary>BINFLOAT's value.</summary>
    public readonly double Double => BitConverter.Int64BitsToDouble(Int);
}

/// <summary>
/// Splits a pickle (protocols 0–5) into opcodes with their decoded inline arguments and positions, without giving
/// them meaning: the one decoder under the pickle machine, its memo pre-pass and the scanner. Argument shapes come
/// from <see cref="PickleOpcodeTable"/>; every length is checked against the remaining input before anything is
/// read, and nothing is allocated except the message of a failure. Frames are tracked as CPython's C unpickler
/// tracks them (the whole frame must be present); an opcode that crosses a frame end is flagged, not refused.
/// </summary>
internal ref struct PickleReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private long _frameEnd;

    /// <summary>A reader of <paramref name="data"/> from offset <paramref name="start"/>.</summary>
    public PickleReader(ReadOnlySpan<byte> data, int start = 0)
    {
        _data = data;
        _pos = start;
        _frameEnd = -1;
        Failure = PickleReadFailure.None;
        Error = null;
        ErrorOffset = 0;
    }

    /// <summary>Offset of the next opcode (after a failure: of the opcode that could not be read).</summary>
    public readonly int Position => _pos;

    /// <summary>Why the last <see cref="Next"/> returned false.</summary>
    public PickleReadFailure Failure { get; private set; }

    /// <summary>What the last <see cref="Next"/> that returned false found, in words.</summary>
    public string? Error { get; private set; }

    /// <summary>Where the last failure was found: the first missing byte, or the opcode.</summary>
    public int ErrorOffset { get; private set; }

    /// <summary>Reads the next opcode; false (with <see cref="Error"/> set) when the input cannot be read on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Next(out PickleInstruction ins)
    {
        ins = default;
        int at = _pos;
        ins.Position = at;
        if ((uint)at >= (uint)_data.Length)
            return Fail(PickleReadFailure.Truncated, "input ends without a STOP opcode", at);
        byte op = _data[at];
        ins.Opcode = (PickleOpcode)op;
        int p = at + 1;
        switch (PickleOpcodeTable.ArgumentOf(op))
        {
            case PickleArgument.None:
                break;
            case PickleArgument.UInt8:
                if (p >= _data.Length) return Short(op, p);
                ins.Int = _data[p];
                p += 1;
                if (op == (byte)PickleOpcode.Proto && ins.Int > 5)
                    return Fail(PickleReadFailure.Unsupported, $"unsupported pickle protocol {ins.Int}", at);
                break;
            case PickleArgument.UInt16:
                if (_data.Length - p < 2) return Short(op, p);
                ins.Int = BinaryPrimitives.ReadUInt16LittleEndian(_data.Slice(p, 2));
                p += 2;
                break;
            case PickleArgument.Int32:
                if (_data.Length - p < 4) return Short(op, p);
                ins.Int = BinaryPrimitives.ReadInt32LittleEndian(_data.Slice(p, 4));
                p += 4;
                break;
            case PickleArgument.UInt32:
                if (_data.Length - p < 4) return Short(op, p);
                ins.Int = BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(p, 4));
                p += 4;
                break;
            case PickleArgument.Float64:
                if (_data.Length - p < 8) return Short(op, p);
                ins.Int = BinaryPrimitives.ReadInt64BigEndian(_data.Slice(p, 8));
                p += 8;
                break;
            case PickleArgument.Counted8:
                if (p >= _data.Length) return Short(op, p);
                if (!Counted(op, p + 1, _data[p])) return false;
                ins.ArgumentOffset = p + 1;
                ins.Argument = _data.Slice(p + 1, _data[p]);
                p += 1 + _data[p];
                break;
            case PickleArgument.Counted32Signed:
                {
                    if (_data.Length - p < 4) return Short(op, p);
                    int n = BinaryPrimitives.ReadInt32LittleEndian(_data.Slice(p, 4));
                    if (n < 0) return Fail(PickleReadFailure.Corrupt, $"{Name(op)} with a negative length", at);
                    if (!Counted(op, p + 4, n)) return false;
                    ins.ArgumentOffset = p + 4;
                    ins.Argument = _data.Slice(p + 4, n);
                    p += 4 + n;
                    break;
                }
            case PickleArgument.Counted32:
                {
                    if (_data.Length - p < 4) return Short(op, p);
                    uint n = BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(p, 4));
                    if (!Counted(op, p + 4, n)) return false;
                    ins.ArgumentOffset = p + 4;
                    ins.Argument = _data.Slice(p + 4, (int)n);
                    p += 4 + (int)n;
                    break;
                }
            case PickleArgument.Counted64:
                {
                    if (_data.Length - p < 8) return Short(op, p);
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(p, 8));
                    if (n > long.MaxValue)
                    {
                        return Fail(PickleReadFailure.Truncated, $"{Name(op)} length exceeds the system maximum",
                            p + 8);
                    }
                    if (!Counted(op, p + 8, (long)n)) return false;
                    ins.ArgumentOffset = p + 8;
                    ins.Argument = _data.Slice(p + 8, (int)n);
                    p += 8 + (int)n;
                    break;
                }
            case PickleArgument.Frame:
                {
                    if (!FrameLength(at, p, out long n)) return false;
                    ins.Int = n;
                    p += 8;
                    if (_frameEnd >= 0 && at < _frameEnd) ins.CrossesFrame = true; // a new frame inside the current one
                    _frameEnd = n > 0 ? p + n : -1; // an empty frame ends at once (pickle.py reads on from the file)
                    _pos = p;
                    return true;
                }
            case PickleArgument.Line:
                if (!Line(p, out ins.Argument)) return false;
                ins.ArgumentOffset = p;
                p += ins.Argument.Length + 1;
                break;
            case PickleArgument.TwoLines:
                if (!Line(p, out ins.Argument)) return false;
                ins.ArgumentOffset = p;
                p += ins.Argument.Length + 1;
                if (!Line(p, out ins.Name)) return false;
                ins.NameOffset = p;
                p += ins.Name.Length + 1;
                // CPython: each line needs at least one character before its newline.
                if (ins.Argument.IsEmpty || ins.Name.IsEmpty)
                    return Fail(PickleReadFailure.Corrupt, $"{Name(op)} with an empty module or name line", at);
                break;
            default:
                return Fail(PickleReadFailure.Corrupt, $"invalid opcode 0x{op:X2}", at);
        }
        if (_frameEnd >= 0)
        {
            if (p > _frameEnd) ins.CrossesFrame = true;
            if (p >= _frameEnd) _frameEnd = -1;
        }
        _pos = p;
        return true;
    }

    private bool FrameLength(int at, int p, out long length)
    {
        length = 0;
        if (_data.Length - p < 8) return Short((byte)PickleOpcode.Frame, p);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(p, 8));
        if (n > (ulong)(_data.Length - p - 8))
            return Fail(PickleReadFailure.Truncated, $"FRAME of {n} bytes, but only {_data.Length - p - 8} remain", at);
        length = (long)n;
        return true;
    }

    private bool Counted(byte op, int start, long n)
    {
        if (n <= _data.Length - start) return true;
        return Fail(PickleReadFailure.Truncated,
            $"{Name(op)} claims {n} bytes, but only {Math.Max(0, _data.Length - start)} remain", start);
    }

    private bool Line(int p, out ReadOnlySpan<byte> line)
    {
        line = default;
        int nl = p <= _data.Length ? _data[p..].IndexOf((byte)'\n') : -1;
        if (nl < 0) return Fail(PickleReadFailure.Truncated, "input ends inside a text line (no newline)", p);
        line = _data.Slice(p, nl);
        return true;
    }

    private bool Short(byte op, int p) =>
        Fail(PickleReadFailure.Truncated, $"input ends inside the argument of {Name(op)}", p);

    private bool Fail(PickleReadFailure failure, string message, int offset)
    {
        Failure = failure;
        Error = message;
        ErrorOffset = offset;
        return false;
    }

    private static string Name(byte op) => PickleOpcodeTable.Name((PickleOpcode)op);
}
