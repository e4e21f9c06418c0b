using System.Buffers.Binary;
using PtSharp.IO;

namespace PtSharp.Zip;

/// <summary>
/// The end records of a zip as torch's reader (miniz 2.1/3.0, under PyTorchStreamReader) finds them, shared by
/// <see cref="ZipArchiveReader"/> and the scanner so both open the directory torch opens.
/// </summary>
internal static class ZipEndRecords
{
    // End of central directory record (APPNOTE 4.3.16): field offsets.
    public const int EndEntriesOffset = 10, EndDirectorySizeOffset = 12, EndDirectoryOffsetOffset = 16,
        EndCommentLengthOffset = 20;
    // Zip64 end record (4.3.14) and locator (4.3.15).
    public const int Zip64RecordSizeOffset = 4, Zip64EntriesOffset = 32, Zip64DirectorySizeOffset = 40,
        Zip64DirectoryOffsetOffset = 48;
    public const int LocatorRecordOffset = 8, LocatorDisksOffset = 16;

    /// <summary>
    /// miniz's mz_zip_reader_locate_header_sig: 4 KiB chunks searched backwards (overlapping by 3 bytes) for the
    /// last signature with 22 bytes after it, giving up after the chunk that reaches 65,557 bytes from the end, so
    /// the record may start up to 69,584 bytes from the end. -1 when there is none.
    /// </summary>
    public static long FindEnd(ByteWindow bytes)
    {
        long size = bytes.Length;
        const int chunk = 4096;
        if (size < ZipLayout.EndOfCentralDirectorySize) return -1;
        long cur = Math.Max(size - chunk, 0);
        while (true)
        {
            int n = (int)Math.Min(chunk, size - cur);
            var buf = bytes.Span(cur, n, "end of central directory", null);
            for (int i = n - 4; i >= 0; i--)
                if (BinaryPrimitives.ReadUInt32LittleEndian(buf[i..]) == ZipLayout.EndOfCentralDirectorySignature
                    && size - (cur + i) >= ZipLayout.EndOfCentralDirectorySize)
                    return cur + i;
            if (cur == 0 || size - cur >= ZipLayout.MaxCommentLength + ZipLayout.EndOfCentralDirectorySize) return -1;
            cur = Math.Max(cur - (chunk - 3), 0);
        }
    }

    /// <summary>Where torch's reader takes the central directory from.</summary>
    /// <param name="Count">Entries.</param>
    /// <param name="DirectoryOffset">Offset of the first central header (not adjusted for a prefix: miniz does
    /// not).</param>
    /// <param name="DirectorySize">Bytes of central directory.</param>
    /// <param name="Zip64At">Offset of the zip64 end record torch uses, or -1.</param>
    /// <param name="Problem">Why torch refuses the end records, or null.</param>
    public readonly record struct Directory(long Count, long DirectoryOffset, long DirectorySize, long Zip64At,
        string? Problem);

    /// <summary>
    /// mz_zip_reader_read_central_dir: a zip64 locator right before the end record is followed to the offset it
    /// names; a record with the zip64 signature there replaces the end record's numbers, a record without it is
    /// ignored (the 32-bit numbers are used), an offset past the file refuses the archive.
    /// </summary>
    public static Directory Resolve(ByteWindow bytes, long eocd)
    {
        var e = bytes.Span(eocd, ZipLayout.EndOfCentralDirectorySize, "end of central directory", null);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(e[EndEntriesOffset..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(e[EndDirectorySizeOffset..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[EndDirectoryOffsetOffset..]);
        long zip64At = -1;
        long locator = eocd - ZipLayout.Zip64LocatorSize;
        if (eocd >= ZipLayout.Zip64LocatorSize + ZipLayout.Zip64EndOfCentralDirectorySize
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span(locator, 4, "zip64 locator",
                null)) == ZipLayout.Zip64LocatorSignature)
        {
            var loc = bytes.Span(locator, ZipLayout.Zip64LocatorSize, "zip64 locator", null);
            ulong at = BinaryPrimitives.ReadUInt64LittleEndian(loc[LocatorRecordOffset..]);
            if (at > (ulong)(bytes.Length - ZipLayout.Zip64EndOfCentralDirectorySize))
                return new Directory(0, 0, 0, -1,
                    $"the zip64 locator points at offset {at}, past the file; torch cannot open this archive");
            if (IsZip64End(bytes, (long)at))
            {
                zip64At = (long)at;
                var z = bytes.Span(zip64At, ZipLayout.Zip64EndOfCentralDirectorySize,
                    "zip64 end of central directory", null);
                if (BinaryPrimitives.ReadUInt64LittleEndian(
                    z[Zip64RecordSizeOffset..]) < ZipLayout.Zip64EndOfCentralDirectorySize - 12
                    || BinaryPrimitives.ReadUInt32LittleEndian(loc[LocatorDisksOffset..]) != 1)
                    return new Directory(0, 0, 0, zip64At,
                        "the zip64 end record is damaged or spans disks; torch cannot open this archive");
                ulong n = BinaryPrimitives.ReadUInt64LittleEndian(z[Zip64EntriesOffset..]);
                ulong sz = BinaryPrimitives.ReadUInt64LittleEndian(z[Zip64DirectorySizeOffset..]);
                if (n > uint.MaxValue || sz > uint.MaxValue)
                    return new Directory(0, 0, 0, zip64At,
                        "the zip64 end record declares more than miniz supports; torch cannot open this archive");
                count = (long)n;
                cdSize = (long)sz;
                cdOffset = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[Zip64DirectoryOffsetOffset..]));
            }
        }
        return new Directory(count, cdOffset, cdSize, zip64At, null);
    }

    /// <summary>True when a zip64 end record starts at <paramref name="at"/>.</summary>
    public static bool IsZip64End(ByteWindow bytes, long at) =>
        bytes.Contains(at, ZipLayout.Zip64EndOfCentralDirectorySize)
        && BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span(at, 4, "zip64 end of central directory",
            null)) == ZipLayout.Zip64EndOfCentralDirectorySignature;

    private static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
}
