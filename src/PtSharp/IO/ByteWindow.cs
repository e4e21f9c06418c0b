using PtSharp.Errors;

namespace PtSharp.IO;

/// <summary>
/// A bounds-checked window [Start, Start+Length) over an <see cref="IByteSource"/>. All reads of untrusted
/// offsets go through here so an out-of-range offset becomes a typed format error, never an access violation.
/// </summary>
internal readonly unsafe struct ByteWindow
{
    public ByteWindow(IByteSource source, long start, long length)
    {
        Source = source;
        Start = start;
        Length = length;
    }

    public IByteSource Source { get; }
    public long Start { get; }
    public long Length { get; }

    public byte* Pointer => Source.Pointer + Start;

    public bool Contains(long offset, long count) => offset >= 0 && count >= 0 && offset <= Length && count <= Length - offset;

    public ReadOnlySpan<byte> Span(long offset, long count, string what, string? record)
    {
        if (!Contains(offset, count)) ThrowHelper.Truncated(what, record, offset);
        if (count > int.MaxValue) ThrowHelper.Format(PtErrorKind.Unsupported, $"{what} is larger than 2 GiB and cannot be read as one span", record, offset);
        return new ReadOnlySpan<byte>(Pointer + offset, (int)count);
    }

    public ByteWindow Slice(long offset, long count, string what, string? record)
    {
        if (!Contains(offset, count)) ThrowHelper.Truncated(what, record, offset);
        return new ByteWindow(Source, Start + offset, count);
    }
}
