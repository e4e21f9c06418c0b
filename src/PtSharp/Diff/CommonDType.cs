using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Diff;

/// <summary>
/// <see cref="DiffOptions.IgnoreDType"/>: when one floating dtype's values are all exactly representable in the
/// other (float16 and bfloat16 in float32, float32 in float64, float8 in float16 and bfloat16), the wider side is
/// rounded to the narrower dtype the way <c>tensor.to(dtype)</c> rounds (nearest, ties to even, through float32 as
/// torch does), so a checkpoint and its half-precision conversion compare equal. Other pairs (float16 against
/// bfloat16, integers against floats) are compared as they are.
/// </summary>
internal static class CommonDType
{
    /// <summary>The dtype both sides are rounded to, or null when values are compared as they are.</summary>
    public static DType? For(DType a, DType b)
    {
        DType ca = Component(a), cb = Component(b);
        if (ca == cb) return null;
        if (Contains(ca, cb)) return cb;
        if (Contains(cb, ca)) return ca;
        return null;
    }

    /// <summary>Rounds every value in <paramref name="values"/> to <paramref name="target"/>.</summary>
    public static void Round(Span<double> values, DType target)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Round(values[i], target);
    }

    private static double Round(double v, DType target)
    {
        if (double.IsNaN(v)) return v;
        uint f = FloatBits.DoubleToFloat(v);
        return target switch
        {
            DType.Float32 => BitConverter.UInt32BitsToSingle(f),
            DType.Float16 => BitConverter.UInt32BitsToSingle(FloatBits.HalfToFloat(FloatBits.FloatToHalf(f))),
            DType.BFloat16 => BitConverter.UInt32BitsToSingle(
                FloatBits.BFloat16ToFloat(FloatBits.FloatToBFloat16(f, FloatBits.BFloat16ScalarNaN))),
            DType.Float8E4M3FN => BitConverter.UInt32BitsToSingle(FloatBits.E4M3FnToFloat(FloatBits.FloatToE4M3Fn(f))),
            DType.Float8E5M2 => BitConverter.UInt32BitsToSingle(FloatBits.E5M2ToFloat(FloatBits.FloatToE5M2(f))),
            _ => v,
        };
    }

    private static DType Component(DType t) => t switch
    {
        DType.Complex128 => DType.Float64,
        DType.Complex64 => DType.Float32,
        DType.Complex32 => DType.Float16,
        _ => t,
    };

    /// <summary>True when every value of <paramref name="narrow"/> is a value of <paramref name="wide"/>.</summary>
    private static bool Contains(DType wide, DType narrow) => (wide, narrow) switch
    {
        (DType.Float64, DType.Float32) => true,
        (DType.Float64, DType.Float16 or DType.BFloat16 or DType.Float8E4M3FN or DType.Float8E5M2) => true,
        (DType.Float32, DType.Float16 or DType.BFloat16 or DType.Float8E4M3FN or DType.Float8E5M2) => true,
        (DType.Float16 or DType.BFloat16, DType.Float8E4M3FN or DType.Float8E5M2) => true,
        _ => false,
    };
}
