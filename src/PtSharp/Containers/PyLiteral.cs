using System.Globalization;
using System.Text;

namespace PtSharp.Containers;

/// <summary>A Python tuple from <see cref="PyLiteral"/>.</summary>
internal sealed record PyLiteralTuple(List<object?> Items);

/// <summary>A Python set from <see cref="PyLiteral"/>.</summary>
internal sealed record PyLiteralSet(List<object?> Items);

/// <summary>A Python bytes literal from <see cref="PyLiteral"/>.</summary>
internal sealed record PyLiteralBytes(byte[] Value);

/// <summary>A Python complex or float literal (its value does not matter here).</summary>
internal sealed record PyLiteralNumber(double Value, bool Complex);

/// <summary>
/// The subset of Python's <c>ast.literal_eval</c> that numpy's .npy header parser runs: strings in every spelling
/// (prefixes, the four quotes, escapes, implicit concatenation), bytes, ints, floats, complex, True/False/None,
/// tuples, lists, dicts (a later duplicate key wins) and sets, comments and line continuations. Values: string,
/// long (clamped), bool, null, <see cref="PyLiteralNumber"/>, <see cref="PyLiteralBytes"/>, List (a list),
/// <see cref="PyLiteralTuple"/>, <see cref="PyLiteralSet"/>, and a list of key/value pairs for a dict. It errs on
/// the side of accepting: a header Python refuses is never loaded, so accepting more only means scanning more.
/// </summary>
internal sealed class PyLiteral
{
    private readonly string _s;
    private readonly bool _dropLongSuffix;
    private int _p, _depth;

    private PyLiteral(string s, bool dropLongSuffix)
    {
        _s = s;
        _dropLongSuffix = dropLongSuffix;
    }

    /// <summary>Parses <paramref name="text"/>; <paramref name="python2Longs"/> drops the 'L' after integers (numpy's
    /// _filter_header).</summary>
    public static bool TryParse(string text, bool python2Longs, out object? value)
    {
        var p = new PyLiteral(text, python2Longs);
        try
        {
            value = p.Expression();
            p.Skip();
            if (p._p < p._s.Length) throw new FormatException("trailing text");
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            value = null;
            return false;
        }
    }

    /// <summary>Python equality of two parsed keys (enough for str, int and bool keys).</summary>
    public static bool KeyEquals(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => x == y,
        (long x, long y) => x == y,
        (bool x, bool y) => x == y,
        (bool x, long y) => (x ? 1 : 0) == y,
        (long x, bool y) => x == (y ? 1 : 0),
        (null, null) => true,
        _ => false,
    };

    private void Skip()
    {
        while (_p < _s.Length)
        {
            char c = _s[_p];
            // Inside brackets newlines are whitespace; eval mode also tolerates them around the expression.
            if (c is ' ' or '\t' or '\f' or '\n' or '\r') _p++;
            else if (c == '\\' && _p + 1 < _s.Length && _s[_p + 1] is '\n' or '\r') _p += 2;
            else if (c == '#') { while (_p < _s.Length && _s[_p] != '\n') _p++; }
            else break;
        }
    }

    private char Peek() { Skip(); return _p < _s.Length ? _s[_p] : '\0'; }

    private void Expect(char c)
    {
        if (Peek() != c) throw new FormatException($"expected '{c}' at {_p}");
        _p++;
    }

    private object? Expression()
    {
        if (++_depth > 200) throw new FormatException("nested too deeply");
        try
        {
            var left = Unary();
            // 1+2j and friends: a real and an imaginary part.
            while (Peek() is '+' or '-' && left is long or PyLiteralNumber)
            {
                _p++;
                var right = Unary();
                if (right is not (long or PyLiteralNumber)) throw new FormatException("not a number");
                left = new PyLiteralNumber(0, true);
            }
            return left;
        }
        finally { _depth--; }
    }

    private object? Unary()
    {
        char c = Peek();
        if (c is '+' or '-')
        {
            _p++;
            var v = Unary();
            return v switch
            {
                long l => c == '-' ? -l : l,
                bool b => c == '-' ? -(b ? 1L : 0L) : b ? 1L : 0L,
                PyLiteralNumber n => n with { Value = c == '-' ? -n.Value : n.Value },
                _ => throw new FormatException("sign before a non-number"),
            };
        }
        return Atom();
    }

