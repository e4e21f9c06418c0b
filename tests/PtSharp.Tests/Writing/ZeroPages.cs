using System.Runtime.InteropServices;
using PtSharp.IO;
using PtSharp.Tensors;

namespace PtSharp.Tests.Writing;

/// <summary>
/// A huge zero-filled buffer that costs no RAM until written (calloc of this size maps fresh anonymous pages; reads
/// of untouched pages share the kernel's zero page), wrapped as a storage. For archives over 4 GiB.
/// </summary>
internal sealed unsafe class ZeroPages : IByteSource
{
    private byte* _pointer;

    public ZeroPages(long length)
    {
        Length = length;
        _pointer = (byte*)NativeMemory.AllocZeroed((nuint)length);
    }

    public long Length { get; }

    public byte* Pointer => _pointer;

    public Span<byte> Slice(long offset, int length) => new(_pointer + offset, length);

    /// <summary>A uint8 storage over the whole buffer (keeps this object as its source).</summary>
    public PtStorage Storage() => new("zero", DType.UInt8, Length, "cpu", null, this, 0, false);

    public void Dispose()
    {
        if (_pointer != null) NativeMemory.Free(_pointer);
        _pointer = null;
    }
}
