using System.Buffers;
using System.Runtime.InteropServices;
using PtSharp.Tensors;

namespace PtSharp.Optimization;

/// <summary>
/// Reads a floating tensor's logical elements (row-major, any strides) as float32 chunks, the way
/// <c>tensor.float()</c> converts them, without copying the whole tensor: float32 data is viewed in place.
/// </summary>
internal sealed unsafe class FloatReader : IDisposable
{
    /// <summary>Elements per chunk.</summary>
    public const int ChunkElements = 1 << 16;

    private readonly PtTensor _tensor;
    private readonly int _size;
    private LogicalBytes _bytes;
    private byte[]? _scratch;
    private float[]? _floats;

    public FloatReader(PtTensor tensor)
    {
        if (!CanRead(tensor.DType)) throw new ArgumentException($"{tensor.DType.Name()} is not a floating dtype", nameof(tensor));
        _tensor = tensor;
        _size = tensor.DType.ElementSize();
        _bytes = new LogicalBytes(tensor);
    }

    /// <summary>float32, float64, float16 and bfloat16: the dtypes weights are quantized and pruned from.</summary>
    public static bool CanRead(DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;

    /// <summary>Elements not read yet.</summary>
    public long Remaining => _bytes.Remaining / _size;

    /// <summary>Starts again from the first element.</summary>
    public void Reset() => _bytes = new LogicalBytes(_tensor);

    /// <summary>The next chunk of at most <see cref="ChunkElements"/> values (empty at the end); valid until the next call.</summary>
    public ReadOnlySpan<float> Next()
    {
        if (_bytes.Remaining == 0) return default;
        if (_tensor.DType == DType.Float32 && _bytes.IsZeroCopy)
            return MemoryMarshal.Cast<byte, float>(_bytes.Next(ChunkElements * 4, default));
        _scratch ??= ArrayPool<byte>.Shared.Rent(ChunkElements * _size);
        _floats ??= ArrayPool<float>.Shared.Rent(ChunkElements);
        var raw = _bytes.Next(ChunkElements * _size, _scratch);
        int n = raw.Length / _size;
        var dst = _floats.AsSpan(0, n);
        switch (_tensor.DType)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, float>(raw).CopyTo(dst); break;
            case DType.Float64:
                var d = MemoryMarshal.Cast<byte, double>(raw);
                for (int i = 0; i < n; i++) dst[i] = (float)d[i];
                break;
            case DType.Float16:
                var h = MemoryMarshal.Cast<byte, Half>(raw);
                for (int i = 0; i < n; i++) dst[i] = (float)h[i];
                break;
            default:
                var b = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < n; i++) dst[i] = BitConverter.Int32BitsToSingle(b[i] << 16);
                break;
        }
        return dst;
    }

    public void Dispose()
    {
        if (_scratch is not null) ArrayPool<byte>.Shared.Return(_scratch);
        if (_floats is not null) ArrayPool<float>.Shared.Return(_floats);
        _scratch = null;
        _floats = null;
    }
}
