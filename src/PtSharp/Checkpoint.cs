using PtSharp.Dcp;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp;

/// <summary>
/// Any checkpoint PtSharp reads, opened one way (like <c>torch.load</c> and safetensors' <c>safe_open</c>): a
/// .pt/.pth/.bin file of any kind (zip, legacy, legacy tar, TorchScript), a safetensors file, a Hugging Face sharded
/// checkpoint (<c>*.index.json</c> and its shards), a <c>torch.distributed.checkpoint</c> folder, or a folder
/// holding one of those. Every format gives the same
/// view: its kind, its object tree, its state dict, all its tensors, its files and counts. Nothing in the files is
/// executed; tensors are zero-copy views of memory-mapped files.
/// </summary>
/// <remarks>
/// Dispose the checkpoint to unmap its files. Tensors obtained from it must not be read afterwards: their data
/// accessors then throw <see cref="ObjectDisposedException"/> (spans taken before stay invalid memory; do not keep
/// them past <see cref="Dispose"/>).
/// </remarks>
public sealed partial class Checkpoint : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private IReadOnlyList<NamedTensor> _tensors = [];
    private ParameterCount? _count;
    private IReadOnlyList<NamedTensor>? _countedStateDict; // a .pt file's state dict before detaching (its flags tell parameters)

    private Checkpoint(string path, CheckpointFormat format)
    {
        Path = path;
        Format = format;
    }

    /// <summary>
    /// Opens <paramref name="path"/>: a file, an index JSON, or a folder holding <c>model.safetensors.index.json</c>,
    /// <c>pytorch_model.bin.index.json</c>, <c>model.safetensors</c>, <c>pytorch_model.bin</c>, or a single index or
    /// safetensors file.
    /// </summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <exception cref="PtFormatException">A file is malformed, unsupported or (in strict mode) refused, a shard lacks a tensor its index lists, or a key is in two shards.</exception>
    /// <exception cref="KeyNotFoundException"><see cref="CheckpointOptions.StateDictKey"/> names nothing in the file.</exception>
    /// <exception cref="ArgumentException"><see cref="CheckpointOptions.StateDictKey"/> was given for a checkpoint that is not one .pt file.</exception>
    /// <exception cref="IOException">A file cannot be read, or the folder holds no checkpoint.</exception>
    public static Checkpoint Open(string path, CheckpointOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new CheckpointOptions();
        var (format, resolved) = Locate(path);
        var checkpoint = new Checkpoint(resolved, format);
        try
        {
            switch (format)
            {
                case CheckpointFormat.Safetensors: checkpoint.OpenSafetensors(options); break;
                case CheckpointFormat.ShardedPt or CheckpointFormat.ShardedSafetensors: checkpoint.OpenSharded(options); break;
                case CheckpointFormat.Dcp: checkpoint.OpenDcp(options); break;
                default: checkpoint.OpenPt(options); break;
            }
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The file opened (for a folder, the index or file found in it).</summary>
    public string Path { get; }

    /// <summary>What kind of checkpoint it is: one .pt file, one safetensors file, or a sharded checkpoint.</summary>
    public CheckpointFormat Format { get; private set; }

    /// <summary>What the top-level object is; a safetensors or sharded checkpoint is a <see cref="PtKind.StateDict"/>.</summary>
    public PtKind Kind { get; private set; } = PtKind.StateDict;

    /// <summary>
    /// The whole object tree: a .pt file's top-level object (see <see cref="PtFile.Root"/>); for safetensors and
    /// sharded checkpoints an ordered <see cref="PyDict"/> of the state dict, as <c>safetensors.torch.load_file</c>
    /// returns it.
    /// </summary>
    public object? Root { get; private set; }

    /// <summary>
    /// The model state dict (detached: not parameters, not requiring grad): a state dict's own items, a module's
    /// <c>state_dict()</c>, a checkpoint's model entry (or <see cref="CheckpointOptions.StateDictKey"/>), a
    /// safetensors file's tensors with the aliases its metadata records re-tied, every shard's tensors.
    /// </summary>
    public StateDict StateDict { get; private set; } = StateDict.Empty;

    /// <summary>
    /// Every tensor of the checkpoint, named by its path: for a .pt file everything reachable from the root
    /// (optimizer state included, see <see cref="PtFile.Tensors"/>); for other formats the state dict.
    /// </summary>
    public IReadOnlyList<NamedTensor> Tensors => _tensors;

    /// <summary>Every file read: the file itself, or the index followed by its shards.</summary>
    public IReadOnlyList<string> Files { get; private set; } = [];

    /// <summary>
    /// Text metadata: a safetensors file's <c>__metadata__</c> without the alias records (which are re-tied in
    /// <see cref="StateDict"/>); empty for other formats (a sharded index's own metadata is in <see cref="Index"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    /// <summary>Aliases re-tied from safetensors metadata: alias → the tensor it names.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; private set; } = new Dictionary<string, string>();

    /// <summary>The index of a sharded checkpoint, else <see langword="null"/>.</summary>
    public ShardIndex? Index { get; private set; }

    /// <summary>Remarks about how the state dict was found (unwrapped checkpoint key, TorchScript export, keys outside the index).</summary>
    public IReadOnlyList<string> Notes { get; private set; } = [];

    /// <summary>The underlying .pt file of a single .pt checkpoint, else <see langword="null"/>.</summary>
    public PtFile? PtFile { get; private set; }

    /// <summary>The underlying safetensors file of a single safetensors checkpoint, else <see langword="null"/>.</summary>
    public SafetensorsFile? SafetensorsFile { get; private set; }

    /// <summary>
    /// The model's unique parameters (a tied weight once), its buffers, and the other tensors (optimizer state...),
    /// counted separately (see <see cref="ParameterCount.Of"/>).
    /// </summary>
    public ParameterCount ParameterCount => _count ??= ParameterCount.Of(_countedStateDict ?? StateDict, Tensors);

    /// <summary>Total bytes of the state dict's storages (each storage counted once).</summary>
    public long StorageBytes => StateDict.Select(t => t.Tensor.Storage).OfType<PtStorage>()
        .Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength);

    /// <summary>Unmaps every file. Tensors of this checkpoint throw <see cref="ObjectDisposedException"/> when read afterwards.</summary>
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Format.Name()} checkpoint '{Path}' ({Kind.Name()}, {StateDict.Count} tensor{(StateDict.Count == 1 ? "" : "s")})";

    /// <summary>
    /// Which format <paramref name="path"/> holds, and the file to read. Each format has its own opener
    /// (<c>Checkpoint.*.cs</c>); a new format adds a <see cref="CheckpointFormat"/>, a case here and one opener.
    /// </summary>
    private static (CheckpointFormat Format, string Path) Locate(string path)
    {
        if (DcpCheckpoint.IsDcpFolder(path)) return (CheckpointFormat.Dcp, path);
        string resolved = Directory.Exists(path) ? FindInFolder(path) : path;
        if (resolved.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
            return (resolved.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase)
                ? CheckpointFormat.ShardedSafetensors
                : CheckpointFormat.ShardedPt, resolved);
        if (SafetensorsFile.IsSafetensors(resolved)) return (CheckpointFormat.Safetensors, resolved);
        return (CheckpointFormat.Pt, resolved);
    }

    private static string FindInFolder(string folder)
    {
        foreach (var name in new[] { "model.safetensors.index.json", "pytorch_model.bin.index.json", "model.safetensors", "pytorch_model.bin" })
        {
            string p = System.IO.Path.Combine(folder, name);
            if (File.Exists(p)) return p;
        }
        var indexes = Directory.GetFiles(folder, "*.index.json");
        if (indexes.Length == 1) return indexes[0];
        var singles = Directory.GetFiles(folder, "*.safetensors");
        if (singles.Length == 1) return singles[0];
        throw new IOException($"{folder} is a directory without a checkpoint PtSharp can find (model.safetensors.index.json, pytorch_model.bin.index.json, model.safetensors or pytorch_model.bin)");
    }

    private static void RequireNoKey(CheckpointOptions options, string what)
    {
        if (options.StateDictKey is not null)
            throw new ArgumentException($"--key selects an entry of a .pt file; {what}");
    }

    private static PyDict AsTree(IReadOnlyList<NamedTensor> tensors)
    {
        var d = new PyDict("collections.OrderedDict");
        foreach (var (name, tensor) in tensors) d.Add(name, tensor);
        return d;
    }
}
