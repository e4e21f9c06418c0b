using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Safetensors;

/// <summary>
/// An opened safetensors file: its validated header, <c>__metadata__</c>, and tensors as zero-copy views of a
/// memory mapping (one mapping per file). Dispose it to unmap the file; spans obtained from its tensors are
/// invalid afterwards.
/// </summary>
/// <remarks>
/// Validation is strict: the header length is capped (<see cref="SafetensorsReadOptions.MaxHeaderSize"/>), the
/// header must be UTF-8 JSON starting with <c>{</c> with unique keys, every tensor record must give a known dtype,
/// a shape and <c>[begin, end]</c> offsets that match dtype × shape, and the offsets must cover the data section
/// exactly: no holes, no overlaps, no trailing bytes. Any violation raises <see cref="PtFormatException"/>.
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    private readonly IByteSource _source;
    private readonly Dictionary<string, SafetensorsEntry> _byName;
    private IReadOnlyList<NamedTensor>? _tensors;
    private StateDict? _stateDict;

    private SafetensorsFile(IByteSource source, string? path, SafetensorsHeader header)
    {
        _source = source;
        Path = path;
        HeaderLength = header.HeaderLength;
        Metadata = header.Metadata;
        HasMetadata = header.HasMetadata;
        var entries = new List<SafetensorsEntry>(header.Entries.Count);
        _byName = new Dictionary<string, SafetensorsEntry>(header.Entries.Count, StringComparer.Ordinal);
        foreach (var raw in header.Entries)
        {
            var e = new SafetensorsEntry(raw.Name, raw.DType, raw.Shape, raw.Begin, raw.End, MakeTensor(raw, header.DataStart));
            entries.Add(e);
            _byName[e.Name] = e;
        }
        Entries = entries;
        Aliases = FindAliases(header.Metadata, _byName);
    }

    /// <summary>Opens and validates a file. The file is memory-mapped; tensor data is not read until accessed.</summary>
    /// <exception cref="PtFormatException">The file breaks a rule of the format; the message says which and where.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static SafetensorsFile Open(string path, SafetensorsReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return OpenSource(new MappedFile(path), path, options ?? new SafetensorsReadOptions());
    }

    /// <summary>Parses a file held in memory (the bytes are copied into a pinned buffer).</summary>
    /// <exception cref="PtFormatException">The bytes break a rule of the format.</exception>
    public static SafetensorsFile Load(ReadOnlySpan<byte> bytes, SafetensorsReadOptions? options = null)
        => OpenSource(bytes.Length == 0 ? PinnedBytes.Empty : PinnedBytes.CopyOf(bytes), null, options ?? new SafetensorsReadOptions());

    /// <summary>True when the file starts like a safetensors file (a plausible header length followed by <c>{</c>).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static bool IsSafetensors(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> head = stackalloc byte[9];
        int n = stream.ReadAtLeast(head, 9, throwOnEndOfStream: false);
        return SafetensorsHeader.LooksLikeSafetensors(head[..n], stream.Length);
    }

    private static SafetensorsFile OpenSource(IByteSource source, string? path, SafetensorsReadOptions options)
    {
        try
        {
            var header = SafetensorsHeader.Parse(new ByteWindow(source, 0, source.Length), options);
            return new SafetensorsFile(source, path, header);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The path opened, or <see langword="null"/> for in-memory loads.</summary>
    public string? Path { get; }

    /// <summary>N: the length of the JSON header in bytes (including padding).</summary>
    public long HeaderLength { get; }

    /// <summary>Offset of the data section in the file (8 + <see cref="HeaderLength"/>).</summary>
    public long DataOffset => 8 + HeaderLength;

    /// <summary>File length in bytes.</summary>
    public long Length => _source.Length;

    /// <summary>The <c>__metadata__</c> strings in header order (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when the header has a <c>__metadata__</c> object.</summary>
    public bool HasMetadata { get; }

    /// <summary>Every tensor record, in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>
    /// True when the data section starts on an 8-byte boundary and every tensor starts on a multiple of its
    /// element size, so typed reads are naturally aligned (the reference writer guarantees this).
    /// </summary>
    public bool IsAligned => DataOffset % 8 == 0 && Entries.All(e => e.Begin % Math.Max(1, e.DType.BitSize() / 8) == 0);

    /// <summary>
    /// Removed aliases recorded in <c>__metadata__</c> the way Hugging Face's converter records them: an entry whose
    /// key is not a tensor in the file and whose value is one (<c>"lm_head.weight": "embed.weight"</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Aliases { get; }

    /// <summary>The tensors torch can represent, in header order, named as in the file (no aliases).</summary>
    public IReadOnlyList<NamedTensor> Tensors => _tensors ??= Entries.Where(e => e.Tensor is not null).Select(e => new NamedTensor(e.Name, e.Tensor!)).ToList();

    /// <summary>
    /// <see cref="Tensors"/> followed by the <see cref="Aliases"/>, each re-tied to the tensor it names (the same
    /// <see cref="PtTensor"/>, so a .pt written from this state dict shares one storage between them again).
    /// </summary>
    public StateDict StateDict => _stateDict ??= new(BuildStateDict());

    /// <summary>Finds a tensor by name (not aliases).</summary>
    public bool TryGetTensor(string name, out PtTensor tensor)
    {
        if (_byName.TryGetValue(name, out var e) && e.Tensor is { } t) { tensor = t; return true; }
        tensor = null!;
        return false;
    }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name, or torch cannot represent its dtype.</exception>
    public PtTensor this[string name] => TryGetTensor(name, out var t) ? t : throw new KeyNotFoundException($"tensor '{name}' is not in the file");

    /// <summary>Unmaps the file.</summary>
    /// <remarks>Its tensors' data accessors throw <see cref="ObjectDisposedException"/> afterwards.</remarks>
    public void Dispose()
    {
        foreach (var e in Entries) e.Tensor?.Storage?.Release();
        _source.Dispose();
    }

    private List<NamedTensor> BuildStateDict()
    {
        var list = new List<NamedTensor>(Tensors);
        foreach (var (alias, kept) in Aliases)
            if (TryGetTensor(kept, out var t)) list.Add(new NamedTensor(alias, t));
        return list;
    }

    private static IReadOnlyDictionary<string, string> FindAliases(OrderedDictionary<string, string> metadata, Dictionary<string, SafetensorsEntry> byName)
    {
        var aliases = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
            if (key != "format" && !byName.ContainsKey(key) && byName.TryGetValue(value, out var e) && e.Tensor is not null)
                aliases[key] = value;
        return aliases;
    }

    private PtTensor? MakeTensor(SafetensorsHeader.Raw raw, long dataStart)
    {
        if (raw.DType.ToTorch() is not DType dtype) return null;
        long[] shape = raw.Shape;
        if (raw.DType == SafetensorsDType.F4)
        {
            // torch.float4_e2m1fn_x2 holds two F4 values per element: the last dimension halves.
            if (shape.Length == 0 || shape[^1] % 2 != 0) return null;
            shape = (long[])shape.Clone();
            shape[^1] /= 2;
        }
        var storage = new PtStorage(raw.Name, dtype, raw.End - raw.Begin, "cpu", raw.Name, _source, dataStart + raw.Begin, bigEndian: false);
        return TensorLayout.Create(dtype, shape, PtTensor.ContiguousStrides(shape), 0, storage, "header", raw.At);
    }

    /// <inheritdoc/>
    public override string ToString() => $"safetensors '{Path ?? "<memory>"}' ({Entries.Count} tensors)";
}
