using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Scanning;
using PtSharp.Tensors;

namespace PtSharp.Report.Data;

/// <summary>
/// Writes the report's data as one JSON document, in a fixed order (no dictionaries, no clocks, no paths beyond
/// the file name), so the same file always gives the same bytes. The default encoder escapes <c>&lt;</c>,
/// <c>&gt;</c>, <c>&amp;</c>, quotes and every non-ASCII character, so the JSON can sit inside a
/// <c>&lt;script&gt;</c> element: no string from the file can close it.
/// </summary>
internal static class ReportJson
{
    /// <summary>The column order of a row of <c>tensors</c>; the page reads rows by these positions.</summary>
    public static readonly string[] TensorColumns =
    [
        "name", "dtype", "shape", "elements", "bytes", "mean", "std", "min", "max", "zeros", "nan", "inf",
        "hist", "flags", "tiedTo", "note", "siblingStd",
    ];

    public static JsonWriterOptions WriterOptions => new() { Encoder = JavaScriptEncoder.Default, Indented = false };

    public static void WriteNumber(Utf8JsonWriter w, double? x)
    {
        if (x is double d && double.IsFinite(d)) w.WriteNumberValue(d);
        else if (x is double inf && double.IsInfinity(inf)) w.WriteStringValue(inf > 0 ? "inf" : "-inf");
        else if (x is double nan && double.IsNaN(nan)) w.WriteStringValue("nan");
        else w.WriteNullValue();
    }

    public static void WriteShape(Utf8JsonWriter w, IReadOnlyList<long> shape)
    {
        w.WriteStartArray();
        foreach (long n in shape) w.WriteNumberValue(n);
        w.WriteEndArray();
    }

    public static void WriteBins(Utf8JsonWriter w, long[]? bins)
    {
        if (bins is null) { w.WriteNullValue(); return; }
        w.WriteStartArray();
        foreach (long n in bins) w.WriteNumberValue(n);
        w.WriteEndArray();
    }

    public static void WriteTensors(Utf8JsonWriter w, IReadOnlyList<TensorSummary> tensors)
    {
        w.WriteStartArray("cols");
        foreach (var c in TensorColumns) w.WriteStringValue(c);
        w.WriteEndArray();
        w.WriteStartArray("tensors");
        foreach (var s in tensors)
        {
            var st = s.Stats;
            w.WriteStartArray();
            w.WriteStringValue(s.Name);
            w.WriteStringValue(s.Tensor.DType.Name() + (s.Tensor.IsSparse ? " " + s.Tensor.Layout : ""));
            WriteShape(w, s.Tensor.Shape);
            w.WriteNumberValue(s.Elements);
            w.WriteNumberValue(s.Bytes);
            WriteNumber(w, s.Mean);
            WriteNumber(w, s.Std);
            WriteNumber(w, st?.Min);
            WriteNumber(w, st?.Max);
            WriteNumber(w, s.ZeroFraction);
            if (st is null) { w.WriteNullValue(); w.WriteNullValue(); }
            else { w.WriteNumberValue(st.NanCount); w.WriteNumberValue(st.InfCount); }
            WriteBins(w, s.Histogram);
            w.WriteNumberValue((int)s.Flags);
            if (s.TiedTo is null) w.WriteNullValue(); else w.WriteStringValue(s.TiedTo);
            if (s.Note is null) w.WriteNullValue(); else w.WriteStringValue(s.Note);
            WriteNumber(w, s.SiblingStd);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    /// <summary>The scans of every file of the checkpoint (one, or an index and its shards) as one verdict.</summary>
    public static void WriteScan(Utf8JsonWriter w, IReadOnlyList<ScanReport> scans)
    {
        string[] order = ["error", "dangerous", "warnings", "clean"];
        w.WriteStartObject("scan");
        w.WriteString("verdict", scans.Select(Verdict).OrderBy(v => Array.IndexOf(order, v)).FirstOrDefault() ?? "clean");
        w.WriteString("container", string.Join(", ", scans.Select(s => s.Container.ToString()).Distinct()));
        w.WriteNumber("pickles", scans.Sum(s => s.PickleCount));
        w.WriteNumber("files", scans.Count);
        var errors = scans.Where(s => s.Error is not null).Select(s => s.Error!).ToList();
        if (errors.Count > 0) w.WriteString("error", string.Join("; ", errors));
        w.WriteStartArray("findings");
        foreach (var f in scans.SelectMany(s => s.Findings))
        {
            w.WriteStartArray();
            w.WriteStringValue(f.Severity.ToString().ToLowerInvariant());
            w.WriteStringValue(f.Kind.ToString());
            if (f.Global is null) w.WriteNullValue(); else w.WriteStringValue(f.Global);
            if (f.Record is null) w.WriteNullValue(); else w.WriteStringValue(f.Record);
            if (f.Offset is long o) w.WriteNumberValue(o); else w.WriteNullValue();
            w.WriteStringValue(f.Message);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteStartArray("globals");
        foreach (var g in scans.SelectMany(s => s.Globals))
        {
            w.WriteStartArray();
            w.WriteStringValue(g.FullName);
            w.WriteStringValue(g.Verdict.ToString().ToLowerInvariant());
            w.WriteNumberValue(g.Count);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>One word for the scan: <c>dangerous</c>, <c>error</c>, <c>warnings</c> or <c>clean</c>.</summary>
    public static string Verdict(ScanReport scan) =>
        scan.IsDangerous ? "dangerous"
        : scan.Error is not null || scan.IsMalformed ? "error"
        : scan.Findings.Any(f => f.Severity == ScanSeverity.Warning) ? "warnings"
        : "clean";
}