    private object? Atom()
    {
        char c = Peek();
        switch (c)
        {
            case '(': return Parenthesized();
            case '[': _p++; return new List<object?>(Items(']', out _));
            case '{': return Braces();
            case '.' when _p + 2 < _s.Length && _s[_p + 1] == '.' && _s[_p + 2] == '.': _p += 3; return "...";
        }
        if (char.IsAsciiDigit(c) || c == '.') return Number();
        if (char.IsLetter(c) || c == '_')
        {
            int start = _p;
            while (_p < _s.Length && (char.IsLetterOrDigit(_s[_p]) || _s[_p] == '_')) _p++;
            string word = _s[start.._p];
            if (_p < _s.Length && _s[_p] is '\'' or '"') return Strings(word);
            switch (word)
            {
                case "True": return true;
                case "False": return false;
                case "None": return null;
                case "set":
                    Expect('(');
                    Expect(')');
                    return new PyLiteralSet([]);
            }
            throw new FormatException($"name '{word}' is not a literal");
        }
        if (c is '\'' or '"') return Strings("");
        throw new FormatException($"unexpected '{c}' at {_p}");
    }

    private object? Parenthesized()
    {
        _p++;
        if (Peek() == ')') { _p++; return new PyLiteralTuple([]); }
        var first = Expression();
        if (Peek() == ')') { _p++; return first; }
        Expect(',');
        var items = new List<object?> { first };
        items.AddRange(Items(')', out _));
        return new PyLiteralTuple(items);
    }

    private List<object?> Items(char close, out bool trailingComma)
    {
        var items = new List<object?>();
        trailingComma = false;
        while (true)
        {
            if (Peek() == close) { _p++; return items; }
            items.Add(Expression());
            trailingComma = false;
            char c = Peek();
            if (c == ',') { _p++; trailingComma = true; continue; }
            if (c == close) { _p++; return items; }
            throw new FormatException($"expected ',' or '{close}' at {_p}");
        }
    }

    private object Braces()
    {
        _p++;
        if (Peek() == '}') { _p++; return new List<KeyValuePair<object?, object?>>(); }
        var first = Expression();
        if (Peek() != ':')
        {
            var items = new List<object?> { first };
            if (Peek() == ',') { _p++; items.AddRange(Items('}', out _)); }
            else Expect('}');
            return new PyLiteralSet(items);
        }
        var pairs = new List<KeyValuePair<object?, object?>>();
        var key = first;
        while (true)
        {
            Expect(':');
            var value = Expression();
            int at = pairs.FindIndex(kv => KeyEquals(kv.Key, key));
            if (at >= 0) pairs[at] = new(pairs[at].Key, value); // a later duplicate wins, in the first key's place
            else pairs.Add(new(key, value));
            char c = Peek();
            if (c == '}') { _p++; return pairs; }
            Expect(',');
            if (Peek() == '}') { _p++; return pairs; }
            key = Expression();
        }
    }

    private object Number()
    {
        int start = _p;
        string s = _s;
        if (s[_p] == '0' && _p + 1 < s.Length && char.ToLowerInvariant(s[_p + 1]) is 'x' or 'o' or 'b')
        {
            int radix = char.ToLowerInvariant(s[_p + 1]) switch { 'x' => 16, 'o' => 8, _ => 2 };
            _p += 2;
            long v = 0;
            int digits = 0;
            while (_p < s.Length && (Uri.IsHexDigit(s[_p]) || s[_p] == '_'))
            {
                if (s[_p] != '_')
                {
                    int d = Convert.ToInt32(s[_p].ToString(), 16);
                    if (d >= radix) throw new FormatException("bad digit");
                    v = v > long.MaxValue / 32 ? long.MaxValue / 2 : v * radix + d;
                    digits++;
                }
                _p++;
            }
            if (digits == 0) throw new FormatException("no digits");
            return AfterInteger(v);
        }
        bool real = false;
        while (_p < s.Length && (char.IsAsciiDigit(s[_p]) || s[_p] == '_')) _p++;
        if (_p < s.Length && s[_p] == '.') { real = true; _p++; while (_p < s.Length && (char.IsAsciiDigit(s[_p])
            || s[_p] == '_')) _p++; }
        if (_p < s.Length && s[_p] is 'e' or 'E')
        {
            real = true;
            _p++;
            if (_p < s.Length && s[_p] is '+' or '-') _p++;
            while (_p < s.Length && (char.IsAsciiDigit(s[_p]) || s[_p] == '_')) _p++;
        }
        string text = s[start.._p].Replace("_", "", StringComparison.Ordinal);
        if (text is "." or "") throw new FormatException("not a number");
        if (_p < s.Length && s[_p] is 'j' or 'J') { _p++; return new PyLiteralNumber(0, true); }
        if (real) return new PyLiteralNumber(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            false);
        return AfterInteger(text.Length > 18 ? long.MaxValue / 2 : long.Parse(text, CultureInfo.InvariantCulture));
    }

