using System.Globalization;
using PtSharp.Loading;
using PtSharp.Cli.Commands;
using PtSharp.Diff;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>
/// The text form of <c>pt diff</c>: the two sides, what was compared, a summary and the result first; then keys
/// only in one side, dtype/shape changes and a table of the keys whose values differ (every shared key with
/// <c>--all</c>). Tables fit the width given.
/// </summary>
internal static class DiffText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Renders <paramref name="d"/>, tables fitting <paramref name="width"/> columns where possible.</summary>
    public static string Render(DiffResult d, int width)
    {
        var r = d.Report;
        var sb = new StringWriter();
        sb.WriteLine(Display.Safe($"A: {d.A.Path} ({Describe(d.A)})"));
        sb.WriteLine(Display.Safe($"B: {d.B.Path} ({Describe(d.B)})"));
        sb.WriteLine(d.EveryTensor
            ? "compared: every tensor (optimizer state included; --state-dict for the model only)"
            : "compared: state dicts");
        sb.WriteLine(string.Create(Inv, $"tolerance: |a-b| <= {r.Options.Atol:G6} + {r.Options.Rtol:G6}*|b|")
            + (r.Options.IgnoreDType ? "; dtypes ignored (values rounded to the narrower dtype)" : ""));
        int equal = r.Tensors.Count(t => t.Equal);
        int dtype = r.Tensors.Count(t => t.DTypeChanged);
        int shape = r.Tensors.Count(t => t.ShapeChanged);
        int values = r.Tensors.Count(t => !t.ShapeChanged && t.Mismatched != 0);
        sb.WriteLine($"shared: {Count(r.Tensors.Count)} ({Count(equal)} equal, {Count(values)} with different values, "
            + $"{Count(dtype)} dtype and {Count(shape)} shape changes)");
        sb.WriteLine($"only in A: {Count(r.OnlyInA.Count)}, only in B: {Count(r.OnlyInB.Count)}");
        var within = r.Tensors.Where(t => t.Equal && t.MaxAbsDiff > 0).ToList();
        if (within.Count > 0)
            sb.WriteLine($"within tolerance: {Count(within.Count)} tensors, "
                + $"largest abs diff {Num(within.Max(t => t.MaxAbsDiff))}");
        sb.WriteLine($"equal: {Count(equal)} of {Count(r.Tensors.Count)} shared tensors");
        sb.WriteLine(r.Equal ? "result: equal" : "result: different");
        if (r.OnlyInA.Count > 0) Keys(sb, "only in A", r.OnlyInA);
        if (r.OnlyInB.Count > 0) Keys(sb, "only in B", r.OnlyInB);
        var changed = r.Tensors.Where(t => t.DTypeChanged || t.ShapeChanged).ToList();
        if (changed.Count > 0 && !d.Settings.All)
        {
            sb.WriteLine();
            sb.WriteLine($"dtype/shape changes ({changed.Count}):");
            foreach (var t in changed)
                sb.WriteLine(Display.Safe($"  {t.Name}: {Shape(t.DTypeA, t.ShapeA)} -> {Shape(t.DTypeB, t.ShapeB)}"));
        }
        var rows = d.Settings.All ? r.Tensors : r.Tensors.Where(t => !t.ShapeChanged && t.Mismatched != 0).ToList();
        if (rows.Count > 0)
        {
            sb.WriteLine();
            sb.WriteLine(d.Settings.All ? $"all shared tensors ({rows.Count}):" : $"different values ({rows.Count}):");
            Table(rows, d.Settings.All).Write(sb, width);
        }
        return sb.ToString();
    }

    private static TextTable Table(IReadOnlyList<TensorDiff> rows, bool all)
    {
        var table = new TextTable().Column("key", wrap: true);
        if (all) table.Column("status").Column("dtype / shape", wrap: true);
        table.Column("max abs diff", right: true).Column("max rel diff", right: true).Column("mismatched", right: true);
        bool notes = rows.Any(t => t.Note is not null);
        if (notes) table.Column("note", wrap: true);
        foreach (var t in rows)
        {
            string mismatched = t.Mismatched < 0 ? "-" : $"{Count(t.Mismatched)}/{Count(t.Elements)}";
            var cells = new List<string> { Display.Safe(t.Name) };
            if (all)
            {
                cells.Add(t.Equal ? "equal" : t.ShapeChanged ? "shape" : t.Mismatched != 0 ? "values" : "dtype");
                cells.Add(t.DTypeChanged || t.ShapeChanged
                    ? $"{Shape(t.DTypeA, t.ShapeA)} -> {Shape(t.DTypeB, t.ShapeB)}"
                    : Shape(t.DTypeA, t.ShapeA));
            }
            cells.Add(Num(t.MaxAbsDiff));
            cells.Add(Num(t.MaxRelDiff));
            cells.Add(mismatched);
            if (notes) cells.Add(Display.Safe(t.Note ?? ""));
            table.Row([.. cells]);
        }
        return table;
    }

    private static void Keys(StringWriter sb, string title, IReadOnlyList<string> keys)
    {
        sb.WriteLine();
        sb.WriteLine($"{title} ({keys.Count}):");
        foreach (var k in keys) sb.WriteLine(Display.Safe("  " + k));
    }

    private static string Describe(DiffSide s)
    {
        var c = s.Checkpoint;
        string kind = c.Format == CheckpointFormat.Pt ? "pt " + c.Kind.Name().Replace('_', ' ') : c.Format.Name();
        return $"{kind}, {Count(s.Tensors.Count)} tensors";
    }

    private static string Count(long n) => n.ToString("N0", Inv);

    private static string Shape(DType t, IReadOnlyList<long> shape) => $"{t.Name()}[{string.Join(", ", shape)}]";

    internal static string Num(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNaN(v) ? "nan" : v.ToString("G6", Inv);
}
