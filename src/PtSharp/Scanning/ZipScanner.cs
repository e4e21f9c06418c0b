using System.Buffers.Binary;
using System.Text;
using PtSharp.Zip;

namespace PtSharp.Scanning;

/// <summary>
/// Reads a zip the way PyTorch's miniz-based reader does — end record found backwards from the end, names, sizes,
/// method and flags from the central directory, the payload offset from the local header — and reports every
/// discrepancy a scanner and <c>torch.load</c> could disagree on. Then scans every member that holds a pickle.
/// </summary>
internal static class ZipScanner
{
    private sealed class Entry
    {
        public required string Name;
        public ushort Flags, Method;
        public long CompressedSize, UncompressedSize, LocalHeaderOffset, DataOffset = -1, End = -1;
        public bool Valid;
    }

    /// <summary>Finds the end-of-central-directory record exactly as torch's miniz does (<see
    /// cref="ZipEndRecords.FindEnd"/>).</summary>
    public static long FindEnd(ScanSource src) => ZipEndRecords.FindEnd(src.Window);

    /// <summary>Where the central directory is; offsets are shifted when the archive was appended to other
    /// data.</summary>
    public readonly record struct Directory(long Count, long CdOffset, long CdSize, long Shift, long EndOfArchive,
        string? Problem,
        string? Decoy);

