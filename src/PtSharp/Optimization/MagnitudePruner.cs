using System.Text.RegularExpressions;
using PtSharp.Conversion;
using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Pickle;
using PtSharp.Tensors;
using PtSharp.Transforms;
using PtSharp.Writing;

namespace PtSharp.Optimization;

/// <summary>
/// Magnitude pruning of a checkpoint as a file transform, with the masks <c>torch.nn.utils.prune</c> computes:
/// <c>l1_unstructured</c> per tensor, <c>global_unstructured(..., L1Unstructured)</c> over all selected tensors,
/// or <c>ln_structured(..., n, dim=0)</c> per tensor. The output holds either the pruned tensors themselves
/// (what <c>prune.remove</c> leaves, loadable into the plain model) or <c>X_orig</c> + <c>X_mask</c>.
/// </summary>
/// <remarks>
/// The amount follows torch's <c>_compute_nparams_toprune</c>: a count as is, a fraction rounded
/// (<c>round(amount × n)</c>, half to even). The input is memory-mapped and every pruned tensor and mask is
/// computed while it is written. Ties at the threshold are pruned lowest index first (torch's topk leaves
/// their choice to the implementation).
/// </remarks>
public static class MagnitudePruner
{
    /// <summary>Prunes <paramref name="input"/> into <paramref name="output"/> (a .pt file).</summary>
    /// <exception cref="PtFormatException">The input cannot be read.</exception>
    /// <exception cref="ArgumentException">An option is invalid (amount out of range, a bad pattern, global structured pruning, a tensor with fewer elements than the count...).</exception>
    /// <exception cref="PtWriteException">The output cannot be written.</exception>
    /// <exception cref="IOException">Reading or writing failed.</exception>
    public static PruneReport Prune(string input, string output, PruneOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        Validate(output, options);
        var include = options.Include.Select(p => KeyTransform.Compile(p, "--include")).ToList();
        var exclude = options.Exclude.Select(p => KeyTransform.Compile(p, "--exclude")).ToList();
        using var source = StateDictSource.Open(input, new StateDictSourceOptions { PtOptions = options.PtOptions });
        var report = new PruneReport();
        var tensors = source.Tensors;
        var targets = Targets(tensors, include, exclude, options, report);
        var decisions = Decide(targets, options);

        var byName = targets.Select((t, i) => (t.Name, i)).ToDictionary(x => x.Name, x => decisions[x.i], StringComparer.Ordinal);
        var dict = new PyDict("collections.OrderedDict");
        foreach (var nt in tensors)
        {
            if (!byName.TryGetValue(nt.Name, out var decision))
            {
                dict.Set(nt.Name, nt.Tensor.Detach());
                continue;
            }
            if (options.KeepMask)
            {
                dict.Set(nt.Name + "_orig", nt.Tensor.Detach());
                dict.Set(nt.Name + "_mask", decision.Mask());
            }
            else dict.Set(nt.Name, decision.Weight());
        }
        if (source.PtFile?.Root is PyDict { Attributes: { } attributes }) dict.Attributes = attributes;
        foreach (var other in source.OtherValues) report.Notes.Add($"not written (not part of the state dict): {other.Path}");
        OutputCheck.Save(output, dict);
        report.BytesBefore = tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        report.BytesAfter = report.BytesBefore + (options.KeepMask ? targets.Sum(t => t.Tensor.ByteCount) : 0);
        for (int i = 0; i < targets.Count; i++)
            report.Tensors.Add(new PrunedTensor(targets[i].Name, targets[i].Tensor.ElementCount, decisions[i].Pruned, decisions[i].Zeros));
        return report;
    }

