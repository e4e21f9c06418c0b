using System.IO.MemoryMappedFiles;
using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// Where tensors split over several chunks are assembled: one temporary file, mapped read-write and deleted when
/// closed. Page cache rather than managed memory holds the assembled bytes, and they stay addressable (so every
/// span handed out stays valid) until the checkpoint is disposed.
/// </summary>
internal sealed unsafe class DcpScratch : IByteSource
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    public DcpScratch(long length)
    {
        Length = length;
        if (length == 0) return;
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ptsharp-dcp-{Guid.NewGuid():N}.tmp");
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        try
        {
            _map = MemoryMappedFile.CreateFromFile(stream, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
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

/// <summary>
/// The bytes of one assembled tensor: a region of <see cref="DcpScratch"/> filled from the tensor's chunks the
/// first time its pointer is asked for.
/// </summary>
internal sealed unsafe class AssembledTensorSource(DcpScratch scratch, long start, long length, Action<IntPtr> fill) : IByteSource
{
    private readonly Lock _gate = new();
    private volatile bool _filled;

    public long Length { get; } = length;

    public byte* Pointer
    {
        get
        {
            byte* p = scratch.Pointer + start;
            if (!_filled)
            {
                lock (_gate)
                {
                    if (!_filled)
                    {
                        fill((IntPtr)p);
                        _filled = true;
                    }
                }
            }
            return p;
        }
    }

    public void Dispose() { }
}
