using System.Numerics;
using System.Runtime.Intrinsics;

namespace PtSharp.Transforms;

/// <summary>
/// Bit-exact element conversions as torch's CPU <c>Tensor.to(dtype)</c> performs them. Every conversion goes
/// through a float32 intermediate, as c10's types do (a float64 source is first rounded to float32, so casts from
/// float64 round twice, exactly as torch does). Rounding is round-to-nearest-even with IEEE subnormals and no
/// flush-to-zero. NaN results follow torch 2.x on x86-64: float16 keeps the sign and the top payload bits (F16C
/// semantics), float8 gives the format's NaN with the sign kept, and bfloat16 gives the NaN pattern its caller
/// chooses (torch's vectorized kernel writes 0xFFFF, its scalar kernel 0x7FC0; see <see cref="DTypeCast"/>).
/// </summary>
internal static class FloatBits
{
    public const ushort BFloat16VectorNaN = 0xFFFF;
    public const ushort BFloat16ScalarNaN = 0x7FC0;

    private static readonly float ScaleToInf = BitConverter.UInt32BitsToSingle((127u + 112) << 23);  // 2^112
    private static readonly float ScaleToZero = BitConverter.UInt32BitsToSingle((127u - 110) << 23); // 2^-110
    private static readonly uint[] E4M3FnTable = BuildE4M3FnTable();
    private static readonly uint[] E5M2Table = BuildE5M2Table();

    /// <summary>float16 → float32 bits; NaNs are quieted with their payload kept (as vcvtph2ps).</summary>
    public static uint HalfToFloat(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        uint exp = (uint)(h >> 10) & 0x1F;
        uint mant = (uint)h & 0x3FF;
        if (exp == 0x1F) return mant == 0 ? sign | 0x7F800000 : sign | 0x7FC00000 | (mant << 13);
        if (exp == 0)
        {
            if (mant == 0) return sign;
            return sign | BitConverter.SingleToUInt32Bits(mant * 5.9604645E-08f); // mant × 2^-24, exact
        }
        return sign | ((exp + 112) << 23) | (mant << 13);
    }

    /// <summary>bfloat16 → float32 bits (exact, NaN payloads kept as they are).</summary>
    public static uint BFloat16ToFloat(ushort b) => (uint)b << 16;

    /// <summary>float8_e4m3fn → float32 bits, as c10's <c>fp8e4m3fn_to_fp32_value</c> (NaN becomes ±0x7FF00000).</summary>
    public static uint E4M3FnToFloat(byte b) => E4M3FnTable[b];

    /// <summary>float8_e5m2 → float32 bits (through float16, as c10 does; NaNs are quieted).</summary>
    public static uint E5M2ToFloat(byte b) => E5M2Table[b];

    /// <summary>float64 → float32 bits, IEEE round-to-nearest-even (NaN quieted, top payload bits kept, as cvtsd2ss).</summary>
    public static uint DoubleToFloat(double d) => BitConverter.SingleToUInt32Bits((float)d);

    /// <summary>float32 → bfloat16, round-to-nearest-even; NaN becomes <paramref name="nan"/>.</summary>
    public static ushort FloatToBFloat16(uint u, ushort nan)
    {
        if ((u & 0x7FFFFFFF) > 0x7F800000) return nan;
        return (ushort)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
    }

    /// <summary>float32 → float16, round-to-nearest-even with subnormals (c10's algorithm); NaN keeps sign and top payload bits.</summary>
    public static ushort FloatToHalf(uint w)
    {
        uint sign = w & 0x80000000;
        uint shl1 = w + w;
        if (shl1 > 0xFF000000) return (ushort)((sign >> 16) | 0x7E00 | ((w >> 13) & 0x3FF));
        float f = BitConverter.UInt32BitsToSingle(w);
        float b = Math.Abs(f) * ScaleToInf * ScaleToZero; // overflows to inf above the half range
        uint bias = shl1 & 0xFF000000;
        if (bias < 0x71000000) bias = 0x71000000;
        b = BitConverter.UInt32BitsToSingle((bias >> 1) + 0x07800000) + b;
        uint bits = BitConverter.SingleToUInt32Bits(b);
        uint expBits = (bits >> 13) & 0x7C00;
        uint mantBits = bits & 0x0FFF;
        return (ushort)((sign >> 16) | (expBits + mantBits));
    }

