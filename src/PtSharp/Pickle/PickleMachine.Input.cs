using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;
using PtSharp.Errors;

namespace PtSharp.Pickle;

internal sealed unsafe partial class PickleMachine
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    [DoesNotReturn]
    private void Fail(string message, long at, PtErrorKind kind = PtErrorKind.CorruptPickle)
        => throw new PtFormatException(kind, message, _record, at);

    [DoesNotReturn]
    private void Limit(string message, long at) =>
        throw new PtFormatException(PtErrorKind.LimitExceeded, message, _record, at);

    /// <summary>Turns the reader's failure into the error of this record, at the offset the reader found it.</summary>
    [DoesNotReturn]
    private void ReadFailed(in PickleReader reader)
    {
        var kind = reader.Failure switch
        {
            PickleReadFailure.Truncated => PtErrorKind.Truncated,
            PickleReadFailure.Unsupported => PtErrorKind.Unsupported,
            _ => PtErrorKind.CorruptPickle,
        };
        throw new PtFormatException(kind, reader.Error ?? "unreadable opcode", _record, _start + reader.ErrorOffset);
    }

    /// <summary>
    /// pickle.py refuses what crosses a frame end; so does this machine (CPython's C unpickler does not). An opcode
    /// byte never does (a frame that ends before it has ended), so the offset is its argument's.
    /// </summary>
    [DoesNotReturn]
    private void CrossedFrame(PickleOpcode op, long at)
    {
        if (op == PickleOpcode.Frame) Fail("a new FRAME begins before the current frame ends", at);
        Fail($"the argument of {PickleOpcodeTable.Name(op)} crosses the end of its frame", at + 1);
    }

    private string Utf8(ReadOnlySpan<byte> bytes, long at)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { Fail("string is not valid UTF-8", at); return ""; }
    }

    private string Ascii(ReadOnlySpan<byte> line, long at)
    {
        foreach (byte b in line) if (b >= 0x80) Fail("non-ASCII byte in a GLOBAL or PERSID name", at);
        return Encoding.ASCII.GetString(line);
    }

    private static object LittleEndianInteger(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n == 0) return 0L;
        if (n <= 8)
        {
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            int shift = 64 - 8 * n;
            return shift == 0 ? v : (v << shift) >> shift;
        }
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return Normalize(big);
    }

    private static object Normalize(BigInteger v) => v >= long.MinValue && v <= long.MaxValue ? (object)(long)v : v;

    private object ParseTextInt(ReadOnlySpan<byte> line, long at)
    {
        CheckDigits(line, at);
        if (!PickleIntegerText.TryParseInt(line, out var v, out bool isBool))
            Fail($"'{Printable(line)}' is not an integer", at);
        if (isBool) return !v.IsZero;
        return Normalize(v);
    }

    private object ParseTextLong(ReadOnlySpan<byte> line, long at)
    {
        CheckDigits(line, at);
        if (!PickleIntegerText.TryParseLong(line, out var v)) Fail($"'{Printable(line)}' is not an integer", at);
        return Normalize(v);
    }

    private void CheckDigits(ReadOnlySpan<byte> line, long at)
    {
        int digits = line.Length - (line.Length > 0 && (line[0] == (byte)'-' || line[0] == (byte)'+') ? 1 : 0);
        if (digits > _limits.MaxIntegerDigits)
            Limit($"integer literal has more than {_limits.MaxIntegerDigits} digits", at);
    }

    private double ParseTextFloat(ReadOnlySpan<byte> line, long at)
    {
        var text = Encoding.ASCII.GetString(line).Trim();
        switch (text.ToLowerInvariant())
        {
            case "inf": case "+inf": case "infinity": return double.PositiveInfinity;
            case "-inf": case "-infinity": return double.NegativeInfinity;
            case "nan": case "+nan": case "-nan": return double.NaN;
        }
        if (text.Length <= 400 && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return d;
        Fail($"'{Printable(line)}' is not a float", at);
        return 0;
    }

    private long ParsePutIndex(ReadOnlySpan<byte> line, long at)
    {
        long index = ParseMemoIndex(line, at);
        if (index < 0) Fail("negative PUT argument", at); // as _pickle.c refuses it
        return index;
    }

    private long ParseMemoIndex(ReadOnlySpan<byte> line, long at)
    {
        if (PickleIntegerText.TryParseMemoIndex(line, out long v)) return v;
        Fail($"'{Printable(line)}' is not a memo index", at);
        return 0;
    }

    /// <summary>
    /// Decodes a protocol-0 STRING argument: a Python repr of a str, quoted with ' or ", with backslash escapes.
    /// </summary>
    private byte[] DecodeQuotedString(ReadOnlySpan<byte> line, long at)
    {
        if (line.Length < 2 || line[0] != line[^1] || (line[0] != (byte)'\'' && line[0] != (byte)'"'))
            Fail("STRING argument is not quoted", at);
        return PickleText.Unescape(line[1..^1]);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 40)])
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : $"\\x{b:X2}");
        return sb.ToString();
    }
}
