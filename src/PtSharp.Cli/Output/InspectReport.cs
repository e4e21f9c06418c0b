using PtSharp.Loading;
using PtSharp.Scanning;
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
/// <param name="Sparsity">Fraction of zero elements aligned with <see cref="Tensors"/> (with <c>--stats</c>), or null.</param>
/// <param name="View">With <c>--fold-pruning</c>, the tensors with X_orig/X_mask pairs folded into X; else null.</param>
internal sealed record InspectReport(
    string Path, Checkpoint Checkpoint, IReadOnlyList<TensorStatistics?>? Stats, IReadOnlyList<CodeRecord>? Code,
    ParameterCount Counts, IReadOnlyList<double?>? Sparsity = null, IReadOnlyList<NamedTensor>? View = null)
{
    /// <summary>What <c>pt scan</c> says about the file, or null for folders and sharded checkpoints.</summary>
    public ScanReport? Scan { get; init; }

    /// <summary>The scan verdict in one phrase: "dangerous (os.system in archive/data.pkl)", "warnings (3)", "clean".</summary>
    public string? ScanVerdict => Scan is not { } r ? null
        : r.IsDangerous ? "dangerous (" + DangerousSummary(r) + ")"
        : r.Findings.Count(f => f.Severity == ScanSeverity.Warning) is > 0 and var n ? $"warnings ({n}; pt scan lists them)"
        : "clean";

    private static string DangerousSummary(ScanReport r)
    {
        var f = r.Findings.First(x => x.Severity == ScanSeverity.Dangerous);
        return $"{f.Global ?? ScanNames.Kind(f.Kind)} in {f.Record ?? "the file"}; do not load it in Python";
    }

    /// <summary>The tensors listed, in file order (pruning folded with <c>--fold-pruning</c>).</summary>
    public IReadOnlyList<NamedTensor> Tensors => View ?? Checkpoint.Tensors;

    /// <summary>The .pt file, when the checkpoint is one.</summary>
    public PtFile? File => Checkpoint.PtFile;

    /// <summary>Gathers the report; reads all tensor data when <paramref name="stats"/> or <paramref name="foldPruning"/> is set.</summary>
    public static InspectReport Build(string path, Checkpoint file, bool stats, bool code, bool foldPruning = false)
    {
        var counts = file.ParameterCount; // walk the object tree now, so rendering cannot fail part-way
        var view = foldPruning ? PtSharp.Optimization.PruningFold.Fold(file.Tensors, out _) : null;
        var tensors = view ?? file.Tensors;
        IReadOnlyList<TensorStatistics?>? s = null;
        IReadOnlyList<double?>? sparsity = null;
        if (stats)
        {
            // Tied weights appear under several names; summarise each tensor object once.
            var cache = new Dictionary<PtTensor, (TensorStatistics?, double?)>(ReferenceEqualityComparer.Instance);
            var list = new List<TensorStatistics?>(tensors.Count);
            var zeros = new List<double?>(tensors.Count);
            foreach (var t in tensors)
            {
                if (!cache.TryGetValue(t.Tensor, out var st))
                    cache[t.Tensor] = st = (TensorStatistics.TryCompute(t.Tensor), PtSharp.Optimization.TensorSparsity.Of(t.Tensor));
                list.Add(st.Item1);
                zeros.Add(st.Item2);
            }
            s = list;
            sparsity = zeros;
        }
        var codes = !code ? null : file.PtFile is { } pt ? CodeRecords(pt) : [];
        // The scanner's verdict on the same bytes: inspect never runs a pickle, but it says what Python would run.
        // Scan what was opened (a pipe or FIFO was copied to a temporary file: its display name cannot be read twice).
        var scan = System.IO.File.Exists(file.Path) ? PtScanner.ScanFile(file.Path) : null;
        return new InspectReport(path, file, s, codes, counts, sparsity, view) { Scan = scan };
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
