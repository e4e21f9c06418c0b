using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Tests.Transforms;

/// <summary>
/// Cast kernels against hand-computed IEEE results (the bit-for-bit comparison with real torch is in
/// <see cref="CastsMatchTorchTests"/>), and the state-dict rules: what is cast, what is left alone, and why.
/// </summary>
public sealed class DTypeCastTests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]             // 1.0
    [InlineData(0x3F808000u, 0x3F80)]             // tie, even stays
    [InlineData(0x3F818000u, 0x3F82)]             // tie, odd rounds up
    [InlineData(0x3F808001u, 0x3F81)]             // above the tie
    [InlineData(0x7F7FFFFFu, 0x7F80)]             // max float rounds to inf
    [InlineData(0x00000001u, 0x0000)]             // smallest subnormal rounds to zero
    [InlineData(0x00008000u, 0x0000)]             // subnormal tie to even
    [InlineData(0x00018000u, 0x0002)]             // subnormal tie up
    [InlineData(0xFF800000u, 0xFF80)]             // -inf
    [InlineData(0x80000000u, 0x8000)]             // -0
    public void Float32_to_bfloat16_rounds_to_nearest_even(uint input, int expected) =>
        Assert.Equal((ushort)expected, FloatBits.FloatToBFloat16(input, 0xFFFF));

    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(65504f, 0x7BFF)]
    [InlineData(65519.996f, 0x7BFF)]               // below the tie
    [InlineData(65520f, 0x7C00)]                   // tie at max rounds to inf (max is odd)
    [InlineData(5.9604645E-08f, 0x0001)]           // smallest subnormal
    [InlineData(2.9802322E-08f, 0x0000)]           // half of it: tie to even zero
    [InlineData(8.940697E-08f, 0x0002)]            // 1.5 × smallest: tie to even 2
    [InlineData(-0f, 0x8000)]
    public void Float32_to_float16_rounds_to_nearest_even_with_subnormals(float input, int expected) =>
        Assert.Equal((ushort)expected, FloatBits.FloatToHalf(Bits(input)));

    [Theory]
    [InlineData(448f, 0x7E)]       // max
    [InlineData(464f, 0x7E)]       // tie to even stays at max
    [InlineData(470f, 0x7F)]       // rounds past max: NaN (no inf in e4m3fn)
    [InlineData(480f, 0x7F)]
    [InlineData(float.PositiveInfinity, 0x7F)]
    [InlineData(-1f, 0xB8)]
    [InlineData(0.001953125f, 0x01)] // 2^-9, smallest subnormal
    [InlineData(0.0009765625f, 0x00)] // 2^-10: tie to even zero
    public void Float32_to_e4m3fn_matches_c10(float input, int expected) =>
        Assert.Equal((byte)expected, FloatBits.FloatToE4M3Fn(Bits(input)));

    [Theory]
    [InlineData(57344f, 0x7B)]     // max
    [InlineData(61440f, 0x7C)]     // tie at odd max: inf
    [InlineData(65536f, 0x7C)]
    [InlineData(float.NegativeInfinity, 0xFC)]
    [InlineData(1f, 0x3C)]
    public void Float32_to_e5m2_matches_c10(float input, int expected) =>
        Assert.Equal((byte)expected, FloatBits.FloatToE5M2(Bits(input)));

    [Fact]
    public void Float32_NaN_becomes_the_sign_and_top_payload_in_float16() =>
        Assert.Equal((ushort)0xFF09, FloatBits.FloatToHalf(0xFFE12345));

    [Fact]
    public void Every_float16_pattern_survives_float32_and_back()
    {
        for (int h = 0; h < 0x10000; h++)
        {
            uint f = FloatBits.HalfToFloat((ushort)h);
            ushort back = FloatBits.FloatToHalf(f);
            bool nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
            Assert.Equal(nan ? (ushort)(h | 0x200) : (ushort)h, back);
        }
    }

    [Fact]
    public void TensorPrimitives_float16_conversion_agrees_with_the_scalar_kernel()
    {
        // The fast path uses TensorPrimitives.ConvertToHalf; it must give exactly what FloatToHalf gives.
        var bits = new List<uint>();
        var rng = new Random(5);
        for (int i = 0; i < 200_000; i++) bits.Add((uint)rng.NextInt64(0, 1L << 32));
        for (uint e = 96; e < 146; e++)
            for (uint m = 0; m < 1024; m += 7)
                foreach (uint low in new uint[] { 0, 0xFFF, 0x1000, 0x1001, 0x1FFF })
                {
                    bits.Add((e << 23) | (m << 13) | low);
                    bits.Add(0x80000000 | (e << 23) | (m << 13) | low);
                }
        bits.AddRange([0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0xFFE12345, 0x7F800000, 0xFF800000, 0, 0x80000000]);
        var input = MemoryMarshal.Cast<uint, float>(bits.ToArray()).ToArray();
        var fast = new Half[input.Length];
        TensorPrimitives.ConvertToHalf(input, fast);
        for (int i = 0; i < input.Length; i++)
            Assert.True(BitConverter.HalfToUInt16Bits(fast[i]) == FloatBits.FloatToHalf(bits[i]), $"0x{bits[i]:x8}: TensorPrimitives 0x{BitConverter.HalfToUInt16Bits(fast[i]):x4}, scalar 0x{FloatBits.FloatToHalf(bits[i]):x4}");
    }

    [Fact]
    public void The_vectorized_bfloat16_kernel_agrees_with_the_scalar_one()
    {
        var rng = new Random(9);
        var bits = Enumerable.Range(0, 100_003).Select(_ => (uint)rng.NextInt64(0, 1L << 32)).ToArray();
        var fast = new ushort[bits.Length];
        FloatBits.FloatToBFloat16(bits, fast, 0xFFFF);
        for (int i = 0; i < bits.Length; i++) Assert.Equal(FloatBits.FloatToBFloat16(bits[i], 0xFFFF), fast[i]);
    }

    [Fact]
    public void Float64_rounds_through_float32_as_torch_does()
    {
        // 1 + 2^-8 + 2^-30: float32 drops the 2^-30, leaving an exact bfloat16 tie that rounds to even (1.0).
        var t = PtTensor.FromArray(new[] { 1.0 + Math.Pow(2, -8) + Math.Pow(2, -30) }, [1]);
        Assert.Equal((ushort)0x3F80, DTypeCast.Cast(t, DType.BFloat16).ToArray<ushort>()[0]);
    }

    [Fact]
    public void Casting_keeps_shape_and_makes_the_result_contiguous()
    {
        var t = PtTensor.FromArray(Enumerable.Range(0, 6).Select(i => (float)i).ToArray(), [2, 3]).View([3, 2], [1, 3], 0);
        var c = DTypeCast.Cast(t, DType.Float16);
        Assert.Equal([3L, 2], c.Shape);
        Assert.True(c.IsContiguous);
        Assert.Equal([0f, 3, 1, 4, 2, 5], c.ToArray<Half>().Select(h => (float)h));
    }

    [Fact]
    public void Same_dtype_is_returned_unchanged() =>
        Assert.Same(PtTensor.Scalar(1f) is var t ? t : null, DTypeCast.Cast(t, DType.Float32));

    [Fact]
    public void Non_targets_and_non_float_sources_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => DTypeCast.Cast(PtTensor.Scalar(1f), DType.Float64));
        Assert.Throws<ArgumentException>(() => DTypeCast.Cast(PtTensor.Scalar(1), DType.Float16));
    }

    [Fact]
    public void Apply_casts_floats_and_leaves_integers_bools_and_quantized_alone_with_reasons()
    {
        var tensors = new List<NamedTensor>
        {
            new("w", PtTensor.FromArray(new[] { 1f, 2 }, [2])),
            new("h", PtTensor.FromArray(new[] { (Half)1 }, [1])),
            new("steps", PtTensor.Scalar(3L)),
            new("mask", PtTensor.FromArray(new[] { true }, [1])),
            new("q", PtTensor.FromArray(new sbyte[] { 1 }, [1], DType.QInt8)),
            new("c", PtTensor.FromArray(new[] { new System.Numerics.Complex(1, 1) }, [1])),
            new("already", PtTensor.FromArray(new ushort[] { 0x3F80 }, [1], DType.BFloat16)),
        };
        var r = DTypeCast.Apply(tensors, new CastOptions { Target = DType.BFloat16 });
        Assert.Equal(["w", "h"], r.Cast);
        Assert.Equal([("steps", "integer"), ("mask", "bool"), ("q", "quantized"), ("c", "complex")], r.Untouched);
        Assert.Equal([DType.BFloat16, DType.BFloat16, DType.Int64, DType.Bool, DType.QInt8, DType.Complex128, DType.BFloat16], r.Tensors.Select(t => t.Tensor.DType));
        Assert.Same(tensors[2].Tensor, r.Tensors[2].Tensor);
    }

    [Fact]
    public void Dtype_include_casts_only_matching_keys_and_warns_about_unused_patterns()
    {
        var tensors = new List<NamedTensor>
        {
            new("layers.0.attn.weight", PtTensor.FromArray(new[] { 1f }, [1])),
            new("layers.0.norm.weight", PtTensor.FromArray(new[] { 1f }, [1])),
        };
        var o = new CastOptions { Target = DType.Float16 };
        o.Include.Add(@"attn");
        o.Include.Add(@"^nothing");
        var r = DTypeCast.Apply(tensors, o);
        Assert.Equal(["layers.0.attn.weight"], r.Cast);
        Assert.Equal(DType.Float32, r.Tensors[1].Tensor.DType);
        Assert.Equal([1, 0], r.Rules.Select(x => x.Touched));
        Assert.Single(r.Warnings);
    }

    [Fact]
    public void Tied_tensors_are_cast_once_and_stay_tied()
    {
        var t = PtTensor.FromArray(new[] { 1f, 2 }, [2]);
        var r = DTypeCast.Apply([new("a", t), new("b", t.Detach())], new CastOptions { Target = DType.BFloat16 });
        Assert.Same(r.Tensors[0].Tensor, r.Tensors[1].Tensor);
    }

    [Fact]
    public void Targets_parse_from_short_and_torch_names()
    {
        foreach (var (text, dtype) in new[] { ("bf16", DType.BFloat16), ("fp16", DType.Float16), ("float32", DType.Float32), ("fp8_e4m3fn", DType.Float8E4M3FN), ("float8_e5m2", DType.Float8E5M2) })
        {
            Assert.True(DTypeCast.TryParseTarget(text, out var d));
            Assert.Equal(dtype, d);
        }
        Assert.False(DTypeCast.TryParseTarget("int8", out _));
    }
}
