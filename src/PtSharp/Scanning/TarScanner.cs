using System.Buffers.Binary;
using PtSharp.Containers;
using PtSharp.Tensors;

namespace PtSharp.Scanning;

/// <summary>
/// The legacy tar format (torch ≤ 0.3): members <c>sys_info</c> and <c>pickle</c> are pickles; <c>storages</c> and
/// <c>tensors</c> interleave small pickles with raw data, which is skipped using the sizes the pickles and headers
/// declare, so every embedded pickle is scanned and no tensor byte is read.
/// </summary>
internal static class TarScanner
{
    private static readonly string[] TorchMembers = ["storages", "tensors", "pickle"];

    /// <summary>
    /// Scans every member tarfile lists (with the member boundaries of both CPython 3.11 and 3.13) and the members
    /// torch's <c>legacy_load</c> opens by name (the last of equal names, through links). Returns false when
    /// tarfile raises ReadError in either Python: torch.load then reads the file as a legacy pickle stream.
    /// </summary>
    public static bool Scan(ScanSource src, ScanContext ctx)
    {
        var window = src.Window;
        var py311 = TarWalker.Walk(window, python313: false);
        var py313 = TarWalker.Walk(window, python313: true);
        bool same = py311.Members.SequenceEqual(py313.Members) && py311.Outcome == py313.Outcome;
        if (!same)
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.ContainerMismatch, null, "tar", 0,
                "Python 3.11's and 3.13's tarfile split this archive into different members (a trailing '/' after a "
                + "long-name header): torch 1.13 and 2.6 read different bytes; both readings are scanned");
        var scanned = new HashSet<(string, long, long)>();
        foreach (var listing in same ? [py311] : new[] { py311, py313 })
        {
            Report(ctx, listing, src.Length);
            foreach (var m in listing.Members)
                if (m.HasData) Member(src, ctx, m, m.Name, scanned);
            foreach (string name in TorchMembers)
            {
                var used = listing.Members.LastOrDefault(m => m.Name == name);
                if (used is null || !used.IsLink) continue;
                var target = TarLinks.Resolve(listing.Members, used);
                if (target is null)
                    ctx.Add(ScanSeverity.Warning, ScanFindingKind.Unscannable, null, name, used.HeaderOffset,
                        $"member '{name}' is a link to '{used.LinkName}', which is not in the archive: torch reads a "
                        + "file from outside it, which cannot be scanned");
                else Member(src, ctx, target, name, scanned);
            }
        }
        return py311.Outcome != TarOutcome.ReadError && py313.Outcome != TarOutcome.ReadError;
    }

    private static void Report(ScanContext ctx, TarListing listing, long length)
    {
        switch (listing.Outcome)
        {
            case TarOutcome.ReadError:
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, "tar", null,
                    $"tarfile rejects this archive ({listing.Problem}): torch.load reads it as a pickle stream "
                        + $"instead; both are scanned");
                break;
            case TarOutcome.Failure:
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, "tar", null,
                    $"tarfile cannot finish reading this archive ({listing.Problem}); torch.load fails on it");
                break;
            case TarOutcome.End when listing.Problem is not null:
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, "tar", null,
                    $"an invalid tar header ({listing.Problem}) ends the archive for tarfile; later bytes are not "
                        + $"read by torch");
                break;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in listing.Members)
        {
            if (m.HasData && m.Sparse)
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.Unscannable, null, m.Name, m.HeaderOffset,
                    $"member '{m.Name}' is a GNU sparse file: tarfile reassembles it with holes, only its stored "
                        + $"bytes were scanned");
            if (m.HasData && m.Size > length - m.DataOffset)
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, m.Name, m.HeaderOffset,
                    "tar member is longer than the file");
            if (TorchMembers.Contains(m.Name) && !names.Add(m.Name))
                ctx.Add(ScanSeverity.Warning, ScanFindingKind.ContainerMismatch, null, m.Name, m.HeaderOffset,
                    $"two members are named '{m.Name}': tarfile and torch use the last one; every copy is scanned");
        }
    }

    private static void Member(ScanSource src, ScanContext ctx, TarMember m, string name, HashSet<(string, long,
        long)> scanned)
    {
        if (m.Size <= 0 || !scanned.Add((name, m.DataOffset, m.Size))) return;
        Member(src, ctx, name, m.DataOffset, Math.Min(m.Size, src.Length - m.DataOffset));
    }

    private static void Member(ScanSource src, ScanContext ctx, string name, long data, long size)
    {
        var bytes = src.Span(data, size);
        if (name is "storages" or "tensors" && !ctx.Spend(size, name)) return;
        switch (name)
        {
            case "storages": Storages(ctx, bytes, data); break;
            case "tensors": Tensors(ctx, bytes, data); break;
            case "pickle": case "sys_info": ContainerScanner.ScanPayload(ctx, bytes, name, data, pickleName: true,
                storage: false); break;
            default: ContainerScanner.ScanPayload(ctx, bytes, name, data, pickleName: false, storage: false); break;
        }
    }

    /// <summary>count pickle; per storage (key, location, type) pickle + int64 count + data; then the view list
    /// pickle.</summary>
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

    /// <summary>count pickle; per tensor (key, storage_key, type) pickle + int32 ndim + 4 bytes + sizes, strides,
    /// offset.</summary>
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
            if (ndim < 0 || ndim > 1024 || pos + 8 + 16L * ndim + 8 > bytes.Length) { Lost(ctx, "tensors", fileBase
                + pos); return; }
            pos += 8 + 16 * ndim + 8;
        }
    }

    private static bool Count(ScanContext ctx, ReadOnlySpan<byte> bytes, ref int pos, string record, long fileBase,
        out long count)
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
                case 0x4D when p + 3 < bytes.Length: count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(p
                    + 1)..]); break;
                case 0x4A when p + 5 < bytes.Length: count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(p
                    + 1)..]); break;
                default: Lost(ctx, record, fileBase); return false;
            }
        pos = r.End;
        return count >= 0;
    }

    private static void Lost(ScanContext ctx, string record, long at) =>
        ctx.Add(ScanSeverity.Warning, ScanFindingKind.CorruptContainer, null, record, at,
            "the member's layout does not match the legacy tar format; the rest of it was not scanned");
}
