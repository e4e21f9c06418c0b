namespace PtSharp.Scanning;

/// <summary>The result of scanning one file or buffer. Immutable.</summary>
public sealed class ScanReport
{
    internal ScanReport(string path, long length, ScanContainer container, IReadOnlyList<ScanFinding> findings,
        IReadOnlyList<ScanGlobal> globals, int pickleCount, bool malformed, string? error)
    {
        Path = path;
        Length = length;
        Container = container;
        Findings = findings;
        Globals = globals;
        PickleCount = pickleCount;
        IsMalformed = malformed;
        Error = error;
    }

    /// <summary>The path scanned, or the name given to <see cref="PtScanner.ScanBytes(ReadOnlySpan{byte}, string, ScanOptions?)"/>.</summary>
    public string Path { get; }
    /// <summary>File size in bytes.</summary>
    public long Length { get; }
    /// <summary>The container recognised by content.</summary>
    public ScanContainer Container { get; }
    /// <summary>Findings in the order they were made (container first, then each pickle in file order).</summary>
    public IReadOnlyList<ScanFinding> Findings { get; }
    /// <summary>Every global any scanned pickle references, dangerous first, each once.</summary>
    public IReadOnlyList<ScanGlobal> Globals { get; }
    /// <summary>Number of pickles scanned (including nested ones).</summary>
    public int PickleCount { get; }
    /// <summary>True when at least one pickle is malformed (a real unpickler would stop with an error).</summary>
    public bool IsMalformed { get; }
    /// <summary>Why the file could not be scanned at all (I/O error), else <see langword="null"/>.</summary>
    public string? Error { get; }

    /// <summary>
    /// Why the scanner could not read the file as a model, or <see langword="null"/>: it could not be opened, is empty,
    /// holds no pickle-based content a loader would run (text, unknown bytes), or a pickle in it is truncated or
    /// unparseable. A file the scanner cannot read is not clean: <c>pt scan</c> exits 2 for it unless it is dangerous.
    /// Safetensors files (no pickle, nothing to run) are readable.
    /// </summary>
    public string? Unreadable =>
        Error is { } e ? e
        : Length == 0 ? "the file is empty"
        : Container == ScanContainer.Unknown && PickleCount == 0 ? "no zip, tar, numpy or pickle content: not a PyTorch file"
        : IsMalformed ? "a pickle in it is truncated or unparseable: "
            + (Findings.FirstOrDefault(f => f.Kind == ScanFindingKind.MalformedPickle)?.Message ?? "malformed")
        : null;

    /// <summary>The most serious finding's severity, or <see langword="null"/> when there are none.</summary>
    public ScanSeverity? MaxSeverity => Findings.Count == 0 ? null : Findings.Max(f => f.Severity);

    /// <summary>True when any finding is <see cref="ScanSeverity.Dangerous"/>.</summary>
    public bool IsDangerous => Findings.Any(f => f.Severity == ScanSeverity.Dangerous);

    /// <summary>True when any finding is a <see cref="ScanSeverity.Warning"/> (unknown globals, malformed pickles, container oddities).</summary>
    public bool HasWarnings => Findings.Any(f => f.Severity == ScanSeverity.Warning);

    /// <summary>
    /// True when the file was scanned and has no dangerous finding. The strict verdict (<c>pt scan --strict</c>),
    /// which fails on warnings too, is <c>IsClean &amp;&amp; !HasWarnings</c>.
    /// </summary>
    public bool IsClean => Error is null && !IsDangerous;

    /// <inheritdoc/>
    public override string ToString() =>
        $"scan of '{Path}': {(Error is not null ? "error" : IsDangerous ? "dangerous" : HasWarnings ? "warnings" : "clean")} " +
        $"({Findings.Count} finding{(Findings.Count == 1 ? "" : "s")})";
}
