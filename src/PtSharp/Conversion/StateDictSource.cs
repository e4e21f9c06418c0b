using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;

namespace PtSharp.Conversion;

/// <summary>
/// Any checkpoint PtSharp reads, as one state dict: a .pt file (any format <see cref="PtFile"/> reads; a checkpoint
/// is unwrapped to its model state dict, or to the entry <see cref="StateDictSourceOptions.Key"/> names), a
/// safetensors file (aliases recorded in its metadata re-tied), or a Hugging Face sharded checkpoint
/// (<c>*.index.json</c> and its shards, each shard memory-mapped once). A folder holding one of those works too.
/// Tensors are zero-copy views, valid until this object is disposed.
/// </summary>
public sealed class StateDictSource : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private StateDictSource(string path) { Path = path; }

    /// <summary>Opens <paramref name="path"/>: a file, an index JSON, or a folder with <c>model.safetensors.index.json</c>, <c>pytorch_model.bin.index.json</c>, <c>model.safetensors</c> or <c>pytorch_model.bin</c>.</summary>
    /// <exception cref="PtFormatException">A file is malformed, a shard lacks a tensor its index lists, or a key is in two shards.</exception>
    /// <exception cref="KeyNotFoundException"><see cref="StateDictSourceOptions.Key"/> names nothing in the file.</exception>
    /// <exception cref="ArgumentException"><see cref="StateDictSourceOptions.Key"/> was given for a file that is not a .pt.</exception>
    /// <exception cref="IOException">A file cannot be read, or the folder holds no checkpoint.</exception>
    public static StateDictSource Open(string path, StateDictSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new StateDictSourceOptions();
        string resolved = Directory.Exists(path) ? FindInFolder(path) : path;
        var source = new StateDictSource(resolved);
        try
        {
            if (resolved.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) source.OpenSharded(resolved, options);
            else source.OpenSingle(resolved, options);
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The file opened (for a folder, the index or file found in it).</summary>
    public string Path { get; }

    /// <summary>What kind of checkpoint it is.</summary>
    public CheckpointFormat Format { get; private set; }

    /// <summary>Every file read: the file itself, or the index followed by its shards.</summary>
    public IReadOnlyList<string> Files { get; private set; } = [];

    /// <summary>The state dict: names and tensors (detached: not parameters, not requiring grad).</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; private set; } = [];

    /// <summary>
    /// Values of a .pt file that are not part of the state dict, each with its dotted path and a short description
    /// (optimizer state, epoch counters, config objects...): what a safetensors file cannot hold.
    /// </summary>
    public IReadOnlyList<OtherValue> OtherValues { get; private set; } = [];

    /// <summary>
    /// <c>__metadata__</c> of a single safetensors file, without the alias records (which are re-tied in
    /// <see cref="Tensors"/>); empty for other formats.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    /// <summary>Aliases re-tied from safetensors metadata: alias → the tensor it names.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; private set; } = new Dictionary<string, string>();

    /// <summary>The index of a sharded checkpoint, else <see langword="null"/>.</summary>
    public ShardIndex? Index { get; private set; }

    /// <summary>Remarks about how the state dict was found (unwrapped checkpoint key, TorchScript export, keys outside the index).</summary>
    public IReadOnlyList<string> Notes { get; private set; } = [];

    /// <summary>The opened .pt file for a single .pt checkpoint, else <see langword="null"/>.</summary>
    public PtFile? PtFile { get; private set; }

    /// <summary>Total bytes of the tensors' storages (each storage counted once).</summary>
    public long StorageBytes => Tensors.Select(t => t.Tensor.Storage).Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength);

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
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
        throw new IOException($"{folder} is a folder without a checkpoint PtSharp can find (model.safetensors.index.json, pytorch_model.bin.index.json, model.safetensors or pytorch_model.bin)");
    }

    private void OpenSingle(string path, StateDictSourceOptions options)
    {
        Files = [path];
        if (SafetensorsFile.IsSafetensors(path))
        {
            if (options.Key is not null) throw new ArgumentException($"--key selects an entry of a .pt file; {path} is a safetensors file");
            var st = SafetensorsFile.Open(path, options.SafetensorsOptions);
            _owned.Add(st);
            Format = CheckpointFormat.Safetensors;
            RequireRepresentable(st, path);
            Tensors = st.StateDict;
            Aliases = st.Aliases;
            Metadata = st.Metadata.Where(kv => !st.Aliases.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            return;
        }
        var file = Loading.PtFile.Open(path, options.PtOptions);
        _owned.Add(file);
        PtFile = file;
        Format = CheckpointFormat.Pt;
        var notes = new List<string>();
        object? value = file.Root;
        if (options.Key is not null && !file.TryGetPath(options.Key, out value))
            throw new KeyNotFoundException($"{path} has no entry '{options.Key}'" + (file.Root is PyDict d ? $" (top-level keys: {string.Join(", ", d.Keys.Take(12).Select(k => k?.ToString() ?? "None"))})" : ""));
        var tensors = options.Key is null ? file.StateDict : file.StateDictOf(value);
        if (file.Format == PtFormat.TorchScript) notes.Add("a TorchScript archive is read as its module's state dict");
        Tensors = tensors.Select(t => new NamedTensor(t.Name, t.Tensor.Detach())).ToList();
        if (file.Format != PtFormat.TorchScript)
        {
            var stateTensors = new HashSet<PtTensor>(tensors.Select(t => t.Tensor), ReferenceEqualityComparer.Instance);
            OtherValues = OtherValueFinder.Find(value, stateTensors);
            if (options.Key is null && file.Kind == PtKind.Checkpoint && file.Root is PyDict root)
            {
                var holder = root.FirstOrDefault(kv => OtherValueFinder.Holds(kv.Value, stateTensors, 0));
                if (holder.Key is not null && Tensors.Count > 0) notes.Add($"the checkpoint's state dict is its '{holder.Key}' entry");
            }
        }
        Notes = notes;
    }

    private void OpenSharded(string indexPath, StateDictSourceOptions options)
    {
        if (options.Key is not null) throw new ArgumentException("--key selects an entry of a .pt file; it does not apply to a sharded checkpoint");
        var index = ShardIndex.Read(indexPath);
        Index = index;
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        string indexName = System.IO.Path.GetFileName(indexPath);
        var files = new List<string> { indexPath };
        var tensors = new List<NamedTensor>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        bool anySt = false, anyPt = false;
        foreach (var shard in index.Shards)
        {
            string shardPath = System.IO.Path.Combine(folder, shard);
            files.Add(shardPath);
            if (!File.Exists(shardPath))
                ThrowHelper.Format(PtErrorKind.MissingRecord, $"the index lists shard '{shard}', which does not exist next to it", indexName, null);
            IReadOnlyList<NamedTensor> shardTensors;
            if (SafetensorsFile.IsSafetensors(shardPath))
            {
                anySt = true;
                var st = SafetensorsFile.Open(shardPath, options.SafetensorsOptions);
                _owned.Add(st);
                RequireRepresentable(st, shardPath);
                shardTensors = st.StateDict;
                foreach (var (a, k) in st.Aliases) aliases[a] = k;
            }
            else
            {
                anyPt = true;
                var pt = Loading.PtFile.Open(shardPath, options.PtOptions);
                _owned.Add(pt);
                shardTensors = pt.StateDict.Select(t => new NamedTensor(t.Name, t.Tensor.Detach())).ToList();
            }
            int outside = 0;
            foreach (var nt in shardTensors)
            {
                if (seen.TryGetValue(nt.Name, out var other))
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"tensor '{nt.Name}' is in both '{other}' and '{shard}'", indexName, null);
                seen[nt.Name] = shard;
                if (index.WeightMap.TryGetValue(nt.Name, out var mapped))
                {
                    if (mapped != shard) ThrowHelper.Format(PtErrorKind.CorruptContainer, $"the index maps '{nt.Name}' to '{mapped}' but it is in '{shard}'", indexName, null);
                }
                else if (!aliases.ContainsKey(nt.Name)) outside++;
                tensors.Add(nt);
            }
            if (outside > 0) notes.Add($"{shard} holds {outside} tensor{(outside == 1 ? "" : "s")} the index does not list; they are included");
        }
        foreach (var (key, shard) in index.WeightMap)
            if (!seen.ContainsKey(key))
                ThrowHelper.Format(PtErrorKind.MissingRecord, $"the index lists '{key}' in '{shard}', but that shard has no such tensor", indexName, null);
        if (anySt && anyPt) ThrowHelper.Format(PtErrorKind.Unsupported, "the index mixes safetensors and .pt shards", indexName, null);
        Format = anySt ? CheckpointFormat.ShardedSafetensors : CheckpointFormat.ShardedPt;
        Files = files;
        Tensors = tensors;
        Aliases = aliases;
        Notes = notes;
    }

    private static void RequireRepresentable(SafetensorsFile st, string path)
    {
        var bad = st.Entries.FirstOrDefault(e => e.Tensor is null);
        if (bad is not null)
            ThrowHelper.Format(PtErrorKind.Unsupported,
                bad.DType.ToTorch() is null
                    ? $"tensor '{bad.Name}' is {bad.DType.Name()}, which torch has no dtype for"
                    : $"tensor '{bad.Name}' is F4 with an odd last dimension, which torch's float4_e2m1fn_x2 (pairs of values) cannot hold",
                System.IO.Path.GetFileName(path), null);
    }
}

/// <summary>Options for <see cref="StateDictSource.Open"/>.</summary>
public sealed class StateDictSourceOptions
{
    /// <summary>For a .pt file, a dotted path to the entry holding the state dict (e.g. <c>model_state_dict</c>); <see langword="null"/> to unwrap checkpoints automatically.</summary>
    public string? Key { get; set; }

    /// <summary>Options for reading .pt files.</summary>
    public PtLoadOptions? PtOptions { get; set; }

    /// <summary>Options for reading safetensors files.</summary>
    public SafetensorsReadOptions? SafetensorsOptions { get; set; }
}

/// <summary>A value of a .pt file outside its state dict.</summary>
/// <param name="Path">Dotted path from the root (or from the <c>--key</c> entry); empty for the root itself.</param>
/// <param name="Description">What it is, e.g. <c>int 3</c> or <c>dict (2 entries, 4 tensors)</c>.</param>
public sealed record OtherValue(string Path, string Description);
