using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp.Conversion;

/// <summary>
/// Any checkpoint PtSharp reads, as one state dict. Superseded by <see cref="Checkpoint"/>, which it wraps (and
/// which gives the same view plus the object tree, all tensors and counts); kept so code written against it keeps
/// working. Tensors are zero-copy views, valid until this object is disposed.
/// </summary>
public sealed class StateDictSource : IDisposable
{
    private readonly Checkpoint _checkpoint;

    private StateDictSource(Checkpoint checkpoint) { _checkpoint = checkpoint; }

    /// <summary>Opens <paramref name="path"/> as <see cref="Checkpoint.Open"/> does.</summary>
    /// <exception cref="PtFormatException">A file is malformed, a shard lacks a tensor its index lists, or a key is in two shards.</exception>
    /// <exception cref="KeyNotFoundException"><see cref="StateDictSourceOptions.Key"/> names nothing in the file.</exception>
    /// <exception cref="ArgumentException"><see cref="StateDictSourceOptions.Key"/> was given for a file that is not a .pt.</exception>
    /// <exception cref="IOException">A file cannot be read, or the folder holds no checkpoint.</exception>
    public static StateDictSource Open(string path, StateDictSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new StateDictSourceOptions();
        return new StateDictSource(Checkpoint.Open(path, new CheckpointOptions
        {
            StateDictKey = options.Key,
            PtOptions = options.PtOptions,
            SafetensorsOptions = options.SafetensorsOptions,
        }));
    }

    /// <summary>The checkpoint this wraps.</summary>
    public Checkpoint Checkpoint => _checkpoint;

    /// <summary>The file opened (for a folder, the index or file found in it).</summary>
    public string Path => _checkpoint.Path;

    /// <summary>What kind of checkpoint it is.</summary>
    public CheckpointFormat Format => _checkpoint.Format;

    /// <summary>Every file read: the file itself, or the index followed by its shards.</summary>
    public IReadOnlyList<string> Files => _checkpoint.Files;

    /// <summary>The state dict: names and tensors (detached: not parameters, not requiring grad).</summary>
    public StateDict Tensors => _checkpoint.StateDict;

    /// <summary>Values of a .pt file that are not part of the state dict (see <see cref="Checkpoint.OtherValues"/>).</summary>
    public IReadOnlyList<OtherValue> OtherValues => _checkpoint.OtherValues;

    /// <summary><c>__metadata__</c> of a single safetensors file, without the alias records; empty for other formats.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _checkpoint.Metadata;

    /// <summary>Aliases re-tied from safetensors metadata: alias → the tensor it names.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _checkpoint.Aliases;

    /// <summary>The index of a sharded checkpoint, else <see langword="null"/>.</summary>
    public ShardIndex? Index => _checkpoint.Index;

    /// <summary>Remarks about how the state dict was found (unwrapped checkpoint key, TorchScript export, keys outside the index).</summary>
    public IReadOnlyList<string> Notes => _checkpoint.Notes;

    /// <summary>The opened .pt file for a single .pt checkpoint, else <see langword="null"/>.</summary>
    public PtFile? PtFile => _checkpoint.PtFile;

    /// <summary>Total bytes of the tensors' storages (each storage counted once).</summary>
    public long StorageBytes => _checkpoint.StorageBytes;

    /// <summary>Unmaps every file.</summary>
    public void Dispose() => _checkpoint.Dispose();
}

/// <summary>Options for <see cref="StateDictSource.Open"/> (see <see cref="CheckpointOptions"/>).</summary>
public sealed class StateDictSourceOptions
{
    /// <summary>For a .pt file, a dotted path to the entry holding the state dict (e.g. <c>model_state_dict</c>); <see langword="null"/> to unwrap checkpoints automatically.</summary>
    public string? Key { get; set; }

    /// <summary>Options for reading .pt files.</summary>
    public PtLoadOptions? PtOptions { get; set; }

    /// <summary>Options for reading safetensors files.</summary>
    public SafetensorsReadOptions? SafetensorsOptions { get; set; }
}
