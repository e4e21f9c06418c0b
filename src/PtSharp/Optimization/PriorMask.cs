using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// The mask a tensor was already pruned with (torch's <c>X_mask</c> next to <c>X_orig</c>), bit-packed: which
/// elements it removes, how many it leaves, and which output channels still hold an entry. A second pruning round
/// works as torch's <c>PruningContainer.compute_mask</c>: unstructured pruning ranks only the entries where the mask
/// is 1 (the amount is a share of those), structured pruning only the channels not already all zero, and the new
/// mask is the old one with the new zeros added.
/// </summary>
internal sealed class PriorMask
{
    private readonly ulong[] _removed;

    private PriorMask(ulong[] removed, long remaining, bool[] keptRows)
    {
        _removed = removed;
        Remaining = remaining;
        KeptRows = keptRows;
    }

    /// <summary>Entries the mask keeps (equal to 1).</summary>
    public long Remaining { get; }

    /// <summary>Per output channel (dimension 0): whether the mask keeps any of its entries.</summary>
    public bool[] KeptRows { get; }

    /// <summary>Whether the mask removes element <paramref name="index"/> (flat, row-major).</summary>
    public bool IsRemoved(long index) => (_removed[index >> 6] & (1UL << (int)(index & 63))) != 0;

    /// <summary>
    /// Reads <paramref name="mask"/> for <paramref name="weight"/>; <see langword="null"/> with a reason when it is
    /// not a mask PtSharp can combine with (another shape, not floating, a value other than 0 or 1).
    /// </summary>
    public static PriorMask? Read(PtTensor mask, PtTensor weight, out string? problem)
    {
        problem = null;
        if (!mask.Shape.SequenceEqual(weight.Shape))
        {
            problem = $"its mask is [{string.Join(", ", mask.Shape)}], the tensor [{string.Join(", ", weight.Shape)}]";
            return null;
        }
        if (!FloatReader.CanRead(mask.DType) || mask.IsSparse || mask.Storage is not { HasData: true })
        {
            problem = $"its mask is {mask.DType.Name()}, not a dense floating mask";
            return null;
        }
        long n = mask.ElementCount;
        var removed = new ulong[(n + 63) / 64];
        int rows = weight.Rank == 0 ? 1 : checked((int)weight.Shape[0]);
        long inner = rows == 0 ? 1 : Math.Max(1, n / rows);
        var kept = new bool[rows];
        long remaining = 0, at = 0;
        using var reader = new FloatReader(mask);
        while (reader.Remaining > 0)
        {
            var v = reader.Next();
            for (int i = 0; i < v.Length; i++, at++)
            {
                if (v[i] == 1f)
                {
                    remaining++;
                    kept[at / inner] = true;
                }
                else if (v[i] == 0f) removed[at >> 6] |= 1UL << (int)(at & 63);
                else
                {
                    problem = $"its mask holds {v[i]} at element {at} (a pruning mask is 0 or 1)";
                    return null;
                }
            }
        }
        return new PriorMask(removed, remaining, kept);
    }
}
