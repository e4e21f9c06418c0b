using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using PtSharp.IO;

namespace PtSharp.Zip;

/// <summary>
/// Reads the central directory of a zip held in memory (usually a file mapping) and hands out member payloads
/// without copying. Hand-written rather than System.IO.Compression.ZipArchive because zero-copy loading needs
/// each member's payload offset from its *local* header (PyTorch pads it with an 'FB' extra field to 64-byte
/// alignment), which ZipArchive does not expose, and because every untrusted offset must be bounds-checked.
/// </summary>
internal sealed class ZipArchiveReader
{
    private readonly ByteWindow _bytes;
    private readonly Dictionary<string, ZipEntry> _byName = new(StringComparer.Ordinal);
    private readonly string _source;

    private ZipArchiveReader(ByteWindow bytes, string source, List<ZipEntry> entries)
    {
        _bytes = bytes;
        _source = source;
        Entries = entries;
        _byName.EnsureCapacity(entries.Count);
        foreach (var e in entries) _byName.TryAdd(e.Name, e);
    }

    /// <summary>Members in central-directory order.</summary>
    public IReadOnlyList<ZipEntry> Entries { get; }

    public static bool HasLocalHeaderMagic(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(start) == ZipLayout.LocalHeaderSignature;

    public static ZipArchiveReader Open(ByteWindow bytes, string source, ZipLimits limits)
    {
        long eocd = FindEndOfCentralDirectory(bytes, source);
        var e = bytes.Span(eocd, ZipLayout.EndOfCentralDirectorySize, "end of central directory", source);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);

        long locator = eocd - ZipLayout.Zip64LocatorSize;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span(locator, 4, "zip64 locator", source)) == ZipLayout.Zip64LocatorSignature)
        {
            var loc = bytes.Span(locator, ZipLayout.Zip64LocatorSize, "zip64 locator", source);
            long z64 = checked((long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(loc[8..]), long.MaxValue));
            var z = bytes.Span(z64, ZipLayout.Zip64EndOfCentralDirectorySize, "zip64 end of central directory", source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != ZipLayout.Zip64EndOfCentralDirectorySignature)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, "zip64 locator points at a record without the zip64 end-of-directory signature", source, z64);
            count = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(z[32..]));
            cdSize = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(z[40..]));
            cdOffset = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(z[48..]));
        }

        if (!bytes.Contains(cdOffset, cdSize))
            ThrowHelper.Format(PtErrorKind.Truncated, $"central directory ({cdSize} bytes at offset {cdOffset}) lies outside the {bytes.Length}-byte file", source, cdOffset);
        if (count > cdSize / ZipLayout.CentralHeaderSize || count > limits.MaxEntries)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory claims {count} entries, more than its {cdSize} bytes can hold or the limit of {limits.MaxEntries}", source, cdOffset);

        var entries = new List<ZipEntry>((int)count);
        long pos = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++)
        {
            var h = bytes.Span(pos, ZipLayout.CentralHeaderSize, "central directory entry", source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != ZipLayout.CentralHeaderSignature)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory entry {i} has no header signature", source, pos);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            long csize = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long usize = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long lho = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            long varStart = pos + ZipLayout.CentralHeaderSize;
            if (varStart + nameLen + extraLen + commentLen > cdEnd)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory entry {i} runs past the end of the directory", source, pos);
            string name = Encoding.UTF8.GetString(bytes.Span(varStart, nameLen, "entry name", source));
            var extra = bytes.Span(varStart + nameLen, extraLen, "entry extra field", source);
            ReadZip64Extra(extra, ref usize, ref csize, ref lho, source, pos);

            if (!bytes.Contains(lho, ZipLayout.LocalHeaderSize))
                ThrowHelper.Format(PtErrorKind.Truncated, $"local header of '{name}' at offset {lho} lies past the end of the file", source, lho);
            var lh = bytes.Span(lho, ZipLayout.LocalHeaderSize, "local header", source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(lh) != ZipLayout.LocalHeaderSignature)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"entry '{name}' points at offset {lho}, which holds no local header", source, lho);
            long dataOffset = lho + ZipLayout.LocalHeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(lh[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(lh[28..]);
            if (!bytes.Contains(dataOffset, csize))
                ThrowHelper.Format(PtErrorKind.Truncated, $"entry '{name}' declares {csize} bytes at offset {dataOffset}, past the end of the {bytes.Length}-byte file", name, dataOffset);
            entries.Add(new ZipEntry(name, flags, method, crc, csize, usize, lho, dataOffset));
            pos = varStart + nameLen + extraLen + commentLen;
        }
        CheckNoOverlap(entries, cdOffset, cdEnd, source);
        return new ZipArchiveReader(bytes, source, entries);
    }

    private static long ToLong(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;

    /// <summary>Members must not share bytes with each other or with the central directory (overlap zip bombs, aliased names).</summary>
    private static void CheckNoOverlap(List<ZipEntry> entries, long cdOffset, long cdEnd, string source)
    {
        bool ordered = true; // writers put the central directory in file order, so sorting is rarely needed
        for (int i = 1; i < entries.Count && ordered; i++) ordered = entries[i - 1].LocalHeaderOffset <= entries[i].LocalHeaderOffset;
        var sorted = ordered ? entries : entries.OrderBy(e => e.LocalHeaderOffset).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            var e = sorted[i];
            long end = e.DataOffset + e.CompressedSize;
            if (end > cdOffset && e.LocalHeaderOffset < cdEnd)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"member '{e.Name}' overlaps the central directory", source, e.LocalHeaderOffset);
            if (i + 1 < sorted.Count && sorted[i + 1].LocalHeaderOffset < end)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"members '{e.Name}' and '{sorted[i + 1].Name}' overlap", source, sorted[i + 1].LocalHeaderOffset);
        }
    }

    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long usize, ref long csize, ref long lho, string source, long pos)
    {
        while (extra.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (len > extra.Length - 4) ThrowHelper.Format(PtErrorKind.CorruptContainer, "extra field runs past its declared length", source, pos);
            var body = extra.Slice(4, len);
            if (id == ZipLayout.Zip64ExtraId)
            {
                int at = 0;
                if (usize == 0xFFFFFFFF && at + 8 <= body.Length) { usize = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(body[at..])); at += 8; }
                if (csize == 0xFFFFFFFF && at + 8 <= body.Length) { csize = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(body[at..])); at += 8; }
                if (lho == 0xFFFFFFFF && at + 8 <= body.Length) { lho = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(body[at..])); }
            }
            extra = extra[(4 + len)..];
        }
    }

    private static long FindEndOfCentralDirectory(ByteWindow bytes, string source)
    {
        long min = Math.Max(0, bytes.Length - ZipLayout.EndOfCentralDirectorySize - ZipLayout.MaxCommentLength);
        for (long p = bytes.Length - ZipLayout.EndOfCentralDirectorySize; p >= min; p--)
        {
            var s = bytes.Span(p, 4, "end of central directory", source);
            if (BinaryPrimitives.ReadUInt32LittleEndian(s) == ZipLayout.EndOfCentralDirectorySignature)
                return p;
        }
        return ThrowHelper.Format<long>(PtErrorKind.CorruptContainer, "zip end-of-central-directory record not found (file truncated?)", source, bytes.Length);
    }

    public bool TryGetEntry(string name, out ZipEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Looks up <paramref name="prefix"/> + <paramref name="suffix"/> without building the name as a string.</summary>
    public bool TryGetEntry(string prefix, string suffix, out ZipEntry entry)
    {
        int length = prefix.Length + suffix.Length;
        if (length > 512) return TryGetEntry(prefix + suffix, out entry);
        Span<char> name = stackalloc char[length];
        prefix.CopyTo(name);
        suffix.CopyTo(name[prefix.Length..]);
        return _byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out entry!);
    }

    /// <summary>The payload of a stored member, without copying.</summary>
    public ByteWindow GetStoredPayload(ZipEntry entry)
    {
        if (entry.IsEncrypted) ThrowHelper.Format(PtErrorKind.Unsupported, "member is encrypted", entry.Name);
        if (!entry.IsStored) ThrowHelper.Format(PtErrorKind.Unsupported, $"member is compressed (method {entry.Method}) and cannot be memory-mapped", entry.Name);
        return _bytes.Slice(entry.DataOffset, entry.CompressedSize, "member payload", entry.Name);
    }

    /// <summary>The payload of any member: stored members are returned in place, deflated ones are inflated into a pinned buffer.</summary>
    public ByteWindow GetPayload(ZipEntry entry, ZipLimits limits)
    {
        if (entry.IsStored || entry.IsEncrypted) return GetStoredPayload(entry);
        if (entry.Method != ZipLayout.MethodDeflate)
            ThrowHelper.Format(PtErrorKind.Unsupported, $"compression method {entry.Method} is not supported (only stored and deflate)", entry.Name);
        if (entry.UncompressedSize > limits.MaxInflatedBytes || entry.UncompressedSize > checked(entry.CompressedSize * limits.MaxDeflateRatio + 4096))
            ThrowHelper.Limit($"member declares {entry.UncompressedSize} bytes inflated from {entry.CompressedSize} (zip bomb limit)", entry.Name);
        var source = _bytes.Slice(entry.DataOffset, entry.CompressedSize, "member payload", entry.Name);
        var output = PinnedBytes.Allocate(entry.UncompressedSize);
        unsafe
        {
            using var raw = new UnmanagedMemoryStream(source.Pointer, source.Length);
            using var inflate = new DeflateStream(raw, CompressionMode.Decompress);
            int total = 0;
            try
            {
                while (total < output.Array.Length)
                {
                    int n = inflate.Read(output.Array, total, output.Array.Length - total);
                    if (n == 0) break;
                    total += n;
                }
                Span<byte> probe = stackalloc byte[1];
                if (total != output.Array.Length || inflate.Read(probe) != 0)
                    ThrowHelper.Format(PtErrorKind.CorruptContainer, $"inflated size differs from the declared {entry.UncompressedSize} bytes", entry.Name);
            }
            catch (InvalidDataException ex)
            {
                throw new PtFormatException(PtErrorKind.CorruptContainer, $"deflate stream is corrupt: {ex.Message}", entry.Name, null, ex);
            }
        }
        return new ByteWindow(output, 0, output.Length);
    }
}

/// <summary>Safety limits for zip parsing.</summary>
public sealed class ZipLimits
{
    /// <summary>Most central-directory entries accepted (default 1,000,000).</summary>
    public long MaxEntries { get; set; } = 1_000_000;
    /// <summary>Largest inflated size of one compressed member (default 256 MiB).</summary>
    public long MaxInflatedBytes { get; set; } = 256L << 20;
    /// <summary>Largest accepted ratio of inflated to compressed size (default 1032, deflate's own maximum).</summary>
    public long MaxDeflateRatio { get; set; } = 1032;
}
