using PtSharp.Errors;
using PtSharp.IO;
using PtSharp.Loading;
using PtSharp.Scanning;
using PtSharp.Tensors;

namespace PtSharp.Dcp;

/// <summary>
/// <c>pt scan</c> of a distributed checkpoint folder: the <c>.metadata</c> pickle with torch's DCP metadata classes
/// known as inert, and every item's byte range of the <c>.distcp</c> files scanned as the <c>torch.save</c> blob it
/// is (scanning a data file whole would see only its first blob). Files the metadata does not name are scanned whole.
/// </summary>
public static class DcpScan
{
    /// <summary>The classes a DCP <c>.metadata</c> pickle names; loading them imports only torch's own dataclasses.</summary>
    internal static readonly string[] MetadataGlobals =
    [
        "torch.distributed.checkpoint.metadata.Metadata",
        "torch.distributed.checkpoint.metadata.TensorStorageMetadata",
        "torch.distributed.checkpoint.metadata.ChunkStorageMetadata",
        "torch.distributed.checkpoint.metadata.BytesStorageMetadata",
        "torch.distributed.checkpoint.metadata.TensorProperties",
        "torch.distributed.checkpoint.metadata._MEM_FORMAT_ENCODING",
        "torch.distributed.checkpoint.metadata.MetadataIndex",
        "torch.distributed.checkpoint.metadata.StorageMeta",
        "torch.distributed.checkpoint.filesystem._StorageInfo",
        "torch.distributed._shard.sharded_tensor.metadata.TensorProperties",
        "torch.distributed._shard.sharded_tensor.metadata.MEM_FORMAT_ENCODING",
        "torch.serialization._get_layout",
        "torch.Size",
    ];

    // FileSystemWriter records its checkpoint_id, a pathlib path, in storage_meta: constructing one touches no file.
    private static readonly HashSet<string> InertPaths = new(StringComparer.Ordinal)
    {
        "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path", "pathlib.PurePosixPath", "pathlib.PureWindowsPath",
        "pathlib._local.PosixPath", "pathlib._local.WindowsPath", "pathlib._local.Path",
        "pathlib._local.PurePosixPath", "pathlib._local.PureWindowsPath",
    };

    /// <summary>Scans the folder: one report for <c>.metadata</c>, one per item of the data files, one per other file.</summary>
    public static IReadOnlyList<ScanReport> Scan(string folder, ScanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= new ScanOptions();
        string metadataPath = Path.Combine(folder, DcpMetadataReader.FileName);
        var metadataOptions = new ScanOptions { MaxNestingDepth = options.MaxNestingDepth };
        foreach (var g in options.AllowGlobals.Concat(MetadataGlobals)) metadataOptions.AllowGlobals.Add(g);
        var reports = new List<ScanReport> { WithoutInertPaths(PtScanner.ScanFile(metadataPath, metadataOptions)) };

        DcpMetadata? metadata = null;
        try { metadata = DcpMetadataReader.Read(metadataPath, new PtLoadOptions()); }
        catch (PtFormatException) { } // the metadata report says what is wrong; the data files are scanned whole below
        catch (IOException) { }

        var pieces = new List<(string Name, DcpStorageInfo Storage)>();
        if (metadata is not null)
            foreach (var item in metadata.Items)
            {
                if (item is DcpBytesItem b) pieces.Add((b.Name, b.Storage));
                else if (item is DcpTensorItem t) pieces.AddRange(t.Chunks.Select(c => (t.Name, c.Storage)));
            }
        var named = new HashSet<string>(pieces.Select(p => p.Storage.RelativePath), StringComparer.Ordinal);
        foreach (var group in pieces.GroupBy(p => p.Storage.RelativePath, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            reports.AddRange(ScanPieces(folder, group.Key, group.ToList(), options));
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (name == DcpMetadataReader.FileName || named.Contains(name)) continue;
            reports.Add(PtScanner.ScanFile(file, options));
        }
        return reports;
    }

    private static IEnumerable<ScanReport> ScanPieces(string folder, string relative, List<(string Name, DcpStorageInfo Storage)> pieces, ScanOptions options)
    {
        string path = Path.Combine(folder, relative);
        MappedFile map;
        try
        {
            if (relative.IndexOfAny(['/', '\\']) >= 0 || relative is "." or "..") throw new IOException("the name leaves the checkpoint folder");
            map = new MappedFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [new ScanReport(path, 0, ScanContainer.Unknown, [], [], 0, false, $"'{pieces[0].Name}' is stored in '{relative}': {e.Message}")];
        }
        using (map)
        {
            var reports = new List<ScanReport>();
            foreach (var (name, s) in pieces.OrderBy(p => p.Storage.Offset))
            {
                string label = $"{path}@{s.Offset} ({name})";
                if (s.Offset < 0 || s.Length < 0 || s.Offset > map.Length || s.Length > map.Length - s.Offset)
                {
                    reports.Add(new ScanReport(label, 0, ScanContainer.Unknown, [], [], 0, false,
                        $"bytes {s.Offset}..{s.Offset + s.Length} lie outside the {map.Length}-byte file"));
                    continue;
                }
                reports.Add(PtScanner.Run(new SubSource(map, s.Offset, s.Length), label, options));
            }
            return reports;
        }
    }

    private static ScanReport WithoutInertPaths(ScanReport r)
    {
        if (!r.Findings.Any(IsInertPath)) return r;
        return new ScanReport(r.Path, r.Length, r.Container, r.Findings.Where(f => !IsInertPath(f)).ToList(),
            r.Globals.Where(g => !InertPaths.Contains(g.Module + "." + g.Name)).ToList(), r.PickleCount, r.IsMalformed, r.Error);
    }

    private static bool IsInertPath(ScanFinding f) => f.Global is not null && InertPaths.Contains(f.Global);
}
