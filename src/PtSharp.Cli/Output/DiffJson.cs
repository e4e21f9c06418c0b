using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Cli.Commands;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>The JSON form of <c>pt diff</c>: one document with the sides, the summary and every shared key.</summary>
internal static class DiffJson
{
    /// <summary>Renders <paramref name="d"/> as one indented JSON document followed by a newline.</summary>
    public static string Render(DiffResult d)
    {
        var r = d.Report;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            w.WriteStartObject();
            w.WriteBoolean("equal", r.Equal);
            Side(w, "a", d.A);
            Side(w, "b", d.B);
            w.WriteString("compared", d.EveryTensor ? "every_tensor" : "state_dict");
            w.WriteNumber("atol", r.Options.Atol);
            w.WriteNumber("rtol", r.Options.Rtol);
            w.WriteBoolean("ignore_dtype", r.Options.IgnoreDType);
            Strings(w, "only_in_a", r.OnlyInA);
            Strings(w, "only_in_b", r.OnlyInB);
            w.WriteStartObject("summary");
            w.WriteNumber("shared", r.Tensors.Count);
            w.WriteNumber("equal", r.Tensors.Count(t => t.Equal));
            w.WriteNumber("dtype_changed", r.Tensors.Count(t => t.DTypeChanged));
            w.WriteNumber("shape_changed", r.Tensors.Count(t => t.ShapeChanged));
            w.WriteNumber("values_different", r.Tensors.Count(t => !t.ShapeChanged && t.Mismatched != 0));
            w.WriteEndObject();
            w.WriteStartArray("tensors");
            foreach (var t in r.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("key", t.Name);
                w.WriteString("dtype_a", t.DTypeA.Name());
                w.WriteString("dtype_b", t.DTypeB.Name());
                Ints(w, "shape_a", t.ShapeA);
                Ints(w, "shape_b", t.ShapeB);
                w.WriteBoolean("equal", t.Equal);
                w.WriteBoolean("values_equal", t.ValuesEqual);
                w.WriteNumber("elements", t.Elements);
                if (t.Mismatched >= 0) w.WriteNumber("mismatched", t.Mismatched); else w.WriteNull("mismatched");
                w.WriteNumber("nan_mismatched", t.NaNMismatches);
                Number(w, "max_abs_diff", t.MaxAbsDiff);
                Number(w, "max_rel_diff", t.MaxRelDiff);
                if (t.Note is not null) w.WriteString("note", t.Note);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    private static void Side(Utf8JsonWriter w, string name, DiffSide s)
    {
        w.WriteStartObject(name);
        w.WriteString("path", s.Path);
        w.WriteString("format", s.Checkpoint.Format.Name());
        w.WriteString("kind", s.Checkpoint.Kind.Name());
        w.WriteNumber("tensors", s.Tensors.Count);
        Strings(w, "warnings", s.Warnings);
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Ints(Utf8JsonWriter w, string name, IReadOnlyList<long> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>JSON has no infinity: infinite differences are written as the string "inf".</summary>
    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, DiffText.Num(v));
    }
}
