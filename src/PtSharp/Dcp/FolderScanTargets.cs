namespace PtSharp.Dcp;

/// <summary>
/// What a scan of a folder covers: its loose files, and the distributed checkpoint folders below it, each to be
/// scanned as one checkpoint (<see cref="DcpScan.Scan"/>: the <c>.metadata</c> pickle with the DCP classes known
/// and every <c>.distcp</c> item as its own <c>torch.save</c> blob) rather than as the loose files it holds.
/// </summary>
/// <param name="Files">Files outside any distributed checkpoint folder, sorted.</param>
/// <param name="DcpFolders">Distributed checkpoint folders (a folder with a <c>.metadata</c> file), sorted.</param>
public sealed record FolderScanTargets(IReadOnlyList<string> Files, IReadOnlyList<string> DcpFolders)
{
    private static EnumerationOptions Options(bool recursive) => new()
    {
        RecurseSubdirectories = recursive,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        MaxRecursionDepth = 64,
    };

    /// <summary>
    /// Lists <paramref name="folder"/>: its files, and with <paramref name="recursive"/> those of every subfolder,
    /// where a subfolder that is a distributed checkpoint is listed as one (a checkpoint folder inside another
    /// belongs to the outer one).
    /// </summary>
    /// <exception cref="IOException">The folder cannot be listed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be listed.</exception>
    public static FolderScanTargets List(string folder, bool recursive)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!recursive)
        {
            var top = Directory.EnumerateFiles(folder, "*", Options(false)).Order(StringComparer.Ordinal).ToList();
            return new(top, []);
        }
        var dcp = new List<string>();
        var set = new HashSet<string>(StringComparer.Ordinal);
        // Shorter paths first, so an outer checkpoint folder is known before the folders inside it.
        foreach (var dir in Directory.EnumerateDirectories(folder, "*", Options(true)).OrderBy(d => d.Length))
        {
            if (InAny(dir, folder, set) || !DcpCheckpoint.IsDcpFolder(dir)) continue;
            dcp.Add(dir);
            set.Add(dir);
        }
        dcp.Sort(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(folder, "*", Options(true))
            .Where(f => !InAny(f, folder, set)).Order(StringComparer.Ordinal).ToList();
        return new(files, dcp);
    }

    private static bool InAny(string file, string root, HashSet<string> dirs)
    {
        if (dirs.Count == 0) return false;
        for (string? d = Path.GetDirectoryName(file); d is not null && d.Length > root.Length;
             d = Path.GetDirectoryName(d))
            if (dirs.Contains(d)) return true;
        return false;
    }
}