    /// <summary>
    /// Reads the end records. Offsets in them are relative to the archive's start; when the archive was appended to
    /// other bytes (cat payload.pkl model.zip) they are off by the prefix length, which is detected the way Python's
    /// zipfile does (the directory ends where the end record begins) and returned as <see cref="Directory.Shift"/>.
    /// </summary>
    public static Directory Locate(ScanSource src, long eocd, long zip64Override = -1)
    {
        var e = src.Span(eocd, ZipLayout.EndOfCentralDirectorySize);
        int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipEndRecords.EndCommentLengthOffset..]);
        long endOfArchive = Math.Min(src.Length, eocd + ZipLayout.EndOfCentralDirectorySize + commentLength);
        var torch = ZipEndRecords.Resolve(src.Window, eocd);
        if (torch.Problem is not null) return new Directory(0, 0, 0, 0, endOfArchive, torch.Problem, null);
        var (count, cdSize, cdOffset) = (torch.Count, torch.DirectorySize, torch.DirectoryOffset);
        if (zip64Override >= 0)
        {
            var z = src.Span(zip64Override, ZipLayout.Zip64EndOfCentralDirectorySize);
            count = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[ZipEndRecords.Zip64EntriesOffset..]));
            cdSize = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[ZipEndRecords.Zip64DirectorySizeOffset..]));
            cdOffset = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[ZipEndRecords.Zip64DirectoryOffsetOffset..]));
            torch = torch with { Zip64At = zip64Override };
        }

        // Python's zipfile (and most scanners) ignore the locator's offset and read the zip64 record right before
        // it: when that is another record, the two readers see different directories.
        long beforeLocator = eocd - ZipLayout.Zip64LocatorSize - ZipLayout.Zip64EndOfCentralDirectorySize;
        string? decoy = null;
        if (eocd >= ZipLayout.Zip64LocatorSize + ZipLayout.Zip64EndOfCentralDirectorySize
            && BinaryPrimitives.ReadUInt32LittleEndian(src.Span(eocd - ZipLayout.Zip64LocatorSize,
                4)) == ZipLayout.Zip64LocatorSignature
            && torch.Zip64At != beforeLocator)
            decoy = ZipEndRecords.IsZip64End(src.Window, beforeLocator) && DifferentDirectory(src, beforeLocator,
                count, cdSize, cdOffset)
                ? $"the zip64 locator points at a zip64 end record at {torch.Zip64At} but another one sits right "
                    + $"before it at "
                  + $"{beforeLocator}: torch reads the first, Python's zipfile and most scanners the second"
                : torch.Zip64At >= 0 && Disagrees(e, torch)
                    ? $"the zip64 locator points at a zip64 end record at {torch.Zip64At} whose directory differs "
                        + $"from the "
                      + "32-bit end record's: torch reads the zip64 one, Python's zipfile the 32-bit one"
                    : null;
        // Where the directory ends: before the zip64 record when there is one (an archive appended to other bytes
        // has a locator whose offset misses its record, which zipfile then finds right before the locator).
        long directoryEnd = torch.Zip64At >= 0 ? torch.Zip64At
            : ZipEndRecords.IsZip64End(src.Window, beforeLocator) ? beforeLocator : eocd;
        long shift = 0;
        if (count > 0 && !IsCentral(src, cdOffset) && directoryEnd - cdSize > cdOffset && IsCentral(src,
            directoryEnd - cdSize))
            shift = directoryEnd - cdSize - cdOffset;
        cdOffset = cdOffset > long.MaxValue - shift ? long.MaxValue : cdOffset + shift;
        if (!src.Contains(cdOffset, cdSize) || count > cdSize / ZipLayout.CentralHeaderSize)
            return new Directory(0, 0, 0, 0, endOfArchive,
                $"the end record describes a central directory ({count} entries, {cdSize} bytes at {cdOffset}) "
                + "that does not fit the file; torch cannot open this archive", zip64Override >= 0 ? null : decoy);
        return new Directory(count, cdOffset, cdSize, shift, endOfArchive, null, zip64Override >= 0 ? null : decoy);
    }

    private static bool DifferentDirectory(ScanSource src, long zip64, long count, long cdSize, long cdOffset)
    {
        var z = src.Span(zip64, ZipLayout.Zip64EndOfCentralDirectorySize);
        return Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[ZipEndRecords.Zip64EntriesOffset..])) != count
            || Clamp(BinaryPrimitives.ReadUInt64LittleEndian(z[ZipEndRecords.Zip64DirectorySizeOffset..])) != cdSize
            || Clamp(BinaryPrimitives.ReadUInt64LittleEndian(
                z[ZipEndRecords.Zip64DirectoryOffsetOffset..])) != cdOffset;
    }

    /// <summary>True when the 32-bit end record names real (not 0xFFFF...) values other than the zip64
    /// record's.</summary>
    private static bool Disagrees(ReadOnlySpan<byte> end, ZipEndRecords.Directory torch)
    {
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[ZipEndRecords.EndEntriesOffset..]);
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(end[ZipEndRecords.EndDirectoryOffsetOffset..]);
        return (count != 0xFFFF && count != torch.Count) || (offset != 0xFFFFFFFF && offset != torch.DirectoryOffset);
    }

    private static bool IsCentral(ScanSource src, long at) =>
        src.Contains(at, 4) && BinaryPrimitives.ReadUInt32LittleEndian(src.Span(at,
            4)) == ZipLayout.CentralHeaderSignature;

    /// <summary>Scans the zip whose end record is at <paramref name="eocd"/>. Returns true when it has torch
    /// records.</summary>
    public static bool Scan(ScanSource src, long eocd, ScanContext ctx, string label, long zip64Override = -1)
    {
        var dir = Locate(src, eocd, zip64Override);
        if (dir.Decoy is not null)
        {
            ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ContainerMismatch, null, label.Length > 0 ? label : null,
                eocd, dir.Decoy);
            long other = eocd - ZipLayout.Zip64LocatorSize - ZipLayout.Zip64EndOfCentralDirectorySize;
            if (ZipEndRecords.IsZip64End(src.Window, other)) Scan(src, eocd, ctx, Where(label, "zipfile-directory"),
                other);
        }
        if (dir.Problem is not null)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, label.Length > 0 ? label : null,
                eocd, dir.Problem);
            return false;
        }
        var (count, cdOffset, cdSize, shift, endOfArchive) = (dir.Count, dir.CdOffset, dir.CdSize, dir.Shift,
            dir.EndOfArchive);
        if (shift > 0)
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipExtraData, null, label.Length > 0 ? label : null, 0,
                $"the archive's offsets count from byte {shift}: it was appended to other data (Python's zipfile "
                    + $"adjusts, torch does not)");

        var entries = ReadDirectory(src, ctx, label, count, cdOffset, cdSize, shift);
        CheckLayout(src, ctx, label, entries, cdOffset, cdSize, endOfArchive);
        bool torch = entries.Any(x => x.Name.EndsWith("/data.pkl", StringComparison.Ordinal) || x.Name == "data.pkl"
                                     || x.Name.EndsWith("/constants.pkl", StringComparison.Ordinal));
        if (torch) CheckPrefix(ctx, label, entries);

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            int n = seen[entry.Name] = seen.GetValueOrDefault(entry.Name) + 1;
            string record = n == 1 ? entry.Name : $"{entry.Name}#{n}";
            if (label.Length > 0) record = label + ">" + record;
            if (entry.Valid) ScanMember(src, ctx, entry, record);
        }
        return torch;
    }

    private static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;

    private static List<Entry> ReadDirectory(ScanSource src, ScanContext ctx, string label, long count,
        long cdOffset, long cdSize, long shift)
    {
        var entries = new List<Entry>((int)Math.Min(count, 4096));
        long pos = cdOffset, cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++)
        {
            if (!src.Contains(pos, ZipLayout.CentralHeaderSize) || pos + ZipLayout.CentralHeaderSize > cdEnd
                || BinaryPrimitives.ReadUInt32LittleEndian(src.Span(pos, 4)) != ZipLayout.CentralHeaderSignature)
            {
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, label, pos,
                    $"central directory entry {i} is damaged; torch cannot open this archive");
                break;
            }
            var h = src.Span(pos, ZipLayout.CentralHeaderSize);
            var c = new CentralHeader(h);
            int nameLen = c.NameLength;
            int extraLen = c.ExtraLength;
            int commentLen = c.CommentLength;
            long varStart = pos + ZipLayout.CentralHeaderSize;
            if (varStart + nameLen + extraLen + commentLen > cdEnd)
            {
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, label, pos,
                    $"central directory entry {i} runs past the directory; torch cannot open this archive");
                break;
            }
            var entry = new Entry
            {
                Name = Encoding.UTF8.GetString(src.Span(varStart, nameLen)),
                Flags = c.Flags,
                Method = c.Method,
                CompressedSize = c.CompressedSize,
                UncompressedSize = c.UncompressedSize,
                LocalHeaderOffset = c.LocalHeaderOffset,
            };
            long usize = entry.UncompressedSize, csize = entry.CompressedSize, lho = entry.LocalHeaderOffset;
            ZipExtraFields.ApplyZip64(src.Span(varStart + nameLen, extraLen), ref usize, ref csize, ref lho);
            (entry.UncompressedSize, entry.CompressedSize, entry.LocalHeaderOffset) = (usize, csize, lho);
            if (entry.LocalHeaderOffset <= long.MaxValue - shift) entry.LocalHeaderOffset += shift;
            pos = varStart + nameLen + extraLen + commentLen;
            entries.Add(entry);
            ReadLocal(src, ctx, label, entry, src.Span(varStart, nameLen));
        }
        return entries;
    }


    private static void ReadLocal(ScanSource src, ScanContext ctx, string label, Entry e,
        ReadOnlySpan<byte> centralName)
    {
        string where = Where(label, e.Name);
        if (!src.Contains(e.LocalHeaderOffset, ZipLayout.LocalHeaderSize)
            || BinaryPrimitives.ReadUInt32LittleEndian(src.Span(e.LocalHeaderOffset,
                4)) != ZipLayout.LocalHeaderSignature)
        {
            ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipOutOfDirectory, null, where, e.LocalHeaderOffset,
                $"member '{e.Name}' points at offset {e.LocalHeaderOffset}, where there is no local header: readers "
                    + $"disagree on its content");
            return;
        }
        var lh = src.Span(e.LocalHeaderOffset, ZipLayout.LocalHeaderSize);
        var local = new LocalHeader(lh);
        ushort localFlags = local.Flags;
        int nameLen = local.NameLength;
        int extraLen = local.ExtraLength;
        long nameAt = e.LocalHeaderOffset + ZipLayout.LocalHeaderSize;
        var localName = src.Span(nameAt, nameLen);
        if (localName.Length != nameLen || !localName.SequenceEqual(centralName))
            ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipNameMismatch, null, where, e.LocalHeaderOffset,
                $"local header names '{Printable(localName)}' but the central directory names "
                    + $"'{Printable(centralName)}': torch uses the central name, stream readers the local one");
        bool centralEncrypted = (e.Flags & 1) != 0, localEncrypted = (localFlags & 1) != 0;
        if (centralEncrypted || localEncrypted)
            ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipEncrypted, null, where, e.LocalHeaderOffset,
                centralEncrypted == localEncrypted
                    ? $"member '{e.Name}' is encrypted: its content cannot be scanned (torch cannot read it either)"
                    : $"member '{e.Name}' has the encryption flag only in its "
                        + $"{(localEncrypted ? "local header" : "central entry")}: scanners that trust one of them "
                            + "skip a member the other reader uses");
        e.DataOffset = nameAt + nameLen + extraLen;
        if (!src.Contains(e.DataOffset, e.CompressedSize))
        {
            ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipOutOfDirectory, null, where, e.DataOffset,
                $"member '{e.Name}' declares {e.CompressedSize} bytes at offset {e.DataOffset}, past the end of the "
                    + $"file");
            return;
        }
        e.End = e.DataOffset + e.CompressedSize;
        e.Valid = true;
    }

    private static void CheckLayout(ScanSource src, ScanContext ctx, string label, List<Entry> entries,
        long cdOffset, long cdSize, long endOfArchive)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
            if (!names.Add(e.Name))
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipDuplicateName, null, Where(label, e.Name),
                    e.LocalHeaderOffset,
                    $"two members are named '{e.Name}': torch, Python's zipfile and scanners may each pick a "
                        + $"different one (all copies are scanned)");

        var valid = entries.Where(e => e.Valid).OrderBy(e => e.LocalHeaderOffset).ToList();
        long cdEnd = cdOffset + cdSize;
        for (int i = 0; i < valid.Count; i++)
        {
            var e = valid[i];
            if (e.LocalHeaderOffset >= cdEnd)
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipOutOfDirectory, null, Where(label, e.Name),
                    e.LocalHeaderOffset,
                    $"member '{e.Name}' is stored after the central directory: readers that walk local headers from "
                        + $"the start never see it");
            else if (e.End > cdOffset && e.LocalHeaderOffset < cdEnd)
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipOverlap, null, Where(label, e.Name), e.DataOffset,
                    $"member '{e.Name}' overlaps the central directory");
            if (i + 1 < valid.Count && valid[i + 1].LocalHeaderOffset < e.End)
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.ZipOverlap, null, Where(label, valid[i + 1].Name),
                    valid[i + 1].LocalHeaderOffset,
                    $"members '{e.Name}' and '{valid[i + 1].Name}' share bytes: one payload read as two members "
                        + $"(zip-bomb and scanner-evasion trick)");
        }

        if (valid.Count > 0)
        {
            long first = valid[0].LocalHeaderOffset;
            if (first > 0)
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipExtraData, null, label.Length > 0 ? label : null, 0,
                    $"{first} bytes before the first member: torch.load only opens a zip that starts with a local "
                        + $"header, so these bytes decide what it does");
            // Bytes between members that no entry accounts for (beyond a data descriptor) can hold a member the
            // central directory hides from torch but a stream reader sees.
            for (int i = 0; i + 1 < valid.Count; i++)
            {
                long gapStart = valid[i].End, gapEnd = valid[i + 1].LocalHeaderOffset;
                if (gapEnd - gapStart <= 24) continue;
                var gap = src.Span(gapStart, gapEnd - gapStart);
                int hidden = gap.IndexOf("PK\x03\x04"u8);
                ctx.Add(hidden >= 0 ? ScanSeverity.Dangerous : ScanSeverity.Warning, ScanFindingKind.ZipExtraData,
                    null, label.Length > 0 ? label : null, gapStart,
                    hidden >= 0
                        ? $"a local header at {gapStart + hidden} belongs to no central-directory entry: a member "
                            + $"hidden from torch but seen by stream readers"
                                : $"{gapEnd - gapStart} unlisted bytes between '{valid[i].Name}' and "
                                    + $"'{valid[i + 1].Name}'");
                if (hidden >= 0) ScanHidden(src, ctx, label, gapStart + hidden, gapEnd);
            }
        }
        if (endOfArchive < src.Length)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipExtraData, null, label.Length > 0 ? label : null,
                endOfArchive,
                $"{src.Length - endOfArchive} bytes after the zip end record");
            // An appended pickle is what a loader that reads the tail would run: scan it.
            ContainerScanner.ScanPayload(ctx, src.Span(endOfArchive, src.Length - endOfArchive), Where(label,
                "after-zip"), endOfArchive, pickleName: false, storage: false);
        }
    }

    /// <summary>Scans the member behind a local header that no central entry lists (sizes from the local
    /// header).</summary>
    private static void ScanHidden(ScanSource src, ScanContext ctx, string label, long lho, long limit)
    {
        if (!src.Contains(lho, ZipLayout.LocalHeaderSize)) return;
        var lh = src.Span(lho, ZipLayout.LocalHeaderSize);
        var local = new LocalHeader(lh);
        ushort method = local.Method;
        long size = local.CompressedSize;
        int nameLen = local.NameLength;
        int extraLen = local.ExtraLength;
        string name = Encoding.UTF8.GetString(src.Span(lho + ZipLayout.LocalHeaderSize, nameLen));
        long data = lho + ZipLayout.LocalHeaderSize + nameLen + extraLen;
        if (method != ZipLayout.MethodStored) return;
        // Torch-style headers leave the size 0: then everything up to the next listed member is the candidate.
        long length = size > 0 ? Math.Min(size, limit - data) : limit - data;
        if (length <= 0) return;
        ContainerScanner.ScanPayload(ctx, src.Span(data, length), Where(label, "hidden:" + name), data, IsPickleName(
            name), storage: false);
    }

    private static void CheckPrefix(ScanContext ctx, string label, List<Entry> entries)
    {
        if (entries.Count == 0) return;
        string first = entries[0].Name;
        int slash = first.IndexOf('/');
        if (slash <= 0)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipPrefixMismatch, null, Where(label, first),
                entries[0].LocalHeaderOffset,
                $"the first member '{first}' is not in a folder; torch takes the archive name from it and refuses "
                    + $"this file");
            return;
        }
        string prefix = first[..(slash + 1)];
        var outside = entries.Where(e => !e.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (outside.Count > 0)
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipPrefixMismatch, null, Where(label, outside[0].Name),
                outside[0].LocalHeaderOffset,
                $"{outside.Count} member(s) are outside the archive folder '{prefix}' that torch uses (first: "
                    + $"'{outside[0].Name}'); torch looks records up under '{prefix}' only");
    }

    private static string Where(string label, string name) => label.Length > 0 ? label + ">" + name : name;

    private static string Printable(ReadOnlySpan<byte> b)
    {
        var sb = new StringBuilder();
        foreach (byte c in b[..Math.Min(b.Length, 80)]) sb.Append(c is >= 0x20 and < 0x7F ? (char)c : '?');
        return sb.ToString();
    }

    private static bool IsPickleName(string name) =>
        name.EndsWith(".pkl", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".debug_pkl",
            StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".pickle", StringComparison.OrdinalIgnoreCase);

    private static bool IsStorageRecord(string name) =>
        name.Contains("/data/", StringComparison.Ordinal) || name.StartsWith("data/", StringComparison.Ordinal)
        || name.Contains("/constants/", StringComparison.Ordinal) || name.StartsWith("constants/",
            StringComparison.Ordinal);

    private static void ScanMember(ScanSource src, ScanContext ctx, Entry e, string record)
    {
        bool pickleName = IsPickleName(e.Name);
        bool storage = !pickleName && IsStorageRecord(e.Name);
        if (e.Method == ZipLayout.MethodStored)
        {
            var bytes = src.Span(e.DataOffset, e.CompressedSize);
            if (e.CompressedSize > int.MaxValue)
            {
                if (pickleName) ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, record, 0,
                    "pickle member larger than 2 GiB; only its first 2 GiB were scanned");
            }
            ContainerScanner.ScanPayload(ctx, bytes, record, e.DataOffset, pickleName, storage);
            if (TorchScriptCodeScanner.IsCodeRecord(e.Name)) TorchScriptCodeScanner.Scan(ctx, bytes, record);
            return;
        }
        if (e.Method != ZipLayout.MethodDeflate)
        {
            if (pickleName)
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.Unscannable, null, record, 0,
                    $"pickle member compressed with method {e.Method}, which PtSharp (and torch) cannot read: its "
                        + $"content cannot be checked");
            return;
        }
        var opts = ctx.Options;
        if (e.UncompressedSize > opts.MaxInflatedBytes || e.UncompressedSize / Math.Max(1,
            e.CompressedSize) > opts.MaxDeflateRatio)
        {
            ctx.Add(pickleName ? ScanSeverity.Dangerous : ScanSeverity.Warning, ScanFindingKind.ZipBomb, null,
                record, 0,
                $"member declares {e.UncompressedSize} bytes inflated from {e.CompressedSize} (limits: "
                    + $"{opts.MaxInflatedBytes} bytes, ratio {opts.MaxDeflateRatio}); not scanned");
            return;
        }
        // Storage records are only probed (a pickle would show in the first bytes); everything else is inflated whole.
        long want = storage ? Math.Min(e.UncompressedSize, 4096) : e.UncompressedSize;
        if (!ctx.Spend(want, record)) return;
        var inflated = Inflate(src.Span(e.DataOffset, e.CompressedSize), want, out bool longer, out string? error);
        if (error is not null)
        {
            ctx.Add(pickleName ? ScanSeverity.Dangerous : ScanSeverity.Warning, ScanFindingKind.CorruptContainer,
                null, record, 0,
                $"deflate stream is corrupt ({error}); "
                    + $"{(pickleName ? "the pickle cannot be checked" : "not scanned")}");
            return;
        }
        if (!storage && (longer || inflated.Length != e.UncompressedSize))
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipBomb, null, record, 0,
                $"member inflates to {(longer ? "more than" : "")} {inflated.Length} bytes, not the declared "
                    + "{e.UncompressedSize}");
        ContainerScanner.ScanPayload(ctx, inflated, record, null, pickleName, storage);
        if (TorchScriptCodeScanner.IsCodeRecord(e.Name)) TorchScriptCodeScanner.Scan(ctx, inflated, record);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> compressed, long want, out bool longer, out string? error)
    {
        longer = false;
        error = null;
        if (compressed.IsEmpty) { error = want > 0 ? "no compressed bytes" : null; return []; }
        var output = new byte[Math.Min(want, Array.MaxLength)];
        int total = 0;
        try { total = ZipInflate.Into(compressed, output, out longer); }
        catch (InvalidDataException ex) { error = ex.Message; }
        return total == output.Length ? output : output[..total];
    }
}
