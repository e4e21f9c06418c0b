using PtSharp.Optimization;
using PtSharp.Tensors;

namespace PtSharp.Tests.Optimization;

/// <summary>The radix select behind L1 pruning, against sorting: the k smallest magnitudes, ties lowest index first.</summary>
public sealed class MagnitudeThresholdTests
{
    [Theory]
    [InlineData(1000, 0, 1)]
    [InlineData(1000, 1, 2)]
    [InlineData(1000, 300, 3)]
    [InlineData(1000, 1000, 4)]
    [InlineData(200_000, 77_777, 5)]
    public void Prunes_exactly_the_k_smallest_magnitudes(int n, int k, int seed)
    {
        var rng = new Random(seed);
        var values = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var pruned = Pruned(values, k);
        Assert.Equal(k, pruned.Count(p => p));
        var order = Enumerable.Range(0, n).OrderBy(i => MathF.Abs(values[i])).ThenBy(i => i).ToArray();
        var expected = new bool[n];
        foreach (int i in order.Take(k)) expected[i] = true;
        Assert.Equal(expected, pruned);
    }

    [Fact]
    public void Ties_at_the_threshold_are_pruned_lowest_index_first_across_tensors()
    {
        // Magnitudes: 1 appears six times (three per tensor), with signs; pruning 4 takes 0.5 and the first three 1s.
        var a = PtTensor.FromArray(new[] { 1f, -1f, 3f, 0.5f, 1f }, [5]);
        var b = PtTensor.FromArray(new[] { -1f, 1f, 2f, 1f }, [4]);
        var t = MagnitudeThreshold.Find([a, b], 4);
        Assert.Equal(MagnitudeThreshold.KeyOf(1f), t.Key);
        Assert.Equal([3L, 0L], t.TiesToPrune);
        var t2 = MagnitudeThreshold.Find([a, b], 6);
        Assert.Equal([3L, 2L], t2.TiesToPrune);
    }

    [Fact]
    public void Nan_ranks_above_infinity_and_zero_below_everything()
    {
        var x = PtTensor.FromArray(new[] { float.NaN, float.PositiveInfinity, -0f, 5f }, [4]);
        Assert.Equal([false, false, true, false], Pruned(x, 1));
        Assert.Equal([false, true, true, true], Pruned(x, 3));
    }

    private static bool[] Pruned(float[] values, long k) => Pruned(PtTensor.FromArray(values, [values.Length]), k);

    private static bool[] Pruned(PtTensor t, long k)
    {
        var threshold = MagnitudeThreshold.Find([t], k);
        long ties = threshold.TiesToPrune[0];
        return t.ToFloatArray().Select(v =>
        {
            uint key = MagnitudeThreshold.KeyOf(v);
            return key < threshold.Key || (key == threshold.Key && ties-- > 0);
        }).ToArray();
    }
}
