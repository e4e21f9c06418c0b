using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PtSharp.Tensors;

/// <summary>
/// Reads a tensor's logical bytes (row-major element order, strides applied, lazy neg/conj bits resolved) in
/// chunks. A contiguous tensor without lazy bits is read zero-copy from its storage; anything else is gathered
/// into the caller's scratch buffer. Used by the safetensors writer, the casts, verification and <c>pt diff</c>.
/// </summary>
internal sealed unsafe class LogicalBytes
{
    private readonly PtTensor _tensor;
    private readonly int _elementSize;
    private readonly bool _direct;
    private readonly byte* _base;
    private readonly long[] _shape;
    private readonly long[] _stride;
    private readonly long[] _index;
    private long _offset;          // storage element offset of the next element (gather mode)
    private long _position;        // bytes delivered so far

    public LogicalBytes(PtTensor tensor)
    {
        if (tensor.IsSparse) throw new NotSupportedException($"{tensor} is {tensor.Layout}; it has no dense bytes");
        if (tensor.DType is DType.QUInt4x2 or DType.QUInt2x4)
            throw new NotSupportedException($"{tensor.DType.Name()} packs several elements per byte; its logical bytes are not defined");
        _tensor = tensor;
        _elementSize = tensor.DType.ElementSize();
        Length = checked(tensor.ElementCount * _elementSize);
        _shape = tensor.ShapeArray;
        _stride = tensor.StrideArray;
        _index = new long[_shape.Length];
        _offset = tensor.StorageOffset;
        _direct = IsDirect(tensor);
        if (Length > 0)
        {
            if (tensor.Storage is not { HasData: true }) throw new InvalidOperationException($"{tensor} has no data (device '{tensor.Device}')");
            _base = tensor.Storage.Pointer;
        }
    }

    /// <summary>True when the stored bytes at the tensor's offset are its logical bytes (no gather, no fix-up).</summary>
    public static bool IsDirect(PtTensor t) => t.IsContiguous && !t.IsNeg && !t.IsConj;

    /// <summary>Total logical bytes (element count × element size).</summary>
    public long Length { get; }

    /// <summary>Bytes not yet read.</summary>
    public long Remaining => Length - _position;

    /// <summary>True when <see cref="Next"/> returns views of the storage rather than copies.</summary>
    public bool IsZeroCopy => _direct;

    /// <summary>Pointer to the first logical byte when <see cref="IsZeroCopy"/>.</summary>
    public byte* DirectPointer => _base + _tensor.StorageOffset * _elementSize;

    /// <summary>
    /// The next at most <paramref name="max"/> bytes (rounded down to whole elements, at least one element while
    /// any remain). The span is either a view of the storage or a prefix of <paramref name="scratch"/>, which must
    /// hold at least <paramref name="max"/> bytes.
    /// </summary>
    public ReadOnlySpan<byte> Next(int max, Span<byte> scratch)
    {
        long remaining = Remaining;
        if (remaining <= 0) return default;
        int count = (int)Math.Min(remaining, Math.Max(_elementSize, max - max % _elementSize));
        if (_direct)
        {
            var span = new ReadOnlySpan<byte>(DirectPointer + _position, count);
            _position += count;
            return span;
        }
        var dest = scratch[..count];
        Gather(dest);
        Fix(dest);
        _position += count;
        return dest;
    }

    /// <summary>Copies the next <paramref name="dest"/>.Length bytes (whole elements) in logical order.</summary>
    private void Gather(Span<byte> dest)
    {
        int n = dest.Length / _elementSize;
        int rank = _shape.Length;
        fixed (byte* d0 = dest)
        {
            byte* d = d0;
            if (rank == 0 || _tensor.IsContiguous)
            {
                long bytes = (long)n * _elementSize;
                Buffer.MemoryCopy(_base + (_tensor.StorageOffset * _elementSize) + _position, d, bytes, bytes);
                return;
            }
            int last = rank - 1;
            long innerStride = _stride[last];
            long innerSize = _shape[last];
            int done = 0;
            while (done < n)
            {
                // Copy the rest of the current innermost row (or as much as fits).
                long inRow = innerSize - _index[last];
                int take = (int)Math.Min(inRow, n - done);
                byte* s = _base + _offset * _elementSize;
                if (innerStride == 1)
                {
                    long bytes = (long)take * _elementSize;
                    Buffer.MemoryCopy(s, d, bytes, bytes);
                    d += bytes;
                }
                else
                {
                    long step = innerStride * _elementSize;
                    switch (_elementSize)
                    {
                        case 1: for (int k = 0; k < take; k++, s += step) *d++ = *s; break;
                        case 2: for (int k = 0; k < take; k++, s += step, d += 2) *(ushort*)d = *(ushort*)s; break;
                        case 4: for (int k = 0; k < take; k++, s += step, d += 4) *(uint*)d = *(uint*)s; break;
                        case 8: for (int k = 0; k < take; k++, s += step, d += 8) *(ulong*)d = *(ulong*)s; break;
                        default:
                            for (int k = 0; k < take; k++, s += step, d += _elementSize) Unsafe.CopyBlockUnaligned(d, s, (uint)_elementSize);
                            break;
                    }
                }
                done += take;
                Advance(take);
            }
        }
    }

