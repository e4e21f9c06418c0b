namespace PtSharp.IO;

/// <summary>
/// A byte range of another source, addressed from 0 (a <c>torch.save</c> blob inside a DCP <c>.distcp</c> file). It
/// owns nothing: the parent stays mapped for as long as this is used.
/// </summary>
internal sealed unsafe class SubSource(IByteSource parent, long start, long length) : IByteSource
{
    public long Length { get; } = length;

    public byte* Pointer => parent.Pointer + start;

    public bool TryGetFileRange(long offset, out Microsoft.Win32.SafeHandles.SafeFileHandle? handle,
        out long fileOffset) => parent.TryGetFileRange(start + offset, out handle, out fileOffset);

    public void Dispose() { }
}
