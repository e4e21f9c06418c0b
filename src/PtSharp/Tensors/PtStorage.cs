using System.Buffers.Binary;
using PtSharp.IO;

namespace PtSharp.Tensors;

/// <summary>
/// A tensor storage: one run of bytes in the file (a <c>data/&lt;key&gt;</c> record, or a legacy blob) that one
/// or more tensors view. Tensors that view the same storage share this object. The bytes are memory-mapped and
/// stay valid until the owning <c>PtFile</c> is disposed.
/// </summary>
public sealed unsafe class PtStorage
{
    private IByteSource? _source;
    private long _start;
    private PinnedBytes? _swapped;

    internal PtStorage(string key, DType? dtype, long byteLength, string location, string? record, IByteSource? source,
        long start, bool bigEndian)
    {
        Key = key;
        DType = dtype;
        ByteLength = byteLength;
        Location = location;
        Record = record;
        _source = source;
        _start = start;
        IsBigEndian = bigEndian;
    }

    /// <summary>The storage key from the file (<c>"0"</c>, or a pointer number in old files).</summary>
    public string Key { get; }

    /// <summary>
    /// The storage's dtype for typed storages (<c>FloatStorage</c>...), or <see langword="null"/> for
    /// <c>UntypedStorage</c>.
    /// </summary>
    public DType? DType { get; }

    /// <summary>Declared size of the storage in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>
    /// The device tag the file recorded (<c>cpu</c>, <c>cuda:0</c>, <c>meta</c>...). Data is always read to host
    /// memory.
    /// </summary>
    public string Location { get; }

    /// <summary>
    /// The record holding the bytes (e.g. <c>archive/data/0</c>), or <see langword="null"/> when there is none.
    /// </summary>
    /// <exception cref="ObjectDisposedException">
    /// The name was not read yet and the owning file was disposed.
    /// </exception>
    public string? Record
    {
        get
        {
            if (_record is null && RecordOf.NameOf is not null && _released) ThrowDisposed();
            return _record ??= RecordOf.NameOf?.Invoke(RecordOf.Index);
        }
        internal set => _record = value;
    }

    private string? _record;

    /// <summary>
    /// The container member holding the bytes and how to name it, called on first use of <see cref="Record"/>
    /// (files with many records make no name string per record up front).
    /// </summary>
    internal (Func<int, string>? NameOf, int Index) RecordOf { get; init; }

    /// <summary>True when the file stored this storage big-endian; reads return host (little-endian) order.</summary>
    public bool IsBigEndian { get; }

    /// <summary>True when the bytes are available (false for storages of meta tensors and similar).</summary>
    public bool HasData => _source is not null;

    /// <summary>
    /// For storages computed while a file is written (quantized or pruned weights): writes exactly
    /// <see cref="ByteLength"/> bytes through the sink, in chunks, so no whole copy is ever held in memory.
    /// Such a storage has no <see cref="Bytes"/>; only the .pt writer reads it.
    /// </summary>
    internal Action<Action<ReadOnlySpan<byte>>>? Producer { get; init; }

    internal int SwapUnit { get; set; } = 1;

    /// <summary>
    /// For untyped storages, the dtype of the first tensor that viewed it (one storage has one dtype).
    /// </summary>
    internal DType? ViewDType { get; set; }

    /// <summary>
    /// A separate storage over a byte range of this one (legacy tar storage views, which torch loads as storages of
    /// their own).
    /// </summary>
    internal PtStorage Slice(string key, long byteOffset, long byteLength) =>
        new(key, DType, byteLength, Location, Record, _source, _start + byteOffset, IsBigEndian)
        {
            SwapUnit = SwapUnit,
        };

    /// <summary>
    /// Attaches the bytes once they are located (legacy files put storages after the pickle that names them).
    /// </summary>
    internal void Bind(IByteSource source, long start)
    {
        _source = source;
        _start = start;
    }

    /// <summary>
    /// The storage bytes in host order. For little-endian files this is a zero-copy view of the mapping; for
    /// big-endian files the first access byte-swaps a private copy per element.
    /// </summary>
    /// <exception cref="InvalidOperationException">The storage has no data.</exception>
    /// <exception cref="NotSupportedException">
    /// The storage is larger than 2 GiB (use <see cref="PtTensor.AsTensorSpan{T}"/>).
    /// </exception>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (ByteLength > int.MaxValue)
                throw new NotSupportedException(
                    $"storage '{Key}' holds {ByteLength} bytes, more than one span can address; " +
                    "use PtTensor.AsTensorSpan");
            return new ReadOnlySpan<byte>(Pointer, (int)ByteLength);
        }
    }

    /// <summary>
    /// True when the file that owns the bytes (<c>PtFile</c>, <c>SafetensorsFile</c>, <c>Checkpoint</c>) was
    /// disposed: every data accessor then throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public bool IsDisposed => _released || (_source is { } s && s.Pointer == null && s.Length > 0);

    /// <summary>Revokes access to the bytes: the owning file is being disposed.</summary>
    internal void Release() => _released = true;

    private bool _released;

    /// <summary>
    /// The first byte in host order. Every data accessor comes here, so this is where a disposed owner is caught:
    /// a released storage, or a mapping whose pointer the unmapping cleared, never hands out unmapped memory.
    /// </summary>
    internal byte* Pointer
    {
        get
        {
            if (_source is null)
                throw new InvalidOperationException($"storage '{Key}' has no data (location '{Location}')");
            byte* p = _source.Pointer;
            if (_released || (p == null && _source.Length > 0)) ThrowDisposed();
            if (!IsBigEndian || SwapUnit == 1) return p + _start;
            if (_swapped is null)
            {
                Interlocked.CompareExchange(ref _swapped, Swap(), null);
            }
            return _swapped.Pointer;
        }
    }

    /// <summary>
    /// Where the bytes lie in an open file, when they are its unchanged bytes (a mapped, stored record in host
    /// order), so a writer can have the kernel copy them file to file.
    /// </summary>
    internal bool TryGetFileRange(out Microsoft.Win32.SafeHandles.SafeFileHandle? handle, out long offset)
    {
        handle = null;
        offset = 0;
        if (_source is null || _released || (IsBigEndian && SwapUnit != 1)) return false;
        return _source.TryGetFileRange(_start, out handle, out offset);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowDisposed() => throw new ObjectDisposedException(
        "PtStorage",
        $"storage '{Key}' belongs to a file that was disposed; read its tensors before disposing the file");

    private PinnedBytes Swap()
    {
        var copy = PinnedBytes.CopyOf(new ReadOnlySpan<byte>(_source!.Pointer + _start, checked((int)ByteLength)));
        var span = copy.Array.AsSpan();
        int unit = SwapUnit;
        int whole = span.Length / unit * unit;
        switch (unit)
        {
            case 2:
                {
                    var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(span[..whole]);
                    BinaryPrimitives.ReverseEndianness(s, s);
                    break;
                }
            case 4:
                {
                    var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(span[..whole]);
                    BinaryPrimitives.ReverseEndianness(s, s);
                    break;
                }
            case 8:
                {
                    var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(span[..whole]);
                    BinaryPrimitives.ReverseEndianness(s, s);
                    break;
                }
            default: for (int i = 0; i < whole; i += unit) span.Slice(i, unit).Reverse(); break;
        }
        return copy;
    }

    /// <inheritdoc/>
    public override string ToString() => $"storage '{Key}' ({ByteLength} bytes, {Location})";
}
