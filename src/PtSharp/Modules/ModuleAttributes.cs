using System.Globalization;
using System.Numerics;
using PtSharp.Errors;
using PtSharp.Pickle;

namespace PtSharp.Modules;

/// <summary>Typed reads of a pickled module's <c>__dict__</c>; a missing or ill-typed attribute names the class.</summary>
internal sealed class ModuleAttributes(PyDict dict, string pythonClass)
{
    public PyDict Dict => dict;

    public bool Has(string name) => dict.ContainsKey(name);

    public object? Raw(string name) => dict.TryGetValue(name, out var v) ? v : null;

    public long Long(string name) => Raw(name) switch
    {
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        PyTuple { Count: 1 } t => Scalar(t[0], name),
        var v => throw Bad(name, "an integer", v),
    };

    public long? OptionalLong(string name) => Raw(name) is null ? null : Long(name);

    public double Double(string name) => Raw(name) switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        BigInteger b => (double)b,
        var v => throw Bad(name, "a number", v),
    };

    public double? OptionalDouble(string name) => Raw(name) is null ? null : Double(name);

    public bool Bool(string name, bool fallback = false) => Raw(name) switch
    {
        bool b => b,
        long l => l != 0,
        null when !Has(name) => fallback,
        var v => throw Bad(name, "a bool", v),
    };

    public string? String(string name) => Raw(name) switch
    {
        string s => s,
        null => null,
        var v => throw Bad(name, "a string", v),
    };

    /// <summary>An int or a tuple of ints (kernel sizes, strides, ...), expanded to <paramref name="rank"/> values.</summary>
    public long[] Longs(string name, int rank) => Raw(name) switch
    {
        PyTuple t => Expand(t.Items.Select(x => Scalar(x, name)).ToArray(), rank, name),
        PyList l => Expand(l.Select(x => Scalar(x, name)).ToArray(), rank, name),
        null when !Has(name) => throw Bad(name, "an int or tuple of ints", null),
        var v => Enumerable.Repeat(Scalar(v, name), rank).ToArray(),
    };

    /// <summary>An int, a tuple of ints (some may be <c>None</c>), or <c>None</c>: an adaptive pool's output size.</summary>
    public long?[] OptionalLongs(string name, int rank) => Raw(name) switch
    {
        PyTuple t => t.Items.Select(x => x is null ? (long?)null : Scalar(x, name)).ToArray(),
        PyList l => l.Select(x => x is null ? (long?)null : Scalar(x, name)).ToArray(),
        null => new long?[rank],
        var v => Enumerable.Repeat((long?)Scalar(v, name), rank).ToArray(),
    };

    private long[] Expand(long[] values, int rank, string name) =>
        values.Length == rank ? values
        : values.Length == 1 ? Enumerable.Repeat(values[0], rank).ToArray()
        : throw new PtFormatException(PtErrorKind.Unsupported,
            $"{pythonClass}.{name} has {values.Length} values where {rank} were expected");

    private long Scalar(object? v, string name) => v switch
    {
        long l => l,
        int i => i,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        _ => throw Bad(name, "an integer", v),
    };

    private PtFormatException Bad(string name, string expected, object? value) =>
        new(PtErrorKind.Unsupported, value is null && !Has(name)
            ? $"{pythonClass} has no attribute '{name}' ({expected} expected)"
            : $"{pythonClass}.{name} is {Describe(value)}, not {expected}");

    private static string Describe(object? v) => v switch
    {
        null => "None",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? v.GetType().Name,
    };
}
