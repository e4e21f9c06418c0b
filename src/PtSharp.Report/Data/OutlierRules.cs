namespace PtSharp.Report.Data;

/// <summary>
/// Marks tensors whose spread is far from their siblings': tensors with the same last name component and rank
/// (every <c>*.conv1.weight</c> of rank 4, every <c>*.bias</c> of rank 1...) form a group, and a tensor whose
/// standard deviation is more than <see cref="StdFactor"/> times above or below the group's median is flagged.
/// Constant tensors (std 0, e.g. fresh batch-norm weights) and groups of fewer than three are left alone.
/// </summary>
internal static class OutlierRules
{
    /// <summary>How far (as a ratio) from the siblings' median std a tensor must be to be flagged.</summary>
    public const double StdFactor = 10;

    public static void MarkStdOutliers(IReadOnlyList<TensorSummary> summaries)
    {
        var groups = new Dictionary<(string Leaf, int Rank), List<TensorSummary>>();
        foreach (var s in summaries)
        {
            if (s.TiedTo is not null || s.Std is not (> 0 and var std) || !double.IsFinite(std) || s.Elements < 2) continue;
            int dot = s.Name.LastIndexOf('.');
            var key = (dot < 0 ? s.Name : s.Name[(dot + 1)..], s.Tensor.Rank);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(s);
        }
        foreach (var list in groups.Values)
        {
            if (list.Count < 3) continue;
            var sorted = list.Select(s => s.Std!.Value).Order().ToArray();
            double median = sorted.Length % 2 == 1
                ? sorted[sorted.Length / 2]
                : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            foreach (var s in list)
            {
                double ratio = s.Std!.Value / median;
                if (ratio > StdFactor || ratio < 1 / StdFactor)
                {
                    s.Flags |= TensorFlags.StdOutlier;
                    s.SiblingStd = median;
                }
            }
        }
    }
}
