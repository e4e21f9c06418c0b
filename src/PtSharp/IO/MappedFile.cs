using System.IO.MemoryMappedFiles;

using PtSharp.Errors;

namespace PtSharp.IO;

/// <summary>
/// A read-only memory mapping of a whole file. Spans handed out from it stay valid until <see cref="Dispose"/>;
/// nothing is copied. An empty file is represented without a mapping (the OS refuses zero-length maps).
/// </summary>
internal sealed unsafe class MappedFile : IByteSource
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    /// <param name="path">The file.</param>
    /// <param name="share">Sharing for other handles; <see cref="FileShare.ReadWrite"/> maps a file another handle is still writing.</param>
    public MappedFile(string path, FileShare share = FileShare.Read)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, share, 1, FileOptions.None);
        Length = stream.Length;
        if (Length == 0) return;
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    public long Length { get; }

    public byte* Pointer => _pointer;

    public void Dispose()
    {
        if (_view is not null && _pointer != null)
        {
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}

/// <summary>Bytes addressable by pointer for the lifetime of the owner (a mapping or a pinned array).</summary>
internal unsafe interface IByteSource : IDisposable
{
    long Length { get; }
    byte* Pointer { get; }
}

/// <summary>A pinned managed buffer exposed through <see cref="IByteSource"/> (in-memory loads, decompressed records).</summary>
internal sealed unsafe class PinnedBytes : IByteSource
{
    private readonly byte[] _array;

    public PinnedBytes(byte[] array)
    {
        _array = array;
    }

    /// <summary>A shared zero-length source for empty storages.</summary>
    public static readonly PinnedBytes Empty = new(GC.AllocateUninitializedArray<byte>(0, pinned: true));

    public static PinnedBytes Allocate(long length)
    {
        if (length > System.Array.MaxLength) ThrowHelper.Limit($"a buffer of {length} bytes exceeds the largest array .NET can allocate");
        return new PinnedBytes(GC.AllocateUninitializedArray<byte>((int)length, pinned: true));
    }

    public static PinnedBytes CopyOf(ReadOnlySpan<byte> bytes)
    {
        var p = Allocate(bytes.Length);
        bytes.CopyTo(p._array);
        return p;
    }

    public byte[] Array => _array;

    public long Length => _array.Length;

    // Arrays from AllocateUninitializedArray(pinned: true) live on the pinned heap, so the address is stable.
    public byte* Pointer => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_array));

    public void Dispose() { }
}
