using TorchSharp;
using static TorchSharp.torch;

namespace PtSharp.TorchSharp;

/// <summary>
/// Matches file tensors to a module's entries and copies them in, as <c>nn.Module.load_state_dict</c>.
/// </summary>
internal static unsafe class StateDictLoader
{
    public static LoadPtResult Load(nn.Module module, IReadOnlyList<NamedTensor> tensors, bool strict,
        IReadOnlyDictionary<string, long> versions, bool hasMetadata)
    {
        var target = ModuleEntries.Of(module);
        var source = new Dictionary<string, PtTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) source[t.Name] = t.Tensor;
        var missing = new List<string>();
        var mismatched = new List<string>();
        var zeroCounters = new List<Tensor>();
        foreach (var (key, dst) in target)
        {
            if (!source.TryGetValue(key, out var src))
            {
                if (OlderBatchNorm(key, versions, hasMetadata)) zeroCounters.Add(dst);
                else missing.Add(key);
                continue;
            }
            if (Mismatch(key, src, dst) is { } why) mismatched.Add(why);
        }
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (mismatched.Count > 0 || strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new StateDictMismatchException(missing, unexpected, mismatched);

        int loaded = 0;
        using (torch.no_grad())
        using (var importer = new TensorImporter())
        {
            foreach (var (key, dst) in target)
            {
                if (!source.TryGetValue(key, out var src)) continue;
                CopyInto(dst, src, key, importer);
                loaded++;
            }
            foreach (var counter in zeroCounters) counter.zero_();
        }
        return new LoadPtResult(loaded, missing, unexpected);
    }

    /// <summary>
    /// BatchNorm state dicts of version 1 (or without <c>_metadata</c>) have no <c>num_batches_tracked</c>;
    /// torch's <c>_load_from_state_dict</c> then sets it to 0 instead of reporting it missing.
    /// </summary>
    private static bool OlderBatchNorm(string key, IReadOnlyDictionary<string, long> versions, bool hasMetadata)
    {
        const string counter = "num_batches_tracked";
        if (!key.EndsWith(counter, StringComparison.Ordinal)) return false;
        string prefix = key[..^counter.Length].TrimEnd('.');
        return !hasMetadata || !versions.TryGetValue(prefix, out long v) || v < 2;
    }

    private static string? Mismatch(string key, PtTensor src, Tensor dst)
    {
        TensorImporter.Check(src, key);
        bool sameType = DTypeMap.TryToScalarType(src.DType, out var type) && type == dst.dtype;
        if (sameType && SameShape(src, dst)) return null;
        return $"{key}: file [{string.Join(", ", src.Shape)}] {src.DType.Name()}, " +
               $"module [{string.Join(", ", dst.shape)}] " + DTypeMap.ToDType(dst.dtype).Name();
    }

    private static bool SameShape(PtTensor src, Tensor dst)
    {
        // size(i), not shape: Tensor.shape allocates an array per call.
        if (dst.Dimensions != src.Rank) return false;
        var shape = src.Shape;
        for (int i = 0; i < shape.Count; i++)
            if (dst.size(i) != shape[i]) return false;
        return true;
    }

    private static void CopyInto(Tensor dst, PtTensor src, string key, TensorImporter importer)
    {
        if (src.IsContiguous && dst.is_contiguous() && !src.IsConj && !src.IsNeg && dst.device_type == DeviceType.CPU)
        {
            // The one copy: mapped file bytes straight into the module's parameter memory.
            NativeCopy.Into(dst, src.Storage!.Pointer + src.StorageOffset * src.DType.ElementSize(), src.ByteCount);
            return;
        }
        var staged = importer.Import(src, key);
        dst.copy_(staged);
    }
}
