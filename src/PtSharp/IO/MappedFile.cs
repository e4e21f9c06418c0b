using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using PtSharp.Errors;

namespace PtSharp.IO;

/// <summary>
/// A read-only memory mapping of a whole file. Spans handed out from it stay valid until <see cref="Dispose"/>;
/// nothing is copied. An empty file is represented without a mapping (the OS refuses zero-length maps). The file
/// stays open while mapped, so a writer can copy its bytes file-to-file in the kernel (<see cref="KernelCopy"/>)
/// from the very file that was mapped, even if the path was since replaced.
/// </summary>
internal sealed unsafe class MappedFile : IByteSource
{
    private readonly FileStream? _stream;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    /// <param name="path">The file.</param>
    /// <param name="share">
    /// Sharing for other handles; <see cref="FileShare.ReadWrite"/> maps a file another handle is still writing.
    /// </param>
    public MappedFile(string path, FileShare share = FileShare.Read)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, share, 1, FileOptions.None);
        try
        {
            Length = stream.Length;
            if (Length == 0) return;
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            // Kept open only where the kernel can copy from it, and without the advisory lock .NET takes for
            // FileShare: other opens of the file behave as before, when the handle was closed once mapped.
            if (KernelCopy.IsAvailable && KernelCopy.Unlock(stream.SafeFileHandle)) _stream = stream;
        }
        catch
        {
            _view?.Dispose();
            _map?.Dispose();
            stream.Dispose();
            throw;
        }
        finally
        {
            if (_stream is null) stream.Dispose();
        }
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    public long Length { get; }

    public byte* Pointer => _pointer;

    public bool TryGetFileRange(long start, out SafeFileHandle? handle, out long offset)
    {
        handle = _pointer == null || _stream is null ? null : _stream.SafeFileHandle;
        offset = start;
        return handle is not null;
    }

    public void Dispose()
    {
        if (_view is not null && _pointer != null)
        {
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
        _stream?.Dispose();
    }
}

/// <summary>Bytes addressable by pointer for the lifetime of the owner (a mapping or a pinned array).</summary>
internal unsafe interface IByteSource : IDisposable
{
    long Length { get; }
    byte* Pointer { get; }

    /// <summary>
    /// Where the byte at <paramref name="start"/> lies in an open file, when this source is a file's mapping (or a
    /// range of one): the kernel can then copy from the file instead of the mapping.
    /// </summary>
    bool TryGetFileRange(long start, out SafeFileHandle? handle, out long offset)
    {
        handle = null;
        offset = 0;
        return false;
    }
}

/// <summary>
/// A pinned managed buffer exposed through <see cref="IByteSource"/> (in-memory loads, decompressed records).
/// </summary>
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
        if (length > System.Array.MaxLength)
            ThrowHelper.Limit($"a buffer of {length} bytes exceeds the largest array .NET can allocate");
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
    public byte* Pointer => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(
        ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_array));

    public void Dispose() { }
}
