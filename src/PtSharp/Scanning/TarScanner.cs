using System.Buffers.Binary;
using System.Text;
using PtSharp.Tensors;

namespace PtSharp.Scanning;

/// <summary>
/// The legacy tar format (torch ≤ 0.3): members <c>sys_info</c> and <c>pickle</c> are pickles; <c>storages</c> and
/// <c>tensors</c> interleave small pickles with raw data, which is skipped using the sizes the pickles and headers
/// declare, so every embedded pickle is scanned and no tensor byte is read.
/// </summary>
internal static class TarScanner
{
    /// <summary>A valid header checksum in the first block, as Python's tarfile requires.</summary>
    public static bool LooksLikeTar(ReadOnlySpan<byte> head)
    {
        if (head.Length < 512) return false;
        if (!TryOctal(head.Slice(148, 8), out long stored)) return false;
        long unsigned = 0;
        for (int i = 0; i < 512; i++) unsigned += i is >= 148 and < 156 ? (byte)' ' : head[i];
        return stored == unsigned && head[0] != 0;
    }

    /// <summary>Scans every member; returns false when the archive cannot be walked (torch then reads it as a pickle stream).</summary>
    public static bool Scan(ScanSource src, ScanContext ctx)
    {
        long pos = 0;
        string? longName = null;
        int members = 0;
        while (pos + 512 <= src.Length)
        {
            var h = src.Span(pos, 512);
            if (h.IndexOfAnyExcept((byte)0) < 0) break;
            if (!LooksLikeTar(h))
            {
                if (members == 0) return false;
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, "tar", pos, "tar header with a bad checksum; torch stops reading here");
                return true;
            }
            string name = longName ?? Name(h);
            longName = null;
            long size = Size(h.Slice(124, 12));
            byte type = h[156];
            long data = pos + 512;
            if (size < 0 || size > src.Length - data)
            {
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, name, pos, "tar member is longer than the file");
                return members > 0;
            }
            members++;
            switch (type)
            {
                case (byte)'L':
                    longName = Encoding.UTF8.GetString(src.Span(data, size)).TrimEnd('\0');
                    break;
                case (byte)'x':
                    foreach (var line in Encoding.UTF8.GetString(src.Span(data, size)).Split('\n'))
                    {
                        int eq = line.IndexOf(" path=", StringComparison.Ordinal);
                        if (eq >= 0) longName = line[(eq + 6)..];
                    }
                    break;
                case (byte)'0': case 0: case (byte)'7':
                    Member(src, ctx, name, data, size);
                    break;
            }
            pos = data + (size + 511) / 512 * 512;
        }
        return members > 0;
    }

    private static void Member(ScanSource src, ScanContext ctx, string name, long data, long size)
    {
        var bytes = src.Span(data, size);
        if (name is "storages" or "tensors" && !ctx.Spend(size, name)) return;
        switch (name)
        {
            case "storages": Storages(ctx, bytes, data); break;
            case "tensors": Tensors(ctx, bytes, data); break;
            case "pickle": case "sys_info": ContainerScanner.ScanPayload(ctx, bytes, name, data, pickleName: true, storage: false); break;
            default: ContainerScanner.ScanPayload(ctx, bytes, name, data, pickleName: false, storage: false); break;
        }
    }

    /// <summary>count pickle; per storage (key, location, type) pickle + int64 count + data; then the view list pickle.</summary>
    private static void Storages(ScanContext ctx, ReadOnlySpan<byte> bytes, long fileBase)
    {
        int pos = 0;
        if (!Count(ctx, bytes, ref pos, "storages", fileBase, out long count)) return;
        for (long i = 0; i < count; i++)
        {
            var r = PickleScanner.Scan(ctx, bytes[pos..], 0, "storages", fileBase + pos);
            if (!r.Completed) return;
            pos += r.End;
            string? cls = r.LastGlobal?[(r.LastGlobal.LastIndexOf('.') + 1)..];
            int unit = cls is not null && DTypes.TryFromStorageClass(cls, out var d) ? d.ElementSize() : 1;
            if (pos + 8 > bytes.Length) { Lost(ctx, "storages", fileBase + pos); return; }
            long n = BinaryPrimitives.ReadInt64LittleEndian(bytes[pos..]);
            pos += 8;
            if (n < 0 || n > (bytes.Length - pos) / unit) { Lost(ctx, "storages", fileBase + pos); return; }
            pos += (int)(n * unit);
        }
        if (pos < bytes.Length) PickleScanner.Scan(ctx, bytes[pos..], 0, "storages", fileBase + pos);
    }

    /// <summary>count pickle; per tensor (key, storage_key, type) pickle + int32 ndim + 4 bytes + sizes, strides, offset.</summary>
    private static void Tensors(ScanContext ctx, ReadOnlySpan<byte> bytes, long fileBase)
    {
        int pos = 0;
        if (!Count(ctx, bytes, ref pos, "tensors", fileBase, out long count)) return;
        for (long i = 0; i < count; i++)
        {
            var r = PickleScanner.Scan(ctx, bytes[pos..], 0, "tensors", fileBase + pos);
            if (!r.Completed) return;
            pos += r.End;
            if (pos + 8 > bytes.Length) { Lost(ctx, "tensors", fileBase + pos); return; }
            int ndim = BinaryPrimitives.ReadInt32LittleEndian(bytes[pos..]);
            if (ndim < 0 || ndim > 1024 || pos + 8 + 16L * ndim + 8 > bytes.Length) { Lost(ctx, "tensors", fileBase + pos); return; }
            pos += 8 + 16 * ndim + 8;
        }
    }

    private static bool Count(ScanContext ctx, ReadOnlySpan<byte> bytes, ref int pos, string record, long fileBase, out long count)
    {
        count = 0;
        var r = PickleScanner.Scan(ctx, bytes, 0, record, fileBase);
        if (!r.Completed) return false;
        // The count pickle is [PROTO n] BININT1/BININT2/BININT STOP.
        int p = bytes[0] == 0x80 ? 2 : 0;
        if (p < bytes.Length)
            switch (bytes[p])
            {
                case 0x4B when p + 2 < bytes.Length: count = bytes[p + 1]; break;
                case 0x4D when p + 3 < bytes.Length: count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(p + 1)..]); break;
                case 0x4A when p + 5 < bytes.Length: count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(p + 1)..]); break;
                default: Lost(ctx, record, fileBase); return false;
            }
        pos = r.End;
        return count >= 0;
    }

    private static void Lost(ScanContext ctx, string record, long at) =>
        ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, record, at, "the member's layout does not match the legacy tar format; the rest of it was not scanned");

    private static string Name(ReadOnlySpan<byte> h)
    {
        string name = CString(h[..100]);
        if (h.Slice(257, 5).SequenceEqual("ustar"u8))
        {
            string prefix = CString(h.Slice(345, 155));
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        return name;
    }

    private static string CString(ReadOnlySpan<byte> b)
    {
        int z = b.IndexOf((byte)0);
        return Encoding.UTF8.GetString(z < 0 ? b : b[..z]);
    }

    private static long Size(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long v = 0;
            for (int i = 1; i < field.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) return -1;
                v = (v << 8) | field[i];
            }
            return v;
        }
        return TryOctal(field, out long n) ? n : -1;
    }

    private static bool TryOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        int i = 0;
        while (i < field.Length && field[i] == (byte)' ') i++;
        int digits = 0;
        for (; i < field.Length && field[i] is >= (byte)'0' and <= (byte)'7'; i++, digits++)
        {
            if (value > (long.MaxValue >> 3)) return false;
            value = value * 8 + (field[i] - '0');
        }
        for (; i < field.Length; i++) if (field[i] is not (0 or (byte)' ')) return false;
        return digits > 0;
    }
}
