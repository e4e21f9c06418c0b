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

        // A tensor pruned before is written where its X_orig was (X, or X_orig and its new X_mask).
        var byName = new Dictionary<string, (PruneTarget Target, PrunedWeight Decision)>(StringComparer.Ordinal);
        var masks = new Dictionary<string, PrunedWeight>(StringComparer.Ordinal);
        for (int i = 0; i < targets.Count; i++)
        {
            byName[targets[i].StoredName] = (targets[i], decisions[i]);
            if (targets[i].MaskName is { } m) masks[m] = decisions[i];
        }
        var dict = new PyDict("collections.OrderedDict");
        foreach (var nt in tensors)
        {
            if (masks.TryGetValue(nt.Name, out var masked))
            {
                if (options.KeepMask) dict.Set(nt.Name, masked.Mask());
                continue;
            }
            if (!byName.TryGetValue(nt.Name, out var entry))
            {
                dict.Set(nt.Name, nt.Tensor.Detach());
                continue;
            }
            var (target, decision) = entry;
            if (options.KeepMask)
            {
                dict.Set(target.Name + "_orig", nt.Tensor.Detach());
                if (target.Prior is null) dict.Set(target.Name + "_mask", decision.Mask());
            }
            else dict.Set(target.Name, decision.Weight());
        }
        if (source.PtFile?.Root is PyDict { Attributes: { } attributes }) dict.Attributes = attributes;
        foreach (var other in source.OtherValues)
            report.Notes.Add($"not written (not part of the state dict): {other.Path}");
        OutputCheck.Save(output, dict);
        report.BytesBefore = tensors.Sum(t => t.Tensor.IsSparse ? 0 : t.Tensor.ByteCount);
        long masksAdded = targets.Where(t => t.Prior is null).Sum(t => t.Tensor.ByteCount);
        long masksDropped = targets.Where(t => t.Prior is not null).Sum(t => t.Tensor.ByteCount);
        report.BytesAfter = report.BytesBefore + (options.KeepMask ? masksAdded : -masksDropped);
        for (int i = 0; i < targets.Count; i++)
            report.Tensors.Add(new PrunedTensor(targets[i].Name, targets[i].Tensor.ElementCount, decisions[i].Pruned,
                decisions[i].Zeros));
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

    /// <summary>
    /// The tensors to prune, by the name the user sees (<c>fc.weight</c>, also for a tensor stored as
    /// <c>fc.weight_orig</c> + <c>fc.weight_mask</c> by an earlier round, which is pruned again on top of its mask).
    /// </summary>
    private static List<PruneTarget> Targets(IReadOnlyList<NamedTensor> tensors, List<Regex> include,
        List<Regex> exclude, PruneOptions options, PruneReport report)
    {
        var byName = tensors.ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        var maskNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var nt in tensors)
            if (nt.Name.EndsWith("_orig", StringComparison.Ordinal) && byName.ContainsKey(nt.Name[..^5] + "_mask"))
                maskNames.Add(nt.Name[..^5] + "_mask");
        var includeHits = new int[include.Count];
        var excludeHits = new int[exclude.Count];
        var targets = new List<PruneTarget>();
        int again = 0;
        foreach (var nt in tensors)
        {
            if (maskNames.Contains(nt.Name)) continue;
            bool pruned = nt.Name.EndsWith("_orig", StringComparison.Ordinal) && maskNames.Contains(nt.Name[..^5] + "_mask");
            string name = pruned ? nt.Name[..^5] : nt.Name;
            var t = nt.Tensor;
            bool selected = include.Count == 0
                && (name == "weight" || name.EndsWith(".weight", StringComparison.Ordinal)) && t.Rank >= 2;
            for (int i = 0; i < include.Count; i++)
                if (include[i].IsMatch(name)) { includeHits[i]++; selected = true; }
            for (int i = 0; i < exclude.Count; i++)
                if (exclude[i].IsMatch(name)) { excludeHits[i]++; selected = false; }
            if (!selected) continue;
            if (!FloatReader.CanRead(t.DType) || t.IsSparse || t.Storage is not { HasData: true })
            {
                string sparse = t.IsSparse ? ", sparse" : "";
                report.Notes.Add($"{nt.Name} ({t.DType.Name()}{sparse}) is not a dense floating tensor; not pruned");
                continue;
            }
            if (options.StructuredNorm is not null && t.Rank < 2)
            {
                report.Notes.Add($"{name} has {t.Rank} dimension(s); structured pruning needs 2 or more; not pruned");
                continue;
            }
            PriorMask? prior = null;
            if (pruned)
            {
                prior = PriorMask.Read(byName[name + "_mask"], t, out var problem);
                if (prior is null)
                {
                    report.Notes.Add($"{name} is already pruned but {problem}; left as it is");
                    continue;
                }
                again++;
            }
            targets.Add(new PruneTarget(name, nt.Name, pruned ? name + "_mask" : null, t, prior));
        }
        for (int i = 0; i < include.Count; i++)
            if (includeHits[i] == 0) report.Notes.Add($"--include '{include[i]}' matched nothing");
        for (int i = 0; i < exclude.Count; i++)
            if (excludeHits[i] == 0) report.Notes.Add($"--exclude '{exclude[i]}' matched nothing");
        if (targets.Count == 0) report.Notes.Add("nothing was pruned: no tensor was selected");
        if (again > 0)
            report.Notes.Add($"{again} tensor(s) were already pruned (X_orig + X_mask): pruned again as torch prunes " +
                "a pruned module (the amount applies to the entries the old mask keeps; the new mask adds to it)");
        return targets;
    }

    private static List<PrunedWeight> Decide(List<PruneTarget> targets, PruneOptions options)
    {
        var decisions = new List<PrunedWeight>(targets.Count);
        if (options.StructuredNorm is { } norm)
        {
            foreach (var t in targets)
            {
                var kept = t.Prior?.KeptRows;
                long channels = kept?.Count(k => k) ?? t.Tensor.Shape[0];
                long n = ToPrune(options, channels, t.Name);
                var norms = n == 0 ? new double[t.Tensor.Shape[0]] : ChannelNorms.Compute(t.Tensor, norm);
                decisions.Add(PrunedWeight.ByChannel(t.Tensor, ChannelNorms.Smallest(norms, n, kept), t.Prior));
            }
            return decisions;
        }
        if (options.Scope == PruneScope.Global)
        {
            long total = targets.Sum(t => t.Remaining);
            long n = ToPrune(options, total, "all selected tensors");
            var threshold = MagnitudeThreshold.Find(targets.Select(t => t.Tensor).ToList(), n,
                targets.Select(t => t.Prior).ToList());
            for (int i = 0; i < targets.Count; i++)
                decisions.Add(PrunedWeight.ByMagnitude(targets[i].Tensor, threshold.Key, threshold.TiesToPrune[i],
                    targets[i].Prior));
            return decisions;
        }
        foreach (var t in targets)
        {
            long n = ToPrune(options, t.Remaining, t.Name);
            var threshold = MagnitudeThreshold.Find([t.Tensor], n, [t.Prior]);
            decisions.Add(PrunedWeight.ByMagnitude(t.Tensor, threshold.Key, threshold.TiesToPrune[0], t.Prior));
        }
        return decisions;
    }

    /// <summary>A tensor to prune: its name, the name it is stored under, its earlier mask if any.</summary>
    private sealed record PruneTarget(string Name, string StoredName, string? MaskName, PtTensor Tensor,
        PriorMask? Prior)
    {
        /// <summary>Entries a new round ranks: those the earlier mask keeps, else all.</summary>
        public long Remaining => Prior?.Remaining ?? Tensor.ElementCount;
    }
}
