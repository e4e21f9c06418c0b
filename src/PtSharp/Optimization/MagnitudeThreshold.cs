using System.Buffers;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// Which elements L1 magnitude pruning removes, found without sorting or copying: the <c>k</c> smallest |x| of one
/// tensor or of several tensors taken as one vector (torch's <c>topk(abs(t).view(-1), k, largest=False)</c>, and
/// for global pruning the same over <c>parameters_to_vector</c>). A radix select over the magnitudes' float32 bit
/// patterns (non-negative floats order as their bits do, NaN above infinity as topk orders it) takes two passes
/// with a 65,536-entry histogram, a third only when values equal to the threshold must be split.
/// </summary>
/// <remarks>
/// Ties at the threshold: torch's topk picks an implementation-defined subset of equal values; this picks the
/// ones with the lowest flat index (in the tensors' order). Masks therefore equal torch's whenever the k-th and
/// (k+1)-th smallest magnitudes differ. Float64 and half-precision weights are ranked by their float32 values.
/// </remarks>
internal sealed class MagnitudeThreshold
{
    private MagnitudeThreshold(uint key, long[] tiesToPrune)
    {
        Key = key;
        TiesToPrune = tiesToPrune;
    }

    /// <summary>Magnitudes with bits below this key are pruned; <see cref="TiesToPrune"/> says how many equal to it.</summary>
    public uint Key { get; }

    /// <summary>Per tensor, how many elements whose magnitude bits equal <see cref="Key"/> are pruned (the first ones).</summary>
    public long[] TiesToPrune { get; }

    /// <summary>Nothing pruned.</summary>
    public bool IsEmpty => Key == 0 && TiesToPrune.All(t => t == 0);

    /// <summary>The magnitude bits of a value: its float32 bits without the sign.</summary>
    public static uint KeyOf(float value) => BitConverter.SingleToUInt32Bits(value) & 0x7FFFFFFF;

    /// <summary>
    /// The threshold that prunes the <paramref name="count"/> smallest magnitudes of <paramref name="tensors"/>
    /// taken together, among the entries their <paramref name="priors"/> (masks of an earlier round) still keep.
    /// </summary>
    public static MagnitudeThreshold Find(IReadOnlyList<PtTensor> tensors, long count,
        IReadOnlyList<PriorMask?>? priors = null)
    {
        if (count <= 0) return new MagnitudeThreshold(0, new long[tensors.Count]);
        // Pass 1: the high 16 bits.
        var histogram = ArrayPool<long>.Shared.Rent(1 << 16);
        try
        {
            return Find(tensors, count, histogram, priors);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(histogram);
        }
    }

    private static MagnitudeThreshold Find(IReadOnlyList<PtTensor> tensors, long count, long[] histogram,
        IReadOnlyList<PriorMask?>? priors)
    {
        void Scan(IReadOnlyList<PtTensor> t, KeyChunk body) => MagnitudeThreshold.Scan(t, body, priors);
        Array.Clear(histogram);
        Scan(tensors, (keys, _) => { foreach (uint k in keys) histogram[k >> 16]++; });
        long below = 0;
        int high = Bucket(histogram, count, ref below);
        // Pass 2: the low 16 bits among keys with those high bits.
        Array.Clear(histogram);
        Scan(tensors, (keys, _) => { foreach (uint k in keys) if ((k >> 16) == high) histogram[k & 0xFFFF]++; });
        int low = Bucket(histogram, count, ref below);
        uint key = ((uint)high << 16) | (uint)low;
        long equal = histogram[low];
        long ties = count - below;
        var perTensor = new long[tensors.Count];
        if (tensors.Count == 1) perTensor[0] = ties;
        else if (ties == equal)
        {
            // Every value equal to the key goes: count them per tensor.
            Scan(tensors, (keys, index) => { foreach (uint k in keys) if (k == key) perTensor[index]++; });
        }
        else
        {
            // Only the first `ties` equal values go, in flat order across the tensors.
            long left = ties;
            Scan(tensors, (keys, index) =>
            {
                foreach (uint k in keys)
                    if (k == key && left > 0) { perTensor[index]++; left--; }
            });
        }
        return new MagnitudeThreshold(key, perTensor);
    }

    /// <summary>The bucket holding the <paramref name="count"/>-th smallest key; adds the keys below it to <paramref name="below"/>.</summary>
    private static int Bucket(long[] histogram, long count, ref long below)
    {
        for (int b = 0; b < histogram.Length; b++)
        {
            if (below + histogram[b] >= count) return b;
            below += histogram[b];
        }
        throw new InvalidOperationException($"cannot prune {count} values: the tensors hold only {below}");
    }

    private delegate void KeyChunk(ReadOnlySpan<uint> keys, int tensorIndex);

    /// <summary>Magnitude bits of an entry an earlier mask removed: above every key, so never counted or pruned.</summary>
    private const uint Removed = 0xFFFFFFFF;

    private static void Scan(IReadOnlyList<PtTensor> tensors, KeyChunk body, IReadOnlyList<PriorMask?>? priors)
    {
        var keys = ArrayPool<uint>.Shared.Rent(FloatReader.ChunkElements);
        try
        {
            ScanInto(tensors, body, keys, priors);
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(keys);
        }
    }

    private static void ScanInto(IReadOnlyList<PtTensor> tensors, KeyChunk body, uint[] keys,
        IReadOnlyList<PriorMask?>? priors)
    {
        for (int i = 0; i < tensors.Count; i++)
        {
            var prior = priors?[i];
            long at = 0;
            using var reader = new FloatReader(tensors[i]);
            while (reader.Remaining > 0)
            {
                var values = reader.Next();
                var k = keys.AsSpan(0, values.Length);
                var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(values);
                for (int j = 0; j < bits.Length; j++) k[j] = bits[j] & 0x7FFFFFFF;
                if (prior is not null)
                    for (int j = 0; j < k.Length; j++) if (prior.IsRemoved(at + j)) k[j] = Removed;
                at += k.Length;
                body(k, i);
            }
        }
    }
}
