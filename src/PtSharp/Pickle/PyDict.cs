using System.Collections;
using System.Numerics;
using PtSharp.Errors;

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
    // Items [_indexed, Count) were appended by the unpickler without a lookup; the index (and Python's "a repeated
    // key keeps its first position and takes the last value") is applied to them in one pass, at full size, before
    // anything reads the dict. A state dict's index is then built once instead of through every doubling.
    private int _indexed;

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
    public int Count => Indexed()?.Count ?? 0;

    /// <summary>Keys in insertion order.</summary>
    public IEnumerable<object?> Keys => (Indexed() ?? []).Select(p => p.Key);

    /// <summary>Values in insertion order.</summary>
    public IEnumerable<object?> Values => (Indexed() ?? []).Select(p => p.Value);

    /// <summary>Gets or sets the value of a key. Getting a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public object? this[object? key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"key '{key}' is not in the dict");
        set => Set(key, value);
    }

    /// <summary>Looks a key up (Python equality for strings, ints, floats, bools, None and tuples of those).</summary>
    public bool TryGetValue(object? key, out object? value)
    {
        var items = Indexed();
        if (_index is not null && _index.TryGetValue(Wrap(key), out int i)) { value = items![i].Value; return true; }
        value = null;
        return false;
    }

    /// <summary>True when the key is present.</summary>
    public bool ContainsKey(object? key)
    {
        Indexed();
        return _index is not null && _index.ContainsKey(Wrap(key));
    }

    /// <summary>Sets a key, appending it when new.</summary>
    public void Set(object? key, object? value)
    {
        var items = Indexed() ?? (_items = []);
        _index ??= new(PyKeyComparer.Instance);
        ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_index, Wrap(key), out bool exists);
        if (exists) items[slot] = new(items[slot].Key, value);
        else { slot = items.Count; items.Add(new(key, value)); }
        _indexed = items.Count;
    }

    /// <summary>Adds or replaces a key (enables collection initialisers).</summary>
    public void Add(object? key, object? value) => Set(key, value);

    /// <summary>Appends key/value pairs (<paramref name="pairs"/> alternates keys and values) as repeated <see cref="Set"/> calls would, deferring the lookups.</summary>
    internal void SetMany(ReadOnlySpan<object?> pairs)
    {
        _items ??= new(pairs.Length / 2);
        for (int i = 0; i + 1 < pairs.Length; i += 2) _items.Add(new(pairs[i], pairs[i + 1]));
    }

    /// <summary>The items in order, for loops inside the library that must not allocate enumerators.</summary>
    internal ReadOnlySpan<KeyValuePair<object?, object?>> ItemSpan => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(Indexed());

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<object?, object?>> GetEnumerator() => (Indexed() ?? []).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Indexes items appended by <see cref="SetMany"/>, merging repeated keys, and returns the item list.</summary>
    private List<KeyValuePair<object?, object?>>? Indexed()
    {
        var items = _items;
        if (items is null || _indexed == items.Count) return items;
        if (_index is null) _index = new(items.Count, PyKeyComparer.Instance);
        else _index.EnsureCapacity(items.Count);
        int write = _indexed;
        for (int read = _indexed; read < items.Count; read++)
        {
            var item = items[read];
            ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_index, Wrap(item.Key), out bool exists);
            if (exists) { items[slot] = new(items[slot].Key, item.Value); continue; }
            slot = write;
            items[write++] = item;
        }
        items.RemoveRange(write, items.Count - write);
        _indexed = write;
        return items;
    }

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
        if (x is string xs) return y is string ys && string.Equals(xs, ys, StringComparison.Ordinal); // most keys
        if (depth > MaxDepth) return false;
        if (TryNumber(x, out var a) && TryNumber(y, out var b)) return a.Same(b);
        return (x, y) switch
        {
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
        if (obj is string str) return StringComparer.Ordinal.GetHashCode(str); // most keys
        if (TryNumber(obj, out var n)) return n.IsInteger ? n.Integer.GetHashCode() : n.Float.GetHashCode();
        switch (obj)
        {
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
