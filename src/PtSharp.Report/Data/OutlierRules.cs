using PtSharp.Tensors;
namespace PtSharp.Report.Data;

/// <summary>
/// Marks tensors whose spread is far from their siblings'. Siblings are the same tensor of repeated blocks: names
/// equal once every numeric component is replaced (<c>layers.3.attn.q.weight</c> and <c>layers.7.attn.q.weight</c>
/// both read <c>layers.#.attn.q.weight</c>), with the same rank. A tensor whose standard deviation is more than
/// <see cref="StdFactor"/> times above or below its group's median is flagged. Only the model's state dict is
/// judged (optimizer moments legitimately differ by orders of magnitude); constant tensors (std 0, e.g. fresh
/// batch-norm weights) and groups of fewer than three are left alone.
/// </summary>
internal static class OutlierRules
{
    /// <summary>How far (as a ratio) from the siblings' median std a tensor must be to be flagged.</summary>
    public const double StdFactor = 10;

    public static void MarkStdOutliers(IReadOnlyList<TensorSummary> summaries,
        IReadOnlySet<TensorSummarizer.DataKey> stateDict)
    {
        var groups = new Dictionary<(string Pattern, int Rank), List<TensorSummary>>();
        foreach (var s in summaries)
        {
            if (s.TiedTo is not null || s.Std is not (> 0 and var std) || !double.IsFinite(std)
                || s.Elements < 2) continue;
            if (TensorSummarizer.DataKey.Of(s.Tensor) is not { } key || !stateDict.Contains(key)) continue;
            var group = (Pattern(s.Name), s.Tensor.Rank);
            if (!groups.TryGetValue(group, out var list)) groups[group] = list = [];
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

    /// <summary>The name with every all-digit component replaced by <c>#</c>.</summary>
    private static string Pattern(string name) =>
        string.Join('.', name.Split('.').Select(p => p.Length > 0 && p.All(char.IsAsciiDigit) ? "#" : p));
}
