using System.Buffers;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>How many elements of a tensor are zero (what pruning leaves), read in chunks without copying the tensor.</summary>
public static class TensorSparsity
{
    /// <summary>
    /// The number of zero elements (0.0 and -0.0 for floating dtypes, 0 for integers and bool), or
    /// <see langword="null"/> for tensors without values to count: sparse, quantized, complex, meta or without data.
    /// </summary>
    public static long? CountZeros(PtTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.IsSparse || tensor.IsMeta || tensor.Storage is not { HasData: true } || tensor.DType.IsQuantized() || tensor.DType.IsComplex())
            return null;
        long zeros = 0;
        if (FloatReader.CanRead(tensor.DType))
        {
            using var reader = new FloatReader(tensor);
            while (reader.Remaining > 0)
                foreach (float v in reader.Next()) if (v == 0) zeros++;
            return zeros;
        }
        if (tensor.DType.IsFloatingPoint()) return null; // float8/float4: not counted
        int size = tensor.DType.ElementSize();
        var bytes = new LogicalBytes(tensor);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (bytes.Remaining > 0)
            {
                var chunk = bytes.Next(1 << 20, scratch);
                for (int i = 0; i < chunk.Length; i += size)
                    if (chunk.Slice(i, size).IndexOfAnyExcept((byte)0) < 0) zeros++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        return zeros;
    }

    /// <summary>Zeros ÷ elements, or <see langword="null"/> when <see cref="CountZeros"/> is.</summary>
    public static double? Of(PtTensor tensor)
    {
        long? zeros = CountZeros(tensor);
        return zeros is null ? null : tensor.ElementCount == 0 ? 0 : (double)zeros.Value / tensor.ElementCount;
    }
}
