namespace PtSharp.Containers;

/// <summary>
/// Numeric header fields exactly as Python's <c>tarfile.nti</c> reads them: base-256 (first byte 0x80, or 0xFF for
/// a negative number), else the bytes up to the first NUL as ASCII, stripped of whitespace, parsed by
/// <c>int(text, 8)</c> (so a sign, a <c>0o</c> prefix and single underscores between digits are accepted).
/// </summary>
internal static class TarNumber
{
    /// <summary>False where tarfile raises InvalidHeaderError. Values beyond ±2^62 are clamped.</summary>
    public static bool TryParse(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if (field.Length == 0) return false;
        if (field[0] is 0x80 or 0xFF)
        {
            Int128 n = 0;
            bool big = false;
            for (int i = 1; i < field.Length; i++)
            {
                if (n > (Int128.One << 100)) big = true;
                else n = (n << 8) | field[i];
            }
            if (field[0] == 0xFF) n -= Int128.One << (8 * (field.Length - 1));
            value = big ? (field[0] == 0xFF ? long.MinValue / 2 : long.MaxValue / 2) : Clamp(n);
            return true;
        }
        int nul = field.IndexOf((byte)0);
        var text = nul < 0 ? field : field[..nul];
        foreach (byte b in text) if (b >= 0x80) return false; // ascii, strict
        return TryParseInt(text, 8, out value);
    }

    /// <summary>Python's <c>int(text, base)</c> on ASCII text (base 8 or 10); empty (after stripping) is 0 for
    /// nti.</summary>
    public static bool TryParseInt(ReadOnlySpan<byte> text, int numberBase, out long value, bool emptyIsZero = true)
    {
        value = 0;
        int start = 0, end = text.Length;
        while (start < end && IsSpace(text[start])) start++;
        while (end > start && IsSpace(text[end - 1])) end--;
        var s = text[start..end];
        if (s.Length == 0) return emptyIsZero;
        int i = 0;
        bool negative = false;
        if (s[0] is (byte)'+' or (byte)'-') { negative = s[0] == (byte)'-'; i++; }
        bool prefixed = false;
        if (numberBase == 8 && i + 1 < s.Length && s[i] == (byte)'0' && s[i + 1] is (byte)'o' or (byte)'O')
        {
            i += 2;
            prefixed = true;
        }
        Int128 n = 0;
        int digits = 0;
        bool lastUnderscore = false;
        for (; i < s.Length; i++)
        {
            byte b = s[i];
            if (b == (byte)'_')
            {
                // allowed after a prefix or between digits, never twice in a row nor at the end
                if (lastUnderscore || (digits == 0 && !prefixed)) return false;
                lastUnderscore = true;
                continue;
            }
            int d = b - '0';
            if (d < 0 || d >= numberBase) return false;
            if (n < (Int128.One << 100)) n = n * numberBase + d;
            digits++;
            lastUnderscore = false;
        }
        if (digits == 0 || lastUnderscore) return false;
        value = Clamp(negative ? -n : n);
        return true;
    }

    // str.strip() and int() strip the same ASCII whitespace: \t \n \v \f \r, space, and \x1c-\x1f.
    private static bool IsSpace(byte b) => b is (byte)' ' or >= 0x09 and <= 0x0D or >= 0x1C and <= 0x1F;

    private static long Clamp(Int128 n) =>
        n > long.MaxValue / 2 ? long.MaxValue / 2 : n < long.MinValue / 2 ? long.MinValue / 2 : (long)n;
}
