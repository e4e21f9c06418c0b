using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PtSharp.Zip;

namespace PtSharp.Writing;

/// <summary>
/// Writes a zip the way PyTorch's writer (miniz in caffe2/serialize/inline_container.cc) does: every member stored,
/// its payload padded to a multiple of <c>alignment</c> with an 'FB' extra field so loaders can memory-map
/// tensors, sizes and CRC-32 in a data descriptor, and ZIP64 end records. Hand-written because
/// System.IO.Compression cannot align payloads.
/// </summary>
internal sealed class AlignedZipWriter
{
    private const int DescriptorSize = 16, Zip64DescriptorSize = 24;
    private readonly Stream _out;
    private readonly int _alignment;
    private readonly List<Member> _members = [];
    private long _position;

    private sealed record Member(byte[] Name, long Offset, long Size, uint Crc, bool Zip64);

    public AlignedZipWriter(Stream output, int alignment = 64)
    {
        _out = output;
        _alignment = alignment;
    }

    public void WriteRecord(string name, ReadOnlySpan<byte> data)
    {
        var crc = new Crc32();
        crc.Append(data);
        Begin(name, data.Length, out var member);
        Write(data);
        End(member, crc.GetCurrentHashAsUInt32());
    }

    /// <summary>
    /// Streams a record of known length: <paramref name="produce"/> writes exactly <paramref name="length"/> bytes
    /// through the sink, in chunks. The CRC-32 is computed from the chunks, or taken from <paramref name="knownCrc"/>
    /// (called once the bytes are written) when someone else computes it.
    /// </summary>
    public void WriteRecord(string name, long length, Action<Action<ReadOnlySpan<byte>>> produce,
        Func<uint>? knownCrc = null)
    {
        var crc = knownCrc is null ? new Crc32() : null;
        Begin(name, length, out var member);
        long written = 0;
        produce(chunk => { crc?.Append(chunk); Write(chunk); written += chunk.Length; });
        if (written != length)
            throw new InvalidOperationException($"record '{name}' produced {written} bytes, {length} were declared");
        End(member, crc?.GetCurrentHashAsUInt32() ?? knownCrc!());
    }

    /// <summary>
    /// Writes a record whose bytes <paramref name="copyAt"/> puts straight into the output file at the offset it is
    /// given (the kernel copying from a source file), bypassing the stream. The output must be a seekable stream
    /// that started empty at position 0; <paramref name="crc"/> is called once the bytes are in place.
    /// </summary>
    public void WriteRecordAt(string name, long length, Action<long> copyAt, Func<uint> crc)
    {
        Begin(name, length, out var member);
        _out.Flush();
        if (_out.Position != _position)
            throw new InvalidOperationException("the zip output does not start at offset 0");
        copyAt(_position);
        _position += length;
        _out.Seek(_position, SeekOrigin.Begin);
        End(member, crc());
    }

    private void Begin(string name, long size, out (byte[] Name, long Offset, long Size, bool Zip64) member)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        long offset = _position;
        bool zip64 = size >= 0xFFFFFFFF || offset >= 0xFFFFFFFF;
        int zip64Extra = zip64 ? 4 + (size >= 0xFFFFFFFF ? 16 : 0) + (offset >= 0xFFFFFFFF ? 8 : 0) : 0;
        long start = offset + ZipLayout.LocalHeaderSize + nameBytes.Length + zip64Extra + 4;
        int pad = (int)((_alignment - start % _alignment) % _alignment);

