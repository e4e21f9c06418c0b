using System.Buffers;
using PtSharp.Tensors;
using PtSharp.Writing;

namespace PtSharp.Optimization;

/// <summary>
/// Tensors whose bytes are computed while <see cref="PtWriter"/> writes them, one chunk at a time, so an optimized
/// file is produced from a memory-mapped input without holding any converted tensor in memory.
/// </summary>
internal static class ComputedTensor
{
    /// <summary>Bytes per produced chunk.</summary>
    public const int ChunkBytes = FloatReader.ChunkElements * 8;

    /// <summary>A contiguous tensor of <paramref name="dtype"/> and <paramref name="shape"/> whose bytes <paramref name="produce"/> writes.</summary>
    public static PtTensor Create(DType dtype, long[] shape, Action<Action<ReadOnlySpan<byte>>> produce, QuantizationParameters? quantization = null)
    {
        long n = 1;
        foreach (long s in shape) n = checked(n * s);
        long bytes = checked(n * dtype.ElementSize());
        var storage = new PtStorage("", dtype, bytes, "cpu", null, null, 0, bigEndian: false) { Producer = produce };
        var t = PtTensor.FromStorage(storage, dtype, shape, PtTensor.ContiguousStrides(shape), 0);
        t.Quantization = quantization;
        return t;
    }

    /// <summary>Runs <paramref name="fill"/> over a rented chunk buffer and hands each filled chunk to the sink.</summary>
    public static void InChunks(Action<ReadOnlySpan<byte>> sink, Func<Span<byte>, int> fill)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int n;
            while ((n = fill(buffer.AsSpan(0, ChunkBytes))) > 0) sink(buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
