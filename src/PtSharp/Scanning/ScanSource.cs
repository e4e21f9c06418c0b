using PtSharp.IO;

namespace PtSharp.Scanning;

/// <summary>Bytes being scanned, addressed by 64-bit offsets; spans are handed out in pieces of at most 2 GiB.</summary>
internal sealed unsafe class ScanSource(IByteSource bytes)
{
    public long Length => bytes.Length;

    /// <summary>The whole input as a window, for the container walkers shared with the loader.</summary>
    public ByteWindow Window => new(bytes, 0, bytes.Length);

    /// <summary>The bytes [<paramref name="offset"/>, +<paramref name="count"/>) clamped to the input and to 2 GiB.</summary>
    public ReadOnlySpan<byte> Span(long offset, long count)
    {
        if (offset < 0 || offset >= Length || count <= 0) return [];
        long n = Math.Min(Math.Min(count, Length - offset), int.MaxValue);
        return new ReadOnlySpan<byte>(bytes.Pointer + offset, (int)n);
    }

    /// <summary>True when [<paramref name="offset"/>, +<paramref name="count"/>) lies inside the input.</summary>
    public bool Contains(long offset, long count) =>
        offset >= 0 && count >= 0 && offset <= Length && count <= Length - offset;
}
