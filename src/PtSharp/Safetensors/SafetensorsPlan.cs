using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using PtSharp.Errors;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

/// <summary>
/// What a safetensors save will write, decided before any byte is written: which names are aliases, the data
/// order (descending element size, so every tensor starts aligned to its element size without padding), each
/// tensor's offsets, and the padded JSON header.
/// </summary>
internal sealed class SafetensorsPlan
{
    public sealed record Item(string Name, PtTensor Tensor, SafetensorsDType DType, long[] Shape, long ByteLength)
    {
        public long Begin { get; set; }
        public long End => Begin + ByteLength;
        public int Alignment => Math.Max(1, DType.BitSize() / 8);
    }

    private SafetensorsPlan(List<Item> items, List<Item> dataOrder, OrderedDictionary<string, string> metadata, OrderedDictionary<string, string> aliases, byte[] header)
    {
        Items = items;
        DataOrder = dataOrder;
        Metadata = metadata;
        Aliases = aliases;
        Header = header;
    }

    /// <summary>Written tensors in header (input) order.</summary>
    public List<Item> Items { get; }

    /// <summary>Written tensors in data order.</summary>
    public List<Item> DataOrder { get; }

    /// <summary>Every <c>__metadata__</c> entry written, aliases included.</summary>
    public OrderedDictionary<string, string> Metadata { get; }

    /// <summary>Removed name → kept name.</summary>
    public OrderedDictionary<string, string> Aliases { get; }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    public byte[] Header { get; }

    public long DataLength => DataOrder.Count == 0 ? 0 : DataOrder[^1].End;

    public long FileLength => 8 + Header.Length + DataLength;

    public static SafetensorsPlan Create(IEnumerable<NamedTensor> tensors, SafetensorsSaveOptions options)
    {
        var input = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nt in input)
        {
            if (nt.Name == SafetensorsHeader.MetadataKey) throw new PtWriteException($"a tensor cannot be called '{SafetensorsHeader.MetadataKey}' in a safetensors file", nt.Name);
            if (!names.Add(nt.Name)) throw new PtWriteException($"two tensors are called '{nt.Name}'", nt.Name);
            Check(nt);
        }

