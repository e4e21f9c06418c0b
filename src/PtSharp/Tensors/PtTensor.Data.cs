using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace PtSharp.Tensors;

public sealed unsafe partial class PtTensor
{
    private void RequireData()
    {
        if (IsSparse) throw new InvalidOperationException($"{this} is {Layout}; read its SparseComponents instead");
        if (Storage is null || !Storage.HasData) throw new InvalidOperationException($"{this} has no data (device '{Device}')");
    }

    private void RequireElementType<T>(bool reinterpret = false) where T : unmanaged
    {
        // Element offsets of these dtypes count 4- or 2-bit values, not bytes: reading them as bytes would run past
        // the storage (fuzz regression). Their bytes are available through Storage.Bytes.
        if (DType is DType.QUInt4x2 or DType.QUInt2x4)
            throw new InvalidOperationException($"{this} packs several values per byte; read its Storage.Bytes instead");
        if (sizeof(T) != DType.ElementSize())
            throw new ArgumentException($"{typeof(T).Name} is {sizeof(T)} bytes but {DType.Name()} elements are {DType.ElementSize()} bytes");
        if (!reinterpret && !ElementTypes.Matches<T>(DType))
            throw new ArgumentException(
                $"{typeof(T).Name} is not the element type of {DType.Name()} tensors ({ElementTypes.Describe(DType)}); " +
                "use Reinterpret<T>() or AsBytes() to read the bits as another type");
    }

    private byte* ElementPointer(long elementOffset) => Storage!.Pointer + elementOffset * DType.ElementSize();

