using System.Buffers.Binary;
using System.Globalization;
using PtSharp.Containers;
using PtSharp.Zip;

namespace PtSharp.Scanning;

/// <summary>Recognises the container by content (never by extension) and sends every pickle in it to <see
/// cref="PickleScanner"/>.</summary>
internal static class ContainerScanner
{
    public static ScanContainer Scan(ScanSource src, ScanContext ctx)
    {
        var head = src.Span(0, ContainerSniffer.HeadLength);
        var kind = ContainerSniffer.Sniff(head, src.Length, out string? formatName);
        if (kind == ContainerKind.Empty)
        {
            ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0, "the file is empty");
            return ScanContainer.Unknown;
        }
        if (kind == ContainerKind.Zip)
        {
            long eocd = ZipScanner.FindEnd(src);
            if (eocd < 0)
            {
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, null, 0,
                    "starts like a zip but has no end-of-central-directory record; torch cannot open it");
                return ScanContainer.Zip;
            }
            return ZipScanner.Scan(src, eocd, ctx, "") ? ScanContainer.TorchZip : ScanContainer.Zip;
        }

        var container = ScanNotZip(src, ctx, kind, formatName);
        // A zip placed after other content (a polyglot): torch.load ignores it, Python's zipfile and many scanners
        // open it. Report it and scan it too.
        long end = ZipScanner.FindEnd(src);
        if (end >= 0 && LooksLikeRealDirectory(src, end))
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ZipExtraData, null, null, 0,
                "a zip archive is embedded after other content (polyglot): torch.load reads the start, "
                + "zip readers and scanners the archive; both are scanned");
            ZipScanner.Scan(src, end, ctx, "embedded-zip");
        }
        return container;
    }

    private static bool LooksLikeRealDirectory(ScanSource src, long eocd)
    {
        var dir = ZipScanner.Locate(src, eocd);
        return dir.Problem is null && dir.Count > 0 && src.Contains(dir.CdOffset, 4)
            && BinaryPrimitives.ReadUInt32LittleEndian(src.Span(dir.CdOffset, 4)) == ZipLayout.CentralHeaderSignature;
    }

    private static ScanContainer ScanNotZip(ScanSource src, ScanContext ctx, ContainerKind kind, string? formatName)
    {
        switch (kind)
        {
            case ContainerKind.TorchPreview:
                ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0,
                    "a torch 1.0-preview 'PYTORCH1' container, which current torch refuses");
                return ScanContainer.Unknown;
            case ContainerKind.Compressed:
                ctx.Add(ScanSeverity.Dangerous, ScanFindingKind.Unscannable, null, null, 0,
                    $"a {formatName}: torch cannot load it, but it can carry a pickle that is unpacked and loaded "
                    + "later; its content cannot be scanned");
                return ScanContainer.Unscannable;
            case ContainerKind.Npy:
                NpyScanner.Scan(ctx, src.Span(0, src.Length), null, 0);
                return ScanContainer.Npy;
            case ContainerKind.Tar:
                if (TarScanner.Scan(src, ctx)) return ScanContainer.LegacyTar;
                // As torch.load: a tar that tarfile rejects is read as a legacy pickle stream.
                ScanTarFallback(src, ctx);
                return ScanContainer.LegacyTar;
        }
        if (!ctx.Spend(src.Length, null)) return ScanContainer.Unknown;
        var all = src.Span(0, src.Length);
        if (LegacyStreamScanner.TryScan(ctx, all)) return ScanContainer.LegacyStream;
        switch (kind)
        {
            case ContainerKind.Safetensors:
                ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0,
                    "a safetensors file: it holds no pickle");
                return ScanContainer.Safetensors;
        }
        if (LooksLikePickle(all, 0, strict: false))
        {
            ScanStream(ctx, all, null, 0, ctx.Options.MaxPicklesPerStream, legacy: false);
            return ScanContainer.Pickle;
        }
        ctx.Add(ScanSeverity.Info, ScanFindingKind.NotAModel, null, null, 0,
            "no zip, tar, numpy or pickle content: not a PyTorch file");
        return ScanContainer.Unknown;
    }

    /// <summary>The pickle stream torch.load falls back to when tarfile raises ReadError.</summary>
    private static void ScanTarFallback(ScanSource src, ScanContext ctx)
    {
        if (!ctx.Spend(src.Length, null)) return;
        var all = src.Span(0, src.Length);
        if (LegacyStreamScanner.TryScan(ctx, all)) return;
        if (LooksLikePickle(all, 0, strict: true)) ScanStream(ctx, all, null, 0, maxPickles: 5, legacy: true);
    }

    /// <summary>Scans a member or section: a numpy array, a pickle (always for pickle names), or bytes that look like
    /// one.</summary>
    public static void ScanPayload(ScanContext ctx, ReadOnlySpan<byte> bytes, string record, long? fileBase,
        bool pickleName, bool storage)
    {
        // Tensor records are only probed: a pickle must start with PROTO there.
        if (storage && !(bytes.Length >= 2 && bytes[0] == 0x80 && bytes[1] <= 5)) return;
        if (!ctx.Spend(bytes.Length, record)) return;
        if (!storage && ContainerSniffer.IsNpy(bytes)) { NpyScanner.Scan(ctx, bytes, record, fileBase); return; }
        if (pickleName)
        {
            if (bytes.Length == 0) return;
            ScanStream(ctx, bytes, record, fileBase, ctx.Options.MaxPicklesPerStream, legacy: false);
            return;
        }
        // In a tensor record only a pickle that reaches a global matters (random data can tokenize to a STOP).
        if (LooksLikePickle(bytes, 0, strict: true, requireGlobal: storage)) ScanStream(ctx, bytes, record, fileBase,
            ctx.Options.MaxPicklesPerStream, legacy: false);
    }

    /// <summary>
    /// Scans consecutive pickles from the start: a legacy stream holds five, a raw file may hold several. Stops at
    /// the first malformed pickle (an unpickler stops there too) or when what follows is not a pickle.
    /// </summary>
    private static void ScanStream(ScanContext ctx, ReadOnlySpan<byte> bytes, string? record, long? fileBase,
        int maxPickles, bool legacy)
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
                    ctx.Add(ScanSeverity.Info, ScanFindingKind.TrailingData, null, record, next,
                        $"{bytes.Length - next} bytes after the pickle's STOP are not a pickle", fileBase is long b2
                            ? b2 + next : null);
                return;
            }
            if (!legacy)
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.TrailingData, null, record, next,
                    "another pickle follows the first one: pickle.load reads one, a loop or torch's legacy loader "
                        + "reads more; it is scanned too", fileBase is long b3 ? b3 + next : null);
            pos = next;
        }
        ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, record, pos,
            $"more than {maxPickles} consecutive pickles; the rest was not scanned");
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

    internal static string Invariant(long v) => v.ToString(CultureInfo.InvariantCulture);
}
