using System.Buffers.Binary;

namespace PtSharp.Zip;

/// <summary>A central-directory file header (APPNOTE 4.3.12) read through named fields.</summary>
internal readonly ref struct CentralHeader(ReadOnlySpan<byte> header)
{
    private readonly ReadOnlySpan<byte> _h = header;

    public uint Signature => BinaryPrimitives.ReadUInt32LittleEndian(_h);
    public ushort Flags => BinaryPrimitives.ReadUInt16LittleEndian(_h[8..]);
    public ushort Method => BinaryPrimitives.ReadUInt16LittleEndian(_h[10..]);
    public uint Crc => BinaryPrimitives.ReadUInt32LittleEndian(_h[16..]);
    public long CompressedSize => BinaryPrimitives.ReadUInt32LittleEndian(_h[20..]);
    public long UncompressedSize => BinaryPrimitives.ReadUInt32LittleEndian(_h[24..]);
    public int NameLength => BinaryPrimitives.ReadUInt16LittleEndian(_h[28..]);
    public int ExtraLength => BinaryPrimitives.ReadUInt16LittleEndian(_h[30..]);
    public int CommentLength => BinaryPrimitives.ReadUInt16LittleEndian(_h[32..]);
    public long LocalHeaderOffset => BinaryPrimitives.ReadUInt32LittleEndian(_h[42..]);
}

/// <summary>A local file header (APPNOTE 4.3.7) read through named fields.</summary>
internal readonly ref struct LocalHeader(ReadOnlySpan<byte> header)
{
    private readonly ReadOnlySpan<byte> _h = header;

    public uint Signature => BinaryPrimitives.ReadUInt32LittleEndian(_h);
    public ushort Flags => BinaryPrimitives.ReadUInt16LittleEndian(_h[6..]);
    public ushort Method => BinaryPrimitives.ReadUInt16LittleEndian(_h[8..]);
    public long CompressedSize => BinaryPrimitives.ReadUInt32LittleEndian(_h[18..]);
    public int NameLength => BinaryPrimitives.ReadUInt16LittleEndian(_h[26..]);
    public int ExtraLength => BinaryPrimitives.ReadUInt16LittleEndian(_h[28..]);
}

/// <summary>Extra fields shared by the reader and the scanner.</summary>
internal static class ZipExtraFields
{
    /// <summary>
    /// Replaces the 0xFFFFFFFF sizes and offset with the zip64 extended information field's values (in its order:
    /// uncompressed, compressed, local header offset). False when a field runs past the extra data.
    /// </summary>
    public static bool ApplyZip64(ReadOnlySpan<byte> extra, ref long usize, ref long csize, ref long lho)
    {
        while (extra.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (len > extra.Length - 4) return false;
            var body = extra.Slice(4, len);
            if (id == ZipLayout.Zip64ExtraId)
            {
                int at = 0;
                if (usize == 0xFFFFFFFF && at + 8 <= body.Length) { usize = Read(body[at..]); at += 8; }
                if (csize == 0xFFFFFFFF && at + 8 <= body.Length) { csize = Read(body[at..]); at += 8; }
                if (lho == 0xFFFFFFFF && at + 8 <= body.Length) lho = Read(body[at..]);
            }
            extra = extra[(4 + len)..];
        }
        return true;
    }

    private static long Read(ReadOnlySpan<byte> b)
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(b);
        return v > long.MaxValue ? long.MaxValue : (long)v;
    }
}
