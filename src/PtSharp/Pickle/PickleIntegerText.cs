using System.Numerics;

namespace PtSharp.Pickle;

/// <summary>
/// The integer arguments of protocol-0 opcodes decoded exactly as CPython's C unpickler (<c>_pickle.c</c>) decodes
/// them: <c>INT</c> through C <c>strtol(s, &amp;end, 0)</c> with a fallback to <c>PyLong_FromString(s, NULL, 0)</c>,
/// <c>LONG</c> through <c>PyLong_FromString(s, NULL, 0)</c> after dropping a trailing <c>L</c>, and the memo indices
/// of <c>PUT</c>/<c>GET</c> through <c>PyLong_FromString(s, NULL, 10)</c>. The line is a NUL-terminated C string
/// there, so a NUL ends the text; whitespace, signs, <c>0x</c>/<c>0o</c>/<c>0b</c> prefixes, C octal (<c>010</c> is 8
/// for INT) and digit-separating underscores are accepted where CPython accepts them. A scanner that parses these
/// differently resolves a different memo entry, and so a different global, than Python does.
/// </summary>
internal static class PickleIntegerText
{
    /// <summary>CPython's default limit on the digits of a non-power-of-two base (<c>sys.get_int_max_str_digits</c>).</summary>
    public const int MaxDigits = 4300;

    /// <summary>The result of <c>INT</c>: a bool for <c>00</c>/<c>01</c>-shaped lines of two characters, else an integer.</summary>
    /// <param name="line">The argument without its newline.</param>
    /// <param name="value">The integer (0 or 1 when <paramref name="isBool"/>).</param>
    /// <param name="isBool">True when CPython returns <c>False</c>/<c>True</c> (a two-character line worth 0 or 1).</param>
    /// <returns>False where CPython raises.</returns>
    public static bool TryParseInt(ReadOnlySpan<byte> line, out BigInteger value, out bool isBool)
    {
        isBool = false;
        value = BigInteger.Zero;
        if (line.Length < 1) return false; // len < 2 with the newline: bad_readline
        var s = CString(line);
        if (TryStrtol(s, out long x, out int end) && end == s.Length)
        {
            value = x;
            isBool = line.Length == 2 && x is 0 or 1;
            return true;
        }
        return TryPyLong(s, 0, out value);
    }

    /// <summary>The result of <c>LONG</c>: <c>PyLong_FromString(s, NULL, 0)</c> after a trailing <c>L</c> is dropped.</summary>
    /// <param name="line">The argument without its newline.</param>
    /// <param name="value">The integer.</param>
    /// <returns>False where CPython raises.</returns>
    public static bool TryParseLong(ReadOnlySpan<byte> line, out BigInteger value)
    {
        value = BigInteger.Zero;
        if (line.Length < 1) return false;
        // s[len-2] is the byte before the newline: an 'L' there becomes the string's end.
        if (line[^1] == (byte)'L') line = line[..^1];
        return TryPyLong(CString(line), 0, out value);
    }

    /// <summary>The index of <c>PUT</c>/<c>GET</c>: <c>PyLong_FromString(s, NULL, 10)</c>, then a <c>Py_ssize_t</c>.</summary>
    /// <param name="line">The argument without its newline.</param>
    /// <param name="index">The index (may be negative: PUT refuses it, GET finds nothing there).</param>
    /// <returns>False where CPython raises while parsing (not a number, or not a Py_ssize_t).</returns>
    public static bool TryParseMemoIndex(ReadOnlySpan<byte> line, out long index)
    {
        index = 0;
        if (line.Length < 1) return false;
        if (!TryPyLong(CString(line), 10, out var v) || v < long.MinValue || v > long.MaxValue) return false;
        index = (long)v;
        return true;
    }

    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> line)
    {
        int nul = line.IndexOf((byte)0);
        return nul >= 0 ? line[..nul] : line;
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static int DigitValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'Z' => c - 'A' + 10,
        _ => 99,
    };

    /// <summary>glibc <c>strtol(s, &amp;end, 0)</c>: false on overflow (ERANGE); <paramref name="end"/> as C sets it.</summary>
    private static bool TryStrtol(ReadOnlySpan<byte> s, out long value, out int end)
    {
        value = 0;
        end = 0;
        int i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        bool negative = false;
        if (i < s.Length && s[i] is (byte)'+' or (byte)'-') negative = s[i++] == (byte)'-';
        int radix = 10;
        if (i < s.Length && s[i] == (byte)'0')
        {
            if (i + 2 < s.Length && s[i + 1] is (byte)'x' or (byte)'X' && DigitValue(s[i + 2]) < 16) { radix = 16; i += 2; }
            else radix = 8;
        }
        int start = i;
        BigInteger v = BigInteger.Zero;
        while (i < s.Length && DigitValue(s[i]) < radix)
        {
            v = v * radix + DigitValue(s[i]);
            i++;
            if (v > new BigInteger(long.MaxValue) + 1) { while (i < s.Length && DigitValue(s[i]) < radix) i++; end = i; return false; }
        }
        if (i == start) { end = 0; return true; } // no conversion: end = s, value 0
        end = i;
        if (negative) v = -v;
        if (v < long.MinValue || v > long.MaxValue) return false;
        value = (long)v;
        return true;
    }

    /// <summary><c>PyLong_FromString(s, NULL, base)</c> for base 0 or 10 (CPython 3.11 <c>longobject.c</c>).</summary>
    private static bool TryPyLong(ReadOnlySpan<byte> s, int radix, out BigInteger value)
    {
        value = BigInteger.Zero;
        int i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        bool negative = false;
        if (i < s.Length && s[i] == (byte)'+') i++;
        else if (i < s.Length && s[i] == (byte)'-') { i++; negative = true; }
        byte c0 = i < s.Length ? s[i] : (byte)0, c1 = i + 1 < s.Length ? s[i + 1] : (byte)0;
        bool errorIfNonzero = false;
        if (radix == 0)
        {
            if (c0 != (byte)'0') radix = 10;
            else if (c1 is (byte)'x' or (byte)'X') radix = 16;
            else if (c1 is (byte)'o' or (byte)'O') radix = 8;
            else if (c1 is (byte)'b' or (byte)'B') radix = 2;
            else { errorIfNonzero = true; radix = 10; }
        }
        if (c0 == (byte)'0' && (radix == 16 && c1 is (byte)'x' or (byte)'X' || radix == 8 && c1 is (byte)'o' or (byte)'O'
                || radix == 2 && c1 is (byte)'b' or (byte)'B'))
        {
            i += 2;
            if (i < s.Length && s[i] == (byte)'_') i++;
        }
        if (i < s.Length && s[i] == (byte)'_') return false;
        int digits = 0;
        byte prev = 0;
        var v = BigInteger.Zero;
        while (i < s.Length && (DigitValue(s[i]) < radix || s[i] == (byte)'_'))
        {
            if (s[i] == (byte)'_')
            {
                if (prev == (byte)'_') return false;
            }
            else
            {
                if (++digits > MaxDigits && radix == 10) return false;
                v = v * radix + DigitValue(s[i]);
            }
            prev = s[i];
            i++;
        }
        if (prev == (byte)'_' || digits == 0) return false;
        if (errorIfNonzero && !v.IsZero) return false;
        while (i < s.Length && IsSpace(s[i])) i++;
        if (i != s.Length) return false;
        value = negative ? -v : v;
        return true;
    }
}
