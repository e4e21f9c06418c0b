using System.Numerics;
using PtSharp.Pickle;

namespace PtSharp.TorchSharp.Checkpoints;

/// <summary>Python values of a checkpoint as .NET values (0-dim tensors become numbers).</summary>
internal static class PyValueReader
{
    public static double Double(object? v, string what) => v switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        BigInteger b => (double)b,
        PtTensor { ElementCount: 1 } t => t.ToDoubleArray()[0],
        _ => throw new PtFormatException(PtErrorKind.Unsupported, $"{what} is {Describe(v)}, not a number"),
    };

    public static long Long(object? v, string what) => v switch
    {
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        double d when double.IsInteger(d) => (long)d,
        PtTensor { ElementCount: 1 } t => (long)t.ToDoubleArray()[0],
        _ => throw new PtFormatException(PtErrorKind.Unsupported, $"{what} is {Describe(v)}, not an integer"),
    };

    public static bool Bool(object? v, bool fallback) => v switch
    {
        bool b => b,
        long l => l != 0,
        _ => fallback,
    };

    /// <summary>A plain value of a checkpoint entry as .NET: numbers, strings, bools, None, 0-dim tensors; else null.</summary>
    public static bool TryScalar(object? v, out object? value)
    {
        switch (v)
        {
            case null or string or bool or long or double: value = v; return true;
            case BigInteger b: value = b; return true;
            case PtTensor { Rank: 0 } t when t.DType.IsFloatingPoint(): value = t.ToDoubleArray()[0]; return true;
            case PtTensor { Rank: 0 } t when !t.DType.IsComplex() && !t.DType.IsQuantized(): value = (long)t.ToDoubleArray()[0]; return true;
            default: value = null; return false;
        }
    }

    public static string Describe(object? v) => v switch
    {
        null => "None",
        PyObject o => $"a {o.Module}.{o.Name} object",
        PtTensor t => t.ToString(),
        _ => $"a {v.GetType().Name} ({v})",
    };
}
