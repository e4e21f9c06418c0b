using PtSharp.IO;

namespace PtSharp.TorchSharp;

/// <summary>libtorch tensor memory exposed to PtSharp's writer; the owning tensor must outlive it.</summary>
internal sealed unsafe class NativeBytes(byte* pointer, long length) : IByteSource
{
    public long Length => length;
    public byte* Pointer => pointer;
    public void Dispose() { }
}
