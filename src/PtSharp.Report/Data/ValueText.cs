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
    /// True for values shown as one line: numbers, bools, strings, None, one-element tensors, short tuples of those.
    /// </summary>
    public static bool IsScalar(object? v) => v switch
    {
        null or bool or long or int or double or BigInteger or string or PyGlobal => true,
        PtTensor t => t.ElementCount == 1 && !t.IsSparse && t.Storage is { HasData: true },
        PyTuple t => t.Count <= MaxItems && t.All(IsScalar),
        PyList l => l.Count <= MaxItems && l.All(x => x is not PyList && x is not PyTuple && IsScalar(x)),
        _ => false,
    };

    public static string Format(object? v) => v switch
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
        PyTuple t => "(" + string.Join(", ", t.Take(MaxItems).Select(Format))
            + (t.Count == 1 ? ",)" : t.Count > MaxItems ? ", …)" : ")"),
        PyList l => "[" + string.Join(", ", l.Take(MaxItems).Select(Format)) + (l.Count > MaxItems ? ", …]" : "]"),
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
