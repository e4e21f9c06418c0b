using System.Globalization;
using System.Text;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Sharding;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Conversion;

/// <summary>
/// Writes a state dict as one file or as a Hugging Face sharded checkpoint, in .pt (a <c>torch.save</c> zip of an
/// <c>OrderedDict</c>) or safetensors form. Sharding follows huggingface_hub's rule: tensors are taken in order and
/// a new shard starts when the next would push the current one past the maximum; a tensor larger than the maximum
/// gets a shard of its own; tensors sharing a storage stay in one shard. Shards are named
/// <c>{stem}-00001-of-00003{ext}</c> beside an index <c>{name}.index.json</c>; a state dict that fits in one shard
/// is written as the plain file without an index (unless the path given is itself an index name).
/// Every file is written atomically and, unless disabled, verified by reading it back.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>.</summary>
    /// <param name="path">
    /// The output: <c>model.safetensors</c>, <c>pytorch_model.bin</c>, any .pt name, or an index name
    /// (<c>model.safetensors.index.json</c>) to force sharded output.
    /// </param>
    /// <param name="tensors">The state dict.</param>
    /// <param name="options">Format, shard size, metadata, verification; <see langword="null"/> for defaults.</param>
    /// <exception cref="PtWriteException">A tensor cannot be written in the format, or a written file did not read back identically.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public static CheckpointWriteResult Save(string path, IReadOnlyList<NamedTensor> tensors, CheckpointSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= new CheckpointSaveOptions();
        bool indexPath = path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
        string basePath = indexPath ? path[..^".index.json".Length] : path;
        var format = options.Format ?? CheckpointFormatNames.ForOutputPath(basePath);
        if (format is CheckpointFormat.ShardedPt) format = CheckpointFormat.Pt;
        if (format is CheckpointFormat.ShardedSafetensors) format = CheckpointFormat.Safetensors;
        if (options.MaxShardSize is <= 0) throw new ArgumentException("the maximum shard size must be positive", nameof(options));

        var shards = Shards(tensors, options.MaxShardSize, format);
        if (shards.Count == 1 && !indexPath)
        {
            // Unsharded, the state dict is written as given: a StateDict keeps its _metadata.
            IReadOnlyList<NamedTensor> whole = options.MaxShardSize is null ? tensors : shards[0];
            var single = WriteOne(basePath, whole, format, options, new ProgressOffset(options.Progress, 0));
            return new CheckpointWriteResult([System.IO.Path.GetFullPath(basePath)], null, single.Bytes, single.Aliases,
                new Dictionary<string, string>(), options.Verify);
        }

        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(basePath))!;
        string fileName = System.IO.Path.GetFileName(basePath);
        var files = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        long written = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            string shardName = ShardName(fileName, format, i, shards.Count);
            string shardPath = System.IO.Path.Combine(dir, shardName);
            var result = WriteOne(shardPath, shards[i], format, options, new ProgressOffset(options.Progress, written));
            written += result.Bytes;
            total += result.Bytes;
            files.Add(shardPath);
            foreach (var nt in shards[i])
                if (!result.Aliases.ContainsKey(nt.Name)) weightMap[nt.Name] = shardName;
            foreach (var (a, k) in result.Aliases) aliases[a] = k;
        }
        string indexFile = indexPath ? System.IO.Path.GetFullPath(path) : System.IO.Path.Combine(dir, fileName + ".index.json");
        var index = new ShardIndex(weightMap, total);
        WriteTextAtomically(indexFile, index.ToJson(), options.FlushToDisk);
        if (options.Verify)
        {
            using var back = Checkpoint.Open(indexFile);
            var names = new HashSet<string>(back.StateDict.Select(t => t.Name), StringComparer.Ordinal);
            var missing = tensors.FirstOrDefault(t => !names.Contains(t.Name));
            if (missing is not null || names.Count != tensors.Count)
                throw new PtWriteException($"verification failed: the sharded checkpoint reads back with {names.Count} tensors, {tensors.Count} were written" +
                    (missing is null ? "" : $" ('{missing.Name}' is missing)"));
        }
        return new CheckpointWriteResult(files, indexFile, total, aliases, weightMap, options.Verify);
    }

    /// <summary>
    /// What <see cref="Save"/> would write, without writing: each file's full path with its tensors (one file, or
    /// the shards in order followed by the index with no tensors).
    /// </summary>
    internal static List<(string Path, IReadOnlyList<NamedTensor> Tensors)> PlanFiles(string path, IReadOnlyList<NamedTensor> tensors, long? maxShardSize, CheckpointFormat? requested)
    {
        bool indexPath = path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase);
        string basePath = indexPath ? path[..^".index.json".Length] : path;
        var format = requested ?? CheckpointFormatNames.ForOutputPath(basePath);
        if (format is CheckpointFormat.ShardedPt) format = CheckpointFormat.Pt;
        if (format is CheckpointFormat.ShardedSafetensors) format = CheckpointFormat.Safetensors;
        var shards = Shards(tensors, maxShardSize, format);
        if (shards.Count == 1 && !indexPath) return [(System.IO.Path.GetFullPath(basePath), shards[0])];
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(basePath))!;
        string fileName = System.IO.Path.GetFileName(basePath);
        var files = new List<(string, IReadOnlyList<NamedTensor>)>();
        for (int i = 0; i < shards.Count; i++) files.Add((System.IO.Path.Combine(dir, ShardName(fileName, format, i, shards.Count)), shards[i]));
        files.Add((indexPath ? System.IO.Path.GetFullPath(path) : System.IO.Path.Combine(dir, fileName + ".index.json"), []));
        return files;
    }

    private static List<List<NamedTensor>> Shards(IReadOnlyList<NamedTensor> tensors, long? maxShardSize, CheckpointFormat format)
    {
        if (maxShardSize is <= 0) throw new ArgumentException("the maximum shard size must be positive", nameof(maxShardSize));
        var shards = maxShardSize is long max ? Plan(tensors, max, format) : [tensors.ToList()];
        if (shards.Count == 0) shards.Add([]);
        return shards;
    }

    /// <summary>Hugging Face's shard naming: <c>model-00001-of-00003.safetensors</c>.</summary>
    private static string ShardName(string fileName, CheckpointFormat format, int index, int count)
    {
        string ext = System.IO.Path.GetExtension(fileName);
        string stem = System.IO.Path.GetFileNameWithoutExtension(fileName);
        if (ext.Length == 0) ext = format == CheckpointFormat.Safetensors ? ".safetensors" : ".bin";
        return string.Create(CultureInfo.InvariantCulture, $"{stem}-{index + 1:D5}-of-{count:D5}{ext}");
    }

    /// <summary>
    /// Parses a size such as <c>2GB</c> (decimal units: KB, MB, GB, TB), <c>1GiB</c> (binary: KiB, MiB, GiB, TiB),
    /// <c>500M</c> or a plain number of bytes, as huggingface_hub reads <c>max_shard_size</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not a size.</exception>
    public static long ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            throw new FormatException($"'{text}' is not a size (examples: 2GB, 500MB, 1GiB, 1000000)");
        string unit = s[i..].Trim().ToUpperInvariant();
        double factor = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3,
            "M" or "MB" => 1e6,
            "G" or "GB" => 1e9,
            "T" or "TB" => 1e12,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            "GIB" => 1L << 30,
            "TIB" => 1L << 40,
            _ => throw new FormatException($"'{text}' has an unknown unit '{s[i..]}' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"),
        };
        double bytes = number * factor;
        if (bytes < 1 || bytes > long.MaxValue) throw new FormatException($"'{text}' is not a usable size");
        return (long)bytes;
    }

    private sealed record Written(long Bytes, IReadOnlyDictionary<string, string> Aliases);

    private static Written WriteOne(string path, IReadOnlyList<NamedTensor> tensors, CheckpointFormat format, CheckpointSaveOptions options, IProgress<long>? progress)
    {
        if (format == CheckpointFormat.Safetensors)
        {
            var r = SafetensorsWriter.Save(path, tensors, new SafetensorsSaveOptions
            {
                Metadata = options.Metadata,
                Verify = options.Verify,
                FlushToDisk = options.FlushToDisk,
                Progress = progress,
                Cancellation = options.Cancellation,
            });
            return new Written(r.DataLength, r.Aliases);
        }
        // The .pt writer's checksum thread reads every large storage ahead of the copy (faulting the mapped sources
        // in); the written file is read back and compared before it replaces the target.
        PtWriter.SaveStateDict(path, tensors, new PtSaveOptions { Progress = progress, Cancellation = options.Cancellation },
            !options.Verify ? null : temp =>
            {
                using var back = PtFile.Open(temp);
                TensorEquality.Verify(tensors, back.StateDict, System.IO.Path.GetFileName(path));
            });
        long bytes = tensors.Select(t => t.Tensor.Storage).Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Sum(s => ((PtStorage)s!).ByteLength);
        return new Written(bytes, new Dictionary<string, string>());
    }

    /// <summary>Splits the state dict into shards of at most <paramref name="max"/> bytes (huggingface_hub's algorithm).</summary>
    internal static List<List<NamedTensor>> Plan(IReadOnlyList<NamedTensor> tensors, long max, CheckpointFormat format)
    {
        var shards = new List<List<NamedTensor>>();
        var current = new List<NamedTensor>();
        long currentSize = 0;
        var shardOfStorage = new Dictionary<PtStorage, List<NamedTensor>>(ReferenceEqualityComparer.Instance);
        var late = new List<(NamedTensor Tensor, PtStorage Storage)>();
        foreach (var nt in tensors)
        {
            var storage = nt.Tensor.Storage;
            if (storage is not null && shardOfStorage.ContainsKey(storage))
            {
                late.Add((nt, storage)); // placed with the first tensor of its storage below
                continue;
            }
            // A .pt shard writes whole storages; a safetensors shard writes each tensor's own bytes.
            long size = format == CheckpointFormat.Pt && storage is not null ? storage.ByteLength : nt.Tensor.IsSparse ? 0 : nt.Tensor.ByteCount;
            List<NamedTensor> target;
            if (size > max)
            {
                target = [nt];
                shards.Add(target);
            }
            else
            {
                if (currentSize + size > max && current.Count > 0)
                {
                    shards.Add(current);
                    current = [];
                    currentSize = 0;
                }
                current.Add(nt);
                currentSize += size;
                target = current;
            }
            if (storage is not null) shardOfStorage[storage] = target;
        }
        if (current.Count > 0) shards.Add(current);
        foreach (var (nt, storage) in late) shardOfStorage[storage].Add(nt);
        // Keep each shard in the input order (late additions were appended).
        var order = new Dictionary<NamedTensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < tensors.Count; i++) order[tensors[i]] = i;
        foreach (var s in shards) s.Sort((a, b) => order[a].CompareTo(order[b]));
        return shards;
    }

    internal static void WriteTextAtomically(string path, string text, bool flush)
    {
        AtomicFile.Write(path, temp =>
        {
            using var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            s.Write(Encoding.UTF8.GetBytes(text));
            s.Flush(flush);
        });
    }

    /// <summary>Reports progress of one file as an offset into the whole write.</summary>
    private sealed class ProgressOffset(IProgress<long>? inner, long offset) : IProgress<long>
    {
        public void Report(long value) => inner?.Report(offset + value);
    }
}

