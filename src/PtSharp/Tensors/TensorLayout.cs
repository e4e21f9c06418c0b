using PtSharp.Errors;

namespace PtSharp.Tensors;

/// <summary>Validates tensor views and builds them; every size, stride and extent is checked with overflow-safe arithmetic.</summary>
internal static class TensorLayout
{
    /// <summary>The most dimensions a tensor may have.</summary>
    public const int MaxRank = 64;

    public static PtTensor Create(DType dtype, long[] shape, long[] stride, long offset, PtStorage? storage, string record, long at)
    {
        if (shape.Length != stride.Length)
            ThrowHelper.Format(PtErrorKind.InvalidTensor, $"tensor has {shape.Length} sizes but {stride.Length} strides", record, at);
        if (offset < 0) ThrowHelper.Format(PtErrorKind.InvalidTensor, $"negative storage offset {offset}", record, at);
        long numel = 1;
        long extent = 0;
        try
        {
            for (int d = 0; d < shape.Length; d++)
            {
                if (shape[d] < 0) ThrowHelper.Format(PtErrorKind.InvalidTensor, $"negative size {shape[d]} in dimension {d}", record, at);
                if (stride[d] < 0) ThrowHelper.Format(PtErrorKind.InvalidTensor, $"negative stride {stride[d]} in dimension {d}", record, at);
                numel = checked(numel * shape[d]);
            }
            _ = checked(numel * dtype.ElementSize()); // ByteCount must not overflow either (zero strides make huge views cheap)
            if (numel > 0)
            {
                for (int d = 0; d < shape.Length; d++) extent = checked(extent + checked((shape[d] - 1) * stride[d]));
                long lastElement = checked(offset + extent);
                long needed = BytesFor(dtype, checked(lastElement + 1));
                if (storage is not null && needed > storage.ByteLength)
                    ThrowHelper.Format(PtErrorKind.InvalidTensor,
                        $"{dtype.Name()} tensor of shape [{string.Join(", ", shape)}] with stride [{string.Join(", ", stride)}] and offset {offset} reaches byte {needed}, past the end of its {storage.ByteLength}-byte storage '{storage.Key}'",
                        record, at);
            }
        }
        catch (OverflowException)
        {
            ThrowHelper.Format(PtErrorKind.InvalidTensor, $"tensor shape [{string.Join(", ", shape)}] with stride [{string.Join(", ", stride)}] overflows 64-bit arithmetic", record, at);
        }
        if (storage is not null && storage.SwapUnit == 1) storage.SwapUnit = dtype.SwapUnit();
        return new PtTensor(dtype, shape, stride, offset, storage) { ElementCount = numel };
    }

    /// <summary>Bytes needed for <paramref name="elements"/> elements: sub-byte quantized types pack several per byte.</summary>
    private static long BytesFor(DType dtype, long elements) => dtype switch
    {
        DType.QUInt4x2 => elements / 2 + elements % 2, // no overflow at long.MaxValue (fuzz regression)
        DType.QUInt2x4 => elements / 4 + (elements % 4 == 0 ? 0 : 1),
        _ => checked(elements * dtype.ElementSize()),
    };
}
