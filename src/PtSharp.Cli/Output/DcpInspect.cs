using System.Globalization;
using System.Text;
using System.Text.Json;
using PtSharp.Dcp;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary><c>pt inspect DIR</c> of a distributed checkpoint: its files and every item with its chunks.</summary>
internal static class DcpInspect
{
    public static string RenderText(string path, DcpCheckpoint dcp)
    {
        var sb = new StringBuilder();
        var tensors = dcp.Metadata.Items.OfType<DcpTensorItem>().ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{path}: torch.distributed.checkpoint folder");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  data files: {string.Join(", ", dcp.DataFiles)}");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"  {tensors.Count} tensors ({tensors.Sum(t => t.ElementCount):N0} elements, {Display.Bytes(tensors.Sum(t => t.ByteCount))}), {dcp.Values.Count} other values, {dcp.AssembledTensorCount} tensors split over several chunks");
        sb.AppendLine();
        int width = Math.Min(60, dcp.Metadata.Items.Select(i => i.Name.Length).DefaultIfEmpty(4).Max());
        foreach (var item in dcp.Metadata.Items)
        {
            if (item is DcpTensorItem t)
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"  {Display.OneLine(t.Name).PadRight(width)}  {t.DType.Name(),-9} [{string.Join(", ", t.Shape)}]  {t.Chunks.Count} chunk{(t.Chunks.Count == 1 ? "" : "s")} in {string.Join(", ", t.Chunks.Select(c => c.Storage.RelativePath).Distinct())}");
        }
        if (dcp.Values.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("  other values:");
            foreach (var (k, v) in dcp.Values) sb.AppendLine(CultureInfo.InvariantCulture, $"  {Display.OneLine(k).PadRight(width)}  {Display.OneLine(Describe(v))}");
        }
        return sb.ToString();
    }

    public static string RenderJson(string path, DcpCheckpoint dcp)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            w.WriteString("format", "dcp");
            w.WriteStartArray("dataFiles");
            foreach (var f in dcp.DataFiles) w.WriteStringValue(f);
            w.WriteEndArray();
            w.WriteStartArray("tensors");
            foreach (var t in dcp.Metadata.Items.OfType<DcpTensorItem>())
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("dtype", t.DType.Name());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("chunks");
                foreach (var c in t.Chunks)
                {
                    w.WriteStartObject();
                    w.WriteStartArray("offsets");
                    foreach (var d in c.Offsets) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteStartArray("sizes");
                    foreach (var d in c.Sizes) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteString("file", c.Storage.RelativePath);
                    w.WriteNumber("offset", c.Storage.Offset);
                    w.WriteNumber("length", c.Storage.Length);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("values");
            foreach (var (k, v) in dcp.Values)
            {
                w.WriteStartObject();
                w.WriteString("name", k);
                w.WriteString("value", Describe(v));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Describe(object? v) => v switch
    {
        null => "None",
        string s => "\"" + JsonEncodedText.Encode(s).ToString() + "\"",
        long or int or double or bool => Convert.ToString(v, CultureInfo.InvariantCulture)!,
        _ => v.ToString() ?? "",
    };
}
