using PtSharp.IO;

namespace PtSharp.Scanning;

/// <summary>
/// Static security scanner for pickle-based model files. It recognises the container by content, reads zips the
/// way PyTorch does, and analyses every pickle at the opcode level without building any object and without
/// reading tensor data. Nothing in the file is executed. Thread-safe: scan several files in parallel freely.
/// </summary>
/// <example><code>
/// var report = PtScanner.ScanFile("model.pt");
/// if (report.IsDangerous) foreach (var f in report.Findings) Console.WriteLine(f.Message);
/// </code></example>
public static class PtScanner
{
    private const long SmallFile = 1 << 20;

    /// <summary>Scans a file. The file is memory-mapped; only container structures and pickles are read.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The report. A file that cannot be opened gives a report whose <see cref="ScanReport.Error"/> is set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static ScanReport ScanFile(string path, ScanOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new ScanOptions();
        IByteSource source;
        try
        {
            // Small files are cheaper to read than to map; large ones are mapped so tensor data is never read.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (stream.Length <= SmallFile)
            {
                var bytes = PinnedBytes.Allocate(stream.Length);
                stream.ReadExactly(bytes.Array);
                source = bytes;
            }
            else source = new MappedFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ScanReport(path, 0, ScanContainer.Unknown, [], [], 0, false, e.Message);
        }
        using (source) return Run(source, path, options);
    }

    /// <summary>Scans bytes held in memory.</summary>
    /// <param name="bytes">The file content.</param>
    /// <param name="name">A name for the report (a path or a label).</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The report.</returns>
    public static ScanReport ScanBytes(ReadOnlySpan<byte> bytes, string name = "<memory>", ScanOptions? options = null)
    {
        options ??= new ScanOptions();
        var pinned = PinnedBytes.CopyOf(bytes);
        return Run(pinned, name ?? "<memory>", options);
    }

    internal static ScanReport Run(IByteSource source, string path, ScanOptions options)
    {
        var ctx = new ScanContext(options);
        var src = new ScanSource(source);
        ctx.Budget = Math.Min(src.Length, long.MaxValue / 32) * 16 + (64L << 20);
        ScanContainer container;
        try
        {
            container = ContainerScanner.Scan(src, ctx);
        }
        catch (Exception e) when (e is InsufficientExecutionStackException or OutOfMemoryException)
        {
            ctx.Add(ScanSeverity.Warning, ScanFindingKind.LimitReached, null, null, null, $"scan stopped: {e.Message}");
            container = ScanContainer.Unknown;
        }
        return new ScanReport(path, src.Length, container, ctx.Findings, ctx.Globals, ctx.PickleCount, ctx.Malformed, null);
    }
}
