namespace PtSharp.Tests.Writing;

/// <summary>
/// A write-only file stream that turns large all-zero writes into holes (seeks), so a multi-GiB archive of zero
/// payloads costs almost no disk. The file reads back exactly as if every byte had been written.
/// </summary>
internal sealed class SparseFileStream(string path) : Stream
{
    private readonly FileStream _inner = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    private long _position;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _position;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length >= 64 << 10 && !buffer.ContainsAnyExcept((byte)0))
            _inner.Seek(buffer.Length, SeekOrigin.Current);
        else _inner.Write(buffer);
        _position += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() => _inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_inner.Length < _position) _inner.SetLength(_position); // a trailing hole
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
