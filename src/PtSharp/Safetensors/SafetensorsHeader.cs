using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PtSharp.Errors;
using PtSharp.IO;

namespace PtSharp.Safetensors;

/// <summary>
/// Parses and validates a safetensors header: an 8-byte little-endian length N, N bytes of UTF-8 JSON (an object
/// of name → {dtype, shape, data_offsets} plus an optional <c>__metadata__</c> object of strings), then the data
/// section. Every rule of the reference implementation is enforced, and a few it leaves loose: the header must
/// start with <c>{</c>, keys must be unique, tensor records may hold no other fields, and the data section must
/// be covered exactly (no holes, no overlaps, no trailing bytes).
/// </summary>
internal sealed class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";
    private const string Where = "header";
    public const int MaxRank = 64;

    public sealed record Raw(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End, long At);

    private SafetensorsHeader(long headerLength, List<Raw> entries, OrderedDictionary<string, string> metadata, bool hasMetadata)
    {
        HeaderLength = headerLength;
        Entries = entries;
        Metadata = metadata;
        HasMetadata = hasMetadata;
    }

    /// <summary>N, the JSON length in bytes (including any padding).</summary>
    public long HeaderLength { get; }

    /// <summary>Offset of the data section in the file (8 + N).</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Tensor records in header order.</summary>
    public List<Raw> Entries { get; }

    /// <summary>The <c>__metadata__</c> strings in header order (empty when absent).</summary>
    public OrderedDictionary<string, string> Metadata { get; }

    /// <summary>True when the header had a <c>__metadata__</c> object.</summary>
    public bool HasMetadata { get; }

    /// <summary>True when the first bytes look like a safetensors header (used to tell it apart from a pickle file).</summary>
    public static bool LooksLikeSafetensors(ReadOnlySpan<byte> head, long fileLength) =>
        head.Length >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) is var n && n >= 2 && n <= (ulong)Math.Max(0, fileLength - 8);

    public static SafetensorsHeader Parse(ByteWindow all, SafetensorsReadOptions options)
    {
        if (all.Length < 8)
            ThrowHelper.Format(PtErrorKind.Truncated, $"the file is {all.Length} bytes; a safetensors file starts with an 8-byte header length", Where, 0);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(all.Span(0, 8, "header length", Where));
        if (n > (ulong)options.MaxHeaderSize)
            ThrowHelper.Limit($"the header claims {n} bytes, more than the {options.MaxHeaderSize}-byte cap (SafetensorsReadOptions.MaxHeaderSize)", Where, 0);
        if ((long)n > all.Length - 8)
            ThrowHelper.Format(PtErrorKind.Truncated, $"the header claims {n} bytes but only {all.Length - 8} follow the length field", Where, 0);
        var json = all.Span(8, (long)n, "header", Where);
        if (!System.Text.Unicode.Utf8.IsValid(json))
            ThrowHelper.Format(PtErrorKind.CorruptContainer, "the header is not valid UTF-8", Where, 8 + FirstInvalidUtf8(json));
        if (json.Length == 0 || json[0] != (byte)'{')
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the header must start with '{{' but starts with {(json.Length == 0 ? "nothing" : $"0x{json[0]:x2}")}", Where, 8);

        var entries = new List<Raw>();
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        bool hasMetadata = false;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 8 });
        try
        {
            Read(ref reader); // StartObject
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                long at = 8 + reader.TokenStartIndex;
                string key = reader.GetString()!;
                if (!seen.Add(key)) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the header names '{key}' twice", Where, at);
                Read(ref reader);
                if (key == MetadataKey)
                {
                    hasMetadata = true;
                    ReadMetadata(ref reader, metadata);
                }
                else entries.Add(ReadTensor(ref reader, key, at));
            }
            // Anything after the object must be whitespace (the writer pads with spaces); the reader throws otherwise.
            if (reader.Read()) ThrowHelper.Format(PtErrorKind.CorruptContainer, "the header has content after its JSON object", Where, 8 + reader.TokenStartIndex);
        }
        catch (JsonException e)
        {
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the header is not valid JSON: {e.Message}", Where, 8 + (e.BytePositionInLine ?? 0));
        }
        catch (InvalidOperationException e)
        {
            // A string escape that does not decode (a lone surrogate such as \ud800).
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the header holds a string that is not valid Unicode: {e.Message}", Where, 8 + reader.TokenStartIndex);
        }

        long dataLength = all.Length - 8 - (long)n;
        Validate(entries, dataLength, 8 + (long)n);
        return new SafetensorsHeader((long)n, entries, metadata, hasMetadata);
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) ThrowHelper.Format(PtErrorKind.CorruptContainer, "the header's JSON ends early", Where, 8 + reader.BytesConsumed);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, OrderedDictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"'{MetadataKey}' must be an object of strings, not {reader.TokenType}", Where, 8 + reader.TokenStartIndex);
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) return;
            long at = 8 + reader.TokenStartIndex;
            string key = reader.GetString()!;
            Read(ref reader);
            if (reader.TokenType != JsonTokenType.String)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"'{MetadataKey}' value of '{key}' must be a string, not {reader.TokenType}", Where, 8 + reader.TokenStartIndex);
            if (!metadata.TryAdd(key, reader.GetString()!))
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"'{MetadataKey}' names '{key}' twice", Where, at);
        }
    }

    private static Raw ReadTensor(ref Utf8JsonReader reader, string name, long at)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' must be an object with dtype, shape and data_offsets, not {reader.TokenType}", Where, at);
        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            long fieldAt = 8 + reader.TokenStartIndex;
            string field = reader.GetString()!;
            Read(ref reader);
            switch (field)
            {
                case "dtype" when dtypeName is null:
                    if (reader.TokenType != JsonTokenType.String) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' dtype must be a string", Where, fieldAt);
                    dtypeName = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadInts(ref reader, name, "shape", fieldAt, MaxRank);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadInts(ref reader, name, "data_offsets", fieldAt, 2);
                    if (offsets.Length != 2) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' data_offsets must be [begin, end], not {offsets.Length} numbers", Where, fieldAt);
                    break;
                case "dtype" or "shape" or "data_offsets":
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' gives '{field}' twice", Where, fieldAt);
                    break;
                default:
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' has an unknown field '{field}' (only dtype, shape and data_offsets are allowed)", Where, fieldAt);
                    break;
            }
        }
        if (dtypeName is null || shape is null || offsets is null)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' lacks {(dtypeName is null ? "dtype" : shape is null ? "shape" : "data_offsets")}", Where, at);
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            ThrowHelper.Format(PtErrorKind.Unsupported, $"tensor '{name}' has dtype '{dtypeName}', which is not a safetensors dtype PtSharp knows", Where, at);
        return new Raw(name, dtype, shape, offsets[0], offsets[1], at);
    }

    private static long[] ReadInts(ref Utf8JsonReader reader, string name, string field, long at, int max)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' {field} must be an array of integers", Where, at);
        var values = new List<long>();
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            ulong v = 0;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out v) || v > long.MaxValue)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' {field} must hold non-negative integers below 2^63", Where, 8 + reader.TokenStartIndex);
            if (values.Count == max)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{name}' {field} has more than {max} entries", Where, at);
            values.Add((long)v);
        }
    }

    /// <summary>Offsets must tile the data section exactly, and each range must match dtype × shape.</summary>
    private static void Validate(List<Raw> entries, long dataLength, long dataStart)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        Raw? previous = null;
        foreach (var e in sorted)
        {
            if (e.End < e.Begin)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] end before they begin", Where, e.At);
            if (e.Begin > expected)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"data bytes [{expected}, {e.Begin}) belong to no tensor (a hole before '{e.Name}')", Where, e.At);
            if (e.Begin < expected)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{e.Name}' bytes [{e.Begin}, {e.End}) overlap '{previous!.Name}' [{previous.Begin}, {previous.End})", Where, e.At);
            long bytes = ExpectedBytes(e);
            if (e.End - e.Begin != bytes)
                ThrowHelper.Format(PtErrorKind.InvalidTensor,
                    $"tensor '{e.Name}' is {e.DType.Name()}[{string.Join(", ", e.Shape)}] ({bytes} bytes) but data_offsets [{e.Begin}, {e.End}] span {e.End - e.Begin} bytes", Where, e.At);
            expected = e.End;
            previous = e;
        }
        if (expected < dataLength)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the file has {dataLength - expected} bytes after the last tensor's data", Where, dataStart + expected);
        if (expected > dataLength)
            ThrowHelper.Format(PtErrorKind.Truncated, $"the tensors need {expected} data bytes but the file holds {dataLength}", Where, dataStart + dataLength);
    }

    private static long ExpectedBytes(Raw e)
    {
        try
        {
            long numel = 1;
            foreach (var s in e.Shape) numel = checked(numel * s);
            long bits = checked(numel * e.DType.BitSize());
            if (bits % 8 != 0)
                ThrowHelper.Format(PtErrorKind.InvalidTensor, $"tensor '{e.Name}' holds {numel} {e.DType.Name()} values, which is not a whole number of bytes", Where, e.At);
            return bits / 8;
        }
        catch (OverflowException)
        {
            return ThrowHelper.Format<long>(PtErrorKind.InvalidTensor, $"tensor '{e.Name}' shape [{string.Join(", ", e.Shape)}] overflows 64-bit arithmetic", Where, e.At);
        }
    }

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int pos = 0;
        while (pos < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[pos..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return pos;
            pos += consumed;
        }
        return pos;
    }

    /// <summary>Strict UTF-8 (used by the writer to check names).</summary>
    public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
