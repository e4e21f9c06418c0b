using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Safetensors;
using PtSharp.Tensors;

namespace PtSharp.Sharding;

/// <summary>
/// Reads a Hugging Face sharded checkpoint: the index and each shard it lists (each memory-mapped once), checking
/// that every tensor the index lists is in the shard it names and that no tensor is in two shards.
/// </summary>
internal sealed class ShardedCheckpoint
{
    private ShardedCheckpoint(ShardIndex index) { Index = index; }

    /// <summary>The index.</summary>
    public ShardIndex Index { get; }

    /// <summary>The index file followed by every shard.</summary>
    public List<string> Files { get; } = [];

    /// <summary>Every shard's state dict, in shard order (detached for .pt shards).</summary>
    public List<NamedTensor> Tensors { get; } = [];

    /// <summary>Aliases re-tied from the safetensors shards' metadata.</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    /// <summary>Remarks (tensors the index does not list).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>True when the shards are safetensors files (else .pt files).</summary>
    public bool IsSafetensors { get; private set; }

    /// <summary>Opens the index and its shards; every file opened is added to <paramref name="owned"/>.</summary>
    /// <exception cref="PtFormatException">A shard is missing or malformed, or disagrees with the index.</exception>
    public static ShardedCheckpoint Open(string indexPath, PtLoadOptions? ptOptions, SafetensorsReadOptions? stOptions, List<IDisposable> owned)
    {
        var result = new ShardedCheckpoint(ShardIndex.Read(indexPath));
        var index = result.Index;
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        string indexName = System.IO.Path.GetFileName(indexPath);
        result.Files.Add(indexPath);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        bool anySt = false, anyPt = false;
        foreach (var shard in index.Shards)
        {
            string shardPath = System.IO.Path.Combine(folder, shard);
            result.Files.Add(shardPath);
            if (!File.Exists(shardPath))
                ThrowHelper.Format(PtErrorKind.MissingRecord, $"the index lists shard '{shard}', which does not exist next to it", indexName, null);
            IReadOnlyList<NamedTensor> shardTensors;
            if (SafetensorsFile.IsSafetensors(shardPath))
            {
                anySt = true;
                var st = SafetensorsFile.Open(shardPath, stOptions);
                owned.Add(st);
                st.RequireTorchDTypes();
                shardTensors = st.StateDict;
                foreach (var (a, k) in st.Aliases) result.Aliases[a] = k;
            }
            else
            {
                anyPt = true;
                var pt = PtFile.Open(shardPath, ptOptions);
                owned.Add(pt);
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
                else if (!result.Aliases.ContainsKey(nt.Name)) outside++;
                result.Tensors.Add(nt);
            }
            if (outside > 0) result.Notes.Add($"{shard} holds {outside} tensor{(outside == 1 ? "" : "s")} the index does not list; they are included");
        }
        foreach (var (key, shard) in index.WeightMap)
            if (!seen.ContainsKey(key))
                ThrowHelper.Format(PtErrorKind.MissingRecord, $"the index lists '{key}' in '{shard}', but that shard has no such tensor", indexName, null);
        if (anySt && anyPt) ThrowHelper.Format(PtErrorKind.Unsupported, "the index mixes safetensors and .pt shards", indexName, null);
        result.IsSafetensors = anySt;
        return result;
    }
}
