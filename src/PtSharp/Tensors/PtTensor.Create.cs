using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using PtSharp.Errors;
using PtSharp.IO;

namespace PtSharp.Tensors;

public sealed unsafe partial class PtTensor
{
    /// <summary>Creates a contiguous tensor holding a copy of <paramref name="data"/>.</summary>
    /// <param name="data">Elements in row-major order.</param>
    /// <param name="shape">Sizes; their product must equal the number of elements (empty for a scalar).</param>
    /// <param name="dtype">The dtype, when it is not implied by <typeparamref name="T"/> (e.g. <see cref="DType.BFloat16"/> for <see cref="ushort"/> data).</param>
    /// <exception cref="ArgumentException">The shape does not match the data, or the dtype's element size differs from <typeparamref name="T"/>.</exception>
    public static PtTensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, DType? dtype = null) where T : unmanaged
    {
        var d = dtype ?? InferDType<T>();
        if (d.ElementSize() != sizeof(T))
            throw new ArgumentException($"{typeof(T).Name} is {sizeof(T)} bytes but {d.Name()} elements are {d.ElementSize()} bytes", nameof(dtype));
        long numel = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative size {s}", nameof(shape));
            numel = checked(numel * s);
        }
        if (numel != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] holds {numel} elements but {data.Length} were given", nameof(shape));
        var bytes = MemoryMarshal.AsBytes(data);
        var storage = new PtStorage("", d, bytes.Length, "cpu", null, bytes.Length == 0 ? PinnedBytes.Empty : PinnedBytes.CopyOf(bytes), 0, false) { SwapUnit = d.SwapUnit() };
        return FromStorage(storage, d, shape, ContiguousStrides(shape), 0);
    }

    /// <summary>Creates a contiguous tensor holding a copy of <paramref name="data"/> (see <see cref="FromSpan{T}"/>).</summary>
    /// <exception cref="ArgumentException">The shape does not match the data, or the dtype does not match <typeparamref name="T"/>.</exception>
    public static PtTensor FromArray<T>(T[] data, ReadOnlySpan<long> shape, DType? dtype = null) where T : unmanaged
        => FromSpan<T>(data, shape, dtype);

    /// <summary>Creates a contiguous tensor from the logical elements of a (possibly strided) tensor span.</summary>
    /// <exception cref="ArgumentException">The dtype does not match <typeparamref name="T"/>.</exception>
    public static PtTensor FromTensorSpan<T>(ReadOnlyTensorSpan<T> span, DType? dtype = null) where T : unmanaged
    {
        var shape = new long[span.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = span.Lengths[i];
        var data = new T[span.FlattenedLength];
        span.FlattenTo(data);
        return FromSpan<T>(data, shape, dtype);
    }

    /// <summary>Creates a tensor viewing <paramref name="storage"/> (for views and tied weights that share storage).</summary>
    /// <exception cref="ArgumentException">The view reaches past the storage, has negative sizes, strides or offset, or its sizes and strides differ in number.</exception>
    public static PtTensor FromStorage(PtStorage storage, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<long> stride, long storageOffset)
    {
        ArgumentNullException.ThrowIfNull(storage);
        try
        {
            return TensorLayout.Create(dtype, shape.ToArray(), stride.ToArray(), storageOffset, storage, "<tensor>", 0);
        }
        catch (PtFormatException e)
        {
            // The same checks guard files and callers; a caller's bad view is a bad argument, not bad data.
            throw new ArgumentException(e.Detail, e);
        }
    }

    /// <summary>A view of this tensor's storage with another shape, stride and offset (like torch's <c>as_strided</c>).</summary>
    /// <exception cref="InvalidOperationException">The tensor has no storage.</exception>
    /// <exception cref="ArgumentException">The view reaches past the storage or is malformed (see <see cref="FromStorage"/>).</exception>
    public PtTensor View(ReadOnlySpan<long> shape, ReadOnlySpan<long> stride, long storageOffset)
    {
        if (Storage is null) throw new InvalidOperationException($"{this} has no storage to view");
        var v = FromStorage(Storage, DType, shape, stride, storageOffset);
        v.Device = Device;
        return v;
    }

    /// <summary>
    /// The tensor as <c>state_dict()</c> returns it: the same storage and view, not a parameter, not requiring grad,
    /// without subclass or Python attributes.
    /// </summary>
    public PtTensor Detach()
    {
        var t = (PtTensor)MemberwiseClone();
        t.RequiresGrad = false;
        t.IsParameter = false;
        t.SubclassType = null;
        t.PythonState = null;
        return t;
    }

    /// <summary>A 0-dim tensor holding one value.</summary>
    public static PtTensor Scalar<T>(T value, DType? dtype = null) where T : unmanaged => FromSpan<T>([value], [], dtype);

    /// <summary>Row-major strides for a shape.</summary>
    public static long[] ContiguousStrides(ReadOnlySpan<long> shape)
    {
        var stride = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { stride[i] = s; s *= Math.Max(1, shape[i]); }
        return stride;
    }

    private static DType InferDType<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => DType.Float32,
        var t when t == typeof(double) => DType.Float64,
        var t when t == typeof(Half) => DType.Float16,
        var t when t == typeof(sbyte) => DType.Int8,
        var t when t == typeof(short) => DType.Int16,
        var t when t == typeof(int) => DType.Int32,
        var t when t == typeof(long) => DType.Int64,
        var t when t == typeof(byte) => DType.UInt8,
        var t when t == typeof(ushort) => DType.UInt16,
        var t when t == typeof(uint) => DType.UInt32,
        var t when t == typeof(ulong) => DType.UInt64,
        var t when t == typeof(bool) => DType.Bool,
        var t when t == typeof(Complex) => DType.Complex128,
        _ => throw new ArgumentException($"no dtype is implied by {typeof(T).Name}; pass one"),
    };
}
