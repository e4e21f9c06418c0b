using System.Numerics;

namespace PtSharp.Tensors;

/// <summary>Which .NET type the typed accessors (<c>AsSpan</c>, <c>AsTensorSpan</c>, <c>ToArray</c>) accept per dtype.</summary>
internal static class ElementTypes
{
    /// <summary>
    /// True when <typeparamref name="T"/> is the dtype's element type: its .NET type when it has one
    /// (<see cref="float"/> for float32, <see cref="Half"/> for float16, <see cref="bool"/> for bool...); for dtypes
    /// .NET has no type for (bfloat16, float8, complex64, bits...), the unsigned integer of the element size (the raw
    /// bits) or a caller's own struct of that size.
    /// </summary>
    public static bool Matches<T>(DType dtype) where T : unmanaged
    {
        if (Natural(dtype) is { } natural) return typeof(T) == natural;
        var t = typeof(T);
        bool rawBits = t == typeof(byte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong);
        bool numeric = t.IsPrimitive || t == typeof(Half) || t == typeof(Complex) || t == typeof(decimal)
            || t == typeof(Int128) || t == typeof(UInt128);
        return rawBits || !numeric;
    }

    /// <summary>The accepted type(s) in words, for messages.</summary>
    public static string Describe(DType dtype) => Natural(dtype) is { } natural
        ? $"read them as {natural.Name}"
        : $"read their bits as {RawBits(dtype)} or a struct of {dtype.ElementSize()} bytes";

    private static string RawBits(DType dtype) => dtype.ElementSize() switch
    {
        1 => "byte",
        2 => "ushort",
        4 => "uint",
        _ => "ulong",
    };

    private static Type? Natural(DType dtype) => dtype switch
    {
        DType.Float64 => typeof(double),
        DType.Float32 => typeof(float),
        DType.Float16 => typeof(Half),
        DType.Complex128 => typeof(Complex),
        DType.Int8 or DType.QInt8 => typeof(sbyte),
        DType.Int16 => typeof(short),
        DType.Int32 or DType.QInt32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.UInt8 or DType.QUInt8 => typeof(byte),
        DType.UInt16 => typeof(ushort),
        DType.UInt32 => typeof(uint),
        DType.UInt64 => typeof(ulong),
        DType.Bool => typeof(bool),
        _ => null,
    };
}
