using System.Globalization;
using System.Text;
using PtSharp.Errors;
using PtSharp.Pickle;

namespace PtSharp.Loading;

/// <summary>
/// The persistent id of a protocol-0 legacy stream. Python's protocol-0 pickler writes a persistent id as the
/// <c>str()</c> of the object in a text PERSID line, so torch's <c>('storage', torch.FloatStorage, '9412', 'cpu',
/// 6, None)</c> arrives as the repr <c>('storage', &lt;class 'torch.FloatStorage'&gt;, '9412', 'cpu', 6, None)</c>.
/// torch.load itself rejects it (its persistent_load asserts a tuple); this reads the repr back into the tuple torch
/// meant: strings, ints, None, nested tuples and <c>&lt;class 'module.Name'&gt;</c> (a <see cref="PyGlobal"/>).
/// </summary>
internal static class LegacyPersistentIdText
{
    private const int MaxDepth = 8;

    /// <summary>Parses <paramref name="text"/> when it is a tuple repr; null when it is anything else.</summary>
    public static PyTuple? TryParse(string text, string record, long offset)
    {
        var t = text.AsSpan().Trim();
        if (t.Length < 2 || t[0] != '(') return null;
        int pos = 0;
        var value = Value(t, ref pos, 0, record, offset);
        SkipSpaces(t, ref pos);
        if (pos != t.Length) Fail("text after the tuple", record, offset);
        return value as PyTuple;
    }

    private static object? Value(ReadOnlySpan<char> t, ref int pos, int depth, string record, long offset)
    {
        SkipSpaces(t, ref pos);
        if (pos >= t.Length) return Fail("it ends inside a value", record, offset);
        char c = t[pos];
        if (c == '(') return Tuple(t, ref pos, depth, record, offset);
        if (c is '\'' or '"') return Quoted(t, ref pos, record, offset);
        if (t[pos..].StartsWith("<class ", StringComparison.Ordinal))
        {
            pos += "<class ".Length;
            string name = Quoted(t, ref pos, record, offset);
            if (pos >= t.Length || t[pos] != '>') return Fail("a class repr is not closed", record, offset);
            pos++;
            int dot = name.LastIndexOf('.');
            return dot > 0 ? new PyGlobal(name[..dot], name[(dot + 1)..]) : new PyGlobal("builtins", name);
        }
        if (t[pos..].StartsWith("None", StringComparison.Ordinal)) { pos += 4; return null; }
        if (t[pos..].StartsWith("True", StringComparison.Ordinal)) { pos += 4; return true; }
        if (t[pos..].StartsWith("False", StringComparison.Ordinal)) { pos += 5; return false; }
        int start = pos;
        if (pos < t.Length && t[pos] == '-') pos++;
        while (pos < t.Length && char.IsAsciiDigit(t[pos])) pos++;
        if (pos == start || !long.TryParse(t[start..pos], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
                out long v))
            return Fail($"unexpected '{t[start]}'", record, offset);
        return v;
    }

    private static PyTuple Tuple(ReadOnlySpan<char> t, ref int pos, int depth, string record, long offset)
    {
        if (depth >= MaxDepth) Fail("tuples nested too deeply", record, offset);
        pos++; // '('
        var items = new List<object?>();
        while (true)
        {
            SkipSpaces(t, ref pos);
            if (pos < t.Length && t[pos] == ')') { pos++; return new PyTuple(items.ToArray()); }
            items.Add(Value(t, ref pos, depth + 1, record, offset));
            SkipSpaces(t, ref pos);
            if (pos < t.Length && t[pos] == ',') { pos++; continue; }
            if (pos < t.Length && t[pos] == ')') { pos++; return new PyTuple(items.ToArray()); }
            Fail("a tuple item is not followed by ',' or ')'", record, offset);
        }
    }

    /// <summary>A Python str repr: the escapes <c>repr()</c> writes for ASCII text.</summary>
    private static string Quoted(ReadOnlySpan<char> t, ref int pos, string record, long offset)
    {
        if (pos >= t.Length || t[pos] is not ('\'' or '"')) Fail("a string was expected", record, offset);
        char quote = t[pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= t.Length) Fail("a string is not closed", record, offset);
            char c = t[pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (pos >= t.Length) Fail("a string ends in a backslash", record, offset);
            char e = t[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                case 'x': sb.Append((char)HexDigits(t, ref pos, 2, record, offset)); break;
                case 'u': sb.Append((char)HexDigits(t, ref pos, 4, record, offset)); break;
                case 'U': sb.Append(char.ConvertFromUtf32(HexDigits(t, ref pos, 8, record, offset))); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    private static int HexDigits(ReadOnlySpan<char> t, ref int pos, int count, string record, long offset)
    {
        if (pos + count > t.Length || !int.TryParse(t.Slice(pos, count), NumberStyles.AllowHexSpecifier,
                CultureInfo.InvariantCulture, out int v) || v is < 0 or > 0x10FFFF)
            return Fail<int>("a bad escape in a string", record, offset);
        pos += count;
        return v;
    }

    private static void SkipSpaces(ReadOnlySpan<char> t, ref int pos)
    {
        while (pos < t.Length && t[pos] == ' ') pos++;
    }

    private static object? Fail(string why, string record, long offset) => Fail<object?>(why, record, offset);

    private static T Fail<T>(string why, string record, long offset) =>
        ThrowHelper.Format<T>(PtErrorKind.CorruptPickle,
            $"the protocol-0 persistent id is not a readable tuple repr: {why}", record, offset);
}
