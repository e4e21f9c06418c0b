using PtSharp.Optimization;
using PtSharp.Tensors;

namespace PtSharp.Tests.Optimization;

/// <summary>The observer and rounding rules of torch's dynamic qint8 weights, on values worked out by hand.</summary>
public sealed class SymmetricQuantizationTests
{
    [Fact]
    public void Scale_is_the_larger_bound_over_127_5_in_float32()
    {
        Assert.Equal(2.55f / 127.5f, SymmetricQuantization.Scale(-2.55f, 1f));
        Assert.Equal(1f / 127.5f, SymmetricQuantization.Scale(0.25f, 1f)); // min clamps to 0
        Assert.Equal(0.5f / 127.5f, SymmetricQuantization.Scale(-0.5f, -0.25f)); // max clamps to 0
    }

    [Fact]
    public void An_all_zero_weight_gets_the_float32_epsilon_scale()
    {
        Assert.Equal(1.1920929e-07f, SymmetricQuantization.Scale(0f, 0f));
    }

    [Theory]
    [InlineData(2.5f, 2)]     // half to even
    [InlineData(3.5f, 4)]
    [InlineData(-2.5f, -2)]
    [InlineData(127.6f, 127)] // clamped
    [InlineData(-200f, -128)]
    [InlineData(float.NaN, 0)]
    public void Quantize_rounds_half_to_even_and_clamps_to_int8(float scaled, int expected)
    {
        Assert.Equal((sbyte)expected, SymmetricQuantization.Quantize(scaled, 1f));
    }

    [Fact]
    public void Per_row_bounds_follow_the_first_dimension_even_across_chunks()
    {
        int rows = 3, cols = 50_000; // rows straddle FloatReader's 65,536-element chunks
        var data = new float[rows * cols];
        for (int r = 0; r < rows; r++) { data[r * cols + 7] = -(r + 1); data[r * cols + cols - 1] = 10 * (r + 1); }
        var (min, max) = SymmetricQuantization.RowMinMax(PtTensor.FromArray(data, [rows, cols]));
        Assert.Equal([-1f, -2f, -3f], min);
        Assert.Equal([10f, 20f, 30f], max);
    }
}
