using System.Buffers.Binary;
using PtSharp.Containers;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Zip;

namespace PtSharp.Loading;

/// <summary>
/// An opened .pt/.pth/.bin file: its format facts, its whole object tree as inert values, and its tensors as
/// zero-copy views over a memory mapping. Nothing in the file is executed. Dispose it to unmap the file; spans
/// obtained from its tensors are invalid afterwards.
/// </summary>
public sealed partial class PtFile : IDisposable
{
    private readonly IByteSource _source;
    private ZipArchiveReader? _zip;
    private IReadOnlyList<NamedTensor>? _tensors;
    private StateDict? _stateDict;

    private PtFile(IByteSource source, string? path, PtLoadOptions options)
    {
        _source = source;
        Path = path;
        Options = options;
    }

    /// <summary>Opens and parses a file. The file is memory-mapped; tensor data is not read until accessed.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Load options (strict mode, limits), or <see langword="null"/> for defaults.</param>
    /// <exception cref="PtFormatException">The file is malformed, unsupported, or (in strict mode) refused; the message names the record and offset.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static PtFile Open(string path, PtLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var map = new MappedFile(path);
        return OpenSource(map, path, options ?? new PtLoadOptions());
    }

    /// <summary>Parses a file held in memory (the bytes are copied into a pinned buffer).</summary>
    /// <exception cref="PtFormatException">The bytes are malformed, unsupported or refused.</exception>
    public static PtFile Load(ReadOnlySpan<byte> bytes, PtLoadOptions? options = null)
        => OpenSource(PinnedBytes.CopyOf(bytes), null, options ?? new PtLoadOptions());

    internal static PtFile OpenSource(IByteSource source, string? path, PtLoadOptions options)
    {
        var file = new PtFile(source, path, options);
        try
        {
            file.Parse();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The path opened, or <see langword="null"/> for in-memory loads.</summary>
    public string? Path { get; }
    /// <summary>The options used.</summary>
    public PtLoadOptions Options { get; }
    /// <summary>The container format.</summary>
    public PtFormat Format { get; private set; }
    /// <summary>The archive folder name inside a zip (<c>archive</c>, the file stem...), or <see langword="null"/> for legacy files.</summary>
    public string? ArchiveName { get; private set; }
    /// <summary>Contents of the <c>version</c> (or <c>.data/version</c>) record, trimmed; for legacy files the protocol version (<c>1001</c>).</summary>
    public string? FormatVersion { get; private set; }
    /// <summary><c>little</c> or <c>big</c>: the byte order the tensor data was written in.</summary>
    public string ByteOrder { get; private set; } = "little";
    /// <summary>True when the file had an explicit <c>byteorder</c> record.</summary>
    public bool HasByteOrderRecord { get; private set; }
    /// <summary>Protocol of the main pickle (0 when it has no PROTO opcode).</summary>
    public int PickleProtocol { get; private set; }
    /// <summary>The top-level object of the main pickle.</summary>
    public object? Root { get; private set; }
    /// <summary>For TorchScript archives, the tuple from <c>constants.pkl</c>; otherwise <see langword="null"/>.</summary>
    public object? Constants { get; private set; }
    /// <summary>Every global the main pickle references (<c>module.name</c>), sorted, each once.</summary>
    public IReadOnlyList<string> Globals { get; private set; } = [];
    /// <summary>Every storage, in first-seen order.</summary>
    public IReadOnlyList<PtStorage> Storages { get; private set; } = [];
    /// <summary>What the top-level object is.</summary>
    public PtKind Kind { get; private set; }

    /// <summary>The record the main pickle was read from (<c>archive/data.pkl</c>), for errors of tree walks.</summary>
    internal string? RootRecord { get; private set; }

    /// <summary>Names of the zip members without the archive prefix (empty for legacy files).</summary>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public IReadOnlyList<string> RecordNames =>
        _zip is null ? [] : _disposed ? throw new ObjectDisposedException(nameof(PtFile)) : _zip.Entries.Select(e => ArchiveName is not null && e.Name.StartsWith(ArchiveName + "/", StringComparison.Ordinal) ? e.Name[(ArchiveName.Length + 1)..] : e.Name).ToList();

    /// <summary>The zip members (empty for legacy files).</summary>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public IReadOnlyList<ZipEntry> Entries
    {
        get
        {
            ThrowIfDisposed();
            return _zip?.Entries ?? [];
        }
    }

    /// <summary>Reads a record (name without the archive prefix), inflating it if it is compressed.</summary>
    /// <exception cref="KeyNotFoundException">No such record.</exception>
    /// <exception cref="PtFormatException">The record cannot be read.</exception>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public byte[] ReadRecord(string name)
    {
        ThrowIfDisposed();
        if (_zip is null || !_zip.TryGetEntry(ArchiveName + "/" + name, out var e) && !_zip.TryGetEntry(name, out e))
            throw new KeyNotFoundException($"record '{name}' is not in the archive");
        var w = _zip.GetPayload(e, Options.ZipLimits);
        return w.Span(0, w.Length, "record", e.Name).ToArray();
    }

    /// <summary>
    /// Every tensor reachable from <see cref="Root"/>, named by joining keys with <c>.</c>. Inside pickled modules
    /// and TorchScript modules the names are the module's own <c>state_dict()</c> keys.
    /// </summary>
    public IReadOnlyList<NamedTensor> Tensors => _tensors ??= TensorNaming.Collect(this);

    /// <summary>
    /// The state dict view: a plain state dict's own items; a pickled or TorchScript module's <c>state_dict()</c>;
    /// for a checkpoint, the model state dict under a well-known key (<c>state_dict</c>, <c>model_state_dict</c>,
    /// <c>model</c>, ...) or, when there is none, all tensors; for anything else all tensors.
    /// </summary>
    public StateDict StateDict => _stateDict ??=
        new(TensorNaming.StateDict(this), StateDictMetadata.Of(Root, Kind, Walk(StateDictMetadata.MaxSteps)));

    /// <summary>A new bounded walk over this file's tree, with its limits and main record.</summary>
    internal ObjectWalk Walk(long? maxSteps = null) => new(Options.PickleLimits, RootRecord, maxSteps);

    /// <summary>The state-dict view (as <see cref="StateDict"/> defines it) of a value inside this file, e.g. a checkpoint's <c>model</c> entry.</summary>
    public StateDict StateDictOf(object? value) =>
        new(TensorNaming.StateDictOf(this, value), StateDictMetadata.Of(value, Walk(StateDictMetadata.MaxSteps)));

    /// <summary>
    /// Finds a value by a dotted path of dict keys, list/tuple indices and object attributes, e.g.
    /// <c>model_state_dict</c> or <c>optimizer.state.0</c>. Returns false when some step does not exist.
    /// </summary>
    public bool TryGetPath(string path, out object? value)
    {
        value = Root;
        if (string.IsNullOrEmpty(path)) return true;
        foreach (var part in path.Split('.'))
        {
            switch (value)
            {
                case PyDict d when d.TryGetValue(part, out var v): value = v; continue;
                case PyDict d when long.TryParse(part, out long n) && d.TryGetValue(n, out var v): value = v; continue;
                case PyList l when int.TryParse(part, out int i) && i >= 0 && i < l.Count: value = l[i]; continue;
                case PyTuple t when int.TryParse(part, out int i) && i >= 0 && i < t.Count: value = t[i]; continue;
                case PyObject o when o.Attributes is { } a && a.TryGetValue(part, out var v): value = v; continue;
            }
            value = null;
            return false;
        }
        return true;
    }

    /// <summary>
    /// The model's unique parameters (a tied weight once) in <see cref="StateDict"/>, its buffers, and the other
    /// tensors of <see cref="Tensors"/> (optimizer state...), counted separately (see <see cref="ParameterCount.Of"/>).
    /// </summary>
    public ParameterCount ParameterCount => _count ??= ParameterCount.Of(StateDict, Tensors);

    private ParameterCount? _count;

    /// <summary>
    /// Unmaps the file. Its tensors' data accessors, <see cref="ReadRecord"/>, <see cref="Entries"/> and
    /// <see cref="RecordNames"/> throw <see cref="ObjectDisposedException"/> afterwards; the object tree stays.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in Storages) s.Release();
        _source.Dispose();
    }

    private bool _disposed;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Parse()
    {
        var all = new ByteWindow(_source, 0, _source.Length);
        var head = all.Span(0, Math.Min(all.Length, ContainerSniffer.HeadLength), "file header", null);
        switch (ContainerSniffer.Sniff(head, all.Length, out _))
        {
            case ContainerKind.Zip:
                ParseZip(all);
                return;
            case ContainerKind.TorchPreview:
                ThrowHelper.Format(PtErrorKind.Unsupported, "this is a torch 1.0-preview 'PYTORCH1' container, which current "
                    + "torch cannot load either; re-save it with a newer torch", null, 0);
                return;
            case ContainerKind.Tar:
                // As torch.load: a tar that fails to parse falls through to the legacy stream format.
                try
                {
                    Apply(LegacyTarLoader.Load(all, Options));
                    return;
                }
                catch (PtFormatException) when (head[0] == 0x80 && head.Length > 1 && head[1] == 0x02) { }
                break;
            case ContainerKind.Safetensors:
                ThrowHelper.Format(PtErrorKind.UnknownFormat, "this looks like a safetensors file, not a PyTorch pickle file", null, 0);
                return;
            case ContainerKind.Empty:
                ThrowHelper.Format(PtErrorKind.UnknownFormat, "the file is empty", null, 0);
                return;
        }
        var start = all.Span(0, Math.Min(all.Length, 32), "file header", null);
        if (LegacyStreamLoader.LooksLikeLegacy(start))
        {
            Apply(LegacyStreamLoader.Load(all, Options));
            return;
        }
        ThrowHelper.Format(PtErrorKind.UnknownFormat, "not a PyTorch file: no zip, tar or pickle signature at the start", null, 0);
    }

    private void Apply(LoadResult result)
    {
        Format = result.Format;
        Root = result.Root;
        PickleProtocol = result.Protocol;
        Globals = result.Globals.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Storages = result.Storages as List<PtStorage> ?? result.Storages.ToList();
        RootRecord = result.Record;
        Kind = result.Format == PtFormat.TorchScript ? PtKind.TorchScript
            : KindClassifier.Classify(result.Root, Walk());
        if (result.Format is PtFormat.Legacy or PtFormat.LegacyTar)
        {
            FormatVersion = result.FormatVersion;
            ByteOrder = result.BigEndian ? "big" : "little";
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Format.Name()} file '{Path ?? "<memory>"}' ({Kind.Name()}, {Storages.Count} storages)";
}
