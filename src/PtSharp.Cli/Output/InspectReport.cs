using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Cli.Output;

/// <summary>A TorchScript <c>code/</c> record: name without the archive prefix, uncompressed size in bytes.</summary>
internal sealed record CodeRecord(string Name, long Size);

/// <summary>Everything <c>pt inspect</c> prints, gathered once and rendered as JSON or tables.</summary>
/// <param name="Path">The path as the user gave it.</param>
/// <param name="Checkpoint">The open checkpoint.</param>
/// <param name="Stats">Statistics aligned with <see cref="Checkpoint.Tensors"/> (null entries for tensors without values), or null without <c>--stats</c>.</param>
/// <param name="Code">The <c>code/</c> records, or null without <c>--code</c>.</param>
/// <param name="Counts">Parameters, buffers and other tensors.</param>
internal sealed record InspectReport(
    string Path, Checkpoint Checkpoint, IReadOnlyList<TensorStatistics?>? Stats, IReadOnlyList<CodeRecord>? Code,
    ParameterCount Counts)
{
    /// <summary>The tensors listed, in file order.</summary>
    public IReadOnlyList<NamedTensor> Tensors => Checkpoint.Tensors;

    /// <summary>The .pt file, when the checkpoint is one.</summary>
    public PtFile? File => Checkpoint.PtFile;

    /// <summary>Gathers the report; reads all tensor data when <paramref name="stats"/> is set.</summary>
    public static InspectReport Build(string path, Checkpoint file, bool stats, bool code)
    {
        var counts = file.ParameterCount; // walk the object tree now, so rendering cannot fail part-way
        IReadOnlyList<TensorStatistics?>? s = null;
        if (stats)
        {
            // Tied weights appear under several names; summarise each tensor object once.
            var cache = new Dictionary<PtTensor, TensorStatistics?>(ReferenceEqualityComparer.Instance);
            var list = new List<TensorStatistics?>(file.Tensors.Count);
            foreach (var t in file.Tensors)
            {
                if (!cache.TryGetValue(t.Tensor, out var st)) cache[t.Tensor] = st = TensorStatistics.TryCompute(t.Tensor);
                list.Add(st);
            }
            s = list;
        }
        var codes = !code ? null : file.PtFile is { } pt ? CodeRecords(pt) : [];
        return new InspectReport(path, file, s, codes, counts);
    }

    private static List<CodeRecord> CodeRecords(PtFile file)
    {
        var names = file.RecordNames;
        var entries = file.Entries;
        var result = new List<CodeRecord>();
        for (int i = 0; i < names.Count && i < entries.Count; i++)
            if (names[i].StartsWith("code/", StringComparison.Ordinal)) result.Add(new CodeRecord(names[i], entries[i].UncompressedSize));
        return result;
    }

    /// <summary>Number of elements the statistics of a tensor were computed over (the values of a sparse tensor).</summary>
    public static long StatsElementCount(PtTensor t) =>
        t.IsSparse && t.SparseComponents.Count > 0 ? t.SparseComponents[^1].ElementCount : t.ElementCount;
}
