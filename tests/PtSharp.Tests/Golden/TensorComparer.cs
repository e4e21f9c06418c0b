using System.Text.Json;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Tests.Golden;

/// <summary>Field-by-field comparison of one PtSharp tensor with torch's description of it.</summary>
internal static unsafe class TensorComparer
{
    public static void Compare(NamedTensor named, int? group, JsonElement e, PtFormat format, List<string> problems, bool checkStorageLayout = true)
    {
        var t = named.Tensor;
        string n = named.Name;
        void Check(bool ok, string what) { if (!ok) problems.Add($"{n}: {what}"); }

        Check(t.DType.Name() == e.GetProperty("dtype").GetString(), $"dtype {t.DType.Name()} != {e.GetProperty("dtype")}");
        Check(t.Layout == e.GetProperty("layout").GetString(), $"layout {t.Layout} != {e.GetProperty("layout")}");
        Check(t.Shape.SequenceEqual(Longs(e.GetProperty("shape"))), $"shape [{string.Join(",", t.Shape)}] != {e.GetProperty("shape")}");
        if (e.TryGetProperty("stride", out var stride) && t.ElementCount > 0)
            Check(t.Stride.SequenceEqual(Longs(stride)), $"stride [{string.Join(",", t.Stride)}] != {stride}");
        if (e.TryGetProperty("storage_offset", out var off) && t.ElementCount > 0 && checkStorageLayout)
            Check(t.StorageOffset == off.GetInt64(), $"storage_offset {t.StorageOffset} != {off}");
        Check(t.RequiresGrad == e.GetProperty("requires_grad").GetBoolean(), $"requires_grad {t.RequiresGrad} != {e.GetProperty("requires_grad")}");
        if (format != PtFormat.TorchScript)
            Check(t.IsParameter == e.GetProperty("is_parameter").GetBoolean(), $"is_parameter {t.IsParameter} != {e.GetProperty("is_parameter")}");
        Check((t.IsMeta ? "meta" : "cpu") == e.GetProperty("device").GetString(), $"device {t.Device} != {e.GetProperty("device")}");
        Check(t.IsConj == e.GetProperty("conj").GetBoolean(), $"conj {t.IsConj} != {e.GetProperty("conj")}");
        Check(t.IsNeg == e.GetProperty("neg").GetBoolean(), $"neg {t.IsNeg} != {e.GetProperty("neg")}");
        if (checkStorageLayout)
        {
            int? want = e.GetProperty("storage_group").ValueKind == JsonValueKind.Null ? null : e.GetProperty("storage_group").GetInt32();
            Check(group == want, $"storage_group {group} != {want}");
        }
        CompareQuant(t, e.GetProperty("quant"), Check);
        if (e.TryGetProperty("nnz", out var nnz))
            Check(t.SparseComponents.Count > 0 && t.SparseComponents[^1].Shape.Count > 0 && t.SparseComponents[^1].Shape[0] == nnz.GetInt64(), $"nnz != {nnz}");

        if (!e.TryGetProperty("stats", out var stats)) return;
        var values = t.IsSparse ? t.SparseComponents[^1] : t;
        if (values.DType is DType.QUInt4x2 or DType.QUInt2x4) return; // torch's int_repr() of packed types lists packed bytes
        var mine = TensorStatistics.TryCompute(values);
        if (mine is null) { problems.Add($"{n}: PtSharp computed no statistics for {values.DType.Name()}"); return; }
        double scale = SumScale(values);
        CompareNumber(mine.Sum, stats.GetProperty("sum"), scale, "sum", Check);
        CompareNumber(mine.SumSq, stats.GetProperty("sum_sq"), scale * scale + 1, "sum_sq", Check);
        CompareNullable(mine.Min, stats.GetProperty("min"), "min", Check);
        CompareNullable(mine.Max, stats.GetProperty("max"), "max", Check);
        Check(mine.NanCount == stats.GetProperty("nan_count").GetInt64(), $"nan_count {mine.NanCount} != {stats.GetProperty("nan_count")}");
        Check(mine.InfCount == stats.GetProperty("inf_count").GetInt64(), $"inf_count {mine.InfCount} != {stats.GetProperty("inf_count")}");
        if (stats.TryGetProperty("sum_imag", out var si)) CompareNumber(mine.SumImag ?? double.NaN, si, scale, "sum_imag", Check);

        var first = e.GetProperty("first").EnumerateArray().ToList();
        var got = FirstValues(values, first.Count);
        for (int i = 0; i < first.Count && i < got.Count; i++)
        {
            if (first[i].ValueKind == JsonValueKind.Array)
            {
                Check(Same(got[i].Re, first[i][0]) && Same(got[i].Im, first[i][1]), $"first[{i}] ({got[i].Re}, {got[i].Im}) != {first[i]}");
            }
            else Check(Same(got[i].Re, first[i]), $"first[{i}] {got[i].Re} != {first[i]}");
        }
        Check(got.Count == first.Count, $"{got.Count} first values, expected {first.Count}");
    }

