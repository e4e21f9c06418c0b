using System.Buffers;
using System.Runtime.InteropServices;
using PtSharp.Tensors;

namespace PtSharp.Diff;

/// <summary>
/// Streams a tensor's logical values as <see cref="double"/> in chunks (complex tensors as real/imaginary pairs,
/// quantized tensors dequantized, lazy neg/conj bits resolved), together with the raw logical bytes when the
/// caller wants to skip chunks whose bytes are identical.
/// </summary>
internal sealed unsafe class ValueReader : IDisposable
{
    private readonly PtTensor _t;
    private readonly LogicalBytes? _bytes;
    private readonly double[]? _materialized; // quantized tensors
    private long _materializedAt;
    private byte[]? _scratch;
    private readonly int _size;

    public ValueReader(PtTensor t)
    {
        _t = t;
        Components = t.DType.IsComplex() ? 2 : 1;
        Count = checked(t.ElementCount * Components);
        if (t.Quantization is not null || t.IsQuantizedPacked())
        {
            _materialized = t.ElementCount == 0 ? [] : t.ToDoubleArray();
            _size = 0;
        }
        else
        {
            if (!IsDecodable(t.DType)) throw new NotSupportedException($"{t.DType.Name()} values cannot be compared element-wise");
            _bytes = new LogicalBytes(t);
            _size = t.DType.ElementSize();
        }
    }

    /// <summary>Values per element (2 for complex).</summary>
    public int Components { get; }

    /// <summary>Total values.</summary>
    public long Count { get; }

    public static bool IsDecodable(DType t) => t.IsComplex() || ScalarDecoding.IsReal(t);

    /// <summary>
    /// Reads the next <paramref name="values"/>.Length values (whole elements; the caller sizes it from the element
    /// count) and returns the logical bytes they came from (empty for quantized tensors).
    /// </summary>
    public ReadOnlySpan<byte> Read(Span<double> values, bool decode)
    {
        if (_materialized is not null)
        {
            _materialized.AsSpan((int)_materializedAt, values.Length).CopyTo(values);
            _materializedAt += values.Length;
            return default;
        }
        int elements = values.Length / Components;
        int bytes = elements * _size;
        if (!_bytes!.IsZeroCopy && (_scratch is null || _scratch.Length < bytes))
        {
            if (_scratch is not null) ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = ArrayPool<byte>.Shared.Rent(bytes);
        }
        var raw = _bytes.Next(bytes, _scratch);
        if (decode) Decode(raw, values);
        return raw;
    }

    /// <summary>Decodes logical bytes returned by <see cref="Read"/> into values.</summary>
    public void Decode(ReadOnlySpan<byte> raw, Span<double> values)
    {
        switch (_t.DType)
        {
            case DType.Float32: { var s = MemoryMarshal.Cast<byte, float>(raw); for (int i = 0; i < s.Length; i++) values[i] = s[i]; return; }
            case DType.Float64: MemoryMarshal.Cast<byte, double>(raw).CopyTo(values); return;
            case DType.Complex64: { var s = MemoryMarshal.Cast<byte, float>(raw); for (int i = 0; i < s.Length; i++) values[i] = s[i]; return; }
            case DType.Complex128: MemoryMarshal.Cast<byte, double>(raw).CopyTo(values); return;
            case DType.Complex32: { var s = MemoryMarshal.Cast<byte, Half>(raw); for (int i = 0; i < s.Length; i++) values[i] = (double)s[i]; return; }
        }
        fixed (byte* p0 = raw)
        {
            byte* p = p0;
            for (int i = 0; i < values.Length; i++, p += _size) values[i] = ScalarDecoding.ToDouble(_t.DType, p);
        }
    }

    public void Dispose()
    {
        if (_scratch is not null) ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = null;
    }
}

internal static class QuantizedExtensions
{
    public static bool IsQuantizedPacked(this PtTensor t) => t.DType is DType.QUInt4x2 or DType.QUInt2x4;
}
