namespace PtSharp.IO;

/// <summary>
/// A byte range of another source, addressed from 0 (a <c>torch.save</c> blob inside a DCP <c>.distcp</c> file). It
/// owns nothing: the parent stays mapped for as long as this is used.
/// </summary>
internal sealed unsafe class SubSource(IByteSource parent, long start, long length) : IByteSource
{
    public long Length { get; } = length;

    public byte* Pointer => parent.Pointer + start;

    public void Dispose() { }
}
