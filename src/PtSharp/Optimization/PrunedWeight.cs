using System.Buffers;
using System.Runtime.InteropServices;
using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Optimization;

/// <summary>
/// The pruning decision for one tensor (a magnitude threshold with its share of ties, or a set of pruned output
/// channels) and the two tensors it writes, each computed chunk by chunk from the mapped original while the file
/// is written: the mask (1/0 in the weight's dtype, as <c>torch.ones_like</c> masks are) and the pruned weight
/// <c>X_orig * X_mask</c> (what <c>prune.remove</c> leaves).
/// </summary>
internal sealed class PrunedWeight
{
    private readonly PtTensor _original;
    private readonly uint _key;
    private readonly long _ties;
    private readonly bool[]? _prunedRows;
    private readonly long _inner;
    private readonly PriorMask? _prior;

    private PrunedWeight(PtTensor original, uint key, long ties, bool[]? prunedRows, PriorMask? prior)
    {
        _original = original;
        _prior = prior;
        _key = key;
        _ties = ties;
        _prunedRows = prunedRows;
        _inner = original.Rank == 0 || original.Shape[0] == 0 ? 1 : original.ElementCount / original.Shape[0];
    }

    /// <summary>
    /// Prunes magnitudes below <paramref name="key"/> and the first <paramref name="ties"/> equal to it, among the
    /// entries <paramref name="prior"/> keeps; the entries it removed stay removed.
    /// </summary>
    public static PrunedWeight ByMagnitude(PtTensor original, uint key, long ties, PriorMask? prior = null) =>
        new(original, key, ties, null, prior);

    /// <summary>Prunes whole output channels (slices along dimension 0), on top of <paramref name="prior"/>.</summary>
    public static PrunedWeight ByChannel(PtTensor original, bool[] prunedRows, PriorMask? prior = null) =>
        new(original, 0, 0, prunedRows, prior);

    /// <summary>Elements the mask removes, known once <see cref="Weight"/> or <see cref="Mask"/> has been written.</summary>
    public long Pruned { get; private set; }

    /// <summary>Zeros in the pruned weight, known once <see cref="Weight"/> or <see cref="Mask"/> has been written.</summary>
    public long Zeros { get; private set; }

    /// <summary>The pruned weight, computed when written.</summary>
    public PtTensor Weight() => ComputedTensor.Create(_original.DType, [.. _original.Shape], sink => Produce(sink, mask: false));

    /// <summary>The mask, computed when written.</summary>
    public PtTensor Mask() => ComputedTensor.Create(_original.DType, [.. _original.Shape], sink => Produce(sink, mask: true));

    private void Produce(Action<ReadOnlySpan<byte>> sink, bool mask)
    {
        using var floats = new FloatReader(_original);
        var raw = new LogicalBytes(_original);
        int size = _original.DType.ElementSize();
        byte[] scratch = ArrayPool<byte>.Shared.Rent(FloatReader.ChunkElements * size);
        bool[] pruned = ArrayPool<bool>.Shared.Rent(FloatReader.ChunkElements);
        long ties = _ties, at = 0, zeros = 0, count = 0;
        try
        {
            ComputedTensor.InChunks(sink, buffer =>
            {
                var v = floats.Next();
                int n = v.Length;
                if (n == 0) return 0;
                var p = pruned.AsSpan(0, n);
                if (_prunedRows is null)
                {
                    for (int i = 0; i < n; i++)
                    {
                        if (_prior is not null && _prior.IsRemoved(at + i)) { p[i] = true; continue; }
                        uint k = MagnitudeThreshold.KeyOf(v[i]);
                        p[i] = k < _key || (k == _key && ties > 0 && ties-- > 0);
                    }
                }
                else
                    for (int i = 0; i < n; i++)
                        p[i] = _prunedRows[(at + i) / _inner] || _prior is not null && _prior.IsRemoved(at + i);
                foreach (bool b in p) if (b) count++;
                var bytes = raw.Next(n * size, scratch);
                var output = buffer[..(n * size)];
                zeros += mask ? WriteMask(p, v, output) : WriteWeight(p, bytes, v, output);
                at += n;
                return n * size;
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            ArrayPool<bool>.Shared.Return(pruned);
        }
        Zeros = zeros;
        Pruned = count;
    }

    /// <summary>1 or 0 per element in the weight's dtype; returns the zeros the pruned weight will have.</summary>
    private long WriteMask(ReadOnlySpan<bool> pruned, ReadOnlySpan<float> values, Span<byte> output)
    {
        long zeros = 0;
        for (int i = 0; i < pruned.Length; i++) if (pruned[i] ? float.IsFinite(values[i]) : values[i] == 0) zeros++;
        switch (_original.DType)
        {
            case DType.Float32: Fill(MemoryMarshal.Cast<byte, float>(output), pruned, 1f); break;
            case DType.Float64: Fill(MemoryMarshal.Cast<byte, double>(output), pruned, 1d); break;
            case DType.Float16: Fill(MemoryMarshal.Cast<byte, ushort>(output), pruned, (ushort)0x3C00); break;
            default: Fill(MemoryMarshal.Cast<byte, ushort>(output), pruned, (ushort)0x3F80); break;
        }
        return zeros;
    }

    private static void Fill<T>(Span<T> output, ReadOnlySpan<bool> pruned, T one) where T : unmanaged
    {
        for (int i = 0; i < output.Length; i++) output[i] = pruned[i] ? default : one;
    }

    /// <summary><c>orig * mask</c> in the weight's dtype (so a pruned negative weight becomes -0.0, and inf or NaN becomes NaN, as in torch).</summary>
    private long WriteWeight(ReadOnlySpan<bool> pruned, ReadOnlySpan<byte> original, ReadOnlySpan<float> values, Span<byte> output)
    {
        original.CopyTo(output);
        long zeros = 0;
        switch (_original.DType)
        {
            case DType.Float32:
            {
                var o = MemoryMarshal.Cast<byte, float>(output);
                for (int i = 0; i < o.Length; i++) { if (pruned[i]) o[i] *= 0f; if (o[i] == 0) zeros++; }
                break;
            }
            case DType.Float64:
            {
                var o = MemoryMarshal.Cast<byte, double>(output);
                for (int i = 0; i < o.Length; i++) { if (pruned[i]) o[i] *= 0d; if (o[i] == 0) zeros++; }
                break;
            }
            case DType.Float16:
            {
                var o = MemoryMarshal.Cast<byte, Half>(output);
                for (int i = 0; i < o.Length; i++) { if (pruned[i]) o[i] = (Half)((float)o[i] * 0f); if (o[i] == Half.Zero) zeros++; }
                break;
            }
            default:
            {
                var o = MemoryMarshal.Cast<byte, ushort>(output);
                for (int i = 0; i < o.Length; i++)
                {
                    if (pruned[i]) o[i] = FloatBits.FloatToBFloat16(BitConverter.SingleToUInt32Bits(values[i] * 0f), 0x7FC0);
                    if ((o[i] & 0x7FFF) == 0) zeros++;
                }
                break;
            }
        }
        return zeros;
    }
}