    /// <summary>Moves the multi-index forward by <paramref name="count"/> elements of the innermost row.</summary>
    private void Advance(int count)
    {
        int last = _shape.Length - 1;
        _index[last] += count;
        _offset += count * _stride[last];
        if (_index[last] < _shape[last]) return;
        // Row finished: rewind it and carry into the outer dimensions.
        _offset -= _stride[last] * _shape[last];
        _index[last] = 0;
        for (int d = last - 1; d >= 0; d--)
        {
            if (++_index[d] < _shape[d]) { _offset += _stride[d]; return; }
            _offset -= _stride[d] * (_shape[d] - 1);
            _index[d] = 0;
        }
    }

    /// <summary>Resolves the lazy neg and conj bits in gathered bytes, as torch's <c>resolve_neg()</c>/<c>resolve_conj()</c>.</summary>
    private void Fix(Span<byte> bytes)
    {
        if (!_tensor.IsNeg && !_tensor.IsConj) return;
        var t = _tensor.DType;
        if (_tensor.IsNeg) Negate(bytes, t);
        if (_tensor.IsConj && t.IsComplex()) NegateImaginary(bytes, t);
    }

    private static void Negate(Span<byte> bytes, DType t)
    {
        if (t.IsFloatingPoint() || t.IsComplex())
        {
            // Every real component flips its sign bit (-x in IEEE arithmetic, NaNs included).
            int unit = t.SwapUnit();
            for (int i = unit - 1; i < bytes.Length; i += unit) bytes[i] ^= 0x80;
            return;
        }
        int size = t.ElementSize();
        for (int i = 0; i < bytes.Length; i += size)
        {
            var e = bytes.Slice(i, size);
            switch (size)
            {
                case 1: e[0] = (byte)(-(sbyte)e[0]); break;
                case 2: BinaryPrimitives.WriteInt16LittleEndian(e, (short)-BinaryPrimitives.ReadInt16LittleEndian(e)); break;
                case 4: BinaryPrimitives.WriteInt32LittleEndian(e, -BinaryPrimitives.ReadInt32LittleEndian(e)); break;
                case 8: BinaryPrimitives.WriteInt64LittleEndian(e, -BinaryPrimitives.ReadInt64LittleEndian(e)); break;
            }
        }
    }

    private static void NegateImaginary(Span<byte> bytes, DType t)
    {
        // The imaginary part is the second half of each element; its sign bit is the element's last byte.
        int size = t.ElementSize();
        for (int i = size - 1; i < bytes.Length; i += size) bytes[i] ^= 0x80;
    }

    /// <summary>
    /// <see cref="SameBytes"/>, comparing large zero-copy tensors in 16 MiB ranges on several threads (the cost is
    /// faulting in the pages of both mappings, which the kernel serves in parallel).
    /// </summary>
    public static bool SameBytesParallel(PtTensor a, PtTensor b)
    {
        const int Range = 16 << 20;
        var ra = new LogicalBytes(a);
        var rb = new LogicalBytes(b);
        if (ra.Length != rb.Length) return false;
        if (!ra.IsZeroCopy || !rb.IsZeroCopy || ra.Length < 2 * Range) return SameBytes(a, b);
        long n = ra.Length;
        nint pa = (nint)ra.DirectPointer, pb = (nint)rb.DirectPointer;
        int differ = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 4) };
        Parallel.For(0, (n + Range - 1) / Range, options, (i, state) =>
        {
            long at = i * Range;
            int len = (int)Math.Min(Range, n - at);
            if (!new ReadOnlySpan<byte>((byte*)pa + at, len).SequenceEqual(new ReadOnlySpan<byte>((byte*)pb + at, len)))
            {
                Interlocked.Exchange(ref differ, 1);
                state.Stop();
            }
        });
        return differ == 0;
    }

    /// <summary>True when both tensors have the same logical bytes (same length required).</summary>
    public static bool SameBytes(PtTensor a, PtTensor b, int chunk = 1 << 20)
    {
        var ra = new LogicalBytes(a);
        var rb = new LogicalBytes(b);
        if (ra.Length != rb.Length) return false;
        byte[]? sa = ra.IsZeroCopy ? null : new byte[chunk];
        byte[]? sb = rb.IsZeroCopy ? null : new byte[chunk];
        while (ra.Remaining > 0)
        {
            var x = ra.Next(chunk, sa);
            var y = rb.Next(x.Length, sb);
            if (x.Length != y.Length || !x.SequenceEqual(y)) return false;
        }
        return true;
    }
}
