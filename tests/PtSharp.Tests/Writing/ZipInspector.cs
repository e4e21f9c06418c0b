using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PtSharp.Tests.Writing;

/// <summary>
/// An independent reader of the raw zip structures of a written file (it shares no code with PtSharp's reader): the
/// end records, the central directory, every local header, its extra fields, payload, CRC-32 and data descriptor.
/// <see cref="Problems"/> lists every way the file departs from the layout torch.save writes.
/// </summary>
internal sealed class ZipInspector
{
    public const uint LocalSig = 0x04034b50, CentralSig = 0x02014b50, EndSig = 0x06054b50;
    public const uint Zip64EndSig = 0x06064b50, Zip64LocatorSig = 0x07064b50, DescriptorSig = 0x08074b50;
    public const ushort Zip64ExtraId = 0x0001, FbExtraId = 0x4246;

    public sealed record Member(
        string Name, long LocalHeaderOffset, ushort Flags, ushort Method, uint Crc, long Size, long CompressedSize,
        long DataOffset, int PaddingLength, bool LocalZip64, long? DescriptorOffset, int DescriptorLength, uint PayloadCrc)
    {
        public long End => DataOffset + CompressedSize + DescriptorLength;
    }

    public List<Member> Members { get; } = [];
    public List<string> Problems { get; } = [];
    public long FileLength { get; private set; }
    public long CentralDirectoryOffset { get; private set; }
    public long CentralDirectorySize { get; private set; }
    public long Zip64EndOffset { get; private set; } = -1;
    public ushort EocdEntryCount { get; private set; }
    public uint EocdCentralDirectoryOffset { get; private set; }

    private readonly SafeFileHandle _file;
    private byte[]? _buffer;

    private ZipInspector(SafeFileHandle file) { _file = file; }

