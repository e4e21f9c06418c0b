using System.Text.Json;
using PtSharp.Diff;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Report.Data;

/// <summary>
/// <c>--diff OTHER</c>: <see cref="CheckpointDiff"/>'s comparison (keys on one side only, dtype and shape changes,
/// largest absolute and relative differences) plus, per key, the relative change ‖a − b‖ / ‖b‖ and a
/// histogram of the differences a − b over [−max|a − b|, max|a − b|].
/// </summary>
internal static class DiffSection
{
    private const int MaxCopiedElements = 1 << 24;

    /// <summary>One compared key with the report's extra measures.</summary>
    private sealed class Row(TensorDiff diff)
    {
        public TensorDiff Diff { get; } = diff;
        public double? RelativeChange { get; set; }
        public long[]? Histogram { get; set; }
    }

    public static void Write(Utf8JsonWriter w, string otherName, IReadOnlyList<NamedTensor> a,
        IReadOnlyList<NamedTensor> b, int bins)
    {
        var report = CheckpointDiff.Compare(a, b);
        var byName = new Dictionary<string, (PtTensor A, PtTensor B)>(StringComparer.Ordinal);
        var inB = new Dictionary<string, PtTensor>(StringComparer.Ordinal);
        foreach (var nt in b) inB.TryAdd(nt.Name, nt.Tensor);
        foreach (var nt in a) if (inB.TryGetValue(nt.Name, out var other)) byName.TryAdd(nt.Name, (nt.Tensor, other));
        var rows = report.Tensors.Select(d => new Row(d)).ToList();
        Parallel.ForEach(rows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            r => Measure(r, byName[r.Diff.Name], bins));

        w.WriteStartObject("diff");
        w.WriteString("other", otherName);
        w.WriteBoolean("equal", report.Equal);
        WriteNames(w, "onlyA", report.OnlyInA);
        WriteNames(w, "onlyB", report.OnlyInB);
        // Row: [name, dtypeA, dtypeB, shapeA, shapeB, elements, mismatched, maxAbs, maxRel, relChange, hist, note]
        w.WriteStartArray("rows");
        foreach (var r in rows)
        {
            var d = r.Diff;
            w.WriteStartArray();
            w.WriteStringValue(d.Name);
            w.WriteStringValue(d.DTypeA.Name());
            w.WriteStringValue(d.DTypeB.Name());
            ReportJson.WriteShape(w, d.ShapeA);
            ReportJson.WriteShape(w, d.ShapeB);
            w.WriteNumberValue(d.Elements);
            w.WriteNumberValue(d.Mismatched);
            ReportJson.WriteNumber(w, d.MaxAbsDiff);
            ReportJson.WriteNumber(w, d.MaxRelDiff);
            ReportJson.WriteNumber(w, r.RelativeChange);
            ReportJson.WriteBins(w, r.Histogram);
            if (d.Note is null) w.WriteNullValue(); else w.WriteStringValue(d.Note);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNames(Utf8JsonWriter w, string property, List<string> names)
    {
        w.WriteStartArray(property);
        foreach (var n in names) w.WriteStringValue(n);
        w.WriteEndArray();
    }

    private static void Measure(Row r, (PtTensor A, PtTensor B) pair, int bins)
    {
        var d = r.Diff;
        if (d.ShapeChanged || d.Elements == 0 || d.Note is not null) return;
        if (d.Mismatched == 0 && d.MaxAbsDiff == 0 && d.DTypeA == d.DTypeB)
        {
            r.RelativeChange = 0;
            return;
        }
        if (!TryValues(pair.A, out var va) || !TryValues(pair.B, out var vb)) return;
        double range = d.MaxAbsDiff;
        var hist = new long[bins];
        double scale = range > 0 && double.IsFinite(range) ? bins / (2 * range) : 0;
        double diffSq = 0, refSq = 0;
        for (int i = 0; i < va.Length; i++)
        {
            double x = va[i], y = vb[i];
            double delta = x - y;
            if (!double.IsFinite(delta)) continue;
            diffSq += delta * delta;
            refSq += y * y;
            int bin = (int)((delta + range) * scale);
            hist[bin < 0 ? 0 : bin >= bins ? bins - 1 : bin]++;
        }
        r.RelativeChange = refSq > 0 ? Math.Sqrt(diffSq / refSq) : diffSq > 0 ? double.PositiveInfinity : 0;
        r.Histogram = hist;
    }

    private static bool TryValues(PtTensor t, out double[] values)
    {
        values = [];
        if (t.IsSparse || t.ElementCount > MaxCopiedElements || t.DType.IsComplex()
            || t.Storage is not { HasData: true }) return false;
        try
        {
            values = t.ToDoubleArray();
            return true;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}
