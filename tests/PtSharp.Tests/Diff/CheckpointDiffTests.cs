using System.Numerics;
using PtSharp.Diff;
using PtSharp.Tensors;

namespace PtSharp.Tests.Diff;

/// <summary>The comparison rules of <c>pt diff</c>: keys, dtypes, shapes, tolerances, NaN, exact integers.</summary>
public sealed class CheckpointDiffTests
{
    private static NamedTensor F(string name, params float[] values) => new(name, PtTensor.FromArray(values, [values.Length]));

    private static TensorDiff One(NamedTensor a, NamedTensor b, double atol = 0, double rtol = 0)
    {
        var r = CheckpointDiff.Compare([a], [b], new DiffOptions { Atol = atol, Rtol = rtol });
        return Assert.Single(r.Tensors);
    }

    [Fact]
    public void Identical_state_dicts_are_equal()
    {
        var r = CheckpointDiff.Compare([F("a", 1, 2), F("b", 3)], [F("b", 3), F("a", 1, 2)]);
        Assert.True(r.Equal);
        Assert.All(r.Tensors, t => Assert.Equal(0, t.MaxAbsDiff));
    }

    [Fact]
    public void Keys_only_in_one_side_are_listed_in_order()
    {
        var r = CheckpointDiff.Compare([F("a", 1), F("x", 1), F("b", 1)], [F("b", 1), F("y", 1), F("a", 1)]);
        Assert.Equal(["x"], r.OnlyInA);
        Assert.Equal(["y"], r.OnlyInB);
        Assert.False(r.Equal);
    }

    [Fact]
    public void Max_abs_and_rel_diff_and_mismatch_count()
    {
        var d = One(F("w", 1, 2, 4), F("w", 1, 2.5f, 3));
        Assert.Equal(1.0, d.MaxAbsDiff);
        Assert.Equal(1.0 / 3, d.MaxRelDiff, 12);
        Assert.Equal(2, d.Mismatched);
        Assert.False(d.Equal);
    }

    [Fact]
    public void Tolerances_follow_allclose_with_b_as_reference()
    {
        Assert.True(One(F("w", 1.0f), F("w", 1.001f), atol: 0.0011).Equal);
        Assert.False(One(F("w", 1.0f), F("w", 1.001f), atol: 0.0009).Equal);
        Assert.True(One(F("w", 100f), F("w", 101f), rtol: 0.01).Equal);
        Assert.False(One(F("w", 100f), F("w", 101f), rtol: 0.009).Equal);
    }

    [Fact]
    public void NaN_equals_NaN_but_not_a_number()
    {
        Assert.True(One(F("w", float.NaN, 1), F("w", float.NaN, 1)).Equal);
        var d = One(F("w", float.NaN), F("w", 1));
        Assert.Equal(1, d.NaNMismatches);
        Assert.False(d.Equal);
    }

    [Fact]
    public void Signed_zeros_and_same_infinities_are_equal_and_opposite_infinities_are_not()
    {
        Assert.True(One(F("w", -0f, float.PositiveInfinity), F("w", 0f, float.PositiveInfinity)).Equal);
        var d = One(F("w", float.NegativeInfinity), F("w", float.PositiveInfinity), atol: 1e300);
        Assert.False(d.Equal);
        Assert.Equal(double.PositiveInfinity, d.MaxAbsDiff);
    }

    [Fact]
    public void A_dtype_change_is_a_difference_even_when_values_match()
    {
        var d = One(F("w", 1, 2), new("w", PtTensor.FromArray(new[] { (Half)1, (Half)2 }, [2])));
        Assert.True(d.DTypeChanged);
        Assert.True(d.ValuesEqual);
        Assert.False(d.Equal);
    }

    [Fact]
    public void A_shape_change_is_not_compared_value_by_value()
    {
        var d = One(new("w", PtTensor.FromArray(new[] { 1f, 2 }, [2])), new("w", PtTensor.FromArray(new[] { 1f, 2 }, [1, 2])));
        Assert.True(d.ShapeChanged);
        Assert.False(d.Equal);
    }

    [Fact]
    public void Large_integers_are_compared_exactly()
    {
        long big = 1L << 60;
        var d = One(new("n", PtTensor.FromArray(new[] { big }, [1])), new("n", PtTensor.FromArray(new[] { big + 1 }, [1])));
        Assert.Equal(1, d.Mismatched);
        Assert.Equal(1.0, d.MaxAbsDiff);
        Assert.True(One(new("n", PtTensor.FromArray(new[] { big }, [1])), new("n", PtTensor.FromArray(new[] { big }, [1]))).Equal);
    }

    [Fact]
    public void Views_compare_by_logical_values()
    {
        var stored = PtTensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [2, 3]);
        var transposed = stored.View([3, 2], [1, 3], 0);
        var contiguous = PtTensor.FromArray(new[] { 1f, 4, 2, 5, 3, 6 }, [3, 2]);
        Assert.True(One(new("t", transposed), new("t", contiguous)).Equal);
    }

    [Fact]
    public void Complex_values_compare_real_and_imaginary_parts()
    {
        var a = PtTensor.FromArray(new[] { new Complex(1, 2), new Complex(3, 4) }, [2]);
        var b = PtTensor.FromArray(new[] { new Complex(1, 2), new Complex(3, 4.5) }, [2]);
        var d = One(new("c", a), new("c", b));
        Assert.Equal(0.5, d.MaxAbsDiff);
        Assert.Equal(1, d.Mismatched);
    }

    [Fact]
    public void Negative_tolerances_are_rejected() =>
        Assert.Throws<ArgumentException>(() => CheckpointDiff.Compare([], [], new DiffOptions { Atol = -1 }));
}