    private object AfterInteger(long v)
    {
        // numpy's _filter_header (headers of version 1.0 and 2.0) drops a Python 2 'L' after a number.
        int save = _p;
        if (_dropLongSuffix)
        {
            Skip();
            if (_p < _s.Length && _s[_p] == 'L' && (_p + 1 >= _s.Length || !(char.IsLetterOrDigit(_s[_p + 1])
                || _s[_p + 1] == '_')))
            {
                _p++;
                return v;
            }
        }
        _p = save;
        return v;
    }

    /// <summary>One or more adjacent string literals, the first with prefix <paramref name="prefix"/>.</summary>
    private object Strings(string prefix)
    {
        StringBuilder? text = null;
        List<byte>? bytes = null;
        while (true)
        {
            string p = prefix.ToLowerInvariant();
            if (p.Length > 2 || p.Any(ch => ch is not ('r' or 'u' or 'b')) || (p.Contains('u') && p.Length > 1))
                throw new FormatException($"string prefix '{prefix}' is not a literal");
            bool raw = p.Contains('r'), isBytes = p.Contains('b');
            if ((isBytes && text is not null) || (!isBytes && bytes is not null)) throw new FormatException(
                "bytes and str mixed");
            string body = Quoted(raw, isBytes);
            if (isBytes) (bytes ??= []).AddRange(body.Select(ch => (byte)ch));
            else (text ??= new()).Append(body);
            // Another literal may follow (implicit concatenation), possibly with its own prefix.
            char c = Peek();
            int save = _p;
            if (c is '\'' or '"') { prefix = ""; continue; }
            if (char.IsLetter(c))
            {
                int start = _p;
                while (_p < _s.Length && char.IsLetter(_s[_p])) _p++;
                if (_p < _s.Length && _s[_p] is '\'' or '"' && _p - start <= 2) { prefix = _s[start.._p]; continue; }
                _p = save;
            }
            return bytes is not null ? new PyLiteralBytes([.. bytes]) : text!.ToString();
        }
    }

    private string Quoted(bool raw, bool isBytes)
    {
        char q = _s[_p];
        bool triple = _p + 2 < _s.Length && _s[_p + 1] == q && _s[_p + 2] == q;
        _p += triple ? 3 : 1;
        var sb = new StringBuilder();
        while (true)
        {
            if (_p >= _s.Length) throw new FormatException("unterminated string");
            char c = _s[_p];
            if (c == q && (!triple || (_p + 2 < _s.Length && _s[_p + 1] == q && _s[_p + 2] == q)))
            {
                _p += triple ? 3 : 1;
                return sb.ToString();
            }
            if (c == '\n' && !triple) throw new FormatException("newline in string");
            if (isBytes && c > 0x7F) throw new FormatException("non-ASCII in bytes");
            if (c != '\\') { sb.Append(c); _p++; continue; }
            if (_p + 1 >= _s.Length) throw new FormatException("unterminated string");
            char e = _s[_p + 1];
            if (raw) { sb.Append(c).Append(e); _p += 2; continue; }
            _p += 2;
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case >= '0' and <= '7':
                    int v = e - '0';
                    for (int i = 0; i < 2 && _p < _s.Length && _s[_p] is >= '0' and <= '7'; i++) v = v * 8 + (
                        _s[_p++] - '0');
                    if (isBytes) v &= 0xFF;
                    sb.Append((char)v);
                    break;
                case 'x': sb.Append((char)Hex(2)); break;
                case 'u' when !isBytes: sb.Append((char)Hex(4)); break;
                case 'U' when !isBytes: sb.Append(char.ConvertFromUtf32(Hex(8))); break;
                case 'N' when !isBytes:
                    // \N{NAME}: the named character; only its being a character matters here.
                    int close = _s.IndexOf('}', _p);
                    if (_p >= _s.Length || _s[_p] != '{' || close < 0) throw new FormatException("bad \\N escape");
                    sb.Append(NamedCharacter(_s[(_p + 1)..close]));
                    _p = close + 1;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    private static string NamedCharacter(string name) => name.ToUpperInvariant() switch
    {
        "LATIN CAPITAL LETTER O" => "O",
        "LATIN SMALL LETTER O" => "o",
        "DIGIT EIGHT" => "8",
        "LESS-THAN SIGN" => "<",
        "VERTICAL LINE" => "|",
        _ => "\uFFFD", // unknown names: a character we cannot vouch for
    };

    private int Hex(int n)
    {
        if (_p + n > _s.Length) throw new FormatException("truncated escape");
        int v = int.Parse(_s.AsSpan(_p, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _p += n;
        return v;
    }
}