        var aliases = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        if (options.DeduplicateAliases)
        {
            foreach (var group in input.Where(t => t.Tensor.Storage is not null && t.Tensor.ElementCount > 0).GroupBy(t => new ViewKey(t.Tensor)))
            {
                if (!group.Skip(1).Any()) continue;
                string kept = group.Select(t => t.Name).Min(StringComparer.Ordinal)!;
                foreach (var t in group)
                    if (t.Name != kept) { aliases[t.Name] = kept; removed.Add(t.Name); }
            }
            // Record aliases in input order, which is the order a reader re-ties them in.
            var ordered = new OrderedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var nt in input) if (aliases.TryGetValue(nt.Name, out var k)) ordered[nt.Name] = k;
            aliases = ordered;
        }

        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in options.Metadata ?? [])
        {
            ArgumentNullException.ThrowIfNull(k);
            ArgumentNullException.ThrowIfNull(v);
            if (!metadata.TryAdd(k, v)) throw new ArgumentException($"metadata key '{k}' is given twice", nameof(options));
        }
        if (options.FormatTag is { } tag) metadata.TryAdd("format", tag);
        foreach (var (alias, kept) in aliases)
        {
            if (metadata.TryGetValue(alias, out var existing) && existing != kept)
                throw new PtWriteException($"the alias '{alias}' of '{kept}' cannot be recorded: __metadata__ already has a '{alias}' entry", alias);
            metadata[alias] = kept;
        }

        var items = new List<Item>();
        foreach (var nt in input)
        {
            if (removed.Contains(nt.Name)) continue;
            var t = nt.Tensor;
            SafetensorsDTypes.TryFromTorch(t.DType, out var st);
            long[] shape = t.ShapeArray;
            if (st == SafetensorsDType.F4)
            {
                shape = (long[])shape.Clone();
                shape[^1] = checked(shape[^1] * 2);
            }
            items.Add(new Item(nt.Name, t, st, shape, t.ByteCount));
        }
        // Stable sort by descending alignment: each tensor then starts at a multiple of its element size.
        var dataOrder = items.Select((item, i) => (item, i)).OrderByDescending(p => p.item.Alignment).ThenBy(p => p.i).Select(p => p.item).ToList();
        long offset = 0;
        foreach (var item in dataOrder)
        {
            item.Begin = offset;
            offset = checked(offset + item.ByteLength);
        }
        byte[] header = BuildHeader(items, metadata);
        if (header.Length > SafetensorsReadOptions.DefaultMaxHeaderSize)
            throw new PtWriteException($"the header would be {header.Length} bytes, more than the format's {SafetensorsReadOptions.DefaultMaxHeaderSize}-byte cap; write fewer tensors per file (shard the output)");
        return new SafetensorsPlan(items, dataOrder, metadata, aliases, header);
    }

    private static void Check(NamedTensor nt)
    {
        var t = nt.Tensor;
        if (t.IsSparse) throw new PtWriteException($"'{nt.Name}' is a {t.Layout} tensor; safetensors holds dense tensors only (exclude it, or convert it to dense first)", nt.Name);
        if (t.DType.IsQuantized()) throw new PtWriteException($"'{nt.Name}' is {t.DType.Name()}; safetensors cannot hold quantized tensors (exclude it, or write a .pt)", nt.Name);
        if (!SafetensorsDTypes.TryFromTorch(t.DType, out var st))
            throw new PtWriteException($"'{nt.Name}' is {t.DType.Name()}, which safetensors has no dtype for (exclude it, or write a .pt)", nt.Name);
        if (st == SafetensorsDType.F4 && t.Rank == 0) throw new PtWriteException($"'{nt.Name}' is a 0-dim float4_e2m1fn_x2 tensor; safetensors F4 needs a last dimension to hold the value pairs", nt.Name);
        if (t.ElementCount > 0 && t.Storage is not { HasData: true })
            throw new PtWriteException($"'{nt.Name}' has no data (device '{t.Device}'); meta tensors cannot be written to safetensors", nt.Name);
    }

    private static byte[] BuildHeader(List<Item> items, OrderedDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + items.Count * 96);
        try
        {
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false }))
            {
                w.WriteStartObject();
                if (metadata.Count > 0)
                {
                    w.WriteStartObject(SafetensorsHeader.MetadataKey);
                    foreach (var (k, v) in metadata) w.WriteString(k, v);
                    w.WriteEndObject();
                }
                foreach (var item in items)
                {
                    w.WriteStartObject(item.Name);
                    w.WriteString("dtype", item.DType.Name());
                    w.WriteStartArray("shape");
                    foreach (var s in item.Shape) w.WriteNumberValue(s);
                    w.WriteEndArray();
                    w.WriteStartArray("data_offsets");
                    w.WriteNumberValue(item.Begin);
                    w.WriteNumberValue(item.End);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
        }
        catch (ArgumentException e)
        {
            throw new PtWriteException($"a tensor name or metadata string cannot be written as JSON: {e.Message}");
        }
        int length = buffer.WrittenCount;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    /// <summary>Identity of a view: the same storage object seen with the same dtype, shape, stride, offset and lazy bits.</summary>
    private readonly struct ViewKey(PtTensor t) : IEquatable<ViewKey>
    {
        private readonly PtTensor _t = t;

        public bool Equals(ViewKey other)
        {
            var (a, b) = (_t, other._t);
            return ReferenceEquals(a.Storage, b.Storage) && a.DType == b.DType && a.StorageOffset == b.StorageOffset
                && a.IsNeg == b.IsNeg && a.IsConj == b.IsConj
                && a.ShapeArray.AsSpan().SequenceEqual(b.ShapeArray) && a.StrideArray.AsSpan().SequenceEqual(b.StrideArray);
        }

        public override bool Equals(object? obj) => obj is ViewKey k && Equals(k);

        public override int GetHashCode() => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_t.Storage), _t.DType, _t.StorageOffset, _t.Rank);
    }
}
