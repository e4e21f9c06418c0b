using System.Globalization;
using System.Numerics;
using PtSharp.Errors;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Report.Data;

/// <summary>Short, culture-invariant text for the plain values of a checkpoint (numbers, strings, tuples...).</summary>
internal static class ValueText
{
    private const int MaxString = 300;
    private const int MaxItems = 8;

    /// <summary>
    /// Tuples inside tuples shown at most this deep: the memo can share one tuple at every level, so without a
    /// bound a few hundred bytes of pickle name 2^64 items.
    /// </summary>
    private const int MaxNesting = 3;

    /// <summary>
    /// True for values shown as one line: numbers, bools, strings, None, one-element tensors, short tuples of those.
    /// </summary>
    public static bool IsScalar(object? v) => IsScalar(v, 0);

    private static bool IsScalar(object? v, int depth) => v switch
    {
        null or bool or long or int or double or BigInteger or string or PyGlobal => true,
        PtTensor t => t.ElementCount == 1 && !t.IsSparse && t.Storage is { HasData: true },
        PyTuple t => depth < MaxNesting && t.Count <= MaxItems && t.All(x => IsScalar(x, depth + 1)),
        PyList l => l.Count <= MaxItems && l.All(x => x is not PyList && x is not PyTuple && IsScalar(x)),
        _ => false,
    };

    public static string Format(object? v) => Format(v, 0);

    private static string Format(object? v, int depth) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long n => n.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        BigInteger n => n.ToString(CultureInfo.InvariantCulture),
        double d => Number(d),
        string s => s.Length > MaxString ? "'" + s[..MaxString] + "…'" : "'" + s + "'",
        PyGlobal g => g.FullName,
        PtTensor t when t.ElementCount == 1 && t.Storage is { HasData: true } => TensorScalar(t),
        PtTensor t => $"tensor {t.DType.Name()} [{string.Join(", ", t.Shape)}]",
        PyTuple when depth >= MaxNesting => "(…)",
        PyList when depth >= MaxNesting => "[…]",
        PyTuple t => "(" + string.Join(", ", t.Take(MaxItems).Select(x => Format(x, depth + 1)))
            + (t.Count == 1 ? ",)" : t.Count > MaxItems ? ", …)" : ")"),
        PyList l => "[" + string.Join(", ", l.Take(MaxItems).Select(x => Format(x, depth + 1)))
            + (l.Count > MaxItems ? ", …]" : "]"),
        PyDict d => $"dict of {d.Count}",
        PyObject o => $"<{o.Module}.{o.Name}>",
        byte[] b => $"bytes of {b.Length}",
        _ => v.GetType().Name,
    };

    public static string Number(double d) =>
        double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf"
        : d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string TensorScalar(PtTensor t)
    {
        try
        {
            if (t.DType.IsComplex()) return $"tensor {t.DType.Name()}";
            double x = t.ToDoubleArray()[0];
            return $"{Number(x)} (tensor {t.DType.Name()})";
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or PtFormatException)
        {
            return $"tensor {t.DType.Name()}";
        }
    }
}
