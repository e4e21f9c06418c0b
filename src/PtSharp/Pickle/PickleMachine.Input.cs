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
    private void Limit(string message, long at) => throw new PtFormatException(PtErrorKind.LimitExceeded, message, _record, at);

    /// <summary>Checks that <paramref name="count"/> bytes can be read at the cursor, honouring the current frame as CPython does.</summary>
    private void Ensure(long count, string what)
    {
        if (count < 0 || count > _input.Length - _pos) ThrowHelper.Truncated(what, _record, _pos);
        if (_frameEnd >= 0)
        {
            if (_pos + count > _frameEnd) Fail($"{what} crosses the end of its frame", _pos);
        }
    }

    private void Advance(long count)
    {
        _pos += count;
        if (_frameEnd >= 0 && _pos == _frameEnd) _frameEnd = -1;
    }

    private byte ReadByte(string what)
    {
        Ensure(1, what);
        byte b = _input.Pointer[_pos];
        Advance(1);
        return b;
    }

    private ReadOnlySpan<byte> Read(int count, string what)
    {
        Ensure(count, what);
        var s = new ReadOnlySpan<byte>(_input.Pointer + _pos, count);
        Advance(count);
        return s;
    }

    private ReadOnlySpan<byte> ReadSpan(long count, long at)
    {
        if (count > int.MaxValue) Limit($"a {count}-byte string or bytes value is larger than PtSharp reads", at);
        return Read((int)count, "string or bytes value");
    }

    /// <summary>Reads up to and excluding the next newline; the newline is consumed.</summary>
    private ReadOnlySpan<byte> ReadLine(string what)
    {
        long limit = _frameEnd >= 0 ? _frameEnd : _input.Length;
        var rest = new ReadOnlySpan<byte>(_input.Pointer + _pos, (int)Math.Min(limit - _pos, int.MaxValue));
        int nl = rest.IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (_frameEnd >= 0) Fail($"{what} line crosses the end of its frame", _pos);
            ThrowHelper.Truncated($"{what} (no newline)", _record, _pos);
        }
        var line = rest[..nl];
        Advance(nl + 1);
        return line;
    }

    private void ReadFrame(long at)
    {
        if (_frameEnd >= 0) Fail("a new FRAME begins before the current frame ends", at);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Read(8, "FRAME length"));
        if (n > (ulong)(_input.Length - _pos)) ThrowHelper.Truncated($"a frame of {n} bytes", _record, at);
        if (n > 0) _frameEnd = _pos + (long)n;
    }

    private long ReadLength32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(Read(4, "length"));

    private long ReadLength32Signed(long at)
    {
        int n = BinaryPrimitives.ReadInt32LittleEndian(Read(4, "length"));
        if (n < 0) Fail("negative string length", at);
        return n;
    }

    private long ReadLength64(long at)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Read(8, "length"));
        if (n > (ulong)(_input.Length - _pos)) ThrowHelper.Truncated($"a value of {n} bytes", _record, _pos);
        return (long)n;
    }

    private string ReadUtf8(long count, long at)
    {
        var bytes = ReadSpan(count, at);
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { Fail("string is not valid UTF-8", at); return ""; }
    }

    private string Ascii(ReadOnlySpan<byte> line, long at)
    {
        foreach (byte b in line) if (b >= 0x80) Fail("non-ASCII byte in a GLOBAL or PERSID name", at);
        return Encoding.ASCII.GetString(line);
    }

    private object ReadLittleEndianInteger(int n, long at)
    {
        var bytes = ReadSpan(n, at);
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
        if (line.SequenceEqual("01"u8)) return true;
        if (line.SequenceEqual("00"u8)) return false;
        return ParseDecimal(line, at);
    }

    private object ParseTextLong(ReadOnlySpan<byte> line, long at)
    {
        if (line.Length > 0 && line[^1] == (byte)'L') line = line[..^1];
        return ParseDecimal(line, at);
    }

    private object ParseDecimal(ReadOnlySpan<byte> line, long at)
    {
        int digits = line.Length - (line.Length > 0 && (line[0] == (byte)'-' || line[0] == (byte)'+') ? 1 : 0);
        if (digits > _limits.MaxIntegerDigits) Limit($"integer literal has more than {_limits.MaxIntegerDigits} digits", at);
        var text = Encoding.ASCII.GetString(line).Trim();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)) return Normalize(b);
        Fail($"'{Printable(line)}' is not an integer", at);
        return 0L;
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
        if (text.Length <= 400 && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        Fail($"'{Printable(line)}' is not a float", at);
        return 0;
    }

    private long ParseMemoIndex(ReadOnlySpan<byte> line, long at)
    {
        if (long.TryParse(Encoding.ASCII.GetString(line), NumberStyles.None, CultureInfo.InvariantCulture, out long v)) return v;
        Fail($"'{Printable(line)}' is not a memo index", at);
        return 0;
    }

    /// <summary>Decodes a protocol-0 STRING argument: a Python repr of a str, quoted with ' or ", with backslash escapes.</summary>
    private byte[] DecodeQuotedString(ReadOnlySpan<byte> line, long at)
    {
        if (line.Length < 2 || line[0] != line[^1] || (line[0] != (byte)'\'' && line[0] != (byte)'"'))
            Fail("STRING argument is not quoted", at);
        return PickleText.Unescape(line[1..^1]);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 40)]) sb.Append(b is >= 0x20 and < 0x7F ? (char)b : $"\\x{b:X2}");
        return sb.ToString();
    }
}
