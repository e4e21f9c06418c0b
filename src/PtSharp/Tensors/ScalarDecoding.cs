using System.Buffers.Binary;

namespace PtSharp.Tensors;

/// <summary>Converts one stored element of any real dtype to <see cref="double"/> (host byte order).</summary>
internal static unsafe class ScalarDecoding
{
    private static readonly double[] E4M3FN = BuildFloat8(4, 3, 7, fnuz: false, hasInf: false);
    private static readonly double[] E4M3FNUZ = BuildFloat8(4, 3, 8, fnuz: true, hasInf: false);
    private static readonly double[] E5M2 = BuildFloat8(5, 2, 15, fnuz: false, hasInf: true);
    private static readonly double[] E5M2FNUZ = BuildFloat8(5, 2, 16, fnuz: true, hasInf: false);

    /// <summary>True when <see cref="ToDouble"/> handles the dtype (real and quantized types).</summary>
    public static bool IsReal(DType t) => t switch
    {
        DType.Float4E2M1FNx2 or DType.QUInt4x2 or DType.QUInt2x4 or DType.Bits8 or DType.Bits16 or DType.Bits1x8 or DType.Bits2x4 or DType.Bits4x2 => false,
        _ => !t.IsComplex(),
    };

    public static double ToDouble(DType t, byte* p) => t switch
    {
        DType.Float64 => *(double*)p,
        DType.Float32 => *(float*)p,
        DType.Float16 => (double)*(Half*)p,
        DType.BFloat16 => BFloat16ToSingle(*(ushort*)p),
        DType.Float8E4M3FN => E4M3FN[*p],
        DType.Float8E4M3FNUZ => E4M3FNUZ[*p],
        DType.Float8E5M2 => E5M2[*p],
        DType.Float8E5M2FNUZ => E5M2FNUZ[*p],
        DType.Float8E8M0FNU => *p == 0xFF ? double.NaN : Math.ScaleB(1.0, *p - 127),
        DType.Int8 or DType.QInt8 => *(sbyte*)p,
        DType.UInt8 or DType.QUInt8 => *p,
        DType.Bool => *p != 0 ? 1 : 0,
        DType.Int16 => *(short*)p,
        DType.UInt16 => *(ushort*)p,
        DType.Int32 or DType.QInt32 => *(int*)p,
        DType.UInt32 => *(uint*)p,
        DType.Int64 => *(long*)p,
        DType.UInt64 => *(ulong*)p,
        _ => throw new NotSupportedException($"{t.Name()} elements have no single real value"),
    };

    /// <summary>Real and imaginary parts of a complex element.</summary>
    public static (double Re, double Im) ToComplex(DType t, byte* p) => t switch
    {
        DType.Complex128 => (((double*)p)[0], ((double*)p)[1]),
        DType.Complex64 => (((float*)p)[0], ((float*)p)[1]),
        DType.Complex32 => ((double)((Half*)p)[0], (double)((Half*)p)[1]),
        _ => (ToDouble(t, p), 0),
    };

    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>
    /// Decoding table for an 8-bit float. <paramref name="fnuz"/> formats have no negative zero: 0x80 is their
    /// only NaN. Formats without infinities ("fn") use the all-ones pattern as NaN only.
    /// </summary>
    private static double[] BuildFloat8(int expBits, int manBits, int bias, bool fnuz, bool hasInf)
    {
        var table = new double[256];
        int expMax = (1 << expBits) - 1;
        for (int b = 0; b < 256; b++)
        {
            int sign = b >> 7;
            int exp = (b >> manBits) & expMax;
            int man = b & ((1 << manBits) - 1);
            double v;
            if (fnuz && b == 0x80) { table[b] = double.NaN; continue; }
            if (hasInf && exp == expMax) v = man == 0 ? double.PositiveInfinity : double.NaN;
            else if (!fnuz && !hasInf && exp == expMax && man == (1 << manBits) - 1) v = double.NaN;
            else if (exp == 0) v = Math.ScaleB(man / (double)(1 << manBits), 1 - bias);
            else v = Math.ScaleB(1 + man / (double)(1 << manBits), exp - bias);
            table[b] = sign == 1 ? -v : v;
        }
        return table;
    }
}
