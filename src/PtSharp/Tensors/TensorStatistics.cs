using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace PtSharp.Tensors;

/// <summary>
/// Summary statistics of a tensor's values, computed in float64 over the logical elements in the order torch reads
/// them (stride and storage offset applied, the neg bit negating values, the conj bit negating imaginary parts).
/// NaN and infinite elements are excluded from <see cref="Sum"/>, <see cref="SumSq"/>, <see cref="Min"/> and
/// <see cref="Max"/> and counted in <see cref="NanCount"/> and <see cref="InfCount"/> instead.
/// </summary>
/// <remarks>
/// bool elements count as 0 and 1. Quantized tensors are summarised over their stored integers (torch's
/// <c>int_repr()</c>), not dequantized. Sparse tensors are summarised over their values component. For complex
/// tensors <see cref="Sum"/> is the sum of the real parts, <see cref="SumImag"/> the sum of the imaginary parts,
/// <see cref="SumSq"/> the sum of |z|², and <see cref="Min"/>/<see cref="Max"/> are <see langword="null"/>; an element
/// counts as NaN when either part is NaN, else as infinite when either part is infinite.
/// </remarks>
/// <param name="Sum">Sum of the finite values (of the real parts, for complex tensors).</param>
/// <param name="SumSq">Sum of the squares of the finite values (of |z|², for complex tensors).</param>
/// <param name="Min">Smallest finite value; <see langword="null"/> when there is none, and always for complex tensors.</param>
/// <param name="Max">Largest finite value; <see langword="null"/> when there is none, and always for complex tensors.</param>
/// <param name="NanCount">Number of NaN elements.</param>
/// <param name="InfCount">Number of infinite (non-NaN) elements.</param>
/// <param name="SumImag">Sum of the finite elements' imaginary parts for complex tensors; <see langword="null"/> for real tensors.</param>
public sealed partial record TensorStatistics(double Sum, double SumSq, double? Min, double? Max, long NanCount, long InfCount, double? SumImag)
{
    /// <summary>Elements summed per block before the block total joins the compensated running total.</summary>
    private const int BlockSize = 4096;

    /// <summary>True when the statistics describe a complex tensor (<see cref="SumImag"/> is set).</summary>
    public bool IsComplex => SumImag is not null;

    /// <summary>Computes the statistics of a tensor.</summary>
    /// <param name="tensor">The tensor; its <c>PtFile</c> must still be open.</param>
    /// <exception cref="NotSupportedException">
    /// The tensor has no real values to summarise: a packed dtype (float4_e2m1fn_x2, bits*, quint4x2, quint2x4),
    /// a meta tensor, or a tensor whose storage carries no data. <see cref="TryCompute"/> returns
    /// <see langword="null"/> instead.
    /// </exception>
    public static TensorStatistics Compute(PtTensor tensor)
        => TryCompute(tensor) ?? throw new NotSupportedException($"{tensor} has no values to summarise (dtype {tensor.DType.Name()}, device '{tensor.Device}')");

    /// <summary>
    /// Computes the statistics of a tensor, or returns <see langword="null"/> when it has no real values to summarise
    /// (packed dtypes such as float4_e2m1fn_x2, bits* and quint4x2/quint2x4; meta tensors; storages without data), or
    /// when a broadcast view (stride 0) repeats its storage so often that summarising it would take unbounded time
    /// (more than 2^32 elements and more than 1024 passes over the storage).
    /// </summary>
    /// <param name="tensor">The tensor; its <c>PtFile</c> must still be open.</param>
    public static TensorStatistics? TryCompute(PtTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.IsMeta) return null;
        if (tensor.IsSparse)
        {
            if (tensor.SparseComponents.Count == 0) return null;
            var values = TryCompute(tensor.SparseComponents[^1]);
            return values is null ? null : ApplyFlags(values, tensor.IsNeg, tensor.IsConj);
        }
        bool complex = tensor.DType.IsComplex();
        if (!complex && !ScalarDecoding.IsReal(tensor.DType)) return null;
        if (tensor.ElementCount == 0) return new TensorStatistics(0, 0, null, null, 0, 0, complex ? 0 : null);
        if (tensor.Storage is not { HasData: true }) return null;
        if (tensor.ElementCount > Math.Max(1L << 32, tensor.Storage.ByteLength / tensor.DType.ElementSize() * 1024)) return null;

        var acc = new Accumulator();
        unsafe
        {
            byte* basePtr = tensor.Storage.Pointer;
            int size = tensor.DType.ElementSize();
            ForEachRun(tensor, (offset, count, stride) =>
                AccumulateRun(tensor.DType, basePtr + offset * size, count, stride, size, ref acc));
        }
        return ApplyFlags(acc.ToStatistics(complex), tensor.IsNeg, tensor.IsConj);
    }

    private static TensorStatistics ApplyFlags(TensorStatistics s, bool neg, bool conj)
    {
        if (neg)
        {
            // Negation maps the finite values x -> -x: sums flip sign, min and max swap, squares stay.
            s = s with
            {
                Sum = 0.0 - s.Sum,
                Min = s.Max is double max ? -max : null,
                Max = s.Min is double min ? -min : null,
                SumImag = s.SumImag is double im ? 0.0 - im : null,
            };
        }
        if (conj && s.SumImag is double imag) s = s with { SumImag = 0.0 - imag };
        return s;
    }

    // ---- iteration over the strided view ----------------------------------------------------------------------

    private delegate void RunAction(long offset, long count, long stride);

    /// <summary>
    /// Splits the logical elements into runs along the innermost non-trivial dimension (in memory order, not
    /// necessarily row-major): each run is <c>count</c> elements starting at element <c>offset</c> of the storage,
    /// <c>stride</c> elements apart. Contiguous tensors are one run.
    /// </summary>
    private static void ForEachRun(PtTensor t, RunAction action)
    {
        if (t.IsContiguous)
        {
            action(t.StorageOffset, t.ElementCount, 1);
            return;
        }
        // The statistics do not depend on the visiting order, so visit in memory order: drop size-1 dimensions,
        // sort the rest by stride (largest outermost, broadcast stride-0 dimensions outermost of all), then merge
        // dimensions that are contiguous with the next one. A transposed matrix becomes one contiguous run.
        var dims = new List<(long Size, long Stride)>();
        for (int d = 0; d < t.Rank; d++)
            if (t.ShapeArray[d] != 1) dims.Add((t.ShapeArray[d], t.StrideArray[d]));
        dims = dims.OrderByDescending(x => x.Stride == 0 ? long.MaxValue : x.Stride).ToList();
        var shape = dims.Select(x => x.Size).ToList();
        var stride = dims.Select(x => x.Stride).ToList();
        for (int d = shape.Count - 2; d >= 0; d--)
        {
            if (stride[d] == stride[d + 1] * shape[d + 1])
            {
                shape[d + 1] *= shape[d];
                shape.RemoveAt(d);
                stride.RemoveAt(d);
            }
        }
        if (shape.Count == 0)
        {
            action(t.StorageOffset, 1, 1);
            return;
        }
        int inner = shape.Count - 1;
        long runLength = shape[inner], runStride = stride[inner];
        var index = new long[inner];
        long offset = t.StorageOffset;
        while (true)
        {
            action(offset, runLength, runStride);
            int d = inner - 1;
            for (; d >= 0; d--)
            {
                if (++index[d] < shape[d]) { offset += stride[d]; break; }
                offset -= stride[d] * (shape[d] - 1);
                index[d] = 0;
            }
            if (d < 0) return;
        }
    }
}
