using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using PtSharp.Zip;

namespace PtSharp.Scanning;

/// <summary>Recognises the container by content (never by extension) and sends every pickle in it to <see cref="PickleScanner"/>.</summary>
internal static class ContainerScanner
{
    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static readonly (byte[] Magic, string Name)[] Unscannable =
    [
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7z archive"),
        ("Rar!\x1A\x07"u8.ToArray(), "RAR archive"),
        ([0x1F, 0x8B], "gzip stream"),
        ("BZh"u8.ToArray(), "bzip2 stream"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz stream"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd stream"),
        ([0x04, 0x22, 0x4D, 0x18], "lz4 frame"),
    ];

    public static ScanContainer Scan(ScanSource src, ScanContext ctx)
    {
        var head = src.Span(0, 512);
        if (src.Length == 0)
        {
            ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0, "the file is empty");
            return ScanContainer.Unknown;
        }
        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == ZipLayout.LocalHeaderSignature)
        {
            long eocd = ZipScanner.FindEnd(src);
            if (eocd < 0)
            {
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, null, 0, "starts like a zip but has no end-of-central-directory record; torch cannot open it");
                return ScanContainer.Zip;
            }
            return ZipScanner.Scan(src, eocd, ctx, "") ? ScanContainer.TorchZip : ScanContainer.Zip;
        }

        var container = ScanNotZip(src, ctx, head);
        // A zip placed after other content (a polyglot): torch.load ignores it, Python's zipfile and many scanners
        // open it. Report it and scan it too.
        long end = ZipScanner.FindEnd(src);
        if (end >= 0 && LooksLikeRealDirectory(src, end))
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipExtraData, null, null, 0,
                "a zip archive is embedded after other content (polyglot): torch.load reads the start, zip readers and scanners the archive; both are scanned");
            ZipScanner.Scan(src, end, ctx, "embedded-zip");
        }
        return container;
    }

    private static bool LooksLikeRealDirectory(ScanSource src, long eocd)
    {
        var dir = ZipScanner.Locate(src, eocd);
        return dir.Problem is null && dir.Count > 0
            && src.Contains(dir.CdOffset, 4) && BinaryPrimitives.ReadUInt32LittleEndian(src.Span(dir.CdOffset, 4)) == ZipLayout.CentralHeaderSignature;
    }

    private static ScanContainer ScanNotZip(ScanSource src, ScanContext ctx, ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("PYTORCH1"u8))
        {
            ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0, "a torch 1.0-preview 'PYTORCH1' container, which current torch refuses");
            return ScanContainer.Unknown;
        }
        foreach (var (magic, name) in Unscannable)
            if (head.StartsWith(magic))
            {
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.Unscannable, null, null, 0,
                    $"a {name}: torch cannot load it, but it can carry a pickle that is unpacked and loaded later; its content cannot be scanned");
                return ScanContainer.Unscannable;
            }
        if (head.StartsWith(NpyMagic))
        {
            ScanNpy(ctx, src.Span(0, src.Length), null, 0);
            return ScanContainer.Npy;
        }
        if (TarScanner.LooksLikeTar(head))
        {
            if (TarScanner.Scan(src, ctx)) return ScanContainer.LegacyTar;
            // As torch.load: a tar that cannot be read falls through to the legacy pickle stream.
        }
        if (!ctx.Spend(src.Length, null)) return ScanContainer.Unknown;
        if (LegacyStreamScanner.TryScan(ctx, src.Span(0, src.Length))) return ScanContainer.LegacyStream;
        if (head.Length >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) <= (ulong)(src.Length - 8))
        {
            ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0, "a safetensors file: it holds no pickle");
            return ScanContainer.Safetensors;
        }
        var all = src.Span(0, src.Length);
        if (LooksLikePickle(all, 0, strict: false))
        {
            ScanStream(ctx, all, null, 0, ctx.Options.MaxPicklesPerStream, legacy: false);
            return ScanContainer.Pickle;
        }
        ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0, "no zip, tar, numpy or pickle content: not a PyTorch file");
        return ScanContainer.Unknown;
    }

    /// <summary>Scans a member or section: a numpy array, a pickle (always for pickle names), or bytes that look like one.</summary>
    public static void ScanPayload(ScanContext ctx, ReadOnlySpan<byte> bytes, string record, long? fileBase, bool pickleName, bool storage)
    {
        // Tensor records are only probed: a pickle must start with PROTO there.
        if (storage && !(bytes.Length >= 2 && bytes[0] == 0x80 && bytes[1] <= 5)) return;
        if (!ctx.Spend(bytes.Length, record)) return;
        if (!storage && bytes.StartsWith(NpyMagic)) { ScanNpy(ctx, bytes, record, fileBase); return; }
        if (pickleName)
        {
            if (bytes.Length == 0) return;
            ScanStream(ctx, bytes, record, fileBase, ctx.Options.MaxPicklesPerStream, legacy: false);
            return;
        }
        // In a tensor record only a pickle that reaches a global matters (random data can tokenize to a STOP).
        if (LooksLikePickle(bytes, 0, strict: true, requireGlobal: storage)) ScanStream(ctx, bytes, record, fileBase, ctx.Options.MaxPicklesPerStream, legacy: false);
    }

    /// <summary>
    /// Scans consecutive pickles from the start: a legacy stream holds five, a raw file may hold several. Stops at
    /// the first malformed pickle (an unpickler stops there too) or when what follows is not a pickle.
    /// </summary>
    private static void ScanStream(ScanContext ctx, ReadOnlySpan<byte> bytes, string? record, long? fileBase, int maxPickles, bool legacy)
    {
        int pos = 0;
        for (int i = 0; i < maxPickles; i++)
        {
            string name = record ?? (legacy ? LegacySection(i) : i == 0 ? "pickle" : $"pickle #{i + 1}");
            var r = PickleScanner.Scan(ctx, bytes[pos..], 0, name, fileBase is long b ? b + pos : null);
            if (!r.Completed) return;
            int next = pos + r.End;
            if (next >= bytes.Length) return;
            if (legacy && i == 4) return; // the raw storages follow the key list
            if (!LooksLikePickle(bytes, next, strict: true))
            {
                if (!legacy)
                    ctx.Add(ScanSeverity.Info, ScanFindingKind.TrailingData, null, record, next, $"{bytes.Length - next} bytes after the pickle's STOP are not a pickle", fileBase is long b2 ? b2 + next : null);
                return;
            }
            if (!legacy)
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.TrailingData, null, record, next,
                    "another pickle follows the first one: pickle.load reads one, a loop or torch's legacy loader reads more; it is scanned too", fileBase is long b3 ? b3 + next : null);
            pos = next;
        }
        ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, record, pos, $"more than {maxPickles} consecutive pickles; the rest was not scanned");
    }

    private static string LegacySection(int i) => i switch
    {
        0 => "legacy magic number",
        1 => "legacy protocol version",
        2 => "legacy sys_info",
        3 => "legacy main pickle",
        _ => "legacy storage keys",
    };

    /// <summary>See <see cref="PickleSniffer.LooksLikePickle"/>.</summary>
    public static bool LooksLikePickle(ReadOnlySpan<byte> bytes, int start, bool strict, bool requireGlobal = false) =>
        PickleSniffer.LooksLikePickle(bytes, start, strict, requireGlobal);

    /// <summary>A numpy .npy array: object arrays (dtype 'O') store their elements as a pickle after the header.</summary>
    private static void ScanNpy(ScanContext ctx, ReadOnlySpan<byte> bytes, string? record, long? fileBase)
    {
        if (bytes.Length < 10) { ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, record, 0, "truncated .npy header"); return; }
        int major = bytes[6];
        int lenSize = major == 1 ? 2 : 4;
        long headerLen = lenSize == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) : bytes.Length >= 12 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) : -1;
        long dataStart = 8 + lenSize + headerLen;
        if (headerLen < 0 || dataStart > bytes.Length)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, record, 0, ".npy header runs past the end of the data");
            return;
        }
        string header = Encoding.Latin1.GetString(bytes.Slice(8 + lenSize, (int)headerLen));
        int descr = header.IndexOf("descr", StringComparison.Ordinal);
        if (descr < 0) return;
        int endDescr = header.IndexOf("'fortran_order'", descr, StringComparison.Ordinal);
        int endShape = header.IndexOf("'shape'", descr, StringComparison.Ordinal);
        int end = new[] { endDescr, endShape, header.Length }.Where(x => x > descr).Min();
        if (!header[descr..end].Contains('O', StringComparison.Ordinal)) return;
        string name = (record ?? "npy") + ">object array";
        ctx.Add(ScanSeverity.Warning, ScanFindingKind.NestedPickle, null, record, 0,
            "numpy object array: numpy.load(allow_pickle=True) unpickles its elements; the pickle is scanned as '" + name + "'");
        if (!LooksLikePickle(bytes, (int)dataStart, strict: false))
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.MalformedPickle, null, name, 0, "object array data is not a pickle");
            return;
        }
        PickleScanner.Scan(ctx, bytes[(int)dataStart..], 0, name, fileBase is long b ? b + dataStart : null);
    }

    internal static string Invariant(long v) => v.ToString(CultureInfo.InvariantCulture);
}
