using PtSharp.Errors;
using PtSharp.Loading;
using PtSharp.Tensors;
using PtSharp.Transforms;

namespace PtSharp.Dcp;

/// <summary>Copies a chunk tensor's elements into its box of a contiguous global tensor.</summary>
internal static unsafe class DcpAssembler
{
    private const int Scratch = 1 << 16;

    /// <summary>Writes <paramref name="chunk"/> (shape = the box sizes) into <paramref name="destination"/> at the box <paramref name="offsets"/>.</summary>
    public static void CopyInto(byte* destination, IReadOnlyList<long> shape, int elementSize, PtTensor chunk, IReadOnlyList<long> offsets)
    {
        int rank = shape.Count;
        long n = chunk.ElementCount;
        if (n == 0) return;
        var source = new LogicalBytes(chunk);
        // A contiguous chunk (what torch writes) is read in place; only a strided one needs a gather buffer.
        var scratch = source.IsZeroCopy ? null : new byte[Math.Min(Scratch, Math.Max(elementSize, source.Length))];
        if (rank == 0)
        {
            Fill(source, new Span<byte>(destination, elementSize), scratch);
            return;
        }
        var strides = PtTensor.ContiguousStrides(shape.ToArray());
        var sizes = chunk.ShapeArray;
        long rowBytes = sizes[rank - 1] * elementSize;
        var index = new long[rank - 1];
        long rows = n / sizes[rank - 1];
        for (long r = 0; r < rows; r++)
        {
            long element = offsets[rank - 1];
            for (int d = 0; d < rank - 1; d++) element += (offsets[d] + index[d]) * strides[d];
            byte* row = destination + element * elementSize;
            for (long done = 0; done < rowBytes;)
            {
                int take = (int)Math.Min(rowBytes - done, int.MaxValue / 2);
                Fill(source, new Span<byte>(row + done, take), scratch);
                done += take;
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < sizes[d]) break;
                index[d] = 0;
            }
        }
    }

    private static void Fill(LogicalBytes source, Span<byte> target, byte[]? scratch)
    {
        while (!target.IsEmpty)
        {
            var piece = scratch is null ? source.Next(target.Length, default) : source.Next(Math.Min(target.Length, scratch.Length), scratch);
            if (piece.IsEmpty) throw new InvalidOperationException("a chunk tensor ended before its box was filled");
            piece.CopyTo(target);
            target = target[piece.Length..];
        }
    }
}

/// <summary>Tensors of any dtype over raw bytes (the typed factories check the element type).</summary>
internal static class RawTensor
{
    public static PtTensor Of(byte[] pinned, long[] shape, DType dtype)
    {
        var storage = new PtStorage("0", null, pinned.Length, "cpu", null, pinned.Length == 0 ? IO.PinnedBytes.Empty : new IO.PinnedBytes(pinned), 0, bigEndian: false);
        return PtTensor.FromStorage(storage, dtype, shape, PtTensor.ContiguousStrides(shape), 0);
    }
}