    /// <summary>float32 → float8_e4m3fn, as c10's <c>fp8e4m3fn_from_fp32_value</c>: magnitudes from 480 up, inf and NaN give NaN (0x7F), sign kept.</summary>
    public static byte FloatToE4M3Fn(uint fBits)
    {
        const uint fp8Max = 1087u << 20;
        const uint denormMask = 141u << 23;
        uint sign = fBits & 0x80000000;
        fBits ^= sign;
        byte result;
        if (fBits >= fp8Max) result = 0x7F;
        else if (fBits < 121u << 23)
        {
            float sum = BitConverter.UInt32BitsToSingle(fBits) + BitConverter.UInt32BitsToSingle(denormMask);
            result = (byte)(BitConverter.SingleToUInt32Bits(sum) - denormMask);
        }
        else
        {
            uint mantOdd = (fBits >> 20) & 1;
            fBits += unchecked((uint)(7 - 127) << 23) + 0x7FFFF;
            fBits += mantOdd;
            result = (byte)(fBits >> 20);
        }
        return (byte)(result | (sign >> 24));
    }

    /// <summary>float32 → float8_e5m2, as c10's <c>fp8e5m2_from_fp32_value</c>: magnitudes from 65536 up give inf (0x7C), NaN gives 0x7F, sign kept.</summary>
    public static byte FloatToE5M2(uint fBits)
    {
        const uint fp32Inf = 255u << 23;
        const uint fp8Max = 143u << 23;
        const uint denormMask = 134u << 23;
        uint sign = fBits & 0x80000000;
        fBits ^= sign;
        byte result;
        if (fBits >= fp8Max) result = fBits > fp32Inf ? (byte)0x7F : (byte)0x7C;
        else if (fBits < 113u << 23)
        {
            float sum = BitConverter.UInt32BitsToSingle(fBits) + BitConverter.UInt32BitsToSingle(denormMask);
            result = (byte)(BitConverter.SingleToUInt32Bits(sum) - denormMask);
        }
        else
        {
            uint mantOdd = (fBits >> 21) & 1;
            fBits += unchecked((uint)(15 - 127) << 23) + 0xFFFFF;
            fBits += mantOdd;
            result = (byte)(fBits >> 21);
        }
        return (byte)(result | (sign >> 24));
    }

    /// <summary>
    /// float32 → bfloat16 for a whole span with every NaN written as <paramref name="nan"/>: the vectorized form of
    /// <see cref="FloatToBFloat16(uint, ushort)"/>.
    /// </summary>
    public static void FloatToBFloat16(ReadOnlySpan<uint> source, Span<ushort> destination, ushort nan)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && source.Length >= 16)
        {
            var bias = Vector256.Create(0x7FFFu);
            var one = Vector256.Create(1u);
            var absMask = Vector256.Create(0x7FFFFFFFu);
            var inf = Vector256.Create(0x7F800000u);
            var nanV = Vector256.Create((uint)nan);
            for (; i <= source.Length - 16; i += 16)
            {
                var a = Vector256.Create(source.Slice(i, 8));
                var b = Vector256.Create(source.Slice(i + 8, 8));
                var ra = Vector256.ConditionalSelect(Vector256.GreaterThan(a & absMask, inf), nanV, (a + bias + ((a >> 16) & one)) >> 16);
                var rb = Vector256.ConditionalSelect(Vector256.GreaterThan(b & absMask, inf), nanV, (b + bias + ((b >> 16) & one)) >> 16);
                Vector256.Narrow(ra, rb).CopyTo(destination.Slice(i, 16));
            }
        }
        for (; i < source.Length; i++) destination[i] = FloatToBFloat16(source[i], nan);
    }

    private static uint[] BuildE4M3FnTable()
    {
        var t = new uint[256];
        for (int i = 0; i < 256; i++)
        {
            uint w = (uint)i << 24;
            uint sign = w & 0x80000000;
            uint nonsign = w & 0x7FFFFFFF;
            uint renorm = (uint)BitOperations.LeadingZeroCount(nonsign);
            renorm = renorm > 4 ? renorm - 4 : 0;
            int infNanMask = ((int)(nonsign + 0x01000000) >> 8) & 0x7F800000;
            int zeroMask = (int)(nonsign - 1) >> 31;
            t[i] = sign | ((((nonsign << (int)renorm >> 4) + ((0x78 - renorm) << 23)) | (uint)infNanMask) & ~(uint)zeroMask);
        }
        return t;
    }

    private static uint[] BuildE5M2Table()
    {
        var t = new uint[256];
        for (int i = 0; i < 256; i++) t[i] = HalfToFloat((ushort)(i << 8));
        return t;
    }
}
