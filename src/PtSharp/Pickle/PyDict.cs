using System.Collections;
using System.Numerics;

namespace PtSharp.Pickle;

/// <summary>
/// A Python <c>dict</c> or <c>collections.OrderedDict</c> (or another dict subclass PtSharp rebuilds). Keys keep
/// insertion order; setting an existing key replaces its value in place, as in Python. Attributes set on the
/// instance by <c>BUILD</c> (such as a state dict's <c>_metadata</c>) are kept in <see cref="Attributes"/>.
/// </summary>
public sealed class PyDict : IEnumerable<KeyValuePair<object?, object?>>
{
    // Created on first insert: torch pickles an empty OrderedDict (backward hooks) with every tensor.
    private List<KeyValuePair<object?, object?>>? _items;
    private Dictionary<object, int>? _index;

    /// <summary>Creates an empty dict.</summary>
    /// <param name="className">Python class for dict subclasses, e.g. <c>collections.OrderedDict</c>; <see langword="null"/> for <c>dict</c>.</param>
    public PyDict(string? className = null) { ClassName = className; }

    /// <summary>Python class for dict subclasses (<c>collections.OrderedDict</c>, <c>collections.Counter</c>), or <see langword="null"/>.</summary>
    public string? ClassName { get; }

    /// <summary>True for <c>collections.OrderedDict</c>.</summary>
    public bool IsOrderedDict => ClassName == "collections.OrderedDict";

    /// <summary>Instance attributes set by <c>BUILD</c> (e.g. <c>_metadata</c>), or <see langword="null"/>.</summary>
    public PyDict? Attributes { get; set; }

    /// <summary>Number of items.</summary>
    public int Count => _items?.Count ?? 0;

    /// <summary>Keys in insertion order.</summary>
    public IEnumerable<object?> Keys => (_items ?? []).Select(p => p.Key);

    /// <summary>Values in insertion order.</summary>
    public IEnumerable<object?> Values => (_items ?? []).Select(p => p.Value);

    /// <summary>Gets or sets the value of a key. Getting a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public object? this[object? key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"key '{key}' is not in the dict");
        set => Set(key, value);
    }

    /// <summary>Looks a key up (Python equality for strings, ints, floats, bools, None and tuples of those).</summary>
    public bool TryGetValue(object? key, out object? value)
    {
        if (_index is not null && _index.TryGetValue(Wrap(key), out int i)) { value = _items![i].Value; return true; }
        value = null;
        return false;
    }

    /// <summary>True when the key is present.</summary>
    public bool ContainsKey(object? key) => _index is not null && _index.ContainsKey(Wrap(key));

    /// <summary>Sets a key, appending it when new.</summary>
    public void Set(object? key, object? value)
    {
        var k = Wrap(key);
        _items ??= [];
        _index ??= new(PyKeyComparer.Instance);
        if (_index.TryGetValue(k, out int i)) _items[i] = new(_items[i].Key, value);
        else { _index[k] = _items.Count; _items.Add(new(key, value)); }
    }

    /// <summary>Adds or replaces a key (enables collection initialisers).</summary>
    public void Add(object? key, object? value) => Set(key, value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<object?, object?>> GetEnumerator() => (_items ?? []).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static object Wrap(object? key) => key ?? NoneKey.Instance;

    private sealed class NoneKey { public static readonly NoneKey Instance = new(); }

    /// <inheritdoc/>
    public override string ToString() => $"{ClassName ?? "dict"}[{Count}]";
}

/// <summary>Python-like key equality: numbers compare by value (1 == 1.0 == True), strings by ordinal, tuples element-wise; anything else by reference.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    public static readonly PyKeyComparer Instance = new();
    private const int MaxDepth = 32;

    public new bool Equals(object? x, object? y) => Eq(x, y, 0);

    /// <summary>
    /// Most values in one key (tuples count their items, recursively). Hashing covers every value, so it is bounded
    /// here rather than by depth: memo-shared nested tuples would otherwise expand exponentially (8 items of 8 items
    /// of ... costs a few bytes per level). Real keys are strings, numbers and short tuples.
    /// </summary>
    internal const int MaxKeyValues = 256;

    public int GetHashCode(object obj)
    {
        int budget = MaxKeyValues;
        return Hash(obj, ref budget);
    }

    private static bool Eq(object? x, object? y, int depth)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null) return false;
        if (depth > MaxDepth) return false;
        if (TryNumber(x, out var a) && TryNumber(y, out var b)) return a.Same(b);
        return (x, y) switch
        {
            (string s, string t) => string.Equals(s, t, StringComparison.Ordinal),
            (byte[] s, byte[] t) => s.AsSpan().SequenceEqual(t),
            (PyTuple s, PyTuple t) => s.Count == t.Count && Enumerable.Range(0, s.Count).All(i => Eq(s[i], t[i], depth + 1)),
            (PyGlobal s, PyGlobal t) => s.Equals(t),
            _ => false,
        };
    }

    private static int Hash(object obj, ref int budget)
    {
        if (--budget < 0)
            throw new PtFormatException(PtErrorKind.LimitExceeded, $"a dict key holds more than {MaxKeyValues} values (nested tuples); such keys are refused");
        if (TryNumber(obj, out var n)) return n.IsInteger ? n.Integer.GetHashCode() : n.Float.GetHashCode();
        switch (obj)
        {
            case string s: return StringComparer.Ordinal.GetHashCode(s);
            case byte[] b: { var h = new HashCode(); h.AddBytes(b); return h.ToHashCode(); }
            case PyTuple t:
                {
                    var h = new HashCode();
                    h.Add(t.Count);
                    foreach (var item in t.Items) h.Add(item is null ? 0 : Hash(item, ref budget));
                    return h.ToHashCode();
                }
            case PyGlobal g: return g.GetHashCode();
            default: return System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }

    private readonly struct Number(bool isInteger, BigInteger integer, double value)
    {
        public bool IsInteger { get; } = isInteger;
        public BigInteger Integer { get; } = integer;
        public double Float { get; } = value;
        public bool Same(Number b) => IsInteger && b.IsInteger ? Integer == b.Integer : AsDouble() == b.AsDouble();
        private double AsDouble() => IsInteger ? (double)Integer : Float;
    }

    private static bool TryNumber(object o, out Number n)
    {
        switch (o)
        {
            case long l: n = new(true, l, 0); return true;
            case int i: n = new(true, i, 0); return true; // keys built in .NET (e.g. optimizer state 0..n)
            case short s: n = new(true, s, 0); return true;
            case sbyte sb: n = new(true, sb, 0); return true;
            case byte by: n = new(true, by, 0); return true;
            case ushort us: n = new(true, us, 0); return true;
            case uint ui: n = new(true, ui, 0); return true;
            case ulong ul: n = new(true, ul, 0); return true;
            case float f when float.IsInteger(f) && Math.Abs(f) < 9.2e18f: n = new(true, new BigInteger(f), 0); return true;
            case float f: n = new(false, 0, f); return true;
            case BigInteger b: n = new(true, b, 0); return true;
            case bool f: n = new(true, f ? 1 : 0, 0); return true;
            case double d when double.IsInteger(d) && Math.Abs(d) < 9.2e18: n = new(true, new BigInteger(d), 0); return true;
            case double d: n = new(false, 0, d); return true;
            default: n = default; return false;
        }
    }
}
