using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace PtSharp.Tests.Support;

/// <summary>
/// Writes a zip in memory the way PyTorch's miniz-based writer does (pt-format.md 1.2): stored members, an
/// <c>FB</c> extra field padding every payload to a 64-byte boundary, zero CRC/sizes in the local header with a
/// data descriptor after the payload, ZIP64 end records. Each feature can be switched off or varied (deflate for
/// chosen members, ZIP64 extras in the central directory, clamped classic end record) so tests control the bytes.
/// </summary>
internal sealed class ZipBuilder
{
    private sealed record Member(string Name, byte[] Data, bool Deflate);

    private readonly List<Member> _members = [];

    /// <summary>Payload alignment via the 'FB' extra field; <see langword="null"/> writes no FB field at all.</summary>
    public int? Alignment { get; set; } = 64;
    /// <summary>Torch style: local header CRC/sizes are 0, flag bit 3 set, data descriptor after non-empty payloads.</summary>
    public bool DataDescriptors { get; set; } = true;
    /// <summary>Write a ZIP64 end-of-central-directory record and locator before the classic one (miniz always does).</summary>
    public bool Zip64End { get; set; } = true;
    /// <summary>Write 0xFFFF / 0xFFFFFFFF in the classic end record so only the ZIP64 record has the real values.</summary>
    public bool ClampClassicEnd { get; set; }
    /// <summary>Central-directory sizes and offsets are 0xFFFFFFFF with the real values in a ZIP64 (0x0001) extra.</summary>
    public bool Zip64CentralExtras { get; set; }

    /// <summary>Uncompressed sizes to declare in the central directory instead of the real ones (zip-bomb tests).</summary>
    public Dictionary<string, uint> DeclaredSizes { get; } = new(StringComparer.Ordinal);

    /// <summary>File offset of each member's payload after <see cref="Build"/>.</summary>
    public Dictionary<string, long> PayloadOffsets { get; } = new(StringComparer.Ordinal);

    public ZipBuilder Add(string name, byte[] data, bool deflate = false)
    {
        _members.Add(new Member(name, data, deflate));
        return this;
    }

    public ZipBuilder Add(string name, string text) => Add(name, Encoding.ASCII.GetBytes(text));

    public ZipBuilder Remove(string name)
    {
        _members.RemoveAll(m => m.Name == name);
        return this;
    }

    /// <summary>Marks an existing member to be deflated.</summary>
    public ZipBuilder DeflateMember(string name)
    {
        int i = _members.FindIndex(m => m.Name == name);
        if (i < 0) throw new ArgumentException($"no member {name}");
        _members[i] = _members[i] with { Deflate = true };
        return this;
    }

    public byte[] Build()
    {
        PayloadOffsets.Clear();
        var file = new MemoryStream();
        var central = new MemoryStream();
        foreach (var m in _members)
        {
            byte[] name = Encoding.UTF8.GetBytes(m.Name);
            byte[] payload = m.Deflate ? Deflate(m.Data) : m.Data;
            uint crc = Crc32.HashToUInt32(m.Data);
            long lho = file.Position;
            byte[] extra = [];
            if (Alignment is int align)
            {
                long start = lho + 30 + name.Length + 4;
                long aligned = (start + align - 1) / align * align;
                int pad = (int)(aligned - start);
                extra = new byte[4 + pad];
                extra[0] = (byte)'F';
                extra[1] = (byte)'B';
                BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)pad);
                extra.AsSpan(4).Fill((byte)'Z');
            }
            bool descriptor = DataDescriptors && m.Data.Length > 0;
            ushort flags = (ushort)(0x0800 | (descriptor ? 0x0008 : 0));
            ushort method = (ushort)(m.Deflate ? 8 : 0);
            ushort needed = (ushort)(m.Deflate ? 20 : 0);

            var w = new Writer(file);
            w.U32(0x04034b50).U16(needed).U16(flags).U16(method).U16(0).U16(0);
            if (descriptor) w.U32(0).U32(0).U32(0);
            else w.U32(crc).U32((uint)payload.Length).U32((uint)m.Data.Length);
            w.U16(name.Length).U16(extra.Length).Bytes(name).Bytes(extra);
            PayloadOffsets[m.Name] = file.Position;
            w.Bytes(payload);
            if (descriptor) w.U32(0x08074b50).U32(crc).U32((uint)payload.Length).U32((uint)m.Data.Length);

