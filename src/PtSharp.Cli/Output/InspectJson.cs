using System.Buffers;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Scanning;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>
/// The JSON form of <c>pt inspect</c>: one indented document. Non-finite numbers are written as the strings
/// <c>"nan"</c>, <c>"inf"</c> and <c>"-inf"</c>.
/// </summary>
internal static class InspectJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Keep non-ASCII names readable; control characters and quotes are still escaped, so the output is valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Renders the report as a JSON document (without a trailing newline).</summary>
    public static string Render(InspectReport report)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            Write(w, report);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter w, InspectReport report)
    {
        var file = report.File;
        var checkpoint = report.Checkpoint;
        var counts = report.Counts;
        w.WriteStartObject();
        w.WriteString("path", report.Path);
        w.WriteString("format", file?.Format.Name() ?? checkpoint.Format.Name());
        w.WriteString("checkpoint_format", checkpoint.Format.Name());
        w.WriteStartArray("files");
        foreach (var f in checkpoint.Files) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteString("archive_name", file?.ArchiveName);
        w.WriteString("format_version", file?.FormatVersion);
        w.WriteString("byteorder", file?.ByteOrder ?? "little");
        if (file is null) w.WriteNull("pickle_protocol");
        else w.WriteNumber("pickle_protocol", file.PickleProtocol);
        w.WriteString("kind", checkpoint.Kind.Name());
        w.WriteStartArray("globals");
        foreach (var g in file?.Globals ?? []) w.WriteStringValue(g);
        w.WriteEndArray();
        if (report.Scan is { } scan)
        {
            w.WriteStartObject("scan");
            w.WriteString("verdict", scan.IsDangerous ? "dangerous" : scan.Unreadable is not null ? "unreadable"
                : !scan.HasWarnings ? "clean" : "warnings");
            w.WriteStartArray("dangerous");
            foreach (var f in scan.Findings.Where(f => f.Severity == ScanSeverity.Dangerous).Take(20))
            {
                w.WriteStartObject();
                w.WriteString("kind", ScanNames.Kind(f.Kind));
                w.WriteString("global", f.Global);
                w.WriteString("record", f.Record);
                w.WriteString("message", f.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("warnings", scan.Findings.Count(f => f.Severity == ScanSeverity.Warning));
            w.WriteEndObject();
        }
        else w.WriteNull("scan");
        w.WriteNumber("parameter_count", counts.Parameters);
        w.WriteNumber("parameter_bytes", counts.ParameterBytes);
        w.WriteNumber("parameter_tensors", counts.ParameterTensors);
        w.WriteNumber("tied_names", counts.TiedNames);
        w.WriteNumber("buffer_count", counts.Buffers);
        w.WriteNumber("buffer_tensors", counts.BufferTensors);
        w.WriteNumber("other_tensor_elements", counts.Other);
        w.WriteNumber("other_tensors", counts.OtherTensors);
        w.WriteNumber("state_dict_tensors", checkpoint.StateDict.Count);
        if (checkpoint.Metadata.Count > 0)
        {
            w.WriteStartObject("metadata");
            foreach (var (k, v) in checkpoint.Metadata) w.WriteString(k, v);
            w.WriteEndObject();
        }
        InspectJsonEntries.Write(w, report);
        w.WriteStartArray("tensors");
        for (int i = 0; i < report.Tensors.Count; i++)
            WriteTensor(w, report.Tensors[i], report.Stats, i, report.Sparsity);
        w.WriteEndArray();
        if (report.Code is { } code)
        {
            w.WriteStartArray("code");
            foreach (var c in code)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteNumber("size", c.Size);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteTensor(Utf8JsonWriter w, NamedTensor named, IReadOnlyList<TensorStatistics?>? stats, int index, IReadOnlyList<double?>? sparsity)
    {
        var t = named.Tensor;
        w.WriteStartObject();
        w.WriteString("name", named.Name);
        w.WriteString("dtype", t.DType.Name());
        WriteLongs(w, "shape", t.Shape);
        if (t.IsSparse)
        {
            // torch has no strides or storage offset for sparse layouts.
            w.WriteNull("stride");
            w.WriteNull("storage_offset");
        }
        else
        {
            WriteLongs(w, "stride", t.Stride);
            w.WriteNumber("storage_offset", t.StorageOffset);
        }
        w.WriteString("storage_key", t.Storage?.Key);
        w.WriteBoolean("requires_grad", t.RequiresGrad);
        w.WriteBoolean("is_parameter", t.IsParameter);
        w.WriteString("layout", t.Layout);
        w.WriteString("device", t.Device);
        w.WriteBoolean("conj", t.IsConj);
        w.WriteBoolean("neg", t.IsNeg);
        w.WriteNumber("nbytes", t.ByteCount);
        w.WritePropertyName("quant");
        WriteQuantization(w, t.Quantization);
        if (stats is not null)
        {
            w.WritePropertyName("stats");
            WriteStats(w, stats[index]);
        }
        if (sparsity is not null)
        {
            if (sparsity[index] is double z) w.WriteNumber("sparsity", z);
            else w.WriteNull("sparsity");
        }
        w.WriteEndObject();
    }

    private static void WriteLongs(Utf8JsonWriter w, string name, IReadOnlyList<long> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void WriteQuantization(Utf8JsonWriter w, QuantizationParameters? q)
    {
        if (q is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WriteString("qscheme", q.Scheme);
        if (q.IsPerChannel)
        {
            w.WritePropertyName("scales");
            WriteNumberList(w, q.Scales, integral: false);
            w.WritePropertyName("zero_points");
            WriteNumberList(w, q.ZeroPoints, integral: true);
            w.WriteNumber("axis", q.Axis);
        }
        else
        {
            w.WritePropertyName("scale");
            WriteDouble(w, q.Scale);
            w.WriteNumber("zero_point", q.ZeroPoint);
        }
        w.WriteEndObject();
    }

    /// <summary>Per-channel parameters: a tensor (its values) or a Python list/tuple of numbers; anything else is null.</summary>
    private static void WriteNumberList(Utf8JsonWriter w, object? value, bool integral)
    {
        IEnumerable<object?>? items = value switch
        {
            PtTensor t => TensorValues(t),
            PyList l => l,
            PyTuple tu => tu,
            _ => null,
        };
        if (items is null) { w.WriteNullValue(); return; }
        w.WriteStartArray();
        foreach (var item in items)
        {
            switch (item)
            {
                case double d when integral && double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 9.2e18: w.WriteNumberValue((long)d); break;
                case double d: WriteDouble(w, d); break;
                case long l: w.WriteNumberValue(l); break;
                case bool b: w.WriteNumberValue(b ? 1 : 0); break;
                case BigInteger big: w.WriteRawValue(big.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                default: w.WriteNullValue(); break;
            }
        }
        w.WriteEndArray();
    }

    private static List<object?>? TensorValues(PtTensor t)
    {
        if (t.IsMeta || t.IsSparse || t.Storage is not { HasData: true } || t.DType.IsComplex()) return null;
        try
        {
            return t.ToDoubleArray().Select(d => (object?)d).ToList();
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static void WriteStats(Utf8JsonWriter w, TensorStatistics? s)
    {
        if (s is null) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        w.WritePropertyName("sum");
        WriteDouble(w, s.Sum);
        w.WritePropertyName("sum_sq");
        WriteDouble(w, s.SumSq);
        w.WritePropertyName("min");
        WriteDouble(w, s.Min);
        w.WritePropertyName("max");
        WriteDouble(w, s.Max);
        w.WriteNumber("nan_count", s.NanCount);
        w.WriteNumber("inf_count", s.InfCount);
        if (s.SumImag is double imag)
        {
            w.WritePropertyName("sum_imag");
            WriteDouble(w, imag);
        }
        w.WriteEndObject();
    }

    /// <summary>A number, <c>null</c>, or for non-finite values the strings <c>"nan"</c>, <c>"inf"</c>, <c>"-inf"</c>.</summary>
    private static void WriteDouble(Utf8JsonWriter w, double? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case double d when double.IsNaN(d): w.WriteStringValue("nan"); break;
            case double d when double.IsPositiveInfinity(d): w.WriteStringValue("inf"); break;
            case double d when double.IsNegativeInfinity(d): w.WriteStringValue("-inf"); break;
            case double d: w.WriteNumberValue(d); break;
        }
    }
}