    /// <summary>
    /// The elements of a contiguous tensor, without copying. <typeparamref name="T"/> must have the dtype's element
    /// size (e.g. <see cref="float"/> for float32, <see cref="Half"/> for float16, <see cref="ushort"/> for bfloat16).
    /// The span is valid until the owning <c>PtFile</c> is disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous, is sparse, or has no data.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the dtype's element type (see <see cref="Reinterpret{T}"/>).</exception>
    /// <exception cref="ObjectDisposedException">The owning file was disposed.</exception>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        RequireData();
        RequireElementType<T>();
        return ContiguousSpan<T>();
    }

    private ReadOnlySpan<T> ContiguousSpan<T>() where T : unmanaged
    {
        if (!IsContiguous) throw new InvalidOperationException($"{this} is not contiguous (stride [{string.Join(", ", StrideArray)}]); use AsTensorSpan or ToArray");
        if (ElementCount > int.MaxValue) throw new NotSupportedException($"{this} has more elements than one span can address; use AsTensorSpan");
        return new ReadOnlySpan<T>(ElementPointer(StorageOffset), (int)ElementCount);
    }

    /// <summary>
    /// The elements of a contiguous tensor read as <typeparamref name="T"/> whatever the dtype (the bits
    /// reinterpreted, like <c>tensor.view(dtype)</c> of the same element size), without copying. Valid until the
    /// owning file is disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous, is sparse, or has no data.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> does not have the dtype's element size.</exception>
    /// <exception cref="ObjectDisposedException">The owning file was disposed.</exception>
    public ReadOnlySpan<T> Reinterpret<T>() where T : unmanaged
    {
        RequireData();
        RequireElementType<T>(reinterpret: true);
        return ContiguousSpan<T>();
    }

    /// <summary>The bytes of a contiguous tensor's elements (host byte order), without copying.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous, is sparse, packs several values per byte, or has no data.</exception>
    /// <exception cref="ObjectDisposedException">The owning file was disposed.</exception>
    public ReadOnlySpan<byte> AsBytes()
    {
        RequireData();
        if (DType is DType.QUInt4x2 or DType.QUInt2x4)
            throw new InvalidOperationException($"{this} packs several values per byte; read its Storage.Bytes instead");
        if (!IsContiguous) throw new InvalidOperationException($"{this} is not contiguous (stride [{string.Join(", ", StrideArray)}]); use ToArray");
        long length = checked(ElementCount * DType.ElementSize());
        if (length > int.MaxValue) throw new NotSupportedException($"{this} has more bytes than one span can address; use AsTensorSpan");
        return new ReadOnlySpan<byte>(ElementPointer(StorageOffset), (int)length);
    }

    /// <summary>
    /// A strided, zero-copy view of any dense tensor (contiguous or not, including stride-0 broadcasts), valid until
    /// the owning <c>PtFile</c> is disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is sparse or has no data.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the dtype's element type.</exception>
    /// <exception cref="ObjectDisposedException">The owning file was disposed.</exception>
    public ReadOnlyTensorSpan<T> AsTensorSpan<T>() where T : unmanaged
    {
        RequireData();
        RequireElementType<T>();
        var lengths = new nint[Rank];
        var strides = new nint[Rank];
        long span = 0;
        for (int d = 0; d < Rank; d++)
        {
            lengths[d] = checked((nint)ShapeArray[d]);
            strides[d] = checked((nint)StrideArray[d]);
            if (ShapeArray[d] > 0) span += (ShapeArray[d] - 1) * StrideArray[d];
        }
        nint dataLength = ElementCount == 0 ? 0 : checked((nint)(span + 1));
        if (Rank == 0) return new ReadOnlyTensorSpan<T>((T*)ElementPointer(StorageOffset), 1, [1], [0]);
        if (ElementCount == 0) Array.Clear(strides); // an empty view addresses nothing; .NET rejects strides beyond zero data
        return new ReadOnlyTensorSpan<T>((T*)ElementPointer(StorageOffset), dataLength, lengths, strides);
    }

    /// <summary>Copies the logical elements (row-major, strides applied) into a new array.</summary>
    /// <exception cref="InvalidOperationException">The tensor is sparse or has no data.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the dtype's element type.</exception>
    /// <exception cref="ObjectDisposedException">The owning file was disposed.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        RequireData();
        RequireElementType<T>();
        var result = GC.AllocateUninitializedArray<T>(checked((int)ElementCount));
        if (IsContiguous)
        {
            CopyContiguous((byte*)ElementPointer(StorageOffset), result);
            return result;
        }
        var cursor = new ElementCursor(ShapeArray, StrideArray, StorageOffset, ElementCount);
        T* basePtr = (T*)Storage!.Pointer;
        int i = 0;
        while (cursor.MoveNext(out long off)) result[i++] = basePtr[off];
        return result;
    }

    /// <summary>
    /// Copies the logical elements converted to <see cref="float"/>: floats of every width (float16, bfloat16,
    /// float8), integers and bool (0/1). Quantized tensors are dequantized; the neg bit is applied.
    /// </summary>
    /// <exception cref="NotSupportedException">The dtype is complex or packed (float4, bits, quint4x2).</exception>
    public float[] ToFloatArray()
    {
        if (DType == DType.Float32 && !IsNeg && Quantization is null) return ToArray<float>();
        var d = ToDoubleArray();
        var f = GC.AllocateUninitializedArray<float>(d.Length);
        for (int i = 0; i < d.Length; i++) f[i] = (float)d[i];
        return f;
    }

    /// <summary>Like <see cref="ToFloatArray"/>, converting to <see cref="double"/>.</summary>
    /// <exception cref="NotSupportedException">The dtype is complex or packed (float4, bits, quint4x2).</exception>
    public double[] ToDoubleArray()
    {
        RequireData();
        if (!ScalarDecoding.IsReal(DType)) throw new NotSupportedException($"{DType.Name()} cannot be converted element-wise to a real number");
        var result = GC.AllocateUninitializedArray<double>(checked((int)ElementCount));
        int i = 0;
        ForEachElement(p => result[i++] = ScalarDecoding.ToDouble(DType, p));
        if (Quantization is { IsPerChannel: false } q)
            for (int k = 0; k < result.Length; k++) result[k] = (result[k] - q.ZeroPoint) * q.Scale;
        else if (Quantization is { IsPerChannel: true } pc) Dequantize(result, pc);
        if (IsNeg) for (int k = 0; k < result.Length; k++) result[k] = -result[k];
        return result;
    }

    private void Dequantize(double[] values, QuantizationParameters q)
    {
        if (q.Scales is not PtTensor scales || q.ZeroPoints is not PtTensor zeros)
            throw new NotSupportedException("per-channel parameters saved as Python lists are not dequantized");
        var s = scales.ToDoubleArray();
        var z = zeros.ToDoubleArray();
        int axis = (int)q.Axis;
        long inner = 1;
        for (int d = axis + 1; d < Rank; d++) inner *= ShapeArray[d];
        long channels = ShapeArray[axis];
        for (long k = 0; k < values.Length; k++)
        {
            long c = k / inner % channels;
            values[k] = (values[k] - z[c]) * s[c];
        }
    }

    private const long ParallelCopyThreshold = 16L << 20;
    private const int ParallelCopyChunk = 4 << 20;

    /// <summary>
    /// Copies mapped bytes into a fresh array. Large copies are split across cores: the cost is dominated by page
    /// faults on both the mapping and the new array, which the kernel serves in parallel.
    /// </summary>
    private static void CopyContiguous<T>(byte* source, T[] destination) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        fixed (T* d = destination)
        {
            byte* dst = (byte*)d;
            if (bytes < ParallelCopyThreshold || Environment.ProcessorCount == 1)
            {
                Buffer.MemoryCopy(source, dst, bytes, bytes);
                return;
            }
            long chunks = (bytes + ParallelCopyChunk - 1) / ParallelCopyChunk;
            nint s = (nint)source, t = (nint)dst;
            Parallel.For(0L, chunks, i =>
            {
                long start = i * ParallelCopyChunk;
                long n = Math.Min(ParallelCopyChunk, bytes - start);
                Buffer.MemoryCopy((byte*)s + start, (byte*)t + start, n, n);
            });
        }
    }

    internal delegate void ElementAction(byte* element);

    /// <summary>Calls <paramref name="action"/> with a pointer to each logical element in row-major order.</summary>
    internal void ForEachElement(ElementAction action)
    {
        RequireData();
        int size = DType.ElementSize();
        byte* basePtr = Storage!.Pointer;
        if (IsContiguous)
        {
            byte* p = basePtr + StorageOffset * size;
            for (long k = 0; k < ElementCount; k++, p += size) action(p);
            return;
        }
        var cursor = new ElementCursor(ShapeArray, StrideArray, StorageOffset, ElementCount);
        while (cursor.MoveNext(out long off)) action(basePtr + off * size);
    }
}