    private static void Validate(string output, PruneOptions options)
    {
        if (output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("pruning writes a .pt file (convert it with pt convert afterwards)");
        if (options.Count is < 0) throw new ArgumentException($"the number to prune must not be negative (got {options.Count})");
        if (options.Count is null && !(options.Amount >= 0 && options.Amount <= 1))
            throw new ArgumentException($"amount={options.Amount} should either be a float in the range [0, 1] or a non-negative integer");
        if (options.StructuredNorm is { } n && double.IsNaN(n)) throw new ArgumentException("the structured norm order must be a number (1, 2, inf...)");
        if (options.StructuredNorm is not null && options.Scope == PruneScope.Global)
            throw new ArgumentException("structured pruning is per tensor (torch has no global ln_structured); drop --scope global");
    }

    /// <summary>torch's <c>_compute_nparams_toprune</c> and <c>_validate_pruning_amount</c>.</summary>
    private static long ToPrune(PruneOptions options, long size, string what)
    {
        long n = options.Count ?? (long)Math.Round(options.Amount * size, MidpointRounding.ToEven);
        if (n > size) throw new ArgumentException($"amount={n} should be smaller than the number of parameters to prune={size} ({what})");
        return n;
    }

    private static List<NamedTensor> Targets(IReadOnlyList<NamedTensor> tensors, List<Regex> include, List<Regex> exclude, PruneOptions options, PruneReport report)
    {
        var names = new HashSet<string>(tensors.Select(t => t.Name), StringComparer.Ordinal);
        int alreadyPruned = tensors.Count(t => t.Name.EndsWith("_orig", StringComparison.Ordinal) && names.Contains(t.Name[..^5] + "_mask"));
        if (alreadyPruned > 0)
            report.Notes.Add($"{alreadyPruned} tensor(s) are already pruned (X_orig + X_mask) and were left as they are; fold them first with pt prune --fold");
        var includeHits = new int[include.Count];
        var excludeHits = new int[exclude.Count];
        var targets = new List<NamedTensor>();
        foreach (var nt in tensors)
        {
            var t = nt.Tensor;
            bool selected = include.Count == 0
                ? (nt.Name == "weight" || nt.Name.EndsWith(".weight", StringComparison.Ordinal)) && t.Rank >= 2
                : false;
            for (int i = 0; i < include.Count; i++) if (include[i].IsMatch(nt.Name)) { includeHits[i]++; selected = true; }
            for (int i = 0; i < exclude.Count; i++) if (exclude[i].IsMatch(nt.Name)) { excludeHits[i]++; selected = false; }
            if (!selected) continue;
            if (!FloatReader.CanRead(t.DType) || t.IsSparse || t.Storage is not { HasData: true })
            {
                report.Notes.Add($"{nt.Name} ({t.DType.Name()}{(t.IsSparse ? ", sparse" : "")}) is not a dense floating tensor; not pruned");
                continue;
            }
            if (options.StructuredNorm is not null && t.Rank < 2)
            {
                report.Notes.Add($"{nt.Name} has {t.Rank} dimension(s); structured pruning needs 2 or more; not pruned");
                continue;
            }
            targets.Add(nt);
        }
        for (int i = 0; i < include.Count; i++) if (includeHits[i] == 0) report.Notes.Add($"--include '{include[i]}' matched nothing");
        for (int i = 0; i < exclude.Count; i++) if (excludeHits[i] == 0) report.Notes.Add($"--exclude '{exclude[i]}' matched nothing");
        if (targets.Count == 0) report.Notes.Add("nothing was pruned: no tensor was selected");
        return targets;
    }

    private static List<PrunedWeight> Decide(List<NamedTensor> targets, PruneOptions options)
    {
        var decisions = new List<PrunedWeight>(targets.Count);
        if (options.StructuredNorm is { } norm)
        {
            foreach (var nt in targets)
            {
                long n = ToPrune(options, nt.Tensor.Shape[0], nt.Name);
                var rows = ChannelNorms.Smallest(n == 0 ? new double[nt.Tensor.Shape[0]] : ChannelNorms.Compute(nt.Tensor, norm), n);
                decisions.Add(PrunedWeight.ByChannel(nt.Tensor, rows));
            }
            return decisions;
        }
        if (options.Scope == PruneScope.Global)
        {
            long total = targets.Sum(t => t.Tensor.ElementCount);
            long n = ToPrune(options, total, "all selected tensors");
            var threshold = MagnitudeThreshold.Find(targets.Select(t => t.Tensor).ToList(), n);
            for (int i = 0; i < targets.Count; i++)
                decisions.Add(PrunedWeight.ByMagnitude(targets[i].Tensor, threshold.Key, threshold.TiesToPrune[i]));
            return decisions;
        }
        foreach (var nt in targets)
        {
            long n = ToPrune(options, nt.Tensor.ElementCount, nt.Name);
            var threshold = MagnitudeThreshold.Find([nt.Tensor], n);
            decisions.Add(PrunedWeight.ByMagnitude(nt.Tensor, threshold.Key, threshold.TiesToPrune[0]));
        }
        return decisions;
    }
}