    /// <summary>Parses <paramref name="path"/> and checks every structure (CRCs are computed over every payload).</summary>
    public static ZipInspector Inspect(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var z = new ZipInspector(handle);
        try { z.Parse(); }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or EndOfStreamException or OverflowException)
        {
            z.Problems.Add("unparseable: " + e.Message);
        }
        return z;
    }

    private byte[] Read(long offset, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = RandomAccess.Read(_file, buffer.AsSpan(got), offset + got);
            if (n == 0) throw new EndOfStreamException($"read of {count} bytes at {offset} runs past the end of the file ({FileLength} bytes)");
            got += n;
        }
        return buffer;
    }

    private uint Crc(long offset, long length)
    {
        var crc = new Crc32();
        var buffer = _buffer ??= new byte[1 << 20];
        for (long at = 0; at < length;)
        {
            int n = RandomAccess.Read(_file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)), offset + at);
            if (n == 0) throw new EndOfStreamException($"payload at {offset} ({length} bytes) runs past the end of the file");
            crc.Append(buffer.AsSpan(0, n));
            at += n;
        }
        return crc.GetCurrentHashAsUInt32();
    }

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    private static long I64(byte[] b, int at) => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at)));

    private void Parse()
    {
        FileLength = RandomAccess.GetLength(_file);
        // torch.save writes no archive comment, so the end record is the last 22 bytes, preceded by the ZIP64 locator.
        long eocdAt = FileLength - 22;
        var eocd = Read(eocdAt, 22);
        if (U32(eocd, 0) != EndSig) { Problems.Add("no end-of-central-directory record in the last 22 bytes"); return; }
        if (U16(eocd, 20) != 0) Problems.Add("archive comment present");
        EocdEntryCount = U16(eocd, 10);
        if (U16(eocd, 8) != EocdEntryCount) Problems.Add("end record: entries on this disk != total entries");
        EocdCentralDirectoryOffset = U32(eocd, 16);
        uint eocdCdSize = U32(eocd, 12);

        var loc = Read(eocdAt - 20, 20);
        if (U32(loc, 0) != Zip64LocatorSig) { Problems.Add("no ZIP64 end-of-central-directory locator before the end record"); return; }
        if (U32(loc, 4) != 0 || U32(loc, 16) != 1) Problems.Add("ZIP64 locator: unexpected disk numbers");
        Zip64EndOffset = I64(loc, 8);
        var z64 = Read(Zip64EndOffset, 56);
        if (U32(z64, 0) != Zip64EndSig) { Problems.Add($"no ZIP64 end record at {Zip64EndOffset}"); return; }
        if (I64(z64, 4) != 44) Problems.Add($"ZIP64 end record size {I64(z64, 4)} != 44");
        if (Zip64EndOffset + 56 != eocdAt - 20) Problems.Add("bytes between the ZIP64 end record and its locator");
        long count = I64(z64, 24);
        if (I64(z64, 32) != count) Problems.Add("ZIP64 end record: entries on this disk != total entries");
        CentralDirectorySize = I64(z64, 40);
        CentralDirectoryOffset = I64(z64, 48);
        if (CentralDirectoryOffset + CentralDirectorySize != Zip64EndOffset) Problems.Add("the ZIP64 end record does not follow the central directory");
        if (EocdEntryCount != Math.Min(count, 0xFFFF)) Problems.Add($"end record entry count {EocdEntryCount} for {count} entries");
        if (EocdCentralDirectoryOffset != (uint)Math.Min(CentralDirectoryOffset, 0xFFFFFFFF)) Problems.Add("end record central directory offset disagrees with the ZIP64 record");
        if (eocdCdSize != (uint)Math.Min(CentralDirectorySize, 0xFFFFFFFF)) Problems.Add("end record central directory size disagrees with the ZIP64 record");

        var cd = Read(CentralDirectoryOffset, checked((int)CentralDirectorySize));
        int p = 0;
        long expectedLocal = 0;
        for (long i = 0; i < count; i++)
        {
            if (U32(cd, p) != CentralSig) { Problems.Add($"central entry {i}: bad signature"); return; }
            ushort flags = U16(cd, p + 8), method = U16(cd, p + 10);
            uint crc = U32(cd, p + 16);
            long csize = U32(cd, p + 20), usize = U32(cd, p + 24);
            int nameLen = U16(cd, p + 28), extraLen = U16(cd, p + 30), commentLen = U16(cd, p + 32);
            long lho = U32(cd, p + 42);
            string name = Encoding.UTF8.GetString(cd, p + 46, nameLen);
            int e = p + 46 + nameLen, eEnd = e + extraLen;
            while (e < eEnd)
            {
                ushort id = U16(cd, e), len = U16(cd, e + 2);
                if (id == Zip64ExtraId)
                {
                    int at = e + 4;
                    if (usize == 0xFFFFFFFF) { usize = I64(cd, at); at += 8; }
                    if (csize == 0xFFFFFFFF) { csize = I64(cd, at); at += 8; }
                    if (lho == 0xFFFFFFFF) { lho = I64(cd, at); at += 8; }
                    if (at != e + 4 + len) Problems.Add($"{name}: central ZIP64 extra has {len} bytes, {at - e - 4} used");
                }
                else Problems.Add($"{name}: unexpected central extra field 0x{id:X4}");
                e += 4 + len;
            }
            if (usize == 0xFFFFFFFF || csize == 0xFFFFFFFF || lho == 0xFFFFFFFF) Problems.Add($"{name}: 0xFFFFFFFF field without a ZIP64 extra value");
            p = eEnd + commentLen;
            if (method != 0) Problems.Add($"{name}: method {method}, not stored");
            if (csize != usize) Problems.Add($"{name}: compressed size {csize} != size {usize}");
            if (lho != expectedLocal) Problems.Add($"{name}: local header at {lho}, expected {expectedLocal} (members must be contiguous, in order)");
            var m = InspectLocal(name, lho, flags, method, crc, usize, csize);
            if (m is null) return;
            Members.Add(m);
            expectedLocal = m.End;
        }
        if (p != cd.Length) Problems.Add($"central directory has {cd.Length - p} trailing bytes");
        if (expectedLocal != CentralDirectoryOffset) Problems.Add($"central directory at {CentralDirectoryOffset}, last member ends at {expectedLocal}");
    }

    private Member? InspectLocal(string name, long lho, ushort flags, ushort method, uint crc, long size, long csize)
    {
        var h = Read(lho, 30);
        if (U32(h, 0) != LocalSig) { Problems.Add($"{name}: no local header at {lho}"); return null; }
        ushort lflags = U16(h, 6), lmethod = U16(h, 8);
        int nameLen = U16(h, 26), extraLen = U16(h, 28);
        var rest = Read(lho + 30, nameLen + extraLen);
        string lname = Encoding.UTF8.GetString(rest, 0, nameLen);
        if (lname != name) Problems.Add($"{name}: local header names '{lname}'");
        if (lflags != flags) Problems.Add($"{name}: local flags 0x{lflags:X4} != central 0x{flags:X4}");
        if (lmethod != method) Problems.Add($"{name}: local method {lmethod} != central {method}");
        bool descriptor = (lflags & 0x0008) != 0;
        if (descriptor && (U32(h, 14) != 0 || U32(h, 18) != 0 || U32(h, 22) != 0))
            Problems.Add($"{name}: data-descriptor flag set but the local header carries CRC/sizes");
        if (!descriptor && (U32(h, 14) != crc || U32(h, 18) != (uint)csize || U32(h, 22) != (uint)size))
            Problems.Add($"{name}: local header CRC/sizes differ from the central directory");
        bool localZip64 = false;
        int padding = -1;
        for (int e = nameLen; e < nameLen + extraLen;)
        {
            ushort id = U16(rest, e), len = U16(rest, e + 2);
            if (id == Zip64ExtraId) localZip64 = true;
            else if (id == FbExtraId)
            {
                if (padding >= 0) Problems.Add($"{name}: two FB padding fields");
                padding = len;
            }
            else Problems.Add($"{name}: unexpected local extra field 0x{id:X4}");
            if (e + 4 + len > nameLen + extraLen) { Problems.Add($"{name}: local extra field overruns"); break; }
            e += 4 + len;
        }
        if (padding < 0) Problems.Add($"{name}: no FB padding field");
        long dataOffset = lho + 30 + nameLen + extraLen;
        if (dataOffset % 64 != 0) Problems.Add($"{name}: payload at {dataOffset} is not 64-byte aligned");
        if (padding >= 64) Problems.Add($"{name}: {padding} padding bytes (more than needed for 64-byte alignment)");

        uint payloadCrc = Crc(dataOffset, csize);
        if (payloadCrc != crc) Problems.Add($"{name}: payload CRC-32 {payloadCrc:X8} != central directory CRC {crc:X8}");

        long? descAt = null;
        int descLen = 0;
        if (size > 0 && !descriptor) Problems.Add($"{name}: {size}-byte payload without a data descriptor");
        if (size == 0 && descriptor) Problems.Add($"{name}: empty payload with a data-descriptor flag");
        if (descriptor)
        {
            descAt = dataOffset + csize;
            descLen = localZip64 ? 24 : 16;
            var d = Read(descAt.Value, descLen);
            if (U32(d, 0) != DescriptorSig) Problems.Add($"{name}: no data descriptor signature after the payload");
            if (U32(d, 4) != crc) Problems.Add($"{name}: descriptor CRC {U32(d, 4):X8} != central {crc:X8}");
            long dc = localZip64 ? I64(d, 8) : U32(d, 8), du = localZip64 ? I64(d, 16) : U32(d, 12);
            if (dc != csize || du != size) Problems.Add($"{name}: descriptor sizes {dc}/{du} != {csize}/{size}");
        }
        return new Member(name, lho, flags, method, crc, size, csize, dataOffset, padding, localZip64, descAt, descLen, payloadCrc);
    }

    /// <summary>The payload of a (small) member.</summary>
    public byte[] ReadPayload(string path, Member m)
    {
        using var handle = File.OpenHandle(path);
        var b = new byte[m.Size];
        RandomAccess.Read(handle, b, m.DataOffset);
        return b;
    }

    /// <summary>
    /// Checks the member list torch.save writes: <c>{archive}/data.pkl</c>, <c>byteorder</c> ("little"),
    /// <c>data/0..n-1</c> in order, then <c>version</c>; returns problems.
    /// </summary>
    public List<string> RecordProblems(string path, string archive, int storages)
    {
        var problems = new List<string>();
        var expected = new List<string> { archive + "/data.pkl", archive + "/byteorder" };
        for (int i = 0; i < storages; i++) expected.Add($"{archive}/data/{i}");
        expected.Add(archive + "/version");
        var names = Members.Select(m => m.Name).ToList();
        if (!names.SequenceEqual(expected))
            problems.Add($"records [{string.Join(", ", names.Take(8))}{(names.Count > 8 ? ", ..." : "")}] != [{string.Join(", ", expected.Take(8))}{(expected.Count > 8 ? ", ..." : "")}]");
        foreach (var m in Members)
        {
            if (m.Name.EndsWith("/byteorder", StringComparison.Ordinal) && Encoding.ASCII.GetString(ReadPayload(path, m)) != "little") problems.Add("byteorder is not 'little'");
            if (m.Name.EndsWith("/version", StringComparison.Ordinal) && Encoding.ASCII.GetString(ReadPayload(path, m)) != "3\n") problems.Add("version is not '3\\n'");
        }
        return problems;
    }
}
