using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// The Ln norm of every output channel (slice along dimension 0) of a weight, as <c>prune.ln_structured</c>'s
/// <c>_compute_norm</c> gets it with <c>torch.norm(t, p=n, dim=all but 0)</c>, accumulated in float64; and the
/// channels the smallest norms belong to.
/// </summary>
internal static class ChannelNorms
{
    /// <summary>Per channel: <c>(Σ|x|^n)^(1/n)</c>; <c>n = ∞</c> is max|x|, <c>−∞</c> min|x|, <c>0</c> the count of non-zeros.</summary>
    public static double[] Compute(PtTensor weight, double n)
    {
        int rows = checked((int)weight.Shape[0]);
        long inner = rows == 0 ? 0 : weight.ElementCount / rows;
        var acc = new double[rows];
        if (double.IsNegativeInfinity(n)) Array.Fill(acc, double.PositiveInfinity);
        long at = 0;
        using var reader = new FloatReader(weight);
        while (reader.Remaining > 0)
        {
            var v = reader.Next();
            for (int i = 0; i < v.Length; i++, at++)
            {
                int r = (int)(at / inner);
                double a = Math.Abs((double)v[i]);
                if (double.IsPositiveInfinity(n)) acc[r] = double.IsNaN(a) || double.IsNaN(acc[r]) ? double.NaN : Math.Max(acc[r], a);
                else if (double.IsNegativeInfinity(n)) acc[r] = double.IsNaN(a) || double.IsNaN(acc[r]) ? double.NaN : Math.Min(acc[r], a);
                else if (n == 0) acc[r] += a != 0 ? 1 : 0;
                else if (n == 1) acc[r] += a;
                else if (n == 2) acc[r] += a * a;
                else acc[r] += Math.Pow(a, n);
            }
        }
        if (n is not (0 or 1) && double.IsFinite(n))
            for (int r = 0; r < rows; r++) acc[r] = n == 2 ? Math.Sqrt(acc[r]) : Math.Pow(acc[r], 1 / n);
        return acc;
    }

    /// <summary>
    /// Flags the <paramref name="count"/> channels with the smallest norms (torch keeps the <c>topk</c> largest;
    /// NaN counts as the largest, and equal norms are pruned lowest index first), among
    /// <paramref name="candidates"/> when given (the channels an earlier mask has not emptied).
    /// </summary>
    public static bool[] Smallest(double[] norms, long count, bool[]? candidates = null)
    {
        var order = Enumerable.Range(0, norms.Length).Where(i => candidates is null || candidates[i])
            .OrderBy(i => double.IsNaN(norms[i]) ? double.PositiveInfinity : norms[i])
            .ThenBy(i => double.IsNaN(norms[i]) ? 1 : 0)
            .ThenBy(i => i)
            .ToArray();
        var pruned = new bool[norms.Length];
        for (int i = 0; i < count; i++) pruned[order[i]] = true;
        return pruned;
    }
}