    private static void CompareQuant(PtTensor t, JsonElement q, Action<bool, string> check)
    {
        if (q.ValueKind == JsonValueKind.Null) { check(t.Quantization is null, "unexpected quantization"); return; }
        if (t.Quantization is not { } mine) { check(false, "quantization missing"); return; }
        check(mine.Scheme == q.GetProperty("qscheme").GetString() || q.GetProperty("qscheme").GetString() == "per_channel_affine_float_qparams",
            $"qscheme {mine.Scheme} != {q.GetProperty("qscheme")}");
        if (q.TryGetProperty("scale", out var scale))
        {
            check(mine.Scale == scale.GetDouble(), $"scale {mine.Scale} != {scale}");
            check(mine.ZeroPoint == q.GetProperty("zero_point").GetInt64(), $"zero_point {mine.ZeroPoint} != {q.GetProperty("zero_point")}");
        }
        else
        {
            var scales = mine.Scales is PtTensor st ? st.ToDoubleArray() : [];
            var want = q.GetProperty("scales").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            check(scales.SequenceEqual(want), "per-channel scales differ");
            check(mine.Axis == q.GetProperty("axis").GetInt64(), $"axis {mine.Axis} != {q.GetProperty("axis")}");
        }
    }

    private static double SumScale(PtTensor t)
    {
        var s = TensorStatistics.TryCompute(t);
        if (s is null) return 1;
        double m = Math.Max(Math.Abs(s.Min ?? 0), Math.Abs(s.Max ?? 0));
        return Math.Max(1, m * Math.Max(1, t.ElementCount));
    }

    private static void CompareNumber(double mine, JsonElement want, double scale, string what, Action<bool, string> check)
    {
        double w = Number(want);
        bool ok = double.IsNaN(w) ? double.IsNaN(mine) : double.IsInfinity(w) ? mine == w : Math.Abs(mine - w) <= 1e-9 * scale + 1e-300;
        check(ok, $"{what} {mine:R} != {w:R}");
    }

    private static void CompareNullable(double? mine, JsonElement want, string what, Action<bool, string> check)
    {
        if (want.ValueKind == JsonValueKind.Null) { check(mine is null, $"{what} {mine} != null"); return; }
        check(mine is not null && Same(mine.Value, want), $"{what} {mine:R} != {want}");
    }

    private static bool Same(double mine, JsonElement want)
    {
        double w = Number(want);
        return double.IsNaN(w) ? double.IsNaN(mine) : mine == w;
    }

    private static double Number(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, var s => double.Parse(s!, System.Globalization.CultureInfo.InvariantCulture) },
        JsonValueKind.Number => e.GetDouble(),
        _ => double.NaN,
    };

    private static List<(double Re, double Im)> FirstValues(PtTensor t, int count)
    {
        var result = new List<(double, double)>();
        if (t.ElementCount == 0) return result;
        bool complex = t.DType.IsComplex();
        t.ForEachElement(p =>
        {
            if (result.Count >= count) return;
            double re, im = 0;
            if (complex) { (re, im) = ScalarDecoding.ToComplex(t.DType, p); if (t.IsConj) im = -im; }
            else re = ScalarDecoding.ToDouble(t.DType, p);
            if (t.IsNeg) { re = -re; im = -im; }
            result.Add((re, im));
        });
        return result;
    }

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
}
