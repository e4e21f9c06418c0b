using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;
namespace PtSharp.Report.Data;

/// <summary>Computes <see cref="TensorSummary"/> values for named tensors: statistics, histogram, ties.</summary>
internal static class TensorSummarizer
{
    /// <summary>Summarises <paramref name="tensors"/> in order; each distinct piece of data is read once.</summary>
    public static List<TensorSummary> Summarize(IReadOnlyList<NamedTensor> tensors, int bins)
    {
        var result = new List<TensorSummary>(tensors.Count);
        var firstByData = new Dictionary<DataKey, TensorSummary>();
        var distinct = new List<TensorSummary>();
        foreach (var (name, tensor) in tensors)
        {
            var summary = new TensorSummary(name, tensor);
            result.Add(summary);
            if (DataKey.Of(tensor) is { } key)
            {
                if (firstByData.TryGetValue(key, out var first))
                {
                    summary.TiedTo = first.Name;
                    summary.Flags |= TensorFlags.Tied;
                    continue;
                }
                firstByData[key] = summary;
            }
            distinct.Add(summary);
        }
        // Tensors are independent and each result goes to its own object, so the order of work cannot change the
        // output.
        Parallel.ForEach(distinct, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            s => Compute(s, bins));
        foreach (var s in result)
        {
            if (s.TiedTo is null) continue;
            var first = firstByData[DataKey.Of(s.Tensor)!.Value];
            s.Elements = first.Elements;
            s.Stats = first.Stats;
            s.Mean = first.Mean;
            s.Std = first.Std;
            s.ZeroFraction = first.ZeroFraction;
            s.Histogram = first.Histogram;
            s.Note = first.Note;
            s.Flags |= first.Flags & (TensorFlags.AllZero | TensorFlags.NonFinite);
        }
        return result;
    }

    /// <summary>Fills in the statistics of one tensor (reads all of its data).</summary>
    public static void Compute(TensorSummary s, int bins)
    {
        var t = s.Tensor;
        s.Elements = t.IsSparse && t.SparseComponents.Count > 0 ? t.SparseComponents[^1].ElementCount : t.ElementCount;
        TensorStatistics? stats;
        try
        {
            stats = TensorStatistics.TryCompute(t);
        }
        catch (Exception e) when (e is PtFormatException or InvalidOperationException or NotSupportedException)
        {
            s.Note = "values not readable: " + e.Message;
            return;
        }
        s.Stats = stats;
        if (stats is null)
        {
            s.Note = t.IsMeta ? "meta tensor: no data" : t.Storage is { HasData: false } ? "no data"
                : "packed dtype: values not summarised";
            return;
        }
        long finite = s.Elements - stats.NanCount - stats.InfCount;
        if (stats.NanCount + stats.InfCount > 0) s.Flags |= TensorFlags.NonFinite;
        if (stats.IsComplex)
        {
            s.Note = "complex: mean of real parts; no histogram";
            if (finite > 0) s.Mean = stats.Sum / finite;
            return;
        }
        if (finite <= 0) return;
        double mean = stats.Sum / finite;
        s.Mean = mean;
        var scan = new ValueScan(bins, stats.Min!.Value, stats.Max!.Value, mean);
        bool scanned;
        try
        {
            scanned = scan.TryScan(t);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            scanned = false;
        }
        if (scanned)
        {
            s.Histogram = scan.Bins;
            s.ZeroFraction = s.Elements == 0 ? null : (double)scan.Zeros / s.Elements;
            s.Std = finite > 1 ? Math.Sqrt(scan.CentredSumSq / (finite - 1)) : null;
        }
        else
        {
            // No second pass possible: the one-pass formula is the best there is.
            s.Std = finite > 1 ? Math.Sqrt(Math.Max(0, (stats.SumSq - stats.Sum * mean) / (finite - 1))) : null;
            s.Note = "no histogram for this layout";
        }
        // A lone zero (a counter such as num_batches_tracked) is a value, not a dead tensor.
        if (s.Elements > 1 && stats.NanCount + stats.InfCount == 0 && stats.Min == 0 && stats.Max == 0)
            s.Flags |= TensorFlags.AllZero;
    }

    /// <summary>Identity of the data a dense tensor views: two names with equal keys are tied.</summary>
    internal readonly record struct DataKey(PtStorage Storage, long Offset, DType DType, bool Neg, string Shape,
        string Stride)
    {
        public static DataKey? Of(PtTensor t) => t.IsSparse || t.Storage is null
            ? null
            : new DataKey(t.Storage, t.StorageOffset, t.DType, t.IsNeg, string.Join(",", t.Shape),
                string.Join(",", t.Stride));
    }
}
