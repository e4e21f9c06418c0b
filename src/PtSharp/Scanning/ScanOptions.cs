namespace PtSharp.Scanning;

/// <summary>Options of <see cref="PtScanner"/>.</summary>
public sealed class ScanOptions
{
    /// <summary>
    /// Extra globals (<c>module.name</c>) to judge <see cref="GlobalVerdict.Safe"/>, for classes your team trusts (the
    /// scanner's counterpart of <c>torch.serialization.add_safe_globals</c>). Denylisted globals stay dangerous.
    /// </summary>
    public HashSet<string> AllowGlobals { get; } = new(StringComparer.Ordinal);

    /// <summary>How deep pickles nested inside pickles (bytes passed to <c>pickle.loads</c>, ...) are followed (default 8).</summary>
    public int MaxNestingDepth { get; set; } = 8;

    /// <summary>Largest inflated size of one compressed zip member that is scanned (default 256 MiB).</summary>
    public long MaxInflatedBytes { get; set; } = 256L << 20;

    /// <summary>Largest accepted ratio of inflated to compressed size of a zip member (default 1032, deflate's maximum).</summary>
    public long MaxDeflateRatio { get; set; } = 1032;

    /// <summary>Most pickles scanned one after another in a raw pickle file or a legacy stream (default 10,000).</summary>
    public int MaxPicklesPerStream { get; set; } = 10_000;

    /// <summary>Most findings listed per file (default 1,000); the rest are summarised in one finding.</summary>
    public int MaxFindings { get; set; } = 1000;
}