            byte[] centralExtra = [];
            uint csize = (uint)payload.Length, usize = DeclaredSizes.TryGetValue(m.Name, out var declared) ? declared : (uint)m.Data.Length, lho32 = (uint)lho;
            if (Zip64CentralExtras)
            {
                centralExtra = new byte[4 + 24];
                BinaryPrimitives.WriteUInt16LittleEndian(centralExtra, 0x0001);
                BinaryPrimitives.WriteUInt16LittleEndian(centralExtra.AsSpan(2), 24);
                BinaryPrimitives.WriteUInt64LittleEndian(centralExtra.AsSpan(4), (ulong)m.Data.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(centralExtra.AsSpan(12), (ulong)payload.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(centralExtra.AsSpan(20), (ulong)lho);
                csize = usize = lho32 = 0xFFFFFFFF;
            }
            new Writer(central)
                .U32(0x02014b50).U16(0x031E).U16(needed).U16(flags).U16(method).U16(0).U16(0)
                .U32(crc).U32(csize).U32(usize).U16(name.Length).U16(centralExtra.Length).U16(0)
                .U16(0).U16(0).U32(0).U32(lho32).Bytes(name).Bytes(centralExtra);
        }

        long cdOffset = file.Position;
        long cdSize = central.Length;
        central.Position = 0;
        central.CopyTo(file);
        var end = new Writer(file);
        if (Zip64End)
        {
            long z64 = file.Position;
            end.U32(0x06064b50).U64(44).U16(0x031E).U16(0x002D).U32(0).U32(0)
               .U64((ulong)_members.Count).U64((ulong)_members.Count).U64((ulong)cdSize).U64((ulong)cdOffset);
            end.U32(0x07064b50).U32(0).U64((ulong)z64).U32(1);
        }
        bool clamp = ClampClassicEnd;
        end.U32(0x06054b50).U16(0).U16(0)
           .U16(clamp ? 0xFFFF : _members.Count).U16(clamp ? 0xFFFF : _members.Count)
           .U32(clamp ? 0xFFFFFFFF : (uint)cdSize).U32(clamp ? 0xFFFFFFFF : (uint)cdOffset).U16(0);
        return file.ToArray();
    }

    private static byte[] Deflate(byte[] data)
    {
        var ms = new MemoryStream();
        using (var d = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true)) d.Write(data);
        return ms.ToArray();
    }

    private readonly struct Writer(Stream s)
    {
        public Writer U16(int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); s.Write(b); return this; }
        public Writer U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); return this; }
        public Writer U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); return this; }
        public Writer Bytes(byte[] b) { s.Write(b); return this; }
    }

    // ---- torch.save archives ----------------------------------------------------------------------------------

    /// <summary>
    /// A torch.save zip: <c>archive/data.pkl</c>, <c>archive/byteorder</c> (<c>little</c>), <c>archive/data/0..N-1</c>
    /// holding <paramref name="records"/>, then <c>archive/version</c> (<c>3\n</c>).
    /// </summary>
    public static byte[] MakePt(byte[] dataPkl, params byte[][] records) => Torch(dataPkl, records).Build();

    /// <summary>Like <see cref="MakePt"/> but returns the builder so a test can vary it before building.</summary>
    public static ZipBuilder Torch(byte[] dataPkl, byte[][] records, string archive = "archive", string? byteOrder = "little",
        string versionRecord = "version", string version = "3\n") =>
        TorchKeyed(dataPkl, records.Select((r, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), r)), archive, byteOrder, versionRecord, version);

    /// <summary>A torch.save zip whose storage records have the given keys (<c>archive/data/&lt;key&gt;</c>).</summary>
    public static ZipBuilder TorchKeyed(byte[] dataPkl, IEnumerable<(string Key, byte[] Data)> records, string archive = "archive",
        string? byteOrder = "little", string versionRecord = "version", string version = "3\n")
    {
        var z = new ZipBuilder().Add(archive + "/data.pkl", dataPkl);
        if (byteOrder is not null) z.Add(archive + "/byteorder", byteOrder);
        foreach (var (key, data) in records) z.Add(archive + "/data/" + key, data);
        z.Add(archive + "/" + versionRecord, version);
        return z;
    }
}

/// <summary>Raw little-endian bytes of values, for storage records.</summary>
internal static class RawData
{
    public static byte[] Of<T>(params T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>The same values with each element's bytes reversed (what a big-endian writer stores).</summary>
    public static byte[] BigEndianOf<T>(params T[] values) where T : unmanaged
    {
        var bytes = Of(values);
        int size = Marshal.SizeOf<T>();
        for (int i = 0; i < bytes.Length; i += size) bytes.AsSpan(i, size).Reverse();
        return bytes;
    }
}
