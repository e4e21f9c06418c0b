using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using PtSharp.Errors;
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
    private readonly string _source;
    // One file offset per member: its central-directory header, in directory order. Members are described from
    // there when asked for, so opening a file with tens of thousands of records makes no object or string per
    // record (what a 20,000-tensor state dict would otherwise pay before its pickle even runs).
    private readonly long[] _central;
    // Open-addressing index from a member's name bytes to its position + 1 (0 = empty); the first of equal names wins.
    private readonly int[] _slots;
    private readonly ZipEntry?[] _made;
    private IReadOnlyList<ZipEntry>? _entries;

    private ZipArchiveReader(ByteWindow bytes, string source, long[] central)
    {
        _bytes = bytes;
        _source = source;
        _central = central;
        _made = new ZipEntry?[central.Length];
        int size = (int)Math.Min(1L << 30, BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, central.Length * 2)));
        _slots = new int[size];
        for (int i = 0; i < central.Length; i++)
        {
            var name = KeyBytes(i);
            for (int slot = Hash(name) & (size - 1); ; slot = (slot + 1) & (size - 1))
            {
                if (_slots[slot] == 0) { _slots[slot] = i + 1; break; }
                if (KeyBytes(_slots[slot] - 1).SequenceEqual(name)) break;
            }
        }
    }

    /// <summary>Number of members.</summary>
    public int Count => _central.Length;

    /// <summary>Members in central-directory order.</summary>
    public IReadOnlyList<ZipEntry> Entries => _entries ??= Enumerable.Range(0, _central.Length).Select(EntryAt).ToArray();

    public static bool HasLocalHeaderMagic(ReadOnlySpan<byte> start) =>
        start.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(start) == ZipLayout.LocalHeaderSignature;

    public static ZipArchiveReader Open(ByteWindow bytes, string source, ZipLimits limits)
    {
        long eocd = ZipEndRecords.FindEnd(bytes);
        if (eocd < 0)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, "zip end-of-central-directory record not found (file truncated?)", source, bytes.Length);
        var dir = ZipEndRecords.Resolve(bytes, eocd);
        if (dir.Problem is not null) ThrowHelper.Format(PtErrorKind.CorruptContainer, dir.Problem, source, eocd);
        var (count, cdSize, cdOffset) = (dir.Count, dir.DirectorySize, dir.DirectoryOffset);

        if (!bytes.Contains(cdOffset, cdSize))
            ThrowHelper.Format(PtErrorKind.Truncated, $"central directory ({cdSize} bytes at offset {cdOffset}) lies outside the {bytes.Length}-byte file", source, cdOffset);
        if (count > cdSize / ZipLayout.CentralHeaderSize || count > limits.MaxEntries)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory claims {count} entries, more than its {cdSize} bytes can hold or the limit of {limits.MaxEntries}", source, cdOffset);

        var central = new long[count];
        long pos = cdOffset;
        long cdEnd = cdOffset + cdSize;
        var layout = new OverlapCheck(cdOffset, cdEnd);
        for (long i = 0; i < count; i++)
        {
            central[i] = pos;
            var m = Describe(bytes, pos, i, cdEnd, source);
            layout.Add(m, i, central, bytes, source);
            pos = m.Next;
        }
        layout.Finish(central, bytes, source);
        return new ZipArchiveReader(bytes, source, central);
    }

    /// <summary>What one central-directory header (and the local header it points at) says about a member.</summary>
    private readonly record struct Member(long NameOffset, int NameLength, ushort Flags, ushort Method, uint Crc, long CompressedSize,
        long UncompressedSize, long LocalHeaderOffset, long DataOffset, long Next);

    /// <summary>Reads and checks member <paramref name="i"/>'s headers; the same checks run when a member is described again later.</summary>
    private static Member Describe(ByteWindow bytes, long pos, long i, long cdEnd, string source)
    {
        var h = bytes.Span(pos, ZipLayout.CentralHeaderSize, "central directory entry", source);
        var c = new CentralHeader(h);
        if (c.Signature != ZipLayout.CentralHeaderSignature)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory entry {i} has no header signature", source, pos);
        ushort flags = c.Flags;
        ushort method = c.Method;
        uint crc = c.Crc;
        long csize = c.CompressedSize;
        long usize = c.UncompressedSize;
        int nameLen = c.NameLength;
        int extraLen = c.ExtraLength;
        int commentLen = c.CommentLength;
        long lho = c.LocalHeaderOffset;
        long varStart = pos + ZipLayout.CentralHeaderSize;
        if (varStart + nameLen + extraLen + commentLen > cdEnd)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"central directory entry {i} runs past the end of the directory", source, pos);
        var extra = bytes.Span(varStart + nameLen, extraLen, "entry extra field", source);
        if (!ZipExtraFields.ApplyZip64(extra, ref usize, ref csize, ref lho))
            ThrowHelper.Format(PtErrorKind.CorruptContainer, "extra field runs past its declared length", source, pos);

        if (!bytes.Contains(lho, ZipLayout.LocalHeaderSize))
            ThrowHelper.Format(PtErrorKind.Truncated, $"local header of '{Text(bytes, varStart, nameLen)}' at offset {lho} lies past the end of the file", source, lho);
        var lh = bytes.Span(lho, ZipLayout.LocalHeaderSize, "local header", source);
        if (BinaryPrimitives.ReadUInt32LittleEndian(lh) != ZipLayout.LocalHeaderSignature)
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"entry '{Text(bytes, varStart, nameLen)}' points at offset {lho}, which holds no local header", source, lho);
        var local = new LocalHeader(lh);
        long dataOffset = lho + ZipLayout.LocalHeaderSize + local.NameLength + local.ExtraLength;
        if (!bytes.Contains(dataOffset, csize))
        {
            string name = Text(bytes, varStart, nameLen);
            ThrowHelper.Format(PtErrorKind.Truncated, $"entry '{name}' declares {csize} bytes at offset {dataOffset}, past the end of the {bytes.Length}-byte file", name, dataOffset);
        }
        return new Member(varStart, nameLen, flags, method, crc, csize, usize, lho, dataOffset, varStart + nameLen + extraLen + commentLen);
    }

    private static string Text(ByteWindow bytes, long offset, int length) => Encoding.UTF8.GetString(bytes.Span(offset, length, "entry name", null));

    private Member DescribeAt(int index) => Describe(_bytes, _central[index], index, long.MaxValue, _source);

    private ReadOnlySpan<byte> NameBytes(int index) => NameBytesAt(_bytes, _central[index], _source);

    /// <summary>The name bytes of the member whose central-directory header starts at <paramref name="central"/>.</summary>
    private static ReadOnlySpan<byte> NameBytesAt(ByteWindow bytes, long central, string? source)
    {
        var h = bytes.Span(central, ZipLayout.CentralHeaderSize, "central directory entry", source);
        return bytes.Span(central + ZipLayout.CentralHeaderSize, new CentralHeader(h).NameLength, "entry name", source);
    }

    /// <summary>
    /// The bytes a member is looked up by: its name as stored, or, for the rare name that is not valid UTF-8, the
    /// UTF-8 of the string it decodes to (what <see cref="ZipEntry.Name"/> shows), so names read from
    /// <see cref="Entries"/> always find their member.
    /// </summary>
    private ReadOnlySpan<byte> KeyBytes(int index)
    {
        var raw = NameBytes(index);
        if (System.Text.Unicode.Utf8.IsValid(raw)) return raw;
        _normalized ??= new();
        if (!_normalized.TryGetValue(index, out var key)) _normalized[index] = key = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(raw));
        return key;
    }

    private Dictionary<int, byte[]>? _normalized;

    private static int Hash(ReadOnlySpan<byte> name)
    {
        var h = new HashCode(); // seeded per process: crafted names cannot be made to collide on purpose
        h.AddBytes(name);
        return h.ToHashCode();
    }

    /// <summary>Position of the member named <paramref name="prefix"/> + <paramref name="suffix"/>, or -1.</summary>
    public int IndexOf(string prefix, string suffix = "")
    {
        int chars = prefix.Length + suffix.Length;
        if (chars > 4096) return IndexOf(Encoding.UTF8.GetBytes(prefix + suffix));
        Span<char> text = stackalloc char[chars];
        prefix.CopyTo(text);
        suffix.CopyTo(text[prefix.Length..]);
        Span<byte> utf8 = stackalloc byte[chars * 3];
        int n = Encoding.UTF8.GetBytes(text, utf8);
        return IndexOf(utf8[..n]);
    }

    private int IndexOf(ReadOnlySpan<byte> name)
    {
        int mask = _slots.Length - 1;
        for (int slot = Hash(name) & mask; ; slot = (slot + 1) & mask)
        {
            int at = _slots[slot];
            if (at == 0) return -1;
            if (KeyBytes(at - 1).SequenceEqual(name)) return at - 1;
        }
    }

    /// <summary>The member at <paramref name="index"/> (central-directory order), made on first use.</summary>
    public ZipEntry EntryAt(int index)
    {
        if (_made[index] is { } made) return made;
        var m = DescribeAt(index);
        var entry = new ZipEntry(Text(_bytes, m.NameOffset, m.NameLength), m.Flags, m.Method, m.Crc, m.CompressedSize, m.UncompressedSize, m.LocalHeaderOffset, m.DataOffset);
        return _made[index] = entry;
    }

    /// <summary>The name of the member at <paramref name="index"/>.</summary>
    public string NameAt(int index) => _made[index]?.Name ?? Encoding.UTF8.GetString(NameBytes(index));

    public bool TryGetEntry(string name, out ZipEntry entry) => TryGetEntry(name, "", out entry);

    /// <summary>Looks up <paramref name="prefix"/> + <paramref name="suffix"/> without building the name as a string.</summary>
    public bool TryGetEntry(string prefix, string suffix, out ZipEntry entry)
    {
        int index = IndexOf(prefix, suffix);
        entry = index < 0 ? null! : EntryAt(index);
        return index >= 0;
    }

    /// <summary>
    /// Members must not share bytes with each other or with the central directory (overlap zip bombs, aliased
    /// names). Writers put the directory in file order, so members are checked as they come; only a directory out
    /// of order is sorted.
    /// </summary>
    private sealed class OverlapCheck(long cdOffset, long cdEnd)
    {
        private long _lastLocal = -1, _lastEnd = -1, _lastIndex = -1;
        private bool _ordered = true;

        public void Add(Member m, long index, long[] central, ByteWindow bytes, string source)
        {
            long end = m.DataOffset + m.CompressedSize;
            if (end > cdOffset && m.LocalHeaderOffset < cdEnd)
                ThrowHelper.Format(PtErrorKind.CorruptContainer, $"member '{Text(bytes, m.NameOffset, m.NameLength)}' overlaps the central directory", source, m.LocalHeaderOffset);
            if (!_ordered) return;
            if (m.LocalHeaderOffset < _lastLocal) { _ordered = false; return; }
            if (_lastIndex >= 0 && m.LocalHeaderOffset < _lastEnd)
                Overlap(bytes, central[_lastIndex], central[index], m.LocalHeaderOffset, source);
            (_lastLocal, _lastEnd, _lastIndex) = (m.LocalHeaderOffset, end, index);
        }

        public void Finish(long[] central, ByteWindow bytes, string source)
        {
            if (_ordered) return;
            var members = new (long Local, long End, long Central)[central.Length];
            for (int i = 0; i < central.Length; i++)
            {
                var m = Describe(bytes, central[i], i, cdEnd, source);
                members[i] = (m.LocalHeaderOffset, m.DataOffset + m.CompressedSize, central[i]);
            }
            Array.Sort(members, (a, b) => a.Local.CompareTo(b.Local));
            for (int i = 0; i + 1 < members.Length; i++)
                if (members[i + 1].Local < members[i].End) Overlap(bytes, members[i].Central, members[i + 1].Central, members[i + 1].Local, source);
        }

        private static void Overlap(ByteWindow bytes, long firstCentral, long secondCentral, long at, string source) =>
            ThrowHelper.Format(PtErrorKind.CorruptContainer, $"members '{NameAtHeader(bytes, firstCentral)}' and '{NameAtHeader(bytes, secondCentral)}' overlap", source, at);

        private static string NameAtHeader(ByteWindow bytes, long central) => Encoding.UTF8.GetString(NameBytesAt(bytes, central, null));
    }

    private static long ToLong(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;


    /// <summary>The payload of a stored member, without copying.</summary>
    public ByteWindow GetStoredPayload(ZipEntry entry)
    {
        if (entry.IsEncrypted) ThrowHelper.Format(PtErrorKind.Unsupported, "member is encrypted", entry.Name);
        if (!entry.IsStored) ThrowHelper.Format(PtErrorKind.Unsupported, $"member is compressed (method {entry.Method}) and cannot be memory-mapped", entry.Name);
        return _bytes.Slice(entry.DataOffset, entry.CompressedSize, "member payload", entry.Name);
    }

    /// <summary>The payload of the member at <paramref name="index"/>, as <see cref="GetPayload(ZipEntry, ZipLimits)"/>.</summary>
    public ByteWindow GetPayload(int index, ZipLimits limits)
    {
        if (_made[index] is { } made) return GetPayload(made, limits);
        var m = DescribeAt(index);
        if (m.Method != 0 || (m.Flags & 1) != 0) return GetPayload(EntryAt(index), limits); // compressed or encrypted: rare
        if (!_bytes.Contains(m.DataOffset, m.CompressedSize)) ThrowHelper.Truncated("member payload", NameAt(index), m.DataOffset);
        return new ByteWindow(_bytes.Source, _bytes.Start + m.DataOffset, m.CompressedSize);
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
        try
        {
            var compressed = source.Span(0, source.Length, "member payload", entry.Name);
            int total = ZipInflate.Into(compressed, output.Array, out bool longer);
            if (total != output.Array.Length || longer)
                ThrowHelper.Format(PtErrorKind.CorruptContainer,
                    $"inflated size differs from the declared {entry.UncompressedSize} bytes", entry.Name);
        }
        catch (InvalidDataException ex)
        {
            throw new PtFormatException(PtErrorKind.CorruptContainer, $"deflate stream is corrupt: {ex.Message}",
                entry.Name, null, ex);
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