        Span<byte> h = stackalloc byte[ZipLayout.LocalHeaderSize];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, ZipLayout.LocalHeaderSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], Flags(size));
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)(zip64Extra + 4 + pad));
        Write(h);
        Write(nameBytes);
        if (zip64)
        {
            Span<byte> z = stackalloc byte[zip64Extra];
            BinaryPrimitives.WriteUInt16LittleEndian(z, ZipLayout.Zip64ExtraId);
            BinaryPrimitives.WriteUInt16LittleEndian(z[2..], (ushort)(zip64Extra - 4));
            int at = 4;
            if (size >= 0xFFFFFFFF)
            {
                BinaryPrimitives.WriteInt64LittleEndian(z[at..], size);
                BinaryPrimitives.WriteInt64LittleEndian(z[(at + 8)..], size);
                at += 16;
            }
            if (offset >= 0xFFFFFFFF) BinaryPrimitives.WriteInt64LittleEndian(z[at..], offset);
            Write(z);
        }
        Span<byte> fb = stackalloc byte[4 + pad];
        BinaryPrimitives.WriteUInt16LittleEndian(fb, ZipLayout.PyTorchPaddingExtraId);
        BinaryPrimitives.WriteUInt16LittleEndian(fb[2..], (ushort)pad);
        fb[4..].Fill((byte)'Z');
        Write(fb);
        member = (nameBytes, offset, size, zip64);
    }

    private void End((byte[] Name, long Offset, long Size, bool Zip64) m, uint crc)
    {
        if (m.Size > 0)
        {
            Span<byte> d = stackalloc byte[m.Zip64 ? Zip64DescriptorSize : DescriptorSize];
            BinaryPrimitives.WriteUInt32LittleEndian(d, ZipLayout.DataDescriptorSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(d[4..], crc);
            if (m.Zip64)
            {
                BinaryPrimitives.WriteInt64LittleEndian(d[8..], m.Size);
                BinaryPrimitives.WriteInt64LittleEndian(d[16..], m.Size);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(d[8..], (uint)m.Size);
                BinaryPrimitives.WriteUInt32LittleEndian(d[12..], (uint)m.Size);
            }
            Write(d);
        }
        _members.Add(new Member(m.Name, m.Offset, m.Size, crc, m.Zip64));
    }

    private static ushort Flags(long size) => (ushort)(size > 0 ? 0x0808 : 0x0800);

    /// <summary>Writes the central directory and the ZIP64 + classic end records.</summary>
    public void Finish()
    {
        long cdStart = _position;
        Span<byte> buffer = stackalloc byte[ZipLayout.CentralHeaderSize + 28];
        foreach (var m in _members)
        {
            bool bigSize = m.Size >= 0xFFFFFFFF, bigOffset = m.Offset >= 0xFFFFFFFF;
            int extra = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
            Span<byte> c = buffer[..(ZipLayout.CentralHeaderSize + extra)];
            c.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(c, ZipLayout.CentralHeaderSignature);
            BinaryPrimitives.WriteUInt16LittleEndian(c[8..], Flags(m.Size));
            BinaryPrimitives.WriteUInt32LittleEndian(c[16..], m.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(c[20..], bigSize ? 0xFFFFFFFF : (uint)m.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], bigSize ? 0xFFFFFFFF : (uint)m.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(c[28..], (ushort)m.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(c[30..], (ushort)extra);
            BinaryPrimitives.WriteUInt32LittleEndian(c[42..], bigOffset ? 0xFFFFFFFF : (uint)m.Offset);
            if (extra > 0)
            {
                var z = c[ZipLayout.CentralHeaderSize..];
                BinaryPrimitives.WriteUInt16LittleEndian(z, ZipLayout.Zip64ExtraId);
                BinaryPrimitives.WriteUInt16LittleEndian(z[2..], (ushort)(extra - 4));
                int at = 4;
                if (bigSize)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(z[at..], m.Size);
                    BinaryPrimitives.WriteInt64LittleEndian(z[(at + 8)..], m.Size);
                    at += 16;
                }
                if (bigOffset) BinaryPrimitives.WriteInt64LittleEndian(z[at..], m.Offset);
            }
            Write(c[..ZipLayout.CentralHeaderSize]);
            Write(m.Name);
            Write(c[ZipLayout.CentralHeaderSize..]);
        }
        long cdSize = _position - cdStart;
        long zip64End = _position;

        Span<byte> z64 = stackalloc byte[ZipLayout.Zip64EndOfCentralDirectorySize];
        z64.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(z64, ZipLayout.Zip64EndOfCentralDirectorySignature);
        BinaryPrimitives.WriteUInt64LittleEndian(z64[4..], ZipLayout.Zip64EndOfCentralDirectorySize - 12);
        BinaryPrimitives.WriteUInt16LittleEndian(z64[12..], 0x031E);
        BinaryPrimitives.WriteUInt16LittleEndian(z64[14..], 0x002D);
        BinaryPrimitives.WriteUInt64LittleEndian(z64[24..], (ulong)_members.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(z64[32..], (ulong)_members.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(z64[40..], (ulong)cdSize);
        BinaryPrimitives.WriteUInt64LittleEndian(z64[48..], (ulong)cdStart);
        Write(z64);

        Span<byte> loc = stackalloc byte[ZipLayout.Zip64LocatorSize];
        loc.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(loc, ZipLayout.Zip64LocatorSignature);
        BinaryPrimitives.WriteUInt64LittleEndian(loc[8..], (ulong)zip64End);
        BinaryPrimitives.WriteUInt32LittleEndian(loc[16..], 1);
        Write(loc);

        Span<byte> e = stackalloc byte[ZipLayout.EndOfCentralDirectorySize];
        e.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(e, ZipLayout.EndOfCentralDirectorySignature);
        ushort count = (ushort)Math.Min(_members.Count, 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(e[8..], count);
        BinaryPrimitives.WriteUInt16LittleEndian(e[10..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)Math.Min(cdSize, 0xFFFFFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)Math.Min(cdStart, 0xFFFFFFFF));
        Write(e);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _out.Write(bytes);
        _position += bytes.Length;
    }
}
