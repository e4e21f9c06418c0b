using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Errors;

namespace PtSharp.Sharding;

/// <summary>
/// A Hugging Face shard index (<c>model.safetensors.index.json</c>, <c>pytorch_model.bin.index.json</c>):
/// <c>{"metadata": {"total_size": N, ...}, "weight_map": {"key": "shard file", ...}}</c>.
/// </summary>
public sealed class ShardIndex
{
    /// <summary>Largest index file read (a 100,000-tensor model's index is a few MB).</summary>
    public const long MaxIndexSize = 256L << 20;

    /// <summary>Creates an index.</summary>
    public ShardIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize, IReadOnlyDictionary<string, string>? metadata = null)
    {
        WeightMap = weightMap;
        TotalSize = totalSize;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>Tensor name → shard file name (relative to the index's folder), in the file's order.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary><c>metadata.total_size</c>: bytes of all tensors, if given.</summary>
    public long? TotalSize { get; }

    /// <summary>Other <c>metadata</c> entries, as raw JSON text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The distinct shard files, in ordinal order (the numbered names sort in shard order).</summary>
    public IReadOnlyList<string> Shards => WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="PtFormatException">The file is not a shard index, or names a shard outside its folder.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ShardIndex Read(string path)
    {
        string name = Path.GetFileName(path);
        var info = new FileInfo(path);
        if (info.Length > MaxIndexSize) ThrowHelper.Limit($"the index is {info.Length} bytes, more than {MaxIndexSize}", name, 0);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return ThrowHelper.Format<ShardIndex>(PtErrorKind.CorruptContainer, $"the shard index is not valid JSON: {e.Message}", name, e.BytePositionInLine);
        }
        using (doc)
        {
            var root = doc.RootElement;
            JsonElement map = default;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out map) || map.ValueKind != JsonValueKind.Object)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, "a shard index must be an object with a \"weight_map\" object", name, 0);
            var weightMap = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"weight_map value of '{p.Name}' must be a file name", name, 0);
                string shard = p.Value.GetString()!;
                CheckShardName(shard, name);
                if (!weightMap.TryAdd(p.Name, shard))
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"weight_map names '{p.Name}' twice", name, 0);
            }
            long? total = null;
            var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in meta.EnumerateObject())
                {
                    if (p.Name == "total_size" && p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out long t)) total = t;
                    else metadata[p.Name] = p.Value.GetRawText();
                }
            }
            return new ShardIndex(weightMap, total, metadata);
        }
    }

    /// <summary>Shard names must stay inside the index's folder: relative, without <c>..</c> segments.</summary>
    private static void CheckShardName(string shard, string index)
    {
        bool bad = shard.Length == 0 || Path.IsPathRooted(shard) || shard.Contains('\0')
            || shard.Split('/', '\\').Any(s => s == ".." || s.Length == 0);
        if (bad) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"weight_map names the shard file '{shard}', which is not a plain relative name inside the index's folder", index, 0);
    }

    /// <summary>The JSON text transformers writes: two-space indent, keys sorted.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            var meta = new SortedDictionary<string, string>(Metadata.ToDictionary(k => k.Key, k => k.Value), StringComparer.Ordinal);
            if (TotalSize is long t) meta["total_size"] = t.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (k, v) in meta)
            {
                w.WritePropertyName(k);
                w.WriteRawValue(v);
            }
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var (k, v) in WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <inheritdoc/>
    public override string ToString() => $"shard index ({WeightMap.Count} tensors in {Shards.Count} shards)";
}
