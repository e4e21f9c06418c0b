using PtSharp.Errors;

namespace PtSharp.Tensors;

/// <summary>Whether two tensors hold the same thing: dtype, shape, layout, quantization and logical bytes.</summary>
internal static class TensorEquality
{
    /// <summary>Null when equal, else a short reason.</summary>
    public static string? Difference(PtTensor expected, PtTensor actual, int depth = 0)
    {
        if (expected.DType != actual.DType) return $"dtype {actual.DType.Name()} instead of {expected.DType.Name()}";
        if (!expected.ShapeArray.AsSpan().SequenceEqual(actual.ShapeArray)) return $"shape [{string.Join(", ", actual.ShapeArray)}] instead of [{string.Join(", ", expected.ShapeArray)}]";
        if (expected.Layout != actual.Layout) return $"layout {actual.Layout} instead of {expected.Layout}";
        if (expected.IsSparse)
        {
            if (depth > 4 || expected.SparseComponents.Count != actual.SparseComponents.Count) return "different sparse components";
            for (int i = 0; i < expected.SparseComponents.Count; i++)
                if (Difference(expected.SparseComponents[i], actual.SparseComponents[i], depth + 1) is { } d) return $"sparse component {i}: {d}";
            return null;
        }
        if (QuantizationDifference(expected.Quantization, actual.Quantization) is { } q) return q;
        bool hasA = expected.ElementCount == 0 || expected.Storage is { HasData: true };
        bool hasB = actual.ElementCount == 0 || actual.Storage is { HasData: true };
        if (hasA != hasB) return hasA ? "no data" : "data where none was expected";
        if (!hasA || expected.ElementCount == 0) return null;
        if (expected.DType is DType.QUInt4x2 or DType.QUInt2x4)
        {
            // Packed types: the writer copies whole storages, so compare the view and the storage bytes.
            if (expected.StorageOffset != actual.StorageOffset || !expected.StrideArray.AsSpan().SequenceEqual(actual.StrideArray)) return "different view of its storage";
            return expected.Storage!.ByteLength == actual.Storage!.ByteLength && SameStorage(expected.Storage, actual.Storage) ? null : "storage bytes differ";
        }
        // Logical bytes resolve lazy neg/conj bits, so a materialized copy equals its lazy original.
        return LogicalBytes.SameBytesParallel(expected, actual) ? null : "bytes differ";
    }

    private static unsafe bool SameStorage(PtStorage a, PtStorage b)
    {
        long n = a.ByteLength;
        byte* pa = a.Pointer, pb = b.Pointer;
        for (long at = 0; at < n; at += 1 << 30)
        {
            int len = (int)Math.Min(1 << 30, n - at);
            if (!new ReadOnlySpan<byte>(pa + at, len).SequenceEqual(new ReadOnlySpan<byte>(pb + at, len))) return false;
        }
        return true;
    }

    private static string? QuantizationDifference(QuantizationParameters? a, QuantizationParameters? b)
    {
        if (a is null && b is null) return null;
        if (a is null || b is null) return "quantization differs";
        if (a.Scheme != b.Scheme || a.IsPerChannel != b.IsPerChannel) return "quantization scheme differs";
        if (!a.IsPerChannel) return a.Scale.Equals(b.Scale) && a.ZeroPoint == b.ZeroPoint ? null : "scale or zero point differs";
        if (a.Axis != b.Axis) return "quantization axis differs";
        if (a.Scales is PtTensor sa && b.Scales is PtTensor sb && Difference(sa, sb, 5) is not null) return "per-channel scales differ";
        if (a.ZeroPoints is PtTensor za && b.ZeroPoints is PtTensor zb && Difference(za, zb, 5) is not null) return "per-channel zero points differ";
        return null;
    }

    /// <summary>
    /// Compares a written state dict with what was meant to be written, by name. Throws <see cref="PtWriteException"/>
    /// naming the first difference.
    /// </summary>
    public static void Verify(IReadOnlyList<NamedTensor> expected, IReadOnlyList<NamedTensor> actual, string what)
    {
        var byName = new Dictionary<string, PtTensor>(actual.Count, StringComparer.Ordinal);
        foreach (var nt in actual) byName.TryAdd(nt.Name, nt.Tensor);
        if (byName.Count != expected.Count)
        {
            var missing = expected.Select(e => e.Name).Where(n => !byName.ContainsKey(n)).Take(3).ToList();
            var extra = byName.Keys.Except(expected.Select(e => e.Name), StringComparer.Ordinal).Take(3).ToList();
            throw new PtWriteException($"verification failed: {what} reads back with {byName.Count} tensors, {expected.Count} were written" +
                (missing.Count > 0 ? $"; missing {string.Join(", ", missing.Select(m => $"'{m}'"))}" : "") +
                (extra.Count > 0 ? $"; unexpected {string.Join(", ", extra.Select(m => $"'{m}'"))}" : ""));
        }
        foreach (var nt in expected)
        {
            if (!byName.TryGetValue(nt.Name, out var back))
                throw new PtWriteException($"verification failed: '{nt.Name}' is missing from {what} after reading back", nt.Name);
            if (Difference(nt.Tensor, back) is { } d)
                throw new PtWriteException($"verification failed: '{nt.Name}' in {what} reads back with {d}", nt.Name);
        }
    }
}
