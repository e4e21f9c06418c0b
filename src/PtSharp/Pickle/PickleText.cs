using System.Text;

namespace PtSharp.Pickle;

/// <summary>
/// How the text-protocol opcodes' arguments decode (STRING, UNICODE), shared by the pickle machine and the scanner:
/// the scanner has to see exactly the names the unpickler would import, or an escape only one of them understands
/// hides a global from it (<c>S'o\163'</c> is <c>os</c> to CPython).
/// </summary>
internal static class PickleText
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    /// <summary>
    /// The body of a protocol-0 STRING argument (a Python bytes repr without its quotes) with its backslash escapes
    /// applied, as <c>codecs.escape_decode</c> does; an escape Python does not know is kept as written.
    /// </summary>
    public static byte[] Unescape(ReadOnlySpan<byte> body)
    {
        var output = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            byte c = body[i];
            if (c != (byte)'\\' || i + 1 == body.Length) { output.Add(c); continue; }
            byte e = body[++i];
            switch (e)
            {
                case (byte)'n': output.Add((byte)'\n'); break;
                case (byte)'r': output.Add((byte)'\r'); break;
                case (byte)'t': output.Add((byte)'\t'); break;
                case (byte)'a': output.Add(7); break;
                case (byte)'b': output.Add(8); break;
                case (byte)'f': output.Add(12); break;
                case (byte)'v': output.Add(11); break;
                case (byte)'\\': output.Add((byte)'\\'); break;
                case (byte)'\'': output.Add((byte)'\''); break;
                case (byte)'"': output.Add((byte)'"'); break;
                case (byte)'x' when i + 2 < body.Length && IsHex(body[i + 1]) && IsHex(body[i + 2]):
                    output.Add((byte)(Hex(body[i + 1]) * 16 + Hex(body[i + 2]))); i += 2; break;
                case >= (byte)'0' and <= (byte)'7':
                    {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i + 1 < body.Length && body[i + 1] >= '0' && body[i + 1] <= '7'; k++) v = v * 8 + (body[++i] - '0');
                        output.Add((byte)v);
                        break;
                    }
                default: output.Add((byte)'\\'); output.Add(e); break;
            }
        }
        return output.ToArray();
    }

    /// <summary>Python 2 8-bit strings: torch.load decodes them as UTF-8; bytes that are not UTF-8 are kept as Latin-1 text.</summary>
    public static string Decode8Bit(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(bytes); }
    }

    /// <summary>
    /// CPython's raw-unicode-escape (the UNICODE argument): Latin-1 text where only <c>\uXXXX</c> and
    /// <c>\UXXXXXXXX</c> are escapes. An escape that is truncated, not hex or beyond U+10FFFF is kept as written.
    /// </summary>
    public static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> line)
    {
        var sb = new StringBuilder(line.Length);
        for (int i = 0; i < line.Length; i++)
        {
            byte c = line[i];
            if (c == (byte)'\\' && i + 1 < line.Length && (line[i + 1] == (byte)'u' || line[i + 1] == (byte)'U'))
            {
                int end = i + 2 + (line[i + 1] == (byte)'u' ? 4 : 8);
                if (end <= line.Length && TryHex(line[(i + 2)..end], out long cp) && cp <= 0x10FFFF)
                {
                    if (cp is < 0xD800 or > 0xDFFF) sb.Append(char.ConvertFromUtf32((int)cp));
                    else sb.Append((char)cp); // a lone surrogate, as Python keeps it
                    i = end - 1;
                    continue;
                }
            }
            sb.Append((char)c);
        }
        return sb.ToString();
    }

    private static bool TryHex(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        foreach (byte h in digits)
        {
            if (!IsHex(h)) return false;
            value = value * 16 + Hex(h); // at most 8 digits: no overflow in 64 bits
        }
        return true;
    }

    public static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    public static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