/// <summary>Options for <see cref="CheckpointWriter.Save"/>.</summary>
public sealed class CheckpointSaveOptions
{
    /// <summary><see cref="CheckpointFormat.Pt"/> or <see cref="CheckpointFormat.Safetensors"/>; <see langword="null"/> picks by extension (<c>.safetensors</c> → safetensors, anything else → .pt).</summary>
    public CheckpointFormat? Format { get; set; }

    /// <summary>Largest shard in bytes (see <see cref="CheckpointWriter.ParseSize"/>); <see langword="null"/> writes one file.</summary>
    public long? MaxShardSize { get; set; }

    /// <summary><c>__metadata__</c> for safetensors output (each shard gets it).</summary>
    public IEnumerable<KeyValuePair<string, string>>? Metadata { get; set; }

    /// <summary>Read every written file back and compare it (default true).</summary>
    public bool Verify { get; set; } = true;

    /// <summary>Flush files to disk before they replace their targets (default true).</summary>
    public bool FlushToDisk { get; set; } = true;

    /// <summary>Receives the number of tensor bytes written so far.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>
    /// Stops the write between chunks with <see cref="OperationCanceledException"/>; the temporary file is deleted
    /// and the targets are left as it was.
    /// </summary>
    public CancellationToken Cancellation { get; set; }
}

/// <summary>What <see cref="CheckpointWriter.Save"/> wrote.</summary>
/// <param name="Files">The checkpoint files (one, or the shards in order).</param>
/// <param name="IndexPath">The index written for sharded output, else <see langword="null"/>.</param>
/// <param name="TotalSize">Bytes of tensor data written (the index's <c>total_size</c>).</param>
/// <param name="Aliases">Safetensors aliases recorded instead of written: removed name → kept name.</param>
/// <param name="WeightMap">For sharded output, tensor name → shard file name.</param>
/// <param name="Verified">True when every file was read back and matched.</param>
public sealed record CheckpointWriteResult(
    IReadOnlyList<string> Files,
    string? IndexPath,
    long TotalSize,
    IReadOnlyDictionary<string, string> Aliases,
    IReadOnlyDictionary<string, string> WeightMap,
    bool Verified);
