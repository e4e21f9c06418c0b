using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// An opened <c>torch.distributed.checkpoint</c> folder (<c>.metadata</c> and <c>__{rank}_{n}.distcp</c> files), read
/// without executing anything. Each data file is memory-mapped once. A tensor stored as one chunk is a zero-copy
/// view of its file; a tensor split over chunks is assembled the first time its bytes are read, into a temporary
/// mapped file rather than managed memory. Dispose to unmap; spans of its tensors are invalid afterwards.
/// </summary>
public sealed class DcpCheckpoint : IDisposable
{
    private readonly Dictionary<string, MappedFile> _files = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _owned = [];
    private readonly PtLoadOptions _options;
    private DcpScratch? _scratch;

    private DcpCheckpoint(string folder, DcpMetadata metadata, PtLoadOptions options)
    {
        Folder = folder;
        Metadata = metadata;
        _options = options;
    }

    /// <summary>True when <paramref name="path"/> is a folder with a DCP <c>.metadata</c> file.</summary>
    public static bool IsDcpFolder(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, DcpMetadataReader.FileName));

    /// <summary>Opens a DCP folder: reads and validates its metadata, maps its data files and parses every chunk's header.</summary>
    /// <exception cref="PtFormatException">The metadata or a data file is malformed, or the chunks overlap, leave holes or lie outside their file.</exception>
    /// <exception cref="IOException">The folder or a file cannot be read.</exception>
    public static DcpCheckpoint Open(string folder, PtLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new PtLoadOptions();
        string full = Path.GetFullPath(folder);
        string metadataPath = Path.Combine(full, DcpMetadataReader.FileName);
        if (!File.Exists(metadataPath)) throw new IOException($"{folder} has no {DcpMetadataReader.FileName} file; it is not a distributed checkpoint");
        var metadata = DcpMetadataReader.Read(metadataPath, options);
        var checkpoint = new DcpCheckpoint(full, metadata, options);
        try
        {
            DcpValidation.Check(metadata, checkpoint.FileLength);
            checkpoint.Load();
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The typed <c>.metadata</c>.</summary>
    public DcpMetadata Metadata { get; }

    /// <summary>The data files the metadata refers to, relative to <see cref="Folder"/>, sorted.</summary>
    public IReadOnlyList<string> DataFiles => _files.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Every tensor by its flattened name, in metadata order.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; private set; } = [];

    /// <summary>Every non-tensor item by its flattened name, read as inert values (ints, strings, dicts, opaque objects).</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Values { get; private set; } = [];

    /// <summary>Number of tensors assembled from several chunks (the others are zero-copy views).</summary>
    public int AssembledTensorCount { get; private set; }

    /// <summary>
    /// The nested state dict <c>dcp_to_torch_save</c> rebuilds: the saved dicts and lists, holding these tensors
    /// and values. Items the metadata gives no path for are top-level keys.
    /// </summary>
    public PyDict ToNestedStateDict()
    {
        var root = new PyDict();
        var tensors = Tensors.ToDictionary(t => t.Name, t => (object?)t.Tensor, StringComparer.Ordinal);
        foreach (var (k, v) in Values) tensors[k] = v;
        foreach (var item in Metadata.Items)
        {
            var value = tensors[item.Name];
            if (!Metadata.Paths.TryGetValue(item.Name, out var path) || path.Count == 0) { root.Set(item.Name, value); continue; }
            DcpNesting.Set(root, path, value);
        }
        return root;
    }

    /// <summary>Unmaps every file and deletes the assembly file.</summary>
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
        _scratch?.Dispose();
        _scratch = null;
        foreach (var f in _files.Values) f.Dispose();
        _files.Clear();
    }

    private long FileLength(string relative)
    {
        if (_files.TryGetValue(relative, out var map)) return map.Length;
        string path = Path.Combine(Folder, relative);
        if (!File.Exists(path)) return -1;
        map = new MappedFile(path);
        _files[relative] = map;
        return map.Length;
    }

    private void Load()
    {
        var tensors = new List<NamedTensor>();
        var values = new List<KeyValuePair<string, object?>>();
        long scratchBytes = Metadata.Items.OfType<DcpTensorItem>().Where(NeedsAssembly).Sum(t => t.ByteCount);
        if (scratchBytes > 0) _scratch = new DcpScratch(scratchBytes);
        long at = 0;
        foreach (var item in Metadata.Items)
        {
            switch (item)
            {
                case DcpBytesItem b:
                    values.Add(new(b.Name, OpenPiece(b.Name, b.Storage).Root));
                    break;
                case DcpTensorItem t when !NeedsAssembly(t):
                    tensors.Add(new NamedTensor(t.Name, t.Chunks.Count == 0 ? Empty(t) : ChunkTensor(t, t.Chunks[0], keep: true)));
                    break;
                case DcpTensorItem t:
                    tensors.Add(new NamedTensor(t.Name, Assembled(t, at)));
                    at += t.ByteCount;
                    AssembledTensorCount++;
                    break;
            }
        }
        Tensors = tensors;
        Values = values;
    }

    /// <summary>One chunk covering the whole tensor is used in place; anything else is assembled.</summary>
    private static bool NeedsAssembly(DcpTensorItem t) =>
        t.ElementCount > 0 && !(t.Chunks.Count == 1 || t.Chunks.Count(c => c.ElementCount > 0) == 1 && t.Chunks.Count > 0);

    private static PtTensor Empty(DcpTensorItem t) => RawTensor.Of([], t.Shape.ToArray(), t.DType);

    private PtTensor Assembled(DcpTensorItem t, long start)
    {
        var source = new AssembledTensorSource(_scratch!, start, t.ByteCount, p => Fill(t, p));
        var storage = new PtStorage(t.Name, null, t.ByteCount, "cpu", null, source, 0, bigEndian: false);
        // Each chunk's header is checked now, so a bad chunk fails Open rather than the first read.
        foreach (var c in t.Chunks.Where(c => c.ElementCount > 0)) ChunkTensor(t, c, keep: false);
        var shape = t.Shape.ToArray();
        return PtTensor.FromStorage(storage, t.DType, shape, PtTensor.ContiguousStrides(shape), 0);
    }

    private unsafe void Fill(DcpTensorItem t, IntPtr destination)
    {
        int es = t.DType.ElementSize();
        foreach (var c in t.Chunks)
        {
            if (c.ElementCount == 0) continue;
            var chunk = ChunkTensor(t, c, keep: false);
            DcpAssembler.CopyInto((byte*)destination, t.Shape, es, chunk, c.Offsets);
        }
    }

    private PtTensor ChunkTensor(DcpTensorItem t, DcpChunk c, bool keep)
    {
        var file = OpenPiece(t.Name, c.Storage, keep);
        var s = c.Storage;
        if (file.Root is not PtTensor tensor)
            return ThrowHelper.Format<PtTensor>(PtErrorKind.InvalidTensor, $"the chunk of '{t.Name}' at ({string.Join(", ", c.Offsets)}) holds {PickleMachine.Describe(file.Root)}, not a tensor", s.RelativePath, s.Offset);
        if (tensor.DType != t.DType || !tensor.Shape.SequenceEqual(c.Sizes))
            ThrowHelper.Format(PtErrorKind.InvalidTensor,
                $"the chunk of '{t.Name}' at ({string.Join(", ", c.Offsets)}) is {tensor.DType.Name()} [{string.Join(", ", tensor.Shape)}]; the metadata says {t.DType.Name()} [{string.Join(", ", c.Sizes)}]",
                s.RelativePath, s.Offset);
        if (tensor.ElementCount > 0 && tensor.Storage is not { HasData: true })
            ThrowHelper.Format(PtErrorKind.InvalidTensor, $"the chunk of '{t.Name}' has no data", s.RelativePath, s.Offset);
        return tensor.Detach();
    }

    private PtFile OpenPiece(string name, DcpStorageInfo s, bool keep = true)
    {
        var map = _files[s.RelativePath];
        PtFile file;
        try
        {
            file = PtFile.OpenSource(new SubSource(map, s.Offset, s.Length), $"{s.RelativePath}@{s.Offset}", _options);
        }
        catch (PtFormatException e)
        {
            throw new PtFormatException(e.Kind, $"'{name}' at byte {s.Offset} of {s.RelativePath}: {e.Detail}", s.RelativePath, s.Offset, e);
        }
        // The mapping, not the PtFile, owns the bytes; the PtFile is kept only for its tensors' lifetime bookkeeping.
        if (keep) _owned.Add(file);
        return file;
    }
}
